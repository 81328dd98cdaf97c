//! What other clients may learn about the running script without the shard lock: whether
//! one runs, since when, whether it is a script (EVAL) or a function (FCALL), whether it
//! wrote, and whether SCRIPT KILL or FUNCTION KILL asked it to stop.
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

use bytes::Bytes;
use parking_lot::Mutex;

/// What runs: it decides the BUSY wording and which of SCRIPT KILL and FUNCTION KILL may
/// stop it, and FUNCTION STATS shows a function's name and command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Running {
    Script,
    Function { name: String, command: Vec<Bytes> },
}

/// The run in progress: since when, under which busy threshold, and what it is.
struct Run {
    at: Instant,
    threshold: Duration,
    what: Running,
}

#[derive(Default)]
pub struct Gate {
    running: AtomicBool,
    wrote: AtomicBool,
    kill: AtomicBool,
    started: Mutex<Option<Run>>,
    /// Instructions between two looks at `kill`.
    pub checks: AtomicU64,
}

/// What SCRIPT KILL or FUNCTION KILL did.
#[derive(Debug, PartialEq, Eq)]
pub enum Kill {
    Killed,
    NotBusy,
    Unkillable,
    /// SCRIPT KILL while a function runs, or FUNCTION KILL while a script does.
    OtherKind,
}

impl Gate {
    /// A script starts (under the shard lock).
    pub fn start(&self, threshold: Duration, what: Running) {
        *self.started.lock() = Some(Run { at: Instant::now(), threshold, what });
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
        self.running() && self.started.lock().as_ref().is_some_and(|run| run.at.elapsed() >= run.threshold)
    }

    /// The function running, with its command and how long it has run (FUNCTION STATS).
    pub fn function(&self) -> Option<(String, Vec<Bytes>, Duration)> {
        match self.started.lock().as_ref() {
            Some(Run { at, what: Running::Function { name, command }, .. }) => {
                Some((name.clone(), command.clone(), at.elapsed()))
            }
            _ => None,
        }
    }

    /// Whether what runs now is a function (FCALL) rather than a script.
    pub fn runs_function(&self) -> bool {
        self.running() && matches!(self.started.lock().as_ref(), Some(Run { what: Running::Function { .. }, .. }))
    }

    pub fn mark_write(&self) {
        self.wrote.store(true, Ordering::SeqCst);
    }

    pub fn kill_requested(&self) -> bool {
        self.kill.load(Ordering::SeqCst)
    }

    /// SCRIPT KILL (`function` false) or FUNCTION KILL from another client, checked in
    /// Redis's order: nothing runs, it wrote, it is of the other kind.
    pub fn kill(&self, function: bool) -> Kill {
        if !self.running() {
            Kill::NotBusy
        } else if self.wrote.load(Ordering::SeqCst) {
            Kill::Unkillable
        } else if self.runs_function() != function {
            Kill::OtherKind
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
        assert_eq!(g.kill(false), Kill::NotBusy);
        g.start(Duration::from_secs(5), Running::Script);
        assert!(g.running() && !g.busy());
        assert_eq!(g.kill(true), Kill::OtherKind);
        assert_eq!(g.kill(false), Kill::Killed);
        assert!(g.kill_requested());
        assert!(g.finish());
        g.start(Duration::ZERO, Running::Script);
        assert!(g.busy());
        g.mark_write();
        assert_eq!(g.kill(false), Kill::Unkillable);
        assert!(!g.finish());
        assert!(!g.busy());
    }

    #[test]
    fn a_running_function_shows_its_name_and_command() {
        let g = Gate::default();
        assert!(g.function().is_none());
        g.start(Duration::from_secs(5), Running::Function { name: "f".into(), command: vec![Bytes::from("FCALL")] });
        assert!(g.runs_function());
        assert_eq!(g.function().map(|(name, command, _)| (name, command.len())), Some(("f".to_string(), 1)));
        assert_eq!(g.kill(false), Kill::OtherKind);
        assert_eq!(g.kill(true), Kill::Killed);
        g.finish();
        assert!(!g.runs_function() && g.function().is_none());
    }
}
