//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: a script runs inside the session's batch,
//! under the shard lock, so no other command interleaves with it, and every write it makes
//! joins the shard's pending delta, which the batch ships as one delta after it, as EXEC's
//! commands do. What other clients see meanwhile is `script::gate`'s business.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use mlua::{Function, Lua, MultiValue, Value};

use super::Session;
use super::cluster::keys_of;
use crate::cmd::format::parse_int;
use crate::cmd::{self, Args, Call, Handler, ReplyError, SessionCmd as S, args::is};
use crate::keyspace::slot_of;
use crate::resp::Reply;
use crate::resp::frame::Request;
use crate::script::convert::{arg_bytes, error_table, lua_to_reply, reply_to_lua};
use crate::script::{Gate, Kill, Running, Vm};
use crate::server::routing;
use crate::shard::Shard;

type Res = Result<Reply, ReplyError>;

const NOT_BUSY: &str = "NOTBUSY No scripts in execution right now.";
const UNKILLABLE: &str = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
pub(super) const BUSY: &str = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/// What others get while a function (not a script) runs.
const BUSY_FUNCTION: &str = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";
const NON_LOCAL: &str = "ERR Script attempted to access a non local key in a cluster node";
const CROSS_SLOT: &str = "ERR Script attempted to access keys that do not hash to the same slot";
/// How often a client waiting behind a script looks at the gate again.
const POLL: Duration = Duration::from_millis(2);

impl Session {
    pub(super) fn eval(&mut self, c: S, args: &mut Args, shard: &mut Shard) -> Res {
        let first = args.bytes()?;
        let numkeys = args.bytes()?;
        let rest = args.rest();
        let n = parse_int(&numkeys).ok_or_else(ReplyError::not_integer)?;
        if n > rest.len() as i64 {
            return Err(ReplyError::new("ERR Number of keys can't be greater than number of args"));
        }
        let Ok(n) = usize::try_from(n) else {
            return Err(ReplyError::new("ERR Number of keys can't be negative"));
        };
        let (keys, argv) = rest.split_at(n);
        let server = self.server.clone();
        let scripts = &server.node.scripts;
        let mut vm = scripts.vm.lock();
        let (sha, f, flags) = if matches!(c, S::EvalSha | S::EvalShaRo) {
            let (f, flags) =
                vm.cached(&first).ok_or_else(|| ReplyError::new("NOSCRIPT No matching script. Please use EVAL."))?;
            (String::from_utf8_lossy(&first).to_ascii_lowercase(), f, flags)
        } else {
            let (source, f) = vm.load(&first)?;
            (source.sha, f, source.flags)
        };
        let rules = Rules {
            read_only: flags.no_writes || matches!(c, S::EvalRo | S::EvalShaRo),
            cross_slot: flags.cross_slot,
            // The declared keys were routed with EVAL itself: they share this slot.
            slot: keys.first().map(|k| slot_of(k)),
        };
        let vm = &*vm;
        let globals = || -> mlua::Result<()> {
            let lua = &vm.lua;
            let strings = |items: &[Bytes]| {
                lua.create_sequence_from(items.iter().map(|k| lua.create_string(k)).collect::<mlua::Result<Vec<_>>>()?)
            };
            vm.real.raw_set("KEYS", strings(keys)?)?;
            vm.real.raw_set("ARGV", strings(argv)?)
        };
        if let Err(e) = globals() {
            return Ok(Reply::Error(format!("ERR {}", e.to_string().lines().next().unwrap_or(""))));
        }
        Ok(self.run_lua(vm, f, rules, &sha, Running::Script, shard))
    }

    /// Runs `f` (a script, or a function's callback bound to its keys and arguments) under
    /// the gate, with `redis.call` dispatching to the shard; `label` names it in error replies
    /// (a script's SHA1, a function's name).
    pub(super) fn run_lua(
        &mut self,
        vm: &Vm,
        f: Function,
        mut rules: Rules,
        label: &str,
        what: Running,
        shard: &mut Shard,
    ) -> Reply {
        let server = self.server.clone();
        let threshold = Duration::from_millis(server.config.read().usize("busy-reply-threshold") as u64);
        let gate = server.node.scripts.gate.clone();
        let lua = &vm.lua;
        let run = || -> mlua::Result<(bool, Value, String, u8)> {
            vm.ctx.raw_set("resp", 2)?;
            lua.scope(|scope| {
                let dispatch = scope.create_function_mut(|lua, args: MultiValue| {
                    self.script_call(lua, args, shard, &mut rules, &gate)
                })?;
                vm.ctx.raw_set("dispatch", dispatch)?;
                let out: MultiValue = vm.xpcall.call((f, vm.handler.clone()))?;
                vm.ctx.raw_set("dispatch", Value::Nil)?;
                let resp = vm.ctx.raw_get::<u8>("resp").unwrap_or(2);
                let mut out = out.into_iter();
                let ok = matches!(out.next(), Some(Value::Boolean(true)));
                let value = out.next().unwrap_or(Value::Nil);
                if ok {
                    return Ok((true, value, String::new(), resp));
                }
                let (text, place) = match &value {
                    Value::Table(t) => (
                        t.raw_get::<Value>("err")?,
                        format!(
                            "{}:{}",
                            t.raw_get::<String>("source").unwrap_or_else(|_| "@user_script".into()),
                            t.raw_get::<i64>("line").unwrap_or(0)
                        ),
                    ),
                    // The handler did not run: Lua raises out-of-memory without calling it.
                    other => (unhandled_error(lua, other)?, "@user_script:0".to_string()),
                };
                Ok((false, text, place, resp))
            })
        };
        gate.start(threshold, what);
        let result = in_place(run);
        let killed = gate.finish();
        match result {
            Ok((true, value, _, resp)) => lua_to_reply(&value, resp),
            Ok((false, text, place, _)) => {
                let text = match text {
                    _ if killed => KILLED.to_string(),
                    Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                    _ => "ERR unknown error".to_string(),
                };
                Reply::Error(format!("{text} script: {label}, on {place}."))
            }
            Err(e) => Reply::Error(format!("ERR {}", e.to_string().lines().next().unwrap_or(""))),
        }
    }

    /// One `redis.call` / `redis.pcall`: the reply as a Lua value, and whether it is an
    /// error (which `redis.call` raises).
    fn script_call(
        &mut self,
        lua: &Lua,
        args: MultiValue,
        shard: &mut Shard,
        rules: &mut Rules,
        gate: &Gate,
    ) -> mlua::Result<(Value, bool)> {
        let fail = |text: &str| Ok((error_table(lua, text)?, true));
        let mut args = args.into_iter();
        let resp = match args.next() {
            Some(Value::Integer(3)) => 3,
            _ => 2,
        };
        let mut words: Vec<Bytes> = Vec::new();
        for v in args {
            match arg_bytes(&v) {
                Some(b) => words.push(b),
                None => return fail("ERR Lua redis lib command arguments must be strings or integers"),
            }
        }
        let Some(name) = words.first() else {
            return fail("ERR Please specify at least one argument for this redis lib call");
        };
        let Some(spec) = cmd::lookup(name) else {
            return fail("ERR Unknown Redis command called from script");
        };
        if !spec.arity_ok(words.len()) {
            return fail("ERR Wrong number of args calling Redis command from script");
        }
        if !allowed_in_scripts(spec) {
            return fail("ERR This Redis command is not allowed from script");
        }
        if spec.is_write() {
            if rules.read_only {
                return fail("ERR Write commands are not allowed from read-only scripts.");
            }
            if let Some(refusal) = self.server.node.repl.write_refusal() {
                return fail(refusal);
            }
            gate.mark_write();
        }
        if let Err(refusal) = self.script_route(spec, &words, rules) {
            return fail(refusal);
        }
        let reply = match spec.handler {
            Handler::Session(c) => self.simple_command(c, &mut Args::new(words), shard).unwrap_or_else(Reply::from),
            _ => cmd::run_data(Call { spec, args: words }, shard),
        };
        let failed = matches!(reply, Reply::Error(_));
        Ok((reply_to_lua(lua, reply, resp)?, failed))
    }

    /// Redis Cluster's rule for the keys a script's commands touch (EVAL's declared keys were
    /// routed already): they must be served here, and, unless the script may cross slots,
    /// lie in the slot of the first key it touched. A region of one shard serves everything.
    fn script_route(
        &mut self,
        spec: &cmd::CommandSpec,
        words: &[Bytes],
        rules: &mut Rules,
    ) -> Result<(), &'static str> {
        let readonly = self.cluster.readonly;
        let topology = self.refresh_topology();
        if topology.serves_everything() {
            return Ok(());
        }
        let request = routing::Request { keys: keys_of(spec, words), write: spec.is_write(), readonly };
        if routing::route(topology, request).is_err() {
            return Err(NON_LOCAL);
        }
        let Some(slot) = keys_of(spec, words).next().map(slot_of) else { return Ok(()) };
        match rules.slot {
            _ if rules.cross_slot => Ok(()),
            Some(first) if first != slot => Err(CROSS_SLOT),
            _ => {
                rules.slot = Some(slot);
                Ok(())
            }
        }
    }

    /// SCRIPT LOAD | EXISTS | FLUSH [ASYNC|SYNC] | KILL | HELP.
    pub(super) fn script(&mut self, args: &mut Args) -> Res {
        let sub = args.bytes()?;
        let scripts = &self.server.node.scripts;
        if is(&sub, "load") {
            if args.remaining() != 1 {
                return Err(ReplyError::wrong_arity("script|load"));
            }
            let body = args.bytes()?;
            let (source, _) = scripts.vm.lock().load(&body)?;
            Ok(Reply::text(&source.sha))
        } else if is(&sub, "exists") {
            let shas = args.rest();
            if shas.is_empty() {
                return Err(ReplyError::wrong_arity("script|exists"));
            }
            let vm = scripts.vm.lock();
            Ok(Reply::Array(shas.iter().map(|s| Reply::Int(i64::from(vm.exists(s)))).collect()))
        } else if is(&sub, "flush") {
            let mode = args.next();
            if args.remaining() > 0 {
                return Err(ReplyError::wrong_arity("script|flush"));
            }
            if mode.is_some_and(|m| !is(&m, "async") && !is(&m, "sync")) {
                return Err(ReplyError::new("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
            }
            scripts.vm.lock().reset();
            Ok(Reply::Ok)
        } else if is(&sub, "kill") {
            if args.remaining() > 0 {
                return Err(ReplyError::wrong_arity("script|kill"));
            }
            kill_reply(&scripts.gate, false)
        } else if is(&sub, "help") {
            Ok(Reply::Array(
                [
                    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "EXISTS <sha1> [<sha1> ...]",
                    "    Return information about the existence of the scripts in the script cache.",
                    "FLUSH [ASYNC|SYNC]",
                    "    Flush the Lua scripts cache. Very dangerous on replicas.",
                    "    When called without the optional mode argument, the behavior is determined by the",
                    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                    "    * ASYNC: Asynchronously flush the scripts cache.",
                    "    * SYNC: Synchronously flush the scripts cache.",
                    "KILL",
                    "    Kill the currently executing Lua script.",
                    "LOAD <script>",
                    "    Load a script into the scripts cache without executing it.",
                    "HELP",
                    "    Prints this help.",
                ]
                .iter()
                .map(|l| Reply::status(l))
                .collect(),
            ))
        } else {
            Err(super::commands::subcommand_error(&sub, "script"))
        }
    }

    /// Waits, without holding a thread, while another client's script holds the shard.
    /// Past the busy threshold, answers the next request as Redis does: SCRIPT KILL stops a
    /// script, FUNCTION KILL a function, FUNCTION STATS shows the function; anything else
    /// (and the kill or stats command of the other kind) gets `-BUSY`.
    pub(super) async fn await_script(&mut self, pending: &mut VecDeque<Request>) {
        let gate = self.server.node.scripts.gate.clone();
        while gate.running() {
            if gate.busy() {
                let Some(req) = pending.pop_front() else { return };
                let function = gate.runs_function();
                let busy = Reply::error(if function { BUSY_FUNCTION } else { BUSY });
                let reply = match &req[..] {
                    [] => continue,
                    [name, sub] if is(name, "script") && is(sub, "kill") => {
                        kill_reply(&gate, false).unwrap_or_else(Reply::from)
                    }
                    [name, sub] if is(name, "function") && is(sub, "kill") => {
                        kill_reply(&gate, true).unwrap_or_else(Reply::from)
                    }
                    [name, sub] if is(name, "function") && is(sub, "stats") && function => self.function_stats(),
                    _ => busy,
                };
                self.reply(reply);
                return;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// An error that reached xpcall's caller without its handler, as `ERR <text>`.
fn unhandled_error(lua: &Lua, v: &Value) -> mlua::Result<Value> {
    let text = match v {
        Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
        Value::Error(e) => e.to_string(),
        other => other.type_name().to_string(),
    };
    Ok(Value::String(lua.create_string(format!("ERR {}", text.lines().next().unwrap_or("")))?))
}

/// What a run may do, and the slot its keys are bound to so far.
pub(super) struct Rules {
    pub(super) read_only: bool,
    pub(super) cross_slot: bool,
    pub(super) slot: Option<u16>,
}

/// SCRIPT KILL (`function` false) or FUNCTION KILL.
pub(super) fn kill_reply(gate: &Gate, function: bool) -> Res {
    match gate.kill(function) {
        Kill::Killed => Ok(Reply::Ok),
        Kill::NotBusy => Err(ReplyError::new(NOT_BUSY)),
        Kill::Unkillable => Err(ReplyError::new(UNKILLABLE)),
        Kill::OtherKind => Err(ReplyError::new(if function { BUSY } else { BUSY_FUNCTION })),
    }
}

/// What `redis.call` may run: not the commands Redis flags `noscript` (transactions,
/// scripting, connection state, pub/sub subscriptions), nor the blocking ones (Redis 7.0
/// refuses them too).
fn allowed_in_scripts(spec: &cmd::CommandSpec) -> bool {
    if spec.flags.contains(&"noscript") {
        return false;
    }
    match spec.handler {
        Handler::Blocking(_) => false,
        Handler::Session(c) => matches!(
            c,
            S::Ping
                | S::Echo
                | S::Select
                | S::Time
                | S::Lastsave
                | S::Info
                | S::Publish
                | S::Pubsub
                | S::Role
                | S::Command
        ),
        Handler::Data(_) | Handler::Stepwise(_) => true,
    }
}

/// Runs a script's synchronous work so that the runtime keeps serving other clients on
/// its other threads meanwhile (on a current-thread runtime, as in tests, it just runs).
fn in_place<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}
