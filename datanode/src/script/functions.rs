//! FUNCTION LOAD's work in the functions VM: check a library's metadata, run its code in
//! the load-time sandbox (`prelude.lua`: only `redis.register_function`, `redis.log` and the
//! version), check what it registered against the node's `Libraries`, then keep its
//! callbacks. Checks come in Redis's order, so the first error a client sees is Redis's.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mlua::{Function, MultiValue, Table, Value};

use super::library::{self, BAD_NAME, FunctionFlags, FunctionInfo, Libraries, Library};
use super::{Vm, first_line};
use crate::resp::ReplyError;

/// How long a library's code may run while it loads (Redis's fixed 500 ms).
const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

/// A function the library's code registered, before it is kept.
struct Registered {
    name: String,
    callback: Function,
    info: FunctionInfo,
}

fn err(text: impl std::fmt::Display) -> ReplyError {
    ReplyError::new(format!("ERR {text}"))
}

/// A library whose code ran and registered functions, not kept yet.
struct Prepared {
    library: Library,
    callbacks: Vec<(String, Function)>,
}

/// What FUNCTION RESTORE does with the libraries there are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Drop them all first.
    Flush,
    /// Keep them; a library of the same name fails the restore.
    Append,
    /// Keep them, but a library of the same name is replaced.
    Replace,
}

impl Vm {
    /// FUNCTION LOAD [REPLACE]: returns the library's name once it and its functions are kept.
    pub fn load_library(&self, code: Bytes, replace: bool, libraries: &mut Libraries) -> Result<String, ReplyError> {
        let prepared = self.prepare(code, replace, libraries)?;
        libraries.admits(&prepared.library, replace).map_err(err)?;
        let name = prepared.library.name.clone();
        if let Some(old) = libraries.remove(&name) {
            self.drop_functions(&old);
        }
        self.keep(prepared, libraries)?;
        Ok(name)
    }

    /// FUNCTION RESTORE: loads every library of a payload (they must not clash with one
    /// another), then adds them as `policy` says, all or none, with Redis's checks and texts.
    pub fn restore(&self, codes: Vec<Bytes>, policy: Policy, libraries: &mut Libraries) -> Result<(), ReplyError> {
        let mut staged = Libraries::default();
        let mut prepared = Vec::with_capacity(codes.len());
        for code in codes {
            let p = self.prepare(code, false, &staged)?;
            staged.admits(&p.library, false).map_err(err)?;
            staged.insert(p.library.clone());
            prepared.push(p);
        }
        match policy {
            Policy::Flush => {
                for library in libraries.matching(None) {
                    self.drop_functions(library);
                }
                *libraries = Libraries::default();
            }
            Policy::Append | Policy::Replace => {
                let replace = policy == Policy::Replace;
                if let Some(p) = prepared.iter().find(|p| !replace && libraries.get(&p.library.name).is_some()) {
                    return Err(err(format_args!("Library {} already exists", p.library.name)));
                }
                for p in &prepared {
                    for name in p.library.functions.keys() {
                        let taken = libraries
                            .function(name.as_bytes())
                            .is_some_and(|(owner, _)| !(replace && staged.get(&owner.name).is_some()));
                        if taken {
                            return Err(err(format_args!("Function {name} already exists")));
                        }
                    }
                }
                // Every replaced library goes before any new one comes: a function may move
                // from one library to another within the payload.
                for p in &prepared {
                    if let Some(old) = libraries.remove(&p.library.name) {
                        self.drop_functions(&old);
                    }
                }
            }
        }
        for p in prepared {
            self.keep(p, libraries)?;
        }
        Ok(())
    }

    /// Checks a library's first line and runs its code (Redis's order of checks, up to the
    /// clash of function names with other libraries, which is the caller's).
    fn prepare(&self, code: Bytes, replace: bool, libraries: &Libraries) -> Result<Prepared, ReplyError> {
        let meta = library::metadata(&code).map_err(err)?;
        if !library::valid_name(&meta.name) {
            return Err(err(BAD_NAME));
        }
        if !meta.engine.eq_ignore_ascii_case("lua") {
            return Err(err(format_args!("Engine '{}' not found", meta.engine)));
        }
        if !replace && libraries.get(&meta.name).is_some() {
            return Err(err(format_args!("Library '{}' already exists", meta.name)));
        }
        let registered = self.run_library(&code)?;
        if registered.is_empty() {
            return Err(err("No functions registered"));
        }
        let functions: BTreeMap<String, FunctionInfo> =
            registered.iter().map(|r| (r.name.clone(), r.info.clone())).collect();
        let callbacks = registered.into_iter().map(|r| (r.name, r.callback)).collect();
        Ok(Prepared { library: Library { name: meta.name, code, functions }, callbacks })
    }

    /// Keeps a prepared library whose name and functions are free by now.
    fn keep(&self, prepared: Prepared, libraries: &mut Libraries) -> Result<(), ReplyError> {
        for (name, callback) in prepared.callbacks {
            self.callbacks.raw_set(name, callback).map_err(|e| err(first_line(&e.to_string())))?;
        }
        libraries.insert(prepared.library);
        Ok(())
    }

    /// Compiles and runs a library's code (its first line made a comment, so line numbers
    /// stay the code's) and collects what it registered.
    fn run_library(&self, code: &[u8]) -> Result<Vec<Registered>, ReplyError> {
        let mut body = b"--".to_vec();
        body.extend_from_slice(code.get(2..).unwrap_or_default());
        let chunk =
            self.lua.load(body).set_name("@user_function").set_environment(self.fenv.clone()).into_function().map_err(
                |e| {
                    let msg = match &e {
                        mlua::Error::SyntaxError { message, .. } => message.clone(),
                        other => other.to_string(),
                    };
                    err(format_args!("Error compiling function: {}", first_line(&msg)))
                },
            )?;
        let lua_err = |e: mlua::Error| err(format_args!("Error registering functions: {}", first_line(&e.to_string())));
        self.library.raw_set("registered", self.lua.create_table().map_err(lua_err)?).map_err(lua_err)?;
        self.library.raw_set("loading", true).map_err(lua_err)?;
        *self.load_deadline.lock() = Some(Instant::now() + LOAD_TIMEOUT);
        let out: mlua::Result<MultiValue> = self.xpcall.call((chunk, self.handler.clone()));
        *self.load_deadline.lock() = None;
        self.library.raw_set("loading", false).map_err(lua_err)?;
        let registered: Table = self.library.raw_get("registered").map_err(lua_err)?;
        self.library.raw_set("registered", Value::Nil).map_err(lua_err)?;
        let mut out = out.map_err(lua_err)?.into_iter();
        if !matches!(out.next(), Some(Value::Boolean(true))) {
            let text = match out.next() {
                Some(Value::Table(t)) => t.raw_get::<String>("err").unwrap_or_else(|_| "ERR unknown error".into()),
                _ => "ERR unknown error".into(),
            };
            return Err(err(format_args!("Error registering functions: {text}")));
        }
        let mut kept = Vec::new();
        for pair in registered.pairs::<String, Table>() {
            let (name, entry) = pair.map_err(lua_err)?;
            let description: Option<mlua::String> = entry.raw_get("description").map_err(lua_err)?;
            kept.push(Registered {
                name,
                callback: entry.raw_get("callback").map_err(lua_err)?,
                info: FunctionInfo {
                    description: description.map(|d| Bytes::copy_from_slice(&d.as_bytes())),
                    flags: FunctionFlags(entry.raw_get("flags").map_err(lua_err)?),
                },
            });
        }
        Ok(kept)
    }

    /// A loaded function's callback bound to its keys and arguments, ready for xpcall.
    pub fn bound_function(&self, name: &str, keys: &[Bytes], args: &[Bytes]) -> mlua::Result<Option<Function>> {
        let Some(callback) = self.callbacks.raw_get::<Option<Function>>(name)? else { return Ok(None) };
        let strings = |items: &[Bytes]| -> mlua::Result<Table> {
            self.lua.create_sequence_from(
                items.iter().map(|k| self.lua.create_string(k)).collect::<mlua::Result<Vec<_>>>()?,
            )
        };
        Ok(Some(self.bind.call((callback, strings(keys)?, strings(args)?))?))
    }

    /// Forgets a library's callbacks (its registry entry is the caller's).
    pub fn drop_functions(&self, library: &Library) {
        for name in library.functions.keys() {
            // Setting a string key to nil cannot fail but for memory, and then the callback
            // only stays unreachable: FCALL looks functions up in the registry first.
            let _ = self.callbacks.raw_set(name.as_str(), Value::Nil);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::script::Gate;

    fn load(vm: &Vm, libs: &mut Libraries, code: &str) -> Result<String, String> {
        vm.load_library(Bytes::copy_from_slice(code.as_bytes()), false, libs).map_err(|e| e.0)
    }

    #[test]
    fn a_library_registers_its_functions() {
        let vm = Vm::new(Arc::new(Gate::default()));
        let mut libs = Libraries::default();
        let code = "#!lua name=lib\nredis.register_function('f', function(keys, args) return #keys + #args end)\n\
                    redis.register_function{function_name='g', callback=function() return 1 end, \
                    flags={'no-writes', 'allow-cross-slot-keys'}, description='reads'}";
        assert_eq!(load(&vm, &mut libs, code), Ok("lib".into()));
        let (lib, g) = libs.function(b"g").unwrap();
        assert_eq!(lib.name, "lib");
        assert!(g.flags.no_writes() && g.flags.cross_slot());
        assert_eq!(g.description.as_deref(), Some(&b"reads"[..]));
        let f = vm.bound_function("f", &[Bytes::from("k")], &[Bytes::from("a"), Bytes::from("b")]).unwrap().unwrap();
        assert_eq!(f.call::<i64>(()).unwrap(), 3);
        assert!(vm.bound_function("nope", &[], &[]).unwrap().is_none());
    }

    #[test]
    fn register_function_checks_its_arguments() {
        let vm = Vm::new(Arc::new(Gate::default()));
        let mut libs = Libraries::default();
        let fails = |body: &str| {
            let mut libs = Libraries::default();
            load(&vm, &mut libs, &format!("#!lua name=x\n{body}")).unwrap_err()
        };
        let prefix = "ERR Error registering functions: ERR ";
        assert_eq!(
            fails("redis.register_function()"),
            format!("{prefix}wrong number of arguments to redis.register_function")
        );
        assert_eq!(
            fails("redis.register_function('f', 1)"),
            format!("{prefix}second argument to redis.register_function must be a function")
        );
        assert_eq!(
            fails("redis.register_function({}, function() end)"),
            format!("{prefix}first argument to redis.register_function must be a string")
        );
        assert_eq!(fails("redis.register_function('a-b', function() end)"), format!("{prefix}{BAD_NAME}"));
        assert_eq!(
            fails("redis.register_function{function_name='f', callback=function() end, flags={'bogus'}}"),
            format!("{prefix}unknown flag given")
        );
        assert_eq!(
            fails("redis.register_function{function_name='f', callback=function() end, other=1}"),
            format!("{prefix}unknown argument given to redis.register_function")
        );
        assert_eq!(
            fails("redis.register_function{callback=function() end}"),
            format!("{prefix}redis.register_function must get a function name argument")
        );
        assert_eq!(
            fails("redis.register_function('f', function() end) redis.register_function('f', function() end)"),
            format!("{prefix}Function already exists in the library")
        );
        assert_eq!(
            fails("redis.call('ping')"),
            format!("{prefix}user_function:2: Script attempted to access nonexistent global variable 'call'")
        );
        assert_eq!(fails("x = 1"), format!("{prefix}user_function:2: Attempt to modify a readonly table"));
        assert_eq!(fails("local x = 1"), "ERR No functions registered");
        assert_eq!(fails("while true do end"), format!("{prefix}FUNCTION LOAD timeout"));
        assert_eq!(fails("local x ="), "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'");
        assert_eq!(load(&vm, &mut libs, "#!lua name=a-b\n"), Err(format!("ERR {BAD_NAME}")));
        assert_eq!(load(&vm, &mut libs, "#!js name=a\n"), Err("ERR Engine 'js' not found".into()));
    }

    #[test]
    fn restore_follows_its_policy() {
        let vm = Vm::new(Arc::new(Gate::default()));
        let mut libs = Libraries::default();
        let a = Bytes::from_static(b"#!lua name=a\nredis.register_function('f', function() return 'a' end)");
        let b = Bytes::from_static(b"#!lua name=b\nredis.register_function('f', function() return 'b' end)");
        let restore =
            |libs: &mut Libraries, codes: Vec<Bytes>, policy| vm.restore(codes, policy, libs).map_err(|e| e.0);
        assert_eq!(
            restore(&mut libs, vec![a.clone(), a.clone()], Policy::Append),
            Err("ERR Library 'a' already exists".into())
        );
        assert_eq!(
            restore(&mut libs, vec![a.clone(), b.clone()], Policy::Append),
            Err("ERR Function f already exists".into())
        );
        assert_eq!(restore(&mut libs, vec![a.clone()], Policy::Append), Ok(()));
        assert_eq!(restore(&mut libs, vec![a.clone()], Policy::Append), Err("ERR Library a already exists".into()));
        assert_eq!(restore(&mut libs, vec![b.clone()], Policy::Replace), Err("ERR Function f already exists".into()));
        assert_eq!(restore(&mut libs, vec![b.clone()], Policy::Flush), Ok(()));
        assert_eq!(libs.counts(), (1, 1));
        assert_eq!(vm.bound_function("f", &[], &[]).unwrap().unwrap().call::<String>(()).unwrap(), "b");
        assert_eq!(restore(&mut libs, vec![a], Policy::Replace), Err("ERR Function f already exists".into()));
    }

    #[test]
    fn replace_swaps_the_callbacks_and_names_stay_unique() {
        let vm = Vm::new(Arc::new(Gate::default()));
        let mut libs = Libraries::default();
        let one = "#!lua name=one\nredis.register_function('f', function() return 1 end)";
        assert!(load(&vm, &mut libs, one).is_ok());
        assert_eq!(load(&vm, &mut libs, one), Err("ERR Library 'one' already exists".into()));
        let two = "#!lua name=two\nredis.register_function('f', function() return 2 end)";
        assert_eq!(load(&vm, &mut libs, two), Err("ERR Function f already exists".into()));
        let again = Bytes::from_static(b"#!lua name=one\nredis.register_function('g', function() return 3 end)");
        assert_eq!(vm.load_library(again, true, &mut libs).map_err(|e| e.0), Ok("one".into()));
        assert!(vm.bound_function("f", &[], &[]).unwrap().is_none());
        assert_eq!(vm.bound_function("g", &[], &[]).unwrap().unwrap().call::<i64>(()).unwrap(), 3);
    }
}
