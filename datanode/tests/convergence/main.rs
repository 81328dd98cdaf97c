//! Property: replicas that receive the same deltas — in any order, with duplicates, mixed
//! with their own writes — end with identical state and identical replies to every read.

use bytes::{Bytes, BytesMut};
use meridian_datanode::cmd;
use meridian_datanode::crdt::ActorId;
use meridian_datanode::keyspace::delta::Delta;
use meridian_datanode::resp::Reply;
use meridian_datanode::shard::{Identity, Shard};
use proptest::prelude::*;

const KEYS: &[&str] = &["k0", "k1", "k2", "k3"];
const MEMBERS: &[&str] = &["a", "b", "c", "d"];
const NOW: u64 = 1_700_000_000_000;

#[derive(Clone, Debug)]
enum Op {
    Write(Vec<String>),
    /// Several writes in one MULTI/EXEC: they ship as one delta.
    Txn(Vec<Vec<String>>),
    /// Deliver the `n`-th delta produced so far (mod count) to this replica.
    Deliver(usize),
}

fn write_op() -> impl Strategy<Value = Vec<String>> {
    let key = proptest::sample::select(KEYS).prop_map(str::to_string);
    let member = proptest::sample::select(MEMBERS).prop_map(str::to_string);
    let small = -5i64..6;
    prop_oneof![
        (key.clone(), member.clone()).prop_map(|(k, v)| vec!["SET".into(), k, v]),
        (key.clone(), small.clone()).prop_map(|(k, n)| vec!["SET".into(), k, n.to_string()]),
        key.clone().prop_map(|k| vec!["DEL".into(), k]),
        (key.clone(), small.clone()).prop_map(|(k, n)| vec!["INCRBY".into(), k, n.to_string()]),
        (key.clone(), member.clone()).prop_map(|(k, v)| vec!["APPEND".into(), k, v]),
        key.clone().prop_map(|k| vec!["EXPIRE".into(), k, "1000".into()]),
        key.clone().prop_map(|k| vec!["PERSIST".into(), k]),
        (key.clone(), member.clone(), member.clone()).prop_map(|(k, f, v)| vec!["HSET".into(), k, f, v]),
        (key.clone(), member.clone()).prop_map(|(k, f)| vec!["HDEL".into(), k, f]),
        (key.clone(), member.clone(), small.clone()).prop_map(|(k, f, n)| vec!["HINCRBY".into(), k, f, n.to_string()]),
        (key.clone(), member.clone()).prop_map(|(k, m)| vec!["SADD".into(), k, m]),
        (key.clone(), member.clone()).prop_map(|(k, m)| vec!["SREM".into(), k, m]),
        (key.clone(), small.clone(), member.clone()).prop_map(|(k, s, m)| vec!["ZADD".into(), k, s.to_string(), m]),
        (key.clone(), small.clone(), member.clone()).prop_map(|(k, s, m)| vec!["ZINCRBY".into(), k, s.to_string(), m]),
        (key.clone(), member.clone()).prop_map(|(k, m)| vec!["ZREM".into(), k, m]),
        (key.clone(), member.clone(), member.clone()).prop_map(|(k, a, b)| vec!["LPUSH".into(), k, a, b]),
        (key.clone(), member.clone()).prop_map(|(k, a)| vec!["RPUSH".into(), k, a]),
        key.clone().prop_map(|k| vec!["LPOP".into(), k]),
        key.clone().prop_map(|k| vec!["RPOP".into(), k]),
        (key.clone(), member.clone()).prop_map(|(k, v)| vec!["LSET".into(), k, "0".into(), v]),
        (key.clone(), member.clone(), member.clone()).prop_map(|(k, a, b)| vec!["PFADD".into(), k, a, b]),
        (key.clone(), key.clone()).prop_map(|(d, s)| vec!["PFMERGE".into(), d, s]),
        (key.clone(), 0u32..20).prop_map(|(k, o)| vec!["SETBIT".into(), k, o.to_string(), "1".into()]),
    ]
}

fn ops() -> impl Strategy<Value = Vec<(usize, Op)>> {
    let op = prop_oneof![
        3 => write_op().prop_map(Op::Write),
        1 => proptest::collection::vec(write_op(), 2..5).prop_map(Op::Txn),
        2 => any::<usize>().prop_map(Op::Deliver),
    ];
    proptest::collection::vec((0usize..3, op), 1..100)
}

struct Replica {
    shard: Shard,
}

fn replica(region: u8) -> Replica {
    let mut shard = Shard::replicated(Identity { region, actor: ActorId(u64::from(region) * 1000) });
    shard.set_now(NOW);
    Replica { shard }
}

fn request(words: &[String]) -> Vec<Bytes> {
    words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect()
}

fn run(shard: &mut Shard, words: &[String]) -> Reply {
    cmd::execute(shard, request(words)).reply
}

/// Replies a reader would get, with unordered collections sorted so equal sets compare equal.
fn observe(shard: &mut Shard) -> Vec<String> {
    let mut seen = Vec::new();
    let mut push = |r: Reply, sort: bool| {
        let r = match (r, sort) {
            (Reply::Array(mut items), true) | (Reply::Set(mut items), true) => {
                items.sort_by_key(|i| format!("{i:?}"));
                Reply::Array(items)
            }
            (Reply::Map(mut pairs), true) => {
                pairs.sort_by_key(|p| format!("{p:?}"));
                Reply::Map(pairs)
            }
            (r, _) => r,
        };
        let mut buf = BytesMut::new();
        r.encode(&mut buf, true);
        seen.push(String::from_utf8_lossy(&buf).into_owned());
    };
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    push(run(shard, &words(&["DBSIZE"])), false);
    push(run(shard, &words(&["KEYS", "*"])), true);
    for k in KEYS {
        push(run(shard, &words(&["TYPE", k])), false);
        push(run(shard, &words(&["TTL", k])), false);
        push(run(shard, &words(&["GET", k])), false);
        push(run(shard, &words(&["HGETALL", k])), true);
        push(run(shard, &words(&["SMEMBERS", k])), true);
        push(run(shard, &words(&["ZRANGE", k, "0", "-1", "WITHSCORES"])), false);
        push(run(shard, &words(&["LRANGE", k, "0", "-1"])), false);
    }
    seen
}

proptest! {
    // This binary's own regression file: proptest's default names it after the source
    // file, and every integration test here is a `main.rs`.
    #![proptest_config(ProptestConfig {
        cases: 400,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct("tests/convergence/proptest-regressions.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn replicas_converge_whatever_the_delivery_order(script in ops(), seed in any::<u64>()) {
        let mut replicas = [replica(1), replica(2), replica(3)];
        let mut all: Vec<Delta> = Vec::new();
        for (at, op) in script {
            match op {
                Op::Write(words) => {
                    all.extend(cmd::execute(&mut replicas[at].shard, request(&words)).delta);
                }
                Op::Txn(writes) => {
                    // A transaction ships as one delta.
                    let requests = writes.iter().map(|w| request(w)).collect();
                    all.extend(cmd::execute_all(&mut replicas[at].shard, requests).delta);
                }
                Op::Deliver(n) if !all.is_empty() => {
                    let d = all[n % all.len()].clone();
                    replicas[at].shard.apply_remote(&d);
                }
                Op::Deliver(_) => {}
            }
        }
        // Everyone gets everything, in a seeded shuffled order, some of it twice.
        let mut rng = seed;
        for r in replicas.iter_mut() {
            let mut order: Vec<usize> = (0..all.len()).chain(0..all.len() / 2).collect();
            for i in (1..order.len()).rev() {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                order.swap(i, (rng >> 33) as usize % (i + 1));
            }
            for i in order {
                r.shard.apply_remote(&all[i]);
            }
        }
        let digests: Vec<_> = replicas.iter().map(|r| r.shard.digest()).collect();
        prop_assert_eq!(digests[0], digests[1]);
        prop_assert_eq!(digests[1], digests[2]);
        let views: Vec<_> = replicas.iter_mut().map(|r| observe(&mut r.shard)).collect();
        prop_assert_eq!(&views[0], &views[1]);
        prop_assert_eq!(&views[1], &views[2]);
    }
}
