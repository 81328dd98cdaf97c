//! KEYS pattern, in bounded steps: a keyspace of millions of keys, or a pattern that is
//! costly to match, must not hold the shard for the whole walk.
//!
//! Each step gathers the names of the live keys of whole slot groups (about `GATHER` at a
//! time) and matches gathered names until `STEP_WORK` matching steps are spent. A session
//! releases the shard between steps and lets other clients run, so the walk is not atomic:
//! like SCAN, every key present for the whole of KEYS is listed exactly once, and a key added
//! or removed meanwhile may or may not be. Inside MULTI the steps run back to back (a
//! transaction is atomic). A slot group is the unit of gathering, so one group holding most
//! keys (one hash tag for everything) is still gathered in one step.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::cmd::glob::NameFilter;
use crate::cmd::{Args, CommandSpec, Handler, ReplyError, Stepwise};
use crate::keyspace::GROUPS;
use crate::resp::Reply;
use crate::shard::Shard;

/// Key names gathered per step (whole groups: at least one, then up to this many names).
const GATHER: usize = 1024;
/// Matching steps per step of KEYS (a match costs about the length of key and pattern).
const STEP_WORK: u64 = 1 << 16;

pub const SPEC: CommandSpec = CommandSpec {
    name: "keys",
    arity: 2,
    flags: &["readonly"],
    keys: (0, 0, 0),
    group: "generic",
    summary: "Returns all key names that match a pattern (in bounded steps: other clients run in between, so not atomically).",
    handler: Handler::Stepwise(start),
};

fn start(args: &mut Args) -> Result<Box<dyn Stepwise>, ReplyError> {
    let pattern = args.bytes()?;
    Ok(Box::new(Keys { pattern, group: 0, gathered: VecDeque::new(), out: Vec::new() }))
}

/// A KEYS walk in progress.
struct Keys {
    pattern: Bytes,
    /// The next slot group to gather.
    group: usize,
    gathered: VecDeque<Bytes>,
    out: Vec<Reply>,
}

impl Keys {
    fn gather(&mut self, shard: &Shard) {
        let now = shard.now();
        while self.group < GROUPS && self.gathered.len() < GATHER {
            let live = shard
                .keyspace()
                .group(self.group)
                .filter(|(_, e)| e.is_visible() && e.ttl.deadline().is_none_or(|(d, _)| d > now))
                .map(|(k, _)| Bytes::copy_from_slice(k));
            self.gathered.extend(live);
            self.group += 1;
        }
    }
}

impl Stepwise for Keys {
    fn step(&mut self, shard: &mut Shard) -> Option<Reply> {
        if self.gathered.is_empty() {
            self.gather(shard);
        }
        let mut filter = NameFilter::new(Some(&self.pattern));
        while filter.work() < STEP_WORK {
            let Some(name) = self.gathered.pop_front() else { break };
            if filter.accepts(&name) {
                self.out.push(Reply::Bulk(name));
            }
        }
        (self.gathered.is_empty() && self.group >= GROUPS).then(|| Reply::Array(std::mem::take(&mut self.out)))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::cmd::testing::{bulks, run, shard};
    use crate::resp::Reply;

    fn sorted(r: Reply) -> Vec<String> {
        let Reply::Array(items) = r else { panic!("not an array: {r:?}") };
        let mut v: Vec<String> = items
            .into_iter()
            .map(|i| match i {
                Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn lists_matching_live_keys_across_every_group() {
        let mut s = shard();
        for i in 0..3000 {
            run(&mut s, &["SET", &format!("user:{i}"), "v"]);
        }
        run(&mut s, &["SET", "other", "v"]);
        run(&mut s, &["SET", "", "empty"]);
        run(&mut s, &["SET", "gone", "v", "PX", "1"]);
        s.set_now(s.now() + 10);
        let users = sorted(run(&mut s, &["KEYS", "user:1??"]));
        assert_eq!(users.len(), 100);
        assert_eq!(users.first().map(String::as_str), Some("user:100"));
        assert_eq!(sorted(run(&mut s, &["KEYS", "*"])).len(), 3002, "a lone * lists the empty key too");
        assert_eq!(sorted(run(&mut s, &["KEYS", "**"])).len(), 3001, "any other pattern never matches it");
        assert_eq!(run(&mut s, &["KEYS", "gone"]), bulks(&[]), "expired keys are not listed");
        assert_eq!(run(&mut s, &["KEYS", "oth[e]r"]), bulks(&["other"]));
    }

    /// Issue 12, defect 1: this KEYS kept a core busy for minutes and answered nobody else.
    /// The command runs in a thread so that, on a matcher without a bound, the test fails
    /// after two seconds instead of hanging.
    #[test]
    fn a_pathological_pattern_answers_at_once() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut s = shard();
            run(&mut s, &["SET", &"a".repeat(40), "v"]);
            let pattern = format!("{}b", "a*".repeat(20));
            let _ = tx.send(run(&mut s, &["KEYS", &pattern]));
        });
        let reply = rx.recv_timeout(Duration::from_secs(2)).expect("KEYS did not answer within 2 s");
        assert_eq!(reply, bulks(&[]));
    }
}
