//! Join laws for every CRDT type, on whole states: states are built by random commands on
//! three regions with some cross-delivery (so they share history and have concurrent parts),
//! then joined as snapshots. The join must be commutative, associative and idempotent, and
//! joining a state into an empty replica must reproduce it.

use bytes::Bytes;
use meridian_datanode::cmd;
use meridian_datanode::crdt::ActorId;
use meridian_datanode::keyspace::delta::Delta;
use meridian_datanode::shard::{Identity, Shard};
use proptest::prelude::*;

const KEYS: &[&str] = &["k0", "k1"];
const MEMBERS: &[&str] = &["a", "b", "c"];

fn key() -> impl Strategy<Value = String> {
    proptest::sample::select(KEYS).prop_map(str::to_string)
}
fn member() -> impl Strategy<Value = String> {
    proptest::sample::select(MEMBERS).prop_map(str::to_string)
}
fn num() -> impl Strategy<Value = String> {
    (-5i64..6).prop_map(|n| n.to_string())
}

/// Commands that exercise one type (plus DEL, which every type must survive).
fn family(name: &'static str) -> BoxedStrategy<Vec<String>> {
    let del = key().prop_map(|k| vec!["DEL".into(), k]);
    let ops: BoxedStrategy<Vec<String>> = match name {
        "register" => prop_oneof![
            (key(), member()).prop_map(|(k, v)| vec!["SET".into(), k, v]),
            (key(), member()).prop_map(|(k, v)| vec!["APPEND".into(), k, v]),
        ]
        .boxed(),
        "counter" => prop_oneof![
            (key(), num()).prop_map(|(k, n)| vec!["INCRBY".into(), k, n]),
            (key(), num()).prop_map(|(k, n)| vec!["SET".into(), k, n]),
            (key(), num()).prop_map(|(k, n)| vec!["INCRBYFLOAT".into(), k, format!("{n}.5")]),
        ]
        .boxed(),
        "ttl" => prop_oneof![
            (key(), member()).prop_map(|(k, v)| vec!["SET".into(), k, v]),
            (key(), 100u32..200).prop_map(|(k, s)| vec!["EXPIRE".into(), k, s.to_string()]),
            key().prop_map(|k| vec!["PERSIST".into(), k]),
        ]
        .boxed(),
        "hash" => prop_oneof![
            (key(), member(), member()).prop_map(|(k, f, v)| vec!["HSET".into(), k, f, v]),
            (key(), member()).prop_map(|(k, f)| vec!["HDEL".into(), k, f]),
            (key(), member(), num()).prop_map(|(k, f, n)| vec!["HINCRBY".into(), k, f, n]),
        ]
        .boxed(),
        "set" => prop_oneof![
            (key(), member()).prop_map(|(k, m)| vec!["SADD".into(), k, m]),
            (key(), member()).prop_map(|(k, m)| vec!["SREM".into(), k, m]),
        ]
        .boxed(),
        "zset" => prop_oneof![
            (key(), num(), member()).prop_map(|(k, s, m)| vec!["ZADD".into(), k, s, m]),
            (key(), num(), member()).prop_map(|(k, s, m)| vec!["ZINCRBY".into(), k, s, m]),
            (key(), member()).prop_map(|(k, m)| vec!["ZREM".into(), k, m]),
        ]
        .boxed(),
        "list" => prop_oneof![
            (key(), member()).prop_map(|(k, v)| vec!["LPUSH".into(), k, v]),
            (key(), member(), member()).prop_map(|(k, a, b)| vec!["RPUSH".into(), k, a, b]),
            key().prop_map(|k| vec!["LPOP".into(), k]),
            (key(), member()).prop_map(|(k, v)| vec!["LSET".into(), k, "-1".into(), v]),
        ]
        .boxed(),
        "hll" => prop_oneof![
            (key(), member(), member()).prop_map(|(k, a, b)| vec!["PFADD".into(), k, a, b]),
            (key(), key()).prop_map(|(d, s)| vec!["PFMERGE".into(), d, s]),
            key().prop_map(|k| vec!["PFCOUNT".into(), k]),
        ]
        .boxed(),
        "bitmap" => prop_oneof![
            (key(), 0u32..24).prop_map(|(k, o)| vec!["SETBIT".into(), k, o.to_string(), "1".into()]),
            (key(), num()).prop_map(|(k, n)| vec!["BITFIELD".into(), k, "INCRBY".into(), "i8".into(), "#1".into(), n]),
        ]
        .boxed(),
        _ => (key(), member(), member()).prop_map(|(k, f, v)| vec!["HSET".into(), k, f, v]).boxed(),
    };
    prop_oneof![4 => ops, 1 => del].boxed()
}

#[derive(Clone, Debug)]
enum Step {
    Write(usize, Vec<String>),
    /// Deliver the n-th delta written so far to replica r.
    Deliver(usize, usize),
}

fn script(name: &'static str) -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        3 => (0usize..3, family(name)).prop_map(|(r, w)| Step::Write(r, w)),
        1 => (0usize..3, any::<usize>()).prop_map(|(r, n)| Step::Deliver(r, n)),
    ];
    proptest::collection::vec(step, 1..40)
}

fn replica(region: u8) -> Shard {
    let mut s = Shard::replicated(Identity { region, actor: ActorId(u64::from(region) << 8) });
    s.set_now(1_700_000_000_000 + u64::from(region));
    s
}

fn build(steps: &[Step]) -> Vec<Shard> {
    let mut shards: Vec<Shard> = (1..=3).map(replica).collect();
    let mut all: Vec<Delta> = Vec::new();
    for step in steps {
        match step {
            Step::Write(r, words) => {
                let request = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
                all.extend(cmd::execute(&mut shards[*r], request).delta);
            }
            Step::Deliver(r, n) if !all.is_empty() => shards[*r].apply_remote(&all[n % all.len()]),
            Step::Deliver(..) => {}
        }
    }
    shards
}

/// A fresh replica holding the join of the given states, in order.
fn join(states: &[&Shard]) -> Shard {
    let mut s = Shard::replicated(Identity { region: 30, actor: ActorId(999) });
    for st in states {
        s.apply_snapshot(&st.snapshot());
    }
    s
}

fn check_laws(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let s = build(&steps);
    let (a, b, c) = (&s[0], &s[1], &s[2]);
    prop_assert_eq!(join(&[a]).digest(), a.digest(), "joining into an empty replica must reproduce the state");
    prop_assert_eq!(join(&[a, b]).digest(), join(&[b, a]).digest(), "commutative");
    let ab = join(&[a, b]);
    let bc = join(&[b, c]);
    prop_assert_eq!(join(&[&ab, c]).digest(), join(&[a, &bc]).digest(), "associative");
    prop_assert_eq!(join(&[a, a]).digest(), a.digest(), "idempotent");
    prop_assert_eq!(join(&[&ab, a]).digest(), ab.digest(), "absorbs what it already holds");
    Ok(())
}

macro_rules! laws {
    ($($test:ident => $family:literal),* $(,)?) => {
        proptest! {
            // This binary's own regression file: proptest's default names it after the
            // source file, and every integration test here is a `main.rs`.
            #![proptest_config(ProptestConfig {
                cases: 128,
                failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
                    "tests/join_laws/proptest-regressions.txt",
                ))),
                ..ProptestConfig::default()
            })]
            $(
                #[test]
                fn $test(steps in script($family)) {
                    check_laws(steps)?;
                }
            )*
        }
    };
}

laws! {
    register_join_laws => "register",
    counter_join_laws => "counter",
    ttl_join_laws => "ttl",
    hash_join_laws => "hash",
    set_join_laws => "set",
    zset_join_laws => "zset",
    list_join_laws => "list",
    hll_join_laws => "hll",
    bitmap_join_laws => "bitmap",
}
