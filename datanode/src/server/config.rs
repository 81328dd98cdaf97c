//! Runtime configuration: the parameters CONFIG GET/SET know, with Redis's names.

use std::collections::BTreeMap;

use crate::cmd::ReplyError;
use crate::cmd::format::parse_int;

/// Redis's default limit on connected clients.
pub const DEFAULT_MAXCLIENTS: usize = 10_000;

#[derive(Clone, Debug)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
}

/// (name, default, settable at run time)
const PARAMS: &[(&str, &str, bool)] = &[
    ("appendonly", "no", false),
    ("bind", "127.0.0.1", false),
    ("databases", "1", false),
    ("hz", "10", true),
    ("maxclients", "10000", true),
    ("maxmemory", "0", true),
    ("maxmemory-policy", "noeviction", true),
    ("port", "6379", false),
    ("proto-max-bulk-len", "536870912", false),
    ("requirepass", "", true),
    ("save", "", true),
    ("timeout", "0", true),
    ("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", false),
    // Every datanode speaks the Redis Cluster API, even alone in a one-shard region.
    ("cluster-enabled", "yes", false),
    // The region's shard map (see server::topology) and this node's address in it.
    ("shard-map", "", false),
    ("announce", "", false),
    ("dir", ".", false),
    ("loglevel", "notice", true),
    // How long a script runs before other clients get -BUSY and SCRIPT KILL may stop it;
    // `lua-time-limit` is its old name, kept in step with it.
    ("busy-reply-threshold", "5000", true),
    ("lua-time-limit", "5000", true),
];

impl Default for Config {
    fn default() -> Self {
        Config { values: PARAMS.iter().map(|(k, v, _)| (*k, (*v).to_string())).collect() }
    }
}

impl Config {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Parameters whose name matches the glob `pattern` (case-insensitive), sorted.
    pub fn matching(&self, pattern: &[u8]) -> Vec<(&'static str, String)> {
        self.values
            .iter()
            .filter(|(k, _)| crate::cmd::glob::matches_nocase(pattern, k.as_bytes(), true))
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }

    /// Sets a parameter at start-up (no "settable" restriction).
    pub fn init(&mut self, name: &str, value: String) -> Result<(), ReplyError> {
        let key = PARAMS.iter().find(|(k, _, _)| *k == name).map(|(k, _, _)| *k).ok_or_else(|| unknown(name))?;
        validate(key, &value)?;
        self.values.insert(key, value);
        Ok(())
    }

    /// CONFIG SET of one parameter.
    pub fn set(&mut self, name: &str, value: String) -> Result<(), ReplyError> {
        let lower = name.to_ascii_lowercase();
        match PARAMS.iter().find(|(k, _, _)| *k == lower) {
            None => Err(unknown(name)),
            Some((k, _, false)) => Err(ReplyError::new(format!(
                "ERR CONFIG SET failed (possibly related to argument '{k}') - can't set immutable config"
            ))),
            Some((k, _, true)) => {
                validate(k, &value)?;
                if matches!(*k, "busy-reply-threshold" | "lua-time-limit") {
                    self.values.insert("busy-reply-threshold", value.clone());
                    self.values.insert("lua-time-limit", value);
                } else {
                    self.values.insert(k, value);
                }
                Ok(())
            }
        }
    }

    pub fn usize(&self, name: &str) -> usize {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }
}

fn unknown(name: &str) -> ReplyError {
    ReplyError::new(format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'"))
}

fn validate(name: &str, value: &str) -> Result<(), ReplyError> {
    let bad = || {
        ReplyError::new(format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - argument couldn't be parsed into an integer"
        ))
    };
    match name {
        "hz"
        | "maxclients"
        | "timeout"
        | "port"
        | "databases"
        | "proto-max-bulk-len"
        | "busy-reply-threshold"
        | "lua-time-limit" => parse_int(value.as_bytes()).filter(|n| *n >= 0).map(|_| ()).ok_or_else(bad),
        "maxmemory" => parse_memory(value).map(|_| ()).ok_or_else(bad),
        "maxmemory-policy" => {
            const POLICIES: &[&str] = &[
                "noeviction",
                "allkeys-lru",
                "volatile-lru",
                "allkeys-lfu",
                "volatile-lfu",
                "allkeys-random",
                "volatile-random",
                "volatile-ttl",
            ];
            if POLICIES.contains(&value) {
                Ok(())
            } else {
                Err(ReplyError::new(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - argument(s) must be one of the following: {}",
                    POLICIES.join(", ")
                )))
            }
        }
        _ => Ok(()),
    }
}

/// "100mb", "1gb", "1024" → bytes.
pub fn parse_memory(value: &str) -> Option<u64> {
    let v = value.to_ascii_lowercase();
    let (num, mul) = [
        ("kb", 1024u64),
        ("mb", 1 << 20),
        ("gb", 1 << 30),
        ("k", 1000),
        ("m", 1_000_000),
        ("g", 1_000_000_000),
        ("b", 1),
    ]
    .iter()
    .find_map(|(suffix, mul)| v.strip_suffix(suffix).map(|n| (n.to_string(), *mul)))
    .unwrap_or((v.clone(), 1));
    num.parse::<u64>().ok()?.checked_mul(mul)
}
