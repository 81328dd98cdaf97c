//! Random writes of every type, and the record of what was acknowledged: every INCRBY of a
//! `ctr:` key and every SADD of a `set:` key (those keys get nothing else), with the dots
//! that identify the write, so the final state can be checked exactly. Every write runs as
//! the server runs it: `cmd::execute` gives the reply and the delta, `Node::ship` ships it.

use bytes::Bytes;
use meridian_datanode::cmd::{execute, execute_all};
use meridian_datanode::crdt::Dot;
use meridian_datanode::resp::Reply;
use rand::Rng;
use rand::rngs::StdRng;

use crate::world::World;

pub struct Ack {
    pub key: String,
    pub kind: AckKind,
    pub dots: Vec<Dot>,
    pub lost: bool,
    /// The log line of the crash that lost it.
    pub lost_at: Option<String>,
    /// (region, shard, node) it was written on.
    pub node: (usize, usize, usize),
}

pub enum AckKind {
    Incr(i64),
    Add(String),
}

fn words(w: &[String]) -> Vec<Bytes> {
    w.iter().map(|s| Bytes::from(s.clone())).collect()
}

/// A random command on a `mix:` key (with `tag`, a hash tag that keeps a transaction's
/// keys in one slot): anything goes there, for convergence.
fn mixed(rng: &mut StdRng, tag: &str) -> Vec<String> {
    let k = format!("{tag}mix:{}", rng.gen_range(0..6));
    let v = format!("v{}", rng.gen_range(0..1000));
    let m = format!("m{}", rng.gen_range(0..5));
    let n = rng.gen_range(-5..20).to_string();
    let pick: &[&str] = match rng.gen_range(0..24) {
        0 => &["SET", &k, &v],
        1 => &["SET", &k, &v, "PX", "40"],
        2 => &["APPEND", &k, &v],
        3 => &["INCRBYFLOAT", &k, "1.5"],
        4 => &["DEL", &k],
        5 => &["EXPIRE", &k, "1"],
        6 => &["PERSIST", &k],
        7 => &["HSET", &k, &m, &v],
        8 => &["HDEL", &k, &m],
        9 => &["HINCRBY", &k, &m, &n],
        10 => &["SADD", &k, &m],
        11 => &["SREM", &k, &m],
        12 => &["ZADD", &k, &n, &m],
        13 => &["ZINCRBY", &k, &n, &m],
        14 => &["ZREM", &k, &m],
        15 => &["LPUSH", &k, &v],
        16 => &["RPUSH", &k, &v, &m],
        17 => &["LPOP", &k],
        18 => &["RPOP", &k],
        19 => &["LSET", &k, "0", &v],
        20 => &["LREM", &k, "0", &m],
        21 => &["INCRBY", &k, &n],
        22 => &["LINSERT", &k, "BEFORE", &m, &v],
        _ => &["GETDEL", &k],
    };
    pick.iter().map(|s| s.to_string()).collect()
}

/// One write to region `r`, on the shard owning its key (to that shard's isolated old
/// master, sometimes, when it has one), shipped as the server ships it.
pub fn write(world: &mut World, acks: &mut Vec<Ack>, r: usize, step: u64) {
    let choice = world.rng.gen_range(0..10);
    let (requests, ack): (Vec<Vec<String>>, Option<(String, AckKind)>) = match choice {
        0..=2 => {
            let key = format!("ctr:{}", world.rng.gen_range(0..3));
            let by = world.rng.gen_range(1..100i64);
            (vec![vec!["INCRBY".into(), key.clone(), by.to_string()]], Some((key, AckKind::Incr(by))))
        }
        3..=4 => {
            let key = format!("set:{}", world.rng.gen_range(0..3));
            let member = format!("r{}-s{step}", r + 1);
            (vec![vec!["SADD".into(), key.clone(), member.clone()]], Some((key, AckKind::Add(member))))
        }
        // A transaction of mixed writes (one slot, as a cluster requires) ships as one delta.
        5 => {
            let tag = format!("{{t{}}}", world.rng.gen_range(0..4));
            ((0..world.rng.gen_range(2..5)).map(|_| mixed(&mut world.rng, &tag)).collect(), None)
        }
        _ => (vec![mixed(&mut world.rng, "")], None),
    };
    let region = &world.regions[r];
    let g = region.group_of(requests[0][1].as_bytes());
    let group = &region.groups[g];
    let target = match group.nodes.iter().position(|n| n.isolated) {
        Some(i) if world.rng.gen_bool(0.3) => i,
        _ => group.master,
    };
    let node = &world.regions[r].groups[g].nodes[target].node;
    let mut shard = node.shard.lock();
    let before = node.repl.stream.offset.borrow().to_owned();
    let outcome = if requests.len() == 1 {
        execute(&mut shard, words(&requests[0]))
    } else {
        execute_all(&mut shard, requests.iter().map(|c| words(c)).collect())
    };
    let dots: Vec<Dot> = outcome.delta.iter().flat_map(|d| d.dots.iter().copied()).collect();
    node.ship(&mut shard, outcome.delta.into_iter().collect());
    drop(shard);
    let Some((key, kind)) = ack else { return };
    if matches!(outcome.reply, Reply::Error(_)) {
        return;
    }
    let after = *node.repl.stream.offset.borrow();
    assert!(
        !dots.is_empty() && after > before,
        "an acknowledged write left no record: {requests:?} -> {:?} on region {} shard {g} node {target}",
        outcome.reply,
        r + 1
    );
    acks.push(Ack { key, kind, dots, lost: false, lost_at: None, node: (r, g, target) });
}

/// A node is about to lose its state: writes no other node has seen are lost with it
/// (there is no persistence yet; Redis loses unreplicated writes the same way).
pub fn mark_lost(world: &World, acks: &mut [Ack], at: (usize, usize, usize)) {
    for a in acks.iter_mut().filter(|a| !a.lost) {
        if !world.survives_elsewhere(Some(at), &a.key, &a.dots) {
            a.lost = true;
            a.lost_at = Some(format!("crash of {at:?}; written on {:?}; log len {}", a.node, world.log.len()));
        }
    }
}
