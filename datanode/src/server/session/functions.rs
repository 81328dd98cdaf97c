//! FCALL, FCALL_RO and FUNCTION: Redis 7.0's functions. A function runs as a script does
//! (`scripting::run_lua`: under the shard lock, its writes one delta, stoppable by FUNCTION
//! KILL); libraries are loaded into the node's functions VM (`script::functions`) and listed
//! from its registry (`script::library`).

use super::Session;
use super::scripting::{BUSY, Rules, kill_reply};
use crate::cmd::format::parse_int;
use crate::cmd::{Args, ReplyError, SessionCmd as S, args::is};
use crate::keyspace::slot_of;
use crate::resp::Reply;
use crate::script::functions::Policy;
use crate::script::library::Library;
use crate::script::{Libraries, Running, dump};
use crate::shard::Shard;

type Res = Result<Reply, ReplyError>;

const HELP: &[&str] = &[
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
];

impl Session {
    /// FCALL / FCALL_RO function numkeys [key ...] [arg ...], checked in Redis's order: the
    /// function, then numkeys, then the read-only rule.
    pub(super) fn fcall(&mut self, c: S, args: &mut Args, shard: &mut Shard) -> Res {
        let command = args.all().to_vec();
        let given = args.rest();
        let (name, numkeys, rest) = match &given[..] {
            [name, numkeys, rest @ ..] => (name, numkeys, rest),
            _ => return Err(ReplyError::wrong_arity(if c == S::FcallRo { "fcall_ro" } else { "fcall" })),
        };
        let server = self.server.clone();
        let scripts = &server.node.scripts;
        let vm = scripts.functions.lock();
        let Some((name, flags)) =
            scripts.libraries.lock().function(name).map(|(_, f)| (String::from_utf8_lossy(name).into_owned(), f.flags))
        else {
            return Err(ReplyError::new("ERR Function not found"));
        };
        let n = parse_int(numkeys).ok_or_else(|| ReplyError::new("ERR Bad number of keys provided"))?;
        if n > rest.len() as i64 {
            return Err(ReplyError::new("ERR Number of keys can't be greater than number of args"));
        }
        let Ok(n) = usize::try_from(n) else {
            return Err(ReplyError::new("ERR Number of keys can't be negative"));
        };
        if c == S::FcallRo && !flags.no_writes() {
            return Err(ReplyError::new("ERR Can not execute a script with write flag using *_ro command."));
        }
        let (keys, argv) = rest.split_at(n);
        let f = match vm.bound_function(&name, keys, argv) {
            Ok(Some(f)) => f,
            Ok(None) => return Err(ReplyError::new("ERR Function not found")),
            Err(e) => return Ok(Reply::Error(format!("ERR {}", e.to_string().lines().next().unwrap_or("")))),
        };
        let rules = Rules {
            read_only: flags.no_writes(),
            cross_slot: flags.cross_slot(),
            // The declared keys were routed with FCALL itself: they share this slot.
            slot: keys.first().map(|k| slot_of(k)),
        };
        let what = Running::Function { name: name.clone(), command };
        Ok(self.run_lua(&vm, f, rules, &name, what, shard))
    }

    /// FUNCTION LOAD | LIST | DELETE | FLUSH | DUMP | RESTORE | STATS | KILL | HELP.
    pub(super) fn function(&mut self, args: &mut Args) -> Res {
        let sub = args.bytes()?;
        let scripts = &self.server.node.scripts;
        let arity = |exact: bool, n: usize, name: &str| {
            let ok = if exact { args.remaining() == n } else { args.remaining() >= n };
            if ok { Ok(()) } else { Err(ReplyError::wrong_arity(&format!("function|{name}"))) }
        };
        if is(&sub, "load") {
            arity(false, 1, "load")?;
            let mut replace = false;
            while args.remaining() > 1 {
                let opt = args.bytes()?;
                if !is(&opt, "replace") {
                    return Err(ReplyError::new(format!(
                        "ERR Unknown option given: {}",
                        String::from_utf8_lossy(&opt)
                    )));
                }
                replace = true;
            }
            let code = args.bytes()?;
            let vm = scripts.functions.lock();
            let name = vm.load_library(code, replace, &mut scripts.libraries.lock())?;
            Ok(Reply::text(&name))
        } else if is(&sub, "list") {
            self.function_list(args)
        } else if is(&sub, "delete") {
            arity(true, 1, "delete")?;
            let name = args.bytes()?;
            let vm = scripts.functions.lock();
            let removed = std::str::from_utf8(&name).ok().and_then(|n| scripts.libraries.lock().remove(n));
            let library = removed.ok_or_else(|| ReplyError::new("ERR Library not found"))?;
            vm.drop_functions(&library);
            Ok(Reply::Ok)
        } else if is(&sub, "flush") {
            if args.remaining() > 1 {
                return Err(ReplyError::new(format!(
                    "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
                    String::from_utf8_lossy(&sub)
                )));
            }
            if args.next().is_some_and(|m| !is(&m, "async") && !is(&m, "sync")) {
                return Err(ReplyError::new("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"));
            }
            let mut vm = scripts.functions.lock();
            vm.reset();
            *scripts.libraries.lock() = Libraries::default();
            Ok(Reply::Ok)
        } else if is(&sub, "stats") {
            arity(true, 0, "stats")?;
            // Outside `await_script`, no function runs (this client holds the shard), or a
            // script runs and has not reached the busy threshold.
            if scripts.gate.running() && !scripts.gate.runs_function() {
                return Ok(Reply::error(BUSY));
            }
            Ok(self.function_stats())
        } else if is(&sub, "kill") {
            arity(true, 0, "kill")?;
            kill_reply(&scripts.gate, true)
        } else if is(&sub, "dump") {
            arity(true, 0, "dump")?;
            let libraries = scripts.libraries.lock();
            Ok(Reply::Bulk(dump::dump(libraries.matching(None).map(|l| &l.code[..])).into()))
        } else if is(&sub, "restore") {
            arity(false, 1, "restore")?;
            if args.remaining() > 2 {
                return Err(ReplyError::new(format!(
                    "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
                    String::from_utf8_lossy(&sub)
                )));
            }
            let payload = args.bytes()?;
            let policy = match args.next() {
                None => Policy::Append,
                Some(p) if is(&p, "append") => Policy::Append,
                Some(p) if is(&p, "replace") => Policy::Replace,
                Some(p) if is(&p, "flush") => Policy::Flush,
                Some(_) => {
                    return Err(ReplyError::new(
                        "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
                    ));
                }
            };
            let codes = dump::codes(&payload).map_err(|e| ReplyError::new(format!("ERR {e}")))?;
            let vm = scripts.functions.lock();
            vm.restore(codes, policy, &mut scripts.libraries.lock())?;
            Ok(Reply::Ok)
        } else if is(&sub, "help") {
            arity(true, 0, "help")?;
            Ok(Reply::Array(HELP.iter().map(|l| Reply::status(l)).collect()))
        } else {
            Err(super::commands::subcommand_error(&sub, "function"))
        }
    }

    /// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
    fn function_list(&mut self, args: &mut Args) -> Res {
        let (mut with_code, mut pattern) = (false, None);
        while let Some(arg) = args.next() {
            if !with_code && is(&arg, "withcode") {
                with_code = true;
            } else if pattern.is_none() && is(&arg, "libraryname") {
                pattern = Some(args.next().ok_or_else(|| ReplyError::new("ERR library name argument was not given"))?);
            } else {
                return Err(ReplyError::new(format!("ERR Unknown argument {}", String::from_utf8_lossy(&arg))));
            }
        }
        let libraries = self.server.node.scripts.libraries.lock();
        let listed = libraries.matching(pattern.as_deref()).map(|l| library_entry(l, with_code)).collect();
        Ok(Reply::Array(listed))
    }

    /// FUNCTION STATS: the running function (or nil) and the engine's counts.
    pub(super) fn function_stats(&self) -> Reply {
        let scripts = &self.server.node.scripts;
        let running = match scripts.gate.function() {
            Some((name, command, elapsed)) => Reply::Map(vec![
                (Reply::text("name"), Reply::text(&name)),
                (Reply::text("command"), Reply::Array(command.into_iter().map(Reply::Bulk).collect())),
                (Reply::text("duration_ms"), Reply::Int(i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))),
            ]),
            None => Reply::Nil,
        };
        let (libraries, functions) = scripts.libraries.lock().counts();
        let lua = Reply::Map(vec![
            (Reply::text("libraries_count"), Reply::Int(libraries as i64)),
            (Reply::text("functions_count"), Reply::Int(functions as i64)),
        ]);
        Reply::Map(vec![
            (Reply::text("running_script"), running),
            (Reply::text("engines"), Reply::Map(vec![(Reply::text("LUA"), lua)])),
        ])
    }
}

/// One library as FUNCTION LIST shows it.
fn library_entry(library: &Library, with_code: bool) -> Reply {
    let functions = library
        .functions
        .iter()
        .map(|(name, info)| {
            Reply::Map(vec![
                (Reply::text("name"), Reply::text(name)),
                (Reply::text("description"), info.description.clone().map_or(Reply::Nil, Reply::Bulk)),
                (Reply::text("flags"), Reply::Set(info.flags.names().map(Reply::status).collect())),
            ])
        })
        .collect();
    let mut entry = vec![
        (Reply::text("library_name"), Reply::text(&library.name)),
        (Reply::text("engine"), Reply::text("LUA")),
        (Reply::text("functions"), Reply::Array(functions)),
    ];
    if with_code {
        entry.push((Reply::text("library_code"), Reply::Bulk(library.code.clone())));
    }
    Reply::Map(entry)
}
