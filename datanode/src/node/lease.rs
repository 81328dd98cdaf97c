//! The master lease (fencing). A master that the operator (or local mode) manages holds a
//! lease it renews every pass with `SetRole(lease_ms)`; once the lease runs out — the node
//! lost contact with whoever decides for longer than the failover grace period, which is when
//! a replica may have been promoted in its place — it refuses client writes until it hears
//! from the decider again: either a renewal (it is still master) or the order to follow the
//! new master (it then hands over what it took that the new master lacks). A node never
//! granted a lease (started by hand, or promoted with `REPLICAOF NO ONE`) is never fenced.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Lease {
    /// One more than the milliseconds since `epoch` when the lease runs out, so that 0 can
    /// mean "no lease" even for a lease that ran out at the epoch itself.
    deadline_ms: AtomicU64,
    epoch: Instant,
}

impl Default for Lease {
    fn default() -> Self {
        Lease { deadline_ms: AtomicU64::new(0), epoch: Instant::now() }
    }
}

/// The longest lease granted: a decider asking for more is capped, so a bad number cannot
/// keep a stale master writable for long.
pub const MAX_LEASE: Duration = Duration::from_secs(3600);

impl Lease {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The lease lasts `ttl` from now (at most `MAX_LEASE`).
    pub fn grant(&self, ttl: Duration) {
        let ttl = u64::try_from(ttl.min(MAX_LEASE).as_millis()).unwrap_or(u64::MAX);
        let deadline = self.now_ms().saturating_add(ttl).saturating_add(1);
        self.deadline_ms.store(deadline, Ordering::Relaxed);
    }

    /// No lease: the node is not fenced (a replica, or a master promoted by hand).
    pub fn clear(&self) {
        self.deadline_ms.store(0, Ordering::Relaxed);
    }

    /// A lease was granted and ran out.
    pub fn expired(&self) -> bool {
        let deadline = self.deadline_ms.load(Ordering::Relaxed);
        deadline != 0 && self.now_ms().saturating_add(1) >= deadline
    }

    /// What is left of the lease, `None` without one.
    pub fn remaining(&self) -> Option<Duration> {
        let deadline = self.deadline_ms.load(Ordering::Relaxed);
        (deadline != 0).then(|| Duration::from_millis(deadline.saturating_sub(self.now_ms().saturating_add(1))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_fences_only_once_granted_and_run_out() {
        let lease = Lease::default();
        assert!(!lease.expired(), "never granted: never fenced");
        assert_eq!(lease.remaining(), None);
        lease.grant(Duration::from_secs(60));
        assert!(!lease.expired());
        assert!(lease.remaining().is_some_and(|r| r > Duration::from_secs(59)));
        lease.grant(Duration::ZERO);
        assert!(lease.expired());
        lease.clear();
        assert!(!lease.expired());
        lease.grant(Duration::from_secs(u64::MAX));
        assert!(lease.remaining().is_some_and(|r| r <= MAX_LEASE));
    }
}
