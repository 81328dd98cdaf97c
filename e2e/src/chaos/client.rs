//! A region's client as an application would have one: it knows the region's node
//! addresses, follows `MOVED` to the master that owns a key (a replica redirects there too),
//! and tells a write that surely was not applied (a refusal: `MOVED`, `READONLY`, a refused
//! connection) from one whose fate is unknown (the connection broke after it was sent).
//! Only refused writes are retried, so a retry can never apply a write twice.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use redis::{ErrorKind, Value};

/// How long a connection attempt, a read or a write may take.
pub const IO_TIMEOUT: Duration = Duration::from_millis(1500);
/// The pause between two attempts at a refused write.
const RETRY_PAUSE: Duration = Duration::from_millis(50);
/// Redirects followed for one attempt before counting it as refused.
const MAX_REDIRECTS: usize = 3;

/// How one write ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Sent {
    Acked { node: String, reply: Value },
    Ambiguous { node: String, error: String },
    Refused { error: String },
}

/// Connections to one region's nodes.
pub struct RegionClient {
    nodes: Vec<String>,
    conns: HashMap<String, redis::Connection>,
    /// Where each key was last served.
    routes: HashMap<String, String>,
    /// The next node to try for a key with no route.
    rotate: usize,
}

pub fn connect(addr: &str) -> redis::RedisResult<redis::Connection> {
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    let c = client.get_connection_with_timeout(IO_TIMEOUT)?;
    c.set_read_timeout(Some(IO_TIMEOUT))?;
    c.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(c)
}

/// A refusal: the server said no, so the write was not applied.
fn refusal(e: &redis::RedisError) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ReadOnly
            | ErrorKind::ClusterDown
            | ErrorKind::TryAgain
            | ErrorKind::BusyLoadingError
            | ErrorKind::MasterDown
    )
}

impl RegionClient {
    pub fn new(nodes: Vec<String>) -> RegionClient {
        RegionClient { nodes, conns: HashMap::new(), routes: HashMap::new(), rotate: 0 }
    }

    /// Sends `cmd` (on `key`) until it is acknowledged, its fate is unknown, it gets an
    /// error reply, or `budget` has passed.
    pub fn send(&mut self, key: &str, cmd: &redis::Cmd, budget: Duration) -> Sent {
        let deadline = Instant::now() + budget;
        let mut last;
        loop {
            let mut addr = self.route(key);
            let mut redirects = 0;
            loop {
                let conn = match self.conns.entry(addr.clone()) {
                    std::collections::hash_map::Entry::Occupied(c) => c.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => match connect(&addr) {
                        Ok(c) => v.insert(c),
                        Err(e) => {
                            // Nothing was sent.
                            last = format!("{addr}: {e}");
                            self.forget(key, &addr);
                            break;
                        }
                    },
                };
                match cmd.query::<Value>(conn) {
                    Ok(reply) => {
                        self.routes.insert(key.to_string(), addr.clone());
                        return Sent::Acked { node: addr, reply };
                    }
                    Err(e) if e.kind() == ErrorKind::Moved => match e.redirect_node() {
                        Some((to, _)) if redirects < MAX_REDIRECTS => {
                            redirects += 1;
                            addr = to.to_string();
                            self.routes.insert(key.to_string(), addr.clone());
                        }
                        _ => {
                            last = format!("{addr}: {e}");
                            self.forget(key, &addr);
                            break;
                        }
                    },
                    Err(e) if refusal(&e) => {
                        last = format!("{addr}: {e}");
                        self.forget(key, &addr);
                        break;
                    }
                    Err(e) if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() => {
                        self.conns.remove(&addr);
                        self.forget(key, &addr);
                        return Sent::Ambiguous { node: addr, error: e.to_string() };
                    }
                    // Any other error reply: the server refused this write for good.
                    Err(e) => return Sent::Refused { error: format!("{addr}: {e}") },
                }
            }
            if Instant::now() + RETRY_PAUSE >= deadline {
                return Sent::Refused { error: last };
            }
            std::thread::sleep(RETRY_PAUSE);
        }
    }

    fn route(&mut self, key: &str) -> String {
        if let Some(addr) = self.routes.get(key) {
            return addr.clone();
        }
        self.rotate = self.rotate.wrapping_add(1);
        self.nodes.get(self.rotate % self.nodes.len().max(1)).cloned().unwrap_or_default()
    }

    /// The key's route goes (a refusal says the node no longer serves it): the next attempt
    /// starts over from the region's nodes.
    fn forget(&mut self, key: &str, addr: &str) {
        if self.routes.get(key).is_some_and(|a| a == addr) {
            self.routes.remove(key);
        }
    }
}
