//! Several regions of real processes on loopback: the seed's example, concurrent writes
//! under link cuts, kill -9, SIGSTOP/SIGCONT and failover, with exact final values.

// A test binary: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod big_chunk;
mod bits;
mod compression;
mod failover;
mod faults;
mod fencing;
mod geo;
mod layouts;
mod scripting;
mod seed;
mod shard_loss;
mod tls;

use std::time::Duration;

use meridian_e2e::Result;
use redis::{Connection, Value};

/// How long regions may take to converge once every link is up.
pub const CONVERGE: Duration = Duration::from_secs(30);

pub fn conn(port: u16) -> Result<Connection> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .map_err(|source| meridian_e2e::Error::Redis { port, source })?;
    let c = client.get_connection().map_err(|source| meridian_e2e::Error::Redis { port, source })?;
    let _ = c.set_read_timeout(Some(meridian_e2e::IO_TIMEOUT));
    Ok(c)
}

/// GET key on `port`: `None` for nil.
pub fn get(port: u16, key: &str) -> Option<String> {
    let mut c = conn(port).ok()?;
    redis::cmd("GET").arg(key).query::<Option<String>>(&mut c).ok().flatten()
}

pub fn query(port: u16, args: &[&str]) -> Value {
    let Ok(mut c) = conn(port) else { return Value::Nil };
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query::<Value>(&mut c).unwrap_or(Value::Nil)
}
