//! Commands: a table of specs (name, arity, flags, key positions, handler) assembled from
//! one module per family, one file per command. Data commands are pure functions of their
//! arguments and the shard; session commands (connection state, pub/sub, blocking,
//! transactions) are run by `server::session`.

pub mod args;
pub mod bitmap;
pub mod format;
pub mod geo;
pub mod glob;
pub mod hash;
pub mod hyperloglog;
pub mod keys;
pub mod list;
pub mod movable;
pub mod mpop;
pub mod scan;
pub mod server;
pub mod set;
pub mod strings;
pub mod util;
pub mod zset;

use std::sync::LazyLock;

use hashbrown::HashMap;

pub use args::Args;
pub use server::SessionCmd;

use crate::resp::Reply;
use crate::shard::Shard;

pub use crate::resp::ReplyError;

pub type CmdResult = Result<Reply, ReplyError>;

/// What running a request gave: the reply for the client, and the delta of everything it
/// changed (None when it changed nothing), which the caller hands to the backlog.
#[derive(Debug)]
pub struct Outcome {
    pub reply: Reply,
    pub delta: Option<crate::keyspace::delta::Delta>,
}
pub type DataFn = fn(&mut Args, &mut Shard) -> CmdResult;

/// What a blocking command's attempt found.
pub enum Blocked {
    /// Done: reply now.
    Reply(Reply),
    /// Nothing to pop yet: the session waits for a write to one of `keys`, then runs the
    /// command again; after `timeout_ms` (0 = forever) it replies `on_timeout`.
    Wait { keys: Vec<bytes::Bytes>, timeout_ms: u64, on_timeout: Reply },
}

pub type BlockFn = fn(&mut Args, &mut Shard) -> Result<Blocked, ReplyError>;

/// A command whose work grows with the keyspace (KEYS): it runs in steps, each a bounded
/// amount of work, and a session releases the shard between steps so other clients run.
pub trait Stepwise: Send {
    /// One bounded step; the reply once the command is done.
    fn step(&mut self, shard: &mut Shard) -> Option<Reply>;
}

pub type StepwiseFn = fn(&mut Args) -> Result<Box<dyn Stepwise>, ReplyError>;

#[derive(Clone, Copy)]
pub enum Handler {
    /// Runs against the shard alone.
    Data(DataFn),
    /// A blocking command (BLPOP ...): one attempt against the shard; the session waits.
    Blocking(BlockFn),
    /// A long command, run in bounded steps.
    Stepwise(StepwiseFn),
    /// Needs the connection or the server: run by `server::session`.
    Session(SessionCmd),
}

pub struct CommandSpec {
    /// Lowercase, as Redis reports it.
    pub name: &'static str,
    /// Redis convention: N exactly N words (name included), -N at least N.
    pub arity: i32,
    pub flags: &'static [&'static str],
    /// First key, last key (negative counts from the end), step; 0 0 0 for none. Commands
    /// whose keys follow a count have the `movablekeys` flag: see `movable::key_positions`.
    pub keys: (i32, i32, i32),
    pub group: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
}

impl CommandSpec {
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 { argc == self.arity } else { argc >= -self.arity }
    }

    pub fn is_write(&self) -> bool {
        self.flags.contains(&"write")
    }
}

fn families() -> impl Iterator<Item = &'static CommandSpec> {
    [
        strings::COMMANDS,
        bitmap::COMMANDS,
        hyperloglog::COMMANDS,
        keys::COMMANDS,
        hash::COMMANDS,
        set::COMMANDS,
        zset::COMMANDS,
        geo::COMMANDS,
        list::COMMANDS,
        server::COMMANDS,
    ]
    .into_iter()
    .flatten()
}

static TABLE: LazyLock<HashMap<&'static str, &'static CommandSpec>> =
    LazyLock::new(|| families().map(|spec| (spec.name, spec)).collect());

/// Every command, sorted by name.
pub fn all() -> Vec<&'static CommandSpec> {
    let mut v: Vec<_> = TABLE.values().copied().collect();
    v.sort_by_key(|s| s.name);
    v
}

/// Finds a command by name, ignoring ASCII case, without allocating for short names.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut buf = [0u8; 32];
    let lower = buf.get_mut(..name.len())?;
    for (d, s) in lower.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    let name = std::str::from_utf8(lower).ok()?;
    TABLE.get(name).copied()
}

/// How much of a command name or its arguments Redis quotes in an unknown-command error.
const QUOTED: usize = 128;

/// Redis's reply to an unknown command: the name's first 128 bytes, then the arguments
/// quoted one by one until 128 bytes of them are shown. Cut as bytes (a name is any bytes,
/// and a cut inside a multi-byte character must not panic), then shown as text.
pub fn unknown_command(args: &[bytes::Bytes]) -> ReplyError {
    let name = args.first().map_or(&[][..], |b| &b[..b.len().min(QUOTED)]);
    let mut quoted: Vec<u8> = Vec::new();
    for a in args.iter().skip(1) {
        let room = QUOTED.saturating_sub(quoted.len());
        if room == 0 {
            break;
        }
        quoted.push(b'\'');
        quoted.extend_from_slice(&a[..a.len().min(room)]);
        quoted.extend_from_slice(b"' ");
    }
    ReplyError::new(format!(
        "ERR unknown command '{}', with args beginning with: {}",
        String::from_utf8_lossy(name),
        String::from_utf8_lossy(&quoted)
    ))
}

/// A request whose command was found and whose arity was checked: what `run_data` and a
/// session's dispatch take, so no path runs a command unchecked, or checks it twice (a
/// transaction's queue holds these, and EXEC runs them as they are).
#[derive(Clone)]
pub struct Call {
    pub spec: &'static CommandSpec,
    pub args: Vec<bytes::Bytes>,
}

impl Call {
    /// Looks the command up and checks its arity: the error is the reply Redis gives.
    pub fn new(args: Vec<bytes::Bytes>) -> Result<Call, ReplyError> {
        let Some(spec) = args.first().and_then(|n| lookup(n)) else { return Err(unknown_command(&args)) };
        if !spec.arity_ok(args.len()) {
            return Err(ReplyError::wrong_arity(spec.name));
        }
        Ok(Call { spec, args })
    }
}

/// Runs a data command. Session commands are not handled here.
pub fn run_data(call: Call, shard: &mut Shard) -> Reply {
    let Call { spec, args } = call;
    match spec.handler {
        Handler::Data(f) => {
            let mut args = Args::new(args);
            f(&mut args, shard).unwrap_or_else(Reply::from)
        }
        Handler::Blocking(f) => {
            // Outside a session (inside MULTI, or in tests) a blocking command never waits.
            let mut args = Args::new(args);
            match f(&mut args, shard) {
                Ok(Blocked::Reply(r)) => r,
                Ok(Blocked::Wait { on_timeout, .. }) => on_timeout,
                Err(e) => e.into(),
            }
        }
        Handler::Stepwise(start) => {
            // Outside a session (inside MULTI, or in tests) the steps run back to back.
            let mut args = Args::new(args);
            match start(&mut args) {
                Ok(mut cmd) => loop {
                    if let Some(reply) = cmd.step(shard) {
                        break reply;
                    }
                },
                Err(e) => e.into(),
            }
        }
        Handler::Session(_) => Reply::error(format!("ERR '{}' cannot run here", spec.name)),
    }
}

/// Runs one request against a shard: lookup, arity, data or blocking handler. Session
/// commands get an error here; the server runs those itself.
pub fn execute(shard: &mut Shard, args: Vec<bytes::Bytes>) -> Outcome {
    let reply = match Call::new(args) {
        Ok(call) => run_data(call, shard),
        Err(e) => e.into(),
    };
    Outcome { reply, delta: shard.take_delta() }
}

/// Runs requests one after the other as a transaction does (MULTI/EXEC without WATCH): the
/// reply is the array of their replies, the delta the whole transaction's, shipped as one.
pub fn execute_all(shard: &mut Shard, requests: Vec<Vec<bytes::Bytes>>) -> Outcome {
    let replies = requests
        .into_iter()
        .map(|args| match Call::new(args) {
            Ok(call) => run_data(call, shard),
            Err(e) => e.into(),
        })
        .collect();
    Outcome { reply: Reply::Array(replies), delta: shard.take_delta() }
}

/// Test support: a standalone shard in region 1 and a way to run commands as strings.
#[cfg(test)]
pub mod testing {
    use crate::crdt::ActorId;
    use crate::resp::Reply;
    use crate::shard::{Identity, Shard};

    pub fn shard() -> Shard {
        let mut s = Shard::new(Identity { region: 1, actor: ActorId(1) });
        s.set_now(1_700_000_000_000);
        s
    }

    pub fn run(shard: &mut Shard, words: &[&str]) -> Reply {
        execute(shard, words).reply
    }

    /// Runs a request as one command of a transaction: its delta stays in the shard, to be
    /// taken with the others' once the transaction is done.
    pub fn run_in_transaction(shard: &mut Shard, words: &[&str]) -> Reply {
        let args: Vec<bytes::Bytes> = words.iter().map(|w| bytes::Bytes::copy_from_slice(w.as_bytes())).collect();
        match super::Call::new(args) {
            Ok(call) => super::run_data(call, shard),
            Err(e) => e.into(),
        }
    }

    /// Runs a request and returns its reply and delta.
    pub fn execute(shard: &mut Shard, words: &[&str]) -> super::Outcome {
        super::execute(shard, words.iter().map(|w| bytes::Bytes::copy_from_slice(w.as_bytes())).collect())
    }

    pub fn bulk(s: &str) -> Reply {
        Reply::text(s)
    }

    pub fn bulks(items: &[&str]) -> Reply {
        Reply::Array(items.iter().map(|s| Reply::text(s)).collect())
    }

    /// The items of an array reply (random picks are compared by count, not order).
    pub fn items(r: Reply) -> Vec<Reply> {
        match r {
            Reply::Array(v) => v,
            other => panic!("not an array: {other:?}"),
        }
    }

    /// Runs a whole SCAN-family iteration (`words` up to the key, then the cursor, then
    /// `extra`) and returns the items of every page.
    pub fn scan_all(shard: &mut Shard, words: &[&str], extra: &[&str]) -> Vec<Reply> {
        let mut cursor = "0".to_string();
        let mut all = Vec::new();
        loop {
            let mut call: Vec<&str> = words.to_vec();
            call.push(cursor.as_str());
            call.extend_from_slice(extra);
            let Reply::Array(parts) = run(shard, &call) else { panic!("not an array") };
            let [Reply::Bulk(next), Reply::Array(items)] = &parts[..] else { panic!("bad shape {parts:?}") };
            all.extend(items.iter().cloned());
            cursor = String::from_utf8(next.to_vec()).expect("utf8");
            if cursor == "0" {
                return all;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use proptest::prelude::*;

    use super::testing::shard;
    use super::{execute, unknown_command};
    use crate::resp::Reply;

    /// Issue 12, defect 2: a name with a multi-byte character across byte 128 panicked (a
    /// `str` cut off a char boundary). The name is cut as bytes, as Redis's `%.128s` does.
    #[test]
    fn an_unknown_name_cut_inside_a_character_does_not_panic() {
        let name = format!("{}é", "a".repeat(127));
        let args = vec![Bytes::from(name), Bytes::from("x")];
        let e = unknown_command(&args);
        assert_eq!(e.0, format!("ERR unknown command '{}\u{fffd}', with args beginning with: 'x' ", "a".repeat(127)));
    }

    /// Arguments are quoted until 128 bytes of quotes are shown, the last one cut to fit.
    #[test]
    fn unknown_command_quotes_at_most_128_bytes_of_arguments() {
        let long = "b".repeat(200);
        let args: Vec<Bytes> = ["nope", "a1", &long, "never"].iter().map(|s| Bytes::from(s.to_string())).collect();
        let e = unknown_command(&args);
        // As Redis's `'%.*s'` with precision 128 minus what is shown already.
        let shown = format!("'a1' '{}' ", "b".repeat(128 - 5));
        assert_eq!(e.0, format!("ERR unknown command 'nope', with args beginning with: {shown}"));
    }

    proptest! {
        /// Any command name and arguments, as arbitrary bytes: a reply, never a panic.
        #[test]
        fn arbitrary_requests_never_panic(
            name in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..300),
                proptest::sample::select(super::all().iter().map(|s| s.name.as_bytes().to_vec()).collect::<Vec<_>>()),
            ],
            args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..6),
        ) {
            let mut s = shard();
            let mut req = vec![Bytes::from(name)];
            req.extend(args.into_iter().map(Bytes::from));
            let reply = execute(&mut s, req).reply;
            // An error line carries no line break of its own, whatever the request held.
            if let Reply::Error(_) = reply {
                let mut out = bytes::BytesMut::new();
                reply.encode(&mut out, false);
                let body = &out[1..out.len() - 2];
                prop_assert!(!body.contains(&b'\r') && !body.contains(&b'\n'), "{:?}", out);
            }
        }
    }
}
