//! `meridian-operator local` from a manifest: every region's endpoints answer and the
//! regions converge to exact values; killed children come back; a killed master fails over
//! with its data; a changed manifest is applied as a diff; bad input is refused with a clear
//! message and nothing left running; and, as root, regions in network namespaces are cut
//! under a write load and converge with every acknowledged write once healed.
//!
//! Build the binaries first: `cargo build --workspace --bins`.

// A test binary: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod converge;
mod diff;
mod netns;
mod supervision;

use std::time::{Duration, Instant};

use meridian_e2e::Result;
use redis::Value;
use serde_json::Value as Json;

/// How long regions may take to converge once every link is up.
pub const CONVERGE: Duration = Duration::from_secs(30);

/// `examples/three-regions.yaml`, the file the README runs.
pub fn three_regions() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/three-regions.yaml");
    std::fs::read_to_string(path).unwrap()
}

/// A manifest of `regions` regions (ids 1..), one shard each.
pub fn manifest(name: &str, regions: u8, replicas: u8, grace: u32) -> String {
    let mut text = format!(
        "apiVersion: meridian.io/v1alpha1\nkind: ActiveActiveDatabase\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  failoverGracePeriodSeconds: {grace}\n  regions:\n"
    );
    for id in 1..=regions {
        text.push_str(&format!("    - {{name: r{id}, id: {id}, peerEndpoint: \"r{id}.example:7700\"}}\n"));
    }
    text
}

pub fn conn(addr: &str) -> redis::RedisResult<redis::Connection> {
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    let c = client.get_connection_with_timeout(Duration::from_secs(5))?;
    c.set_read_timeout(Some(Duration::from_secs(5)))?;
    c.set_write_timeout(Some(Duration::from_secs(5)))?;
    Ok(c)
}

/// One command at `addr`, following MOVED as a cluster client would (a region of several
/// shards redirects to the shard owning the key).
pub fn cmd(addr: &str, args: &[&str]) -> redis::RedisResult<Value> {
    let mut addr = addr.to_string();
    for _ in 0..3 {
        let mut c = conn(&addr)?;
        let mut command = redis::cmd(args[0]);
        for a in &args[1..] {
            command.arg(*a);
        }
        match command.query::<Value>(&mut c) {
            Err(e) if e.kind() == redis::ErrorKind::Moved => match e.redirect_node() {
                // (the node's host:port, the slot)
                Some((node, _slot)) => addr = node.to_string(),
                None => return Err(e),
            },
            other => return other,
        }
    }
    Err(redis::RedisError::from((redis::ErrorKind::TryAgain, "too many redirects")))
}

pub fn get(addr: &str, key: &str) -> Option<String> {
    match cmd(addr, &["GET", key]) {
        Ok(Value::BulkString(b)) => Some(String::from_utf8_lossy(&b).to_string()),
        _ => None,
    }
}

/// GET on a replica (after READONLY: a replica redirects reads to its master otherwise).
pub fn get_replica(addr: &str, key: &str) -> Option<String> {
    let mut c = conn(addr).ok()?;
    redis::cmd("READONLY").query::<()>(&mut c).ok()?;
    redis::cmd("GET").arg(key).query::<Option<String>>(&mut c).ok().flatten()
}

/// Polls until `f` returns `Some`, for at most `timeout`.
pub fn eventually<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(meridian_e2e::Error::Check(format!("{what}: not within {timeout:?}")));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The region named `name` in a status.
pub fn region<'a>(status: &'a Json, name: &str) -> &'a Json {
    status["regions"].as_array().and_then(|r| r.iter().find(|r| r["name"] == name)).unwrap_or(&Json::Null)
}

/// A member of a shard in a status.
pub fn member<'a>(status: &'a Json, region_name: &str, shard: usize, ordinal: usize) -> &'a Json {
    &region(status, region_name)["shards"][shard]["members"][ordinal]
}

/// The client address (current master of shard 0) of a region.
pub fn client(status: &Json, region_name: &str) -> String {
    region(status, region_name)["client"].as_str().unwrap_or_default().to_string()
}

pub fn kill9(pid: u64) {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
}
