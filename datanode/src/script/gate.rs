//! What other clients may learn about the running script without the shard lock: whether
//! one runs, since when, whether it wrote, and whether SCRIPT KILL asked it to stop.
//!
//! A script runs inside a session's batch, under the shard lock, so nothing interleaves
//! with it. Other sessions never block on that lock while a script holds it: they take the
//! shard with `Node::lock_shard`, which tries the lock in short slices and gives up once the
//! gate says a script runs. The session then waits without holding a thread (async sleeps)
//! until the script ends, or, past `busy-reply-threshold`, answers `-BUSY` to everything but
//! SCRIPT KILL, which it serves from here. The script sees a kill through an instruction-count
//! hook that reads `kill`, so even `while true do end` stops.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

#[derive(Default)]
pub struct Gate {
    running: AtomicBool,
    wrote: AtomicBool,
    kill: AtomicBool,
    /// When the running script started and the busy threshold it runs under.
    started: Mutex<Option<(Instant, Duration)>>,
    /// Instructions between two looks at `kill`.
    pub checks: AtomicU64,
}

/// What SCRIPT KILL did.
#[derive(Debug, PartialEq, Eq)]
pub enum Kill {
    Killed,
    NotBusy,
    Unkillable,
}

impl Gate {
    /// A script starts (under the shard lock).
    pub fn start(&self, threshold: Duration) {
        *self.started.lock() = Some((Instant::now(), threshold));
        self.wrote.store(false, Ordering::SeqCst);
        self.kill.store(false, Ordering::SeqCst);
        self.running.store(true, Ordering::SeqCst);
    }

    /// The script ended; returns whether it was killed.
    pub fn finish(&self) -> bool {
        self.running.store(false, Ordering::SeqCst);
        *self.started.lock() = None;
        self.kill.swap(false, Ordering::SeqCst)
    }

    pub fn running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// A script runs and has run past the busy threshold: others get `-BUSY`.
    pub fn busy(&self) -> bool {
        self.running() && self.started.lock().is_some_and(|(at, limit)| at.elapsed() >= limit)
    }

    pub fn mark_write(&self) {
        self.wrote.store(true, Ordering::SeqCst);
    }

    pub fn kill_requested(&self) -> bool {
        self.kill.load(Ordering::SeqCst)
    }

    /// SCRIPT KILL from another client.
    pub fn kill(&self) -> Kill {
        if !self.running() {
            Kill::NotBusy
        } else if self.wrote.load(Ordering::SeqCst) {
            Kill::Unkillable
        } else {
            self.kill.store(true, Ordering::SeqCst);
            Kill::Killed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_depends_on_running_and_writes() {
        let g = Gate::default();
        assert_eq!(g.kill(), Kill::NotBusy);
        g.start(Duration::from_secs(5));
        assert!(g.running() && !g.busy());
        assert_eq!(g.kill(), Kill::Killed);
        assert!(g.kill_requested());
        assert!(g.finish());
        g.start(Duration::ZERO);
        assert!(g.busy());
        g.mark_write();
        assert_eq!(g.kill(), Kill::Unkillable);
        assert!(!g.finish());
        assert!(!g.busy());
    }
}
