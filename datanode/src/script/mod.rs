//! Lua scripting: one Lua 5.1 VM per node, as Redis keeps one, with Redis's sandbox (see
//! `prelude.lua`), the script cache of EVALSHA and SCRIPT LOAD, and the conversion rules of
//! `convert`. Running a script against the shard is the session's job
//! (`server::session::scripting`), which hands `redis.call` to the VM for the run.

pub mod convert;
pub mod dump;
pub mod functions;
pub mod gate;
pub mod library;
pub mod libs;

use std::sync::Arc;
use std::time::Instant;

use hashbrown::HashMap;
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};
use parking_lot::Mutex;
use sha1::{Digest, Sha1};

pub use gate::{Gate, Kill, Running};
pub use library::Libraries;

use crate::resp::ReplyError;

/// Instructions between two looks at a SCRIPT KILL request (Redis uses the same count).
const HOOK_EVERY: u32 = 100_000;

/// The most memory the Lua VM may hold. Redis sets none, but a script such as
/// `string.rep('x', 2^34)` must fail with an error, not take the node down with it.
const MEMORY_LIMIT: usize = 1 << 30;

/// An error `redis.call` raises: the text as the client sees it (`WRONGTYPE ...`). It is
/// raised from Rust, so the script's own frame stays on the stack for the line number
/// (a Lua wrapper would have replaced it, being tail-called by `return redis.call(...)`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ScriptError(pub String);

/// The `ScriptError` text carried by an error value, if it is one.
pub fn script_error_text(e: &mlua::Error) -> Option<String> {
    e.chain().find_map(|c| c.downcast_ref::<ScriptError>()).map(|s| s.0.clone())
}

/// What the node keeps for scripts: the VM (taken with the shard lock held, so scripts run
/// one at a time and in the shard's order) and the gate others read without that lock.
/// Functions have a VM of their own, as in Redis: SCRIPT FLUSH does not touch them. Their
/// registry is apart from that VM so that FUNCTION STATS can read it while a function runs.
pub struct Scripts {
    pub vm: Mutex<Vm>,
    pub functions: Mutex<Vm>,
    pub libraries: Mutex<Libraries>,
    pub gate: Arc<Gate>,
}

impl Default for Scripts {
    fn default() -> Self {
        Self::new()
    }
}

impl Scripts {
    pub fn new() -> Scripts {
        let gate = Arc::new(Gate::default());
        Scripts {
            vm: Mutex::new(Vm::new(gate.clone())),
            functions: Mutex::new(Vm::new(gate.clone())),
            libraries: Mutex::new(Libraries::default()),
            gate,
        }
    }
}

/// The VM and what the node built in it.
pub struct Vm {
    pub lua: Lua,
    /// Where scripts' globals live (KEYS and ARGV are set here before each run).
    pub real: Table,
    /// The per-run context: `dispatch` (the run's `redis.call`) and `resp`.
    pub ctx: Table,
    /// The read-only environment scripts see.
    env: Table,
    pub xpcall: Function,
    /// Turns whatever a script raised into `{err = text, line = n}`.
    pub handler: Function,
    /// Scripts by lowercase SHA1: their compiled functions (in the Lua registry: a held
    /// `Function` takes one of mlua's 8000 reference slots for good, and that many distinct
    /// scripts would make mlua panic) and shebang flags.
    cache: HashMap<String, (mlua::RegistryKey, Flags)>,
    /// The environment of libraries' code and functions (see `prelude.lua`).
    fenv: Table,
    /// `loading` and `registered` while FUNCTION LOAD runs a library's code.
    library: Table,
    /// Binds a function's callback to its keys and arguments for xpcall.
    bind: Function,
    /// Loaded functions' callbacks by name.
    callbacks: Table,
    /// When the library being loaded has run too long (FUNCTION LOAD's timeout).
    load_deadline: Arc<Mutex<Option<Instant>>>,
    gate: Arc<Gate>,
}

/// What a script's shebang line asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `no-writes`: the script runs read-only.
    pub no_writes: bool,
    /// The script may touch keys of several slots (of this node's shard): `allow-cross-slot-keys`,
    /// or no shebang at all (Redis's compatibility mode for scripts older than 7.0).
    pub cross_slot: bool,
}

/// A loaded script's SHA1 and flags.
pub struct Source {
    pub sha: String,
    pub flags: Flags,
}

impl Vm {
    /// A fresh VM. Building it runs only the node's own Lua, so a failure is a bug: it
    /// panics at start-up (or SCRIPT FLUSH) with the reason, never on a script's input.
    pub fn new(gate: Arc<Gate>) -> Vm {
        #[allow(clippy::expect_used)]
        Self::build(gate).expect("the scripting prelude builds")
    }

    fn build(gate: Arc<Gate>) -> mlua::Result<Vm> {
        let lua = Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::default())?;
        lua.set_memory_limit(MEMORY_LIMIT)?;
        let real = lua.create_table()?;
        let ctx = lua.create_table()?;
        ctx.raw_set("resp", 2)?;
        let sha1 = lua.create_function(|lua, s: mlua::String| lua.create_string(sha1_hex(&s.as_bytes())))?;
        let log = lua.create_function(|_, (level, msg): (i64, mlua::String)| {
            let msg = String::from_utf8_lossy(&msg.as_bytes()).into_owned();
            match level {
                0 => tracing::debug!(target: "script", "{msg}"),
                1 | 2 => tracing::info!(target: "script", "{msg}"),
                _ => tracing::warn!(target: "script", "{msg}"),
            }
            Ok(())
        })?;
        let call_with = |raise: bool| {
            lua.create_function(move |lua, args: MultiValue| {
                let ctx: Table = lua.named_registry_value("meridian.ctx")?;
                let dispatch: Function = match ctx.raw_get::<Value>("dispatch")? {
                    Value::Function(f) => f,
                    _ => return Err(mlua::Error::external(ScriptError("ERR redis.call outside a script".into()))),
                };
                let mut full = args;
                full.push_front(ctx.raw_get::<Value>("resp")?);
                let (value, failed): (Value, bool) = dispatch.call(full)?;
                if raise && failed {
                    let text = match &value {
                        Value::Table(t) => t.raw_get::<String>("err").unwrap_or_default(),
                        _ => String::new(),
                    };
                    return Err(mlua::Error::external(ScriptError(text)));
                }
                Ok(value)
            })
        };
        let (call, pcall) = (call_with(true)?, call_with(false)?);
        lua.set_named_registry_value("meridian.ctx", ctx.clone())?;
        let errtext = lua.create_function(|_, v: Value| {
            Ok(match v {
                Value::Error(e) => script_error_text(&e).or_else(|| libs::lib_error_text(&e)),
                _ => None,
            })
        })?;
        let version = crate::resp::REDIS_VERSION;
        let version_num = version_number(version);
        let (env, fenv, library, bind): (Table, Table, Table, Function) =
            lua.load(include_str!("prelude.lua")).set_name("=prelude").call((
                real.clone(),
                ctx.clone(),
                sha1,
                log,
                version,
                version_num,
                call,
                pcall,
                errtext,
                libs::bit::table(&lua)?,
                libs::cjson::table(&lua)?,
                libs::cmsgpack::table(&lua)?,
                libs::structs::table(&lua)?,
            ))?;
        let xpcall: Function = lua.globals().raw_get("xpcall")?;
        let handler = lua.create_function(|lua, err: Value| {
            let text = match &err {
                Value::Table(t) => match t.raw_get::<Value>("err") {
                    Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                    _ => "ERR unknown error".to_string(),
                },
                Value::String(s) => format!("ERR {}", String::from_utf8_lossy(&s.as_bytes())),
                Value::Nil => "ERR nil".to_string(),
                Value::Boolean(b) => format!("ERR {b}"),
                Value::Error(e) => match (script_error_text(e), libs::lib_error_text(e)) {
                    (Some(text), _) => text,
                    (None, Some(text)) => format!("ERR {text}"),
                    (None, None) => format!("ERR {}", first_line(&e.to_string())),
                },
                other => format!("ERR {}", other.type_name()),
            };
            let out = lua.create_table()?;
            out.raw_set("err", text)?;
            let (source, line) = error_place(lua);
            out.raw_set("source", source)?;
            out.raw_set("line", line)?;
            Ok(out)
        })?;
        let hook_gate = gate.clone();
        let load_deadline = Arc::new(Mutex::new(None::<Instant>));
        let hook_deadline = load_deadline.clone();
        lua.set_hook(HookTriggers::new().every_nth_instruction(HOOK_EVERY), move |_, _| {
            if hook_gate.kill_requested() {
                Err(mlua::Error::RuntimeError("script killed".into()))
            } else if hook_deadline.lock().is_some_and(|at| Instant::now() >= at) {
                Err(mlua::Error::external(ScriptError("ERR FUNCTION LOAD timeout".into())))
            } else {
                Ok(VmState::Continue)
            }
        });
        let callbacks = lua.create_table()?;
        Ok(Vm {
            lua,
            real,
            ctx,
            env,
            xpcall,
            handler,
            cache: HashMap::new(),
            fenv,
            library,
            bind,
            callbacks,
            load_deadline,
            gate,
        })
    }

    /// SCRIPT FLUSH: a new VM, no cached scripts.
    pub fn reset(&mut self) {
        *self = Vm::new(self.gate.clone());
    }

    pub fn cached(&self, sha: &[u8]) -> Option<(Function, Flags)> {
        let sha = std::str::from_utf8(sha).ok()?.to_ascii_lowercase();
        let (key, flags) = self.cache.get(&sha)?;
        Some((self.lua.registry_value(key).ok()?, *flags))
    }

    pub fn exists(&self, sha: &[u8]) -> bool {
        std::str::from_utf8(sha).is_ok_and(|s| self.cache.contains_key(&s.to_ascii_lowercase()))
    }

    /// Compiles `body` (once: a cached script is reused) and returns its SHA1 and function.
    pub fn load(&mut self, body: &[u8]) -> Result<(Source, Function), ReplyError> {
        let sha = sha1_hex(body);
        let (flags, code) = shebang(body)?;
        if let Some(f) = self.cache.get(&sha).and_then(|(key, _)| self.lua.registry_value::<Function>(key).ok()) {
            return Ok((Source { sha, flags }, f));
        }
        let f = self
            .lua
            .load(code.as_slice())
            .set_name("@user_script")
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| {
                let msg = match &e {
                    mlua::Error::SyntaxError { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                ReplyError::new(format!("ERR Error compiling script (new function): {}", first_line(&msg)))
            })?;
        let key = self
            .lua
            .create_registry_value(f.clone())
            .map_err(|e| ReplyError::new(format!("ERR Error compiling script (new function): {e}")))?;
        self.cache.insert(sha.clone(), (key, flags));
        Ok((Source { sha, flags }, f))
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Where an error was raised, as Redis's error handler reports it: the innermost Lua
/// frame that is not the node's own (the user's script, or a chunk it loaded), as its
/// source and current line. A frame a tail call replaced is gone: `@user_script` line 0.
fn error_place(lua: &Lua) -> (String, i64) {
    for level in 0..256 {
        let Some(d) = lua.inspect_stack(level) else { break };
        let source = d.source();
        if source.what != "Lua" && source.what != "main" {
            continue;
        }
        match source.source.as_deref() {
            Some("=prelude") | None => continue,
            Some(s) => return (s.to_string(), i64::from(d.curr_line())),
        }
    }
    ("@user_script".to_string(), 0)
}

/// `7.0.15` → 0x07000f, as `REDIS_VERSION_NUM`.
fn version_number(v: &str) -> i64 {
    let mut parts = v.split('.').map(|p| p.parse::<i64>().unwrap_or(0));
    let (a, b, c) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a << 16) | (b << 8) | c
}

/// The SHA1 of `body` in lowercase hex. Every EVAL computes it (it is the cache key), so it
/// writes the digits straight into one string rather than formatting byte by byte.
pub fn sha1_hex(body: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha1::digest(body);
    let mut hex = String::with_capacity(digest.len() * 2);
    for b in digest {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    hex
}

/// Redis 7's `#!lua [flags=a,b]` first line: `no-writes` makes the script read-only,
/// `allow-cross-slot-keys` lets it touch several slots; the line itself becomes a comment,
/// so line numbers stay those of the body.
fn shebang(body: &[u8]) -> Result<(Flags, Vec<u8>), ReplyError> {
    if !body.starts_with(b"#!") {
        return Ok((Flags { no_writes: false, cross_slot: true }, body.to_vec()));
    }
    let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[2..end]).into_owned();
    let mut words = line.split(' ').filter(|w| !w.is_empty());
    let engine = words.next().unwrap_or("");
    if engine != "lua" {
        return Err(ReplyError::new(format!("ERR Could not find engine '{engine}'")));
    }
    let mut flags = Flags::default();
    for w in words {
        let Some(list) = w.strip_prefix("flags=") else {
            return Err(ReplyError::new(format!("ERR Unknown lua shebang option: {w}")));
        };
        for flag in list.split(',').filter(|f| !f.is_empty()) {
            match flag {
                "no-writes" => flags.no_writes = true,
                "allow-cross-slot-keys" => flags.cross_slot = true,
                "allow-oom" | "allow-stale" | "no-cluster" => {}
                other => return Err(ReplyError::new(format!("ERR Unexpected flag in script shebang: {other}"))),
            }
        }
    }
    let mut code = b"--".to_vec();
    code.extend_from_slice(&body[2..]);
    Ok((flags, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_is_redis_sha1hex() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"return 1"), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    }

    /// A client may load as many distinct scripts as it likes: each cached one must not hold
    /// one of mlua's 8000 reference slots (past them mlua panics).
    #[test]
    fn ten_thousand_cached_scripts_fit() {
        let mut vm = Vm::new(Arc::new(Gate::default()));
        for n in 0..10_000 {
            assert!(vm.load(format!("return {n}").as_bytes()).is_ok());
        }
        let (source, _) = vm.load(b"return 1").unwrap();
        let (f, _) = vm.cached(source.sha.as_bytes()).unwrap();
        assert_eq!(f.call::<i64>(()).unwrap(), 1);
    }

    #[test]
    fn a_script_past_the_memory_limit_fails_and_the_vm_goes_on() {
        let vm = Vm::new(Arc::new(Gate::default()));
        vm.lua.set_memory_limit(vm.lua.used_memory() + (8 << 20)).unwrap();
        let big = vm.lua.load("return string.rep('x', 64 * 1024 * 1024)").eval::<mlua::String>();
        assert!(matches!(big, Err(mlua::Error::MemoryError(_))), "{big:?}");
        assert_eq!(vm.lua.load("return 1 + 1").eval::<i64>().unwrap(), 2);
    }

    #[test]
    fn version_num_is_hex_packed() {
        assert_eq!(version_number("7.0.15"), 0x07000f);
    }

    #[test]
    fn compile_errors_read_as_redis() {
        let mut vm = Vm::new(Arc::new(Gate::default()));
        let e = vm.load(b"return 'abc").err().unwrap();
        assert_eq!(e.0, "ERR Error compiling script (new function): user_script:1: unfinished string near '<eof>'");
        assert_eq!(
            vm.load(b"#!lua flags=no-writes\nreturn 1").unwrap().0.flags,
            Flags { no_writes: true, cross_slot: false }
        );
        assert_eq!(vm.load(b"return 1").unwrap().0.flags, Flags { no_writes: false, cross_slot: true });
        assert!(vm.load(b"#!lua flags=allow-cross-slot-keys\nreturn 1").unwrap().0.flags.cross_slot);
        assert!(vm.load(b"#!lua flags=bogus\nreturn 1").is_err());
    }
}
