//! A node's replication state, shared by the RESP server, the gRPC service and the loop
//! that follows a master: its role, its backlog (created when the first follower comes, as
//! Redis does), and what is known about its followers and its master link. Deltas reach the
//! backlog only through `Stream::append`, called by whoever committed or applied them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::{Mutex, RwLock};
use tokio::sync::watch;

use super::backlog::{Backlog, Record, new_replid};
use super::clock::now_us;
use crate::crdt::ActorId;
use crate::keyspace::delta::Delta;
use crate::shard::Shard;

/// Fixed identity and settings of a node, from its command line.
#[derive(Clone, Debug)]
pub struct NodeSettings {
    /// Every node and syncer of one database shares it; callers of another are refused.
    pub database_id: String,
    pub region: u8,
    /// A database with several regions: removals keep their bookkeeping until every region
    /// could have seen them, and syncers may subscribe and apply.
    pub active_active: bool,
    pub backlog_size: usize,
    /// Where followers reach this node's replication service.
    pub repl_addr: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Master,
    /// Follows the replication service at `master` (RESP address in `resp_host:resp_port`).
    Replica {
        master: String,
        resp_host: String,
        resp_port: u16,
    },
}

/// A replica's view of its link to the master.
#[derive(Debug, Default, Clone)]
pub struct Link {
    pub up: bool,
    pub syncing: bool,
    pub last_io: Option<Instant>,
    /// The master's offset at its last heartbeat.
    pub master_offset: u64,
    pub full_syncs: u64,
    pub partial_syncs: u64,
    pub last_error: Option<String>,
}

/// A follower currently streaming from this node.
#[derive(Debug, Clone)]
pub struct Follower {
    pub kind: &'static str,
    pub addr: String,
    /// Stream position sent so far.
    pub offset: u64,
    pub last_send: Instant,
}

/// The backlog and its readers' wake-up.
pub struct Stream {
    pub backlog: Mutex<Option<Backlog>>,
    /// The stream position after the last append; readers wait on its changes.
    pub offset: watch::Sender<u64>,
}

impl Stream {
    /// Appends one encoded delta to the backlog (if it exists yet) and wakes the readers.
    pub fn append(&self, delta: &Delta, payload: &[u8], origin: u8) -> Option<Arc<Record>> {
        let mut guard = self.backlog.lock();
        let backlog = guard.as_mut()?;
        let record = backlog.append(payload, delta.minted, origin, now_us());
        self.offset.send_replace(record.end());
        Some(record)
    }

    /// Appends deltas this shard committed (origin 0: its own writes), encoding each once:
    /// nothing at all while no follower ever came (no backlog).
    pub fn append_own(&self, deltas: impl IntoIterator<Item = Delta>) {
        let mut guard = self.backlog.lock();
        let Some(backlog) = guard.as_mut() else { return };
        let mut end = None;
        for delta in deltas {
            let payload = super::codec::encode_delta(&delta);
            end = Some(backlog.append(&payload, delta.minted, 0, now_us()).end());
        }
        if let Some(end) = end {
            self.offset.send_replace(end);
        }
    }
}

pub struct ReplState {
    pub settings: NodeSettings,
    pub stream: Arc<Stream>,
    role: RwLock<Role>,
    /// Mirrors `role` for the check every write makes.
    replica: AtomicBool,
    pub link: Mutex<Link>,
    pub followers: Mutex<BTreeMap<u64, Follower>>,
    next_follower: AtomicU64,
    /// The loop following the current master, aborted on a role change.
    pub follow_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The master lease: a master whose lease ran out refuses client writes (fencing).
    pub lease: super::lease::Lease,
    /// Made master by a call (SetRole, REPLICAOF NO ONE), not merely started as one: such a
    /// master serves its shard even while the shard map on disk still names the old master
    /// (a mounted ConfigMap takes up to a minute to change).
    appointed: AtomicBool,
    /// Bumped by every role change and appointment, so what is derived from the role (the
    /// map as sessions see it) is derived again.
    role_changes: AtomicU64,
}

impl ReplState {
    pub fn new(settings: NodeSettings) -> Self {
        ReplState {
            settings,
            stream: Arc::new(Stream { backlog: Mutex::new(None), offset: watch::channel(0).0 }),
            role: RwLock::new(Role::Master),
            replica: AtomicBool::new(false),
            link: Mutex::new(Link::default()),
            followers: Mutex::new(BTreeMap::new()),
            next_follower: AtomicU64::new(1),
            follow_task: Mutex::new(None),
            lease: super::lease::Lease::default(),
            appointed: AtomicBool::new(false),
            role_changes: AtomicU64::new(0),
        }
    }

    pub fn role(&self) -> Role {
        self.role.read().clone()
    }

    pub fn is_replica(&self) -> bool {
        self.replica.load(Ordering::Relaxed)
    }

    /// Why a client write must be refused here, if it must: a replica, or a master whose
    /// lease ran out.
    pub fn write_refusal(&self) -> Option<&'static str> {
        if self.is_replica() {
            Some("READONLY You can't write against a read only replica.")
        } else if self.lease.expired() {
            Some(
                "READONLY this master's lease ran out: it lost contact with the operator for longer than the failover grace period",
            )
        } else {
            None
        }
    }

    pub fn set_role(&self, role: Role) {
        let replica = matches!(role, Role::Replica { .. });
        if replica {
            self.lease.clear();
            self.appointed.store(false, Ordering::Release);
        }
        self.replica.store(replica, Ordering::Relaxed);
        *self.role.write() = role;
        self.role_changes.fetch_add(1, Ordering::Release);
    }

    /// Records that a call made this node master (it may have been one already, by default).
    pub fn appoint(&self) {
        if !self.appointed.swap(true, Ordering::AcqRel) {
            self.role_changes.fetch_add(1, Ordering::Release);
        }
    }

    /// A master made so by a call, and still one.
    pub fn appointed(&self) -> bool {
        self.appointed.load(Ordering::Acquire) && !self.is_replica()
    }

    /// Changes with every role change and appointment.
    pub fn role_changes(&self) -> u64 {
        self.role_changes.load(Ordering::Acquire)
    }

    /// Creates the backlog if there is none. Called with the shard locked, so the backlog
    /// starts exactly at the shard's current state.
    pub fn ensure_backlog(&self, shard: &Shard) {
        let mut guard = self.stream.backlog.lock();
        if guard.is_some() {
            return;
        }
        let offset = *self.stream.offset.borrow();
        *guard = Some(Backlog::new(new_replid(), offset, shard.applied().clone(), self.settings.backlog_size));
    }

    /// Replaces the backlog (a replica after a full sync starts over at the master's offset).
    pub fn reset_backlog(&self, replid: String, offset: u64, shard: &Shard) {
        let backlog = Backlog::new(replid, offset, shard.applied().clone(), self.settings.backlog_size);
        *self.stream.backlog.lock() = Some(backlog);
        self.stream.offset.send_replace(offset);
    }

    /// The node becomes a master: a new incarnation (actor) and a new replication id that
    /// remembers the old one, so followers of the old id resume partially.
    pub fn promote(&self, shard: &mut Shard, actor: ActorId) {
        shard.set_actor(actor);
        shard.set_read_only(false);
        self.ensure_backlog(shard);
        if let Some(b) = self.stream.backlog.lock().as_mut() {
            b.promote();
        }
        self.set_role(Role::Master);
    }

    /// The node becomes a replica: no writes, no expiry of its own, nothing committed
    /// locally (its backlog is fed by its master's stream).
    pub fn demote(&self, shard: &mut Shard, role: Role) {
        shard.set_read_only(true);
        self.set_role(role);
    }

    /// (replid, replid2, offset, second offset) as INFO and ROLE report them.
    pub fn ids(&self) -> (String, String, u64, Option<u64>) {
        match self.stream.backlog.lock().as_ref() {
            Some(b) => {
                let second = (b.replid2.bytes().any(|c| c != b'0')).then_some(b.second_offset);
                (b.replid.clone(), b.replid2.clone(), b.offset(), second)
            }
            None => ("0".repeat(40), "0".repeat(40), *self.stream.offset.borrow(), None),
        }
    }

    pub fn add_follower(&self, kind: &'static str, addr: String, offset: u64) -> u64 {
        let id = self.next_follower.fetch_add(1, Ordering::Relaxed);
        self.followers.lock().insert(id, Follower { kind, addr, offset, last_send: Instant::now() });
        id
    }

    pub fn follower_progress(&self, id: u64, offset: u64) {
        if let Some(f) = self.followers.lock().get_mut(&id) {
            f.offset = offset;
            f.last_send = Instant::now();
        }
    }

    pub fn remove_follower(&self, id: u64) {
        self.followers.lock().remove(&id);
    }
}
