//! Reading what the nodes hold: the keys the load wrote, read from one node (a replica after
//! `READONLY`), and its `MERIDIAN.DIGEST`. Used for the witness taken right after a node is
//! killed (what the surviving copies hold) and for the final check on every node.

use std::collections::{BTreeMap, BTreeSet};

use redis::{ErrorKind, Value};

use super::client::connect;
use super::journal::{Op, Write};

/// The keys written so far, by type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keys {
    pub counters: BTreeSet<String>,
    pub registers: BTreeSet<String>,
    pub sets: BTreeSet<String>,
    pub hashes: BTreeSet<String>,
}

impl Keys {
    pub fn of(writes: &[Write]) -> Keys {
        let mut k = Keys::default();
        for w in writes {
            let set = match &w.op {
                Op::Incr { .. } => &mut k.counters,
                Op::Set { .. } => &mut k.registers,
                Op::Sadd { .. } => &mut k.sets,
                Op::Hset { .. } => &mut k.hashes,
            };
            set.insert(w.op.key().to_string());
        }
        k
    }
}

/// What one node (or, merged, several) holds of the load's keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct NodeData {
    /// Keys whose slots this node serves (the others answered MOVED and are not read here).
    pub served: BTreeSet<String>,
    pub counters: BTreeMap<String, i64>,
    pub registers: BTreeMap<String, String>,
    pub sets: BTreeMap<String, BTreeSet<String>>,
    pub hashes: BTreeMap<String, BTreeMap<String, String>>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

fn strings(v: Value) -> Vec<String> {
    match v {
        Value::Array(items) | Value::Set(items) => items.iter().filter_map(text).collect(),
        _ => vec![],
    }
}

/// Reads every key of `keys` that `addr` serves.
pub fn read(addr: &str, keys: &Keys) -> Result<NodeData, String> {
    let mut c = connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    // A replica serves reads of its own slots only after READONLY; a master ignores it.
    let _ = redis::cmd("READONLY").query::<Value>(&mut c);
    let mut data = NodeData::default();
    let mut ask = |name: &str, key: &str, data: &mut NodeData| -> Result<Option<Value>, String> {
        match redis::cmd(name).arg(key).query::<Value>(&mut c) {
            Ok(v) => {
                data.served.insert(key.to_string());
                Ok(Some(v))
            }
            Err(e) if e.kind() == ErrorKind::Moved => Ok(None),
            Err(e) => Err(format!("{addr}: {name} {key}: {e}")),
        }
    };
    for key in &keys.counters {
        if let Some(v) = ask("GET", key, &mut data)?.as_ref().and_then(text) {
            let n = v.parse().map_err(|_| format!("{addr}: counter {key} holds {v:?}"))?;
            data.counters.insert(key.clone(), n);
        }
    }
    for key in &keys.registers {
        if let Some(v) = ask("GET", key, &mut data)?.as_ref().and_then(text) {
            data.registers.insert(key.clone(), v);
        }
    }
    for key in &keys.sets {
        if let Some(v) = ask("SMEMBERS", key, &mut data)? {
            let members: BTreeSet<String> = strings(v).into_iter().collect();
            if !members.is_empty() {
                data.sets.insert(key.clone(), members);
            }
        }
    }
    for key in &keys.hashes {
        if let Some(v) = ask("HGETALL", key, &mut data)? {
            let flat = match v {
                Value::Map(pairs) => pairs.iter().flat_map(|(k, v)| [text(k), text(v)]).flatten().collect(),
                other => strings(other),
            };
            let fields: BTreeMap<String, String> = flat.chunks_exact(2).map(|p| (p[0].clone(), p[1].clone())).collect();
            if !fields.is_empty() {
                data.hashes.insert(key.clone(), fields);
            }
        }
    }
    Ok(data)
}

/// `MERIDIAN.DIGEST` of one node.
pub fn digest(addr: &str) -> Result<String, String> {
    let mut c = connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    redis::cmd("MERIDIAN.DIGEST").query::<String>(&mut c).map_err(|e| format!("{addr}: MERIDIAN.DIGEST: {e}"))
}

/// What the surviving copies held right after a kill: the union of their data (for a
/// counter, the largest value: its writer's increments arrive in order, so a larger value
/// holds every increment a smaller one does).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Witness {
    /// The nodes read, and those that could not be.
    pub read: Vec<String>,
    pub unreadable: Vec<String>,
    pub counters: BTreeMap<String, i64>,
    pub registers: BTreeMap<String, BTreeSet<String>>,
    pub sets: BTreeMap<String, BTreeSet<String>>,
    /// key → field → values seen.
    pub hashes: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
}

impl Witness {
    pub fn add(&mut self, addr: &str, d: NodeData) {
        self.read.push(addr.to_string());
        for (k, v) in d.counters {
            let e = self.counters.entry(k).or_insert(v);
            *e = (*e).max(v);
        }
        for (k, v) in d.registers {
            self.registers.entry(k).or_default().insert(v);
        }
        for (k, v) in d.sets {
            self.sets.entry(k).or_default().extend(v);
        }
        for (k, fields) in d.hashes {
            let e = self.hashes.entry(k).or_default();
            for (f, v) in fields {
                e.entry(f).or_default().insert(v);
            }
        }
    }

    /// Reads every address in `addrs` into a witness; unreachable ones are listed.
    pub fn take(addrs: &[String], keys: &Keys) -> Witness {
        let mut w = Witness::default();
        for a in addrs {
            match read(a, keys) {
                Ok(d) => w.add(a, d),
                Err(_) => w.unreadable.push(a.clone()),
            }
        }
        w
    }
}
