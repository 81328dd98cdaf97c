//! The registry of connected clients, for CLIENT LIST / KILL / INFO and INFO clients.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;
use tokio::sync::Notify;

/// What CLIENT LIST shows of one connection; the session updates its own record.
pub struct ClientInfo {
    pub id: u64,
    pub addr: SocketAddr,
    pub laddr: Option<SocketAddr>,
    pub name: Option<String>,
    pub created: Instant,
    pub last_active: Instant,
    pub last_cmd: String,
    pub resp: u8,
    pub sub: usize,
    pub psub: usize,
    pub multi: i64,
    pub blocked: bool,
    pub lib_name: String,
    pub lib_ver: String,
}

impl ClientInfo {
    /// One line of CLIENT LIST / CLIENT INFO, in Redis's field order.
    pub fn line(&self, now: Instant) -> String {
        let flags = match (self.blocked, self.sub + self.psub > 0, self.multi >= 0) {
            (true, _, _) => "b",
            (_, true, _) => "P",
            (_, _, true) => "x",
            _ => "N",
        };
        format!(
            "id={} addr={} laddr={} fd=8 name={} age={} idle={} flags={} db=0 sub={} psub={} ssub=0 multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr.map(|a| a.to_string()).unwrap_or_default(),
            self.name.as_deref().unwrap_or(""),
            now.duration_since(self.created).as_secs(),
            now.duration_since(self.last_active).as_secs(),
            flags,
            self.sub,
            self.psub,
            self.multi,
            if self.last_cmd.is_empty() { "NULL" } else { &self.last_cmd },
            self.resp,
            self.lib_name,
            self.lib_ver,
        )
    }
}

pub struct ClientHandle {
    pub info: Mutex<ClientInfo>,
    /// Notified to disconnect the client (CLIENT KILL, pub/sub overflow).
    pub kill: Notify,
}

#[derive(Default)]
pub struct Clients {
    next_id: AtomicU64,
    map: Mutex<BTreeMap<u64, Arc<ClientHandle>>>,
}

impl Clients {
    pub fn register(&self, addr: SocketAddr, laddr: Option<SocketAddr>) -> Arc<ClientHandle> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let now = Instant::now();
        let handle = Arc::new(ClientHandle {
            info: Mutex::new(ClientInfo {
                id,
                addr,
                laddr,
                name: None,
                created: now,
                last_active: now,
                last_cmd: String::new(),
                resp: 2,
                sub: 0,
                psub: 0,
                multi: -1,
                blocked: false,
                lib_name: String::new(),
                lib_ver: String::new(),
            }),
            kill: Notify::new(),
        });
        self.map.lock().insert(id, handle.clone());
        handle
    }

    pub fn unregister(&self, id: u64) {
        self.map.lock().remove(&id);
    }

    pub fn all(&self) -> Vec<Arc<ClientHandle>> {
        self.map.lock().values().cloned().collect()
    }

    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.map.lock().get(&id).cloned()
    }

    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn blocked(&self) -> usize {
        self.map.lock().values().filter(|c| c.info.lock().blocked).count()
    }
}
