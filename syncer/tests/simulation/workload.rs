//! Random writes of every type, and the record of what was acknowledged: every INCRBY of a
//! `ctr:` key and every SADD of a `set:` key (those keys get nothing else), with the dots
//! that identify the write, so the final state can be checked exactly.

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
    pub node: (usize, usize),
}

pub enum AckKind {
    Incr(i64),
    Add(String),
}

fn words(w: &[String]) -> Vec<Bytes> {
    w.iter().map(|s| Bytes::from(s.clone())).collect()
}

/// A random command on a `mix:` key: anything goes there, for convergence.
fn mixed(rng: &mut StdRng) -> Vec<String> {
    let k = format!("mix:{}", rng.gen_range(0..6));
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

/// One write to region `r` (to its isolated old master, sometimes, when it has one).
pub fn write(world: &mut World, acks: &mut Vec<Ack>, r: usize, step: u64) {
    let region = &world.regions[r];
    let isolated = region.nodes.iter().position(|n| n.isolated);
    let target = match isolated {
        Some(i) if world.rng.gen_bool(0.3) => i,
        _ => region.master,
    };
    let choice = world.rng.gen_range(0..10);
    let (cmd, ack): (Vec<String>, Option<(String, AckKind)>) = match choice {
        0..=2 => {
            let key = format!("ctr:{}", world.rng.gen_range(0..3));
            let by = world.rng.gen_range(1..100i64);
            (vec!["INCRBY".into(), key.clone(), by.to_string()], Some((key, AckKind::Incr(by))))
        }
        3..=4 => {
            let key = format!("set:{}", world.rng.gen_range(0..3));
            let member = format!("r{}-s{step}", r + 1);
            (vec!["SADD".into(), key.clone(), member.clone()], Some((key, AckKind::Add(member))))
        }
        5 => {
            // A transaction of mixed writes ships as one delta.
            let n = world.rng.gen_range(2..5);
            let cmds: Vec<Vec<String>> = (0..n).map(|_| mixed(&mut world.rng)).collect();
            let node = &mut world.regions[r].nodes[target];
            let outcome = execute_all(&mut node.shard, cmds.iter().map(|c| words(c)).collect());
            node.repl.stream.append_own(outcome.delta);
            return;
        }
        _ => (mixed(&mut world.rng), None),
    };
    let node = &mut world.regions[r].nodes[target];
    let before = node.repl.stream.backlog.lock().as_ref().map_or(0, |b| b.offset());
    let outcome = execute(&mut node.shard, words(&cmd));
    node.repl.stream.append_own(outcome.delta);
    let reply = outcome.reply;
    let Some((key, kind)) = ack else { return };
    if matches!(reply, Reply::Error(_)) {
        return;
    }
    let records = node.repl.stream.backlog.lock().as_ref().and_then(|b| b.read(before, 16)).unwrap_or_default();
    let dots: Vec<Dot> = records
        .iter()
        .filter_map(|r| meridian_datanode::node::codec::decode_delta(&r.payload).ok())
        .flat_map(|d| d.dots.iter().copied().collect::<Vec<_>>())
        .collect();
    assert!(
        !dots.is_empty(),
        "an acknowledged write left no record: {cmd:?} -> {reply:?} on region index {r} node {target} (master {}, isolated {isolated:?}), before {before}, read-only {}, log {:?}, backlog {:?}",
        world.regions[r].master,
        world.regions[r].nodes[target].shard.is_read_only(),
        &world.log[world.log.len().saturating_sub(8)..],
        world.regions[r].nodes[target].repl.stream.backlog.lock().as_ref().map(|b| (b.first_offset(), b.offset())),
    );
    let _ = &world.log;
    acks.push(Ack { key, kind, dots, lost: false, lost_at: None, node: (r, target) });
}

/// A node is about to lose its state: writes no other node has seen are lost with it
/// (there is no persistence yet; Redis loses unreplicated writes the same way).
pub fn mark_lost(world: &World, acks: &mut [Ack], r: usize, node: usize) {
    for a in acks.iter_mut().filter(|a| !a.lost) {
        if !world.survives_elsewhere(r, node, &a.dots) {
            a.lost = true;
            a.lost_at = Some(format!(
                "crash of region index {r} node {node}; written on {:?}; log len {}",
                a.node,
                world.log.len()
            ));
        }
    }
}
