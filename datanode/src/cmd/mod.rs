//! Commands: a table of specs (name, arity, flags, key positions, handler) assembled from
//! one module per family, one file per command. Data commands are pure functions of their
//! arguments and the shard; session commands (connection state, pub/sub, blocking,
//! transactions) are run by `server::session`.

pub mod args;
pub mod format;
pub mod glob;
pub mod hash;
pub mod keys;
pub mod list;
pub mod movable;
pub mod scan;
pub mod server;
pub mod set;
pub mod strings;
pub mod util;
pub mod zset;

use std::sync::LazyLock;

use hashbrown::HashMap;

pub use args::Args;

use crate::resp::Reply;
use crate::shard::Shard;

/// The text of an error reply, exactly as a client sees it after the '-'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyError(pub String);

impl ReplyError {
    pub fn new(text: impl Into<String>) -> Self {
        ReplyError(text.into())
    }
    pub fn syntax() -> Self {
        Self::new("ERR syntax error")
    }
    pub fn wrongtype() -> Self {
        Self::new("WRONGTYPE Operation against a key holding the wrong kind of value")
    }
    pub fn not_integer() -> Self {
        Self::new("ERR value is not an integer or out of range")
    }
    pub fn not_float() -> Self {
        Self::new("ERR value is not a valid float")
    }
    pub fn overflow() -> Self {
        Self::new("ERR increment or decrement would overflow")
    }
    pub fn no_such_key() -> Self {
        Self::new("ERR no such key")
    }
    pub fn out_of_range() -> Self {
        Self::new("ERR index out of range")
    }
    pub fn wrong_arity(name: &str) -> Self {
        Self::new(format!("ERR wrong number of arguments for '{name}' command"))
    }
    pub fn crossslot() -> Self {
        Self::new("CROSSSLOT Keys in request don't hash to the same slot")
    }
}

pub type CmdResult = Result<Reply, ReplyError>;
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

#[derive(Clone, Copy)]
pub enum Handler {
    /// Runs against the shard alone.
    Data(DataFn),
    /// A blocking command (BLPOP ...): one attempt against the shard; the session waits.
    Blocking(BlockFn),
    /// Needs the connection or the server: run by `server::session`.
    Session,
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
    [strings::COMMANDS, keys::COMMANDS, hash::COMMANDS, set::COMMANDS, zset::COMMANDS, list::COMMANDS, server::COMMANDS]
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

/// Redis's reply to an unknown command, quoting the first arguments.
pub fn unknown_command(args: &[bytes::Bytes]) -> ReplyError {
    let name = args.first().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    let mut quoted = String::new();
    for a in args.iter().skip(1) {
        if quoted.len() >= 128 {
            break;
        }
        quoted.push_str(&format!("'{}' ", String::from_utf8_lossy(&a[..a.len().min(128)])));
    }
    ReplyError::new(format!(
        "ERR unknown command '{}', with args beginning with: {quoted}",
        &name[..name.len().min(128)]
    ))
}

/// Runs a data command after checking its arity. Session commands are not handled here.
pub fn run_data(spec: &CommandSpec, args: Vec<bytes::Bytes>, shard: &mut Shard) -> Reply {
    if !spec.arity_ok(args.len()) {
        return ReplyError::wrong_arity(spec.name).into();
    }
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
        Handler::Session => Reply::error(format!("ERR '{}' cannot run here", spec.name)),
    }
}

/// Runs one request against a shard: lookup, arity, data or blocking handler. Session
/// commands get an error here; the server runs those itself.
pub fn execute(shard: &mut Shard, args: Vec<bytes::Bytes>) -> Reply {
    match args.first().and_then(|n| lookup(n)) {
        Some(spec) => run_data(spec, args, shard),
        None => unknown_command(&args).into(),
    }
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
