//! Argument checks as Lua 5.1's auxiliary library does them (`luaL_checknumber`,
//! `luaL_checklstring`, `luaL_optinteger`, `luaL_argerror`), with the same texts, so the
//! Rust libraries refuse bad arguments in the words Redis's C libraries use.

use mlua::{Lua, MultiValue, Value};

use super::fail;
use crate::resp::number::fmt_g;

/// The Lua stack slots a C function may use (`LUAI_MAXCSTACK`): the C libraries refuse to
/// push past it with "stack overflow (...)", which bounds what one call returns.
pub const MAX_C_STACK: usize = 8000;

/// `luaL_argerror`: "bad argument #n to 'name' (msg)", the name as the caller spelled it
/// ('?' when a C function such as `pcall` called), one less for a method call.
pub fn arg_error(lua: &Lua, narg: usize, msg: &str) -> mlua::Error {
    let (name, what) = lua
        .inspect_stack(0)
        .map(|d| {
            let n = d.names();
            (n.name.map(|s| s.into_owned()), n.name_what)
        })
        .unwrap_or((None, None));
    let name = name.unwrap_or_else(|| "?".to_string());
    let mut narg = narg;
    if what == Some("method") {
        if narg <= 1 {
            return fail(format!("calling '{name}' on bad self ({msg})"));
        }
        narg -= 1;
    }
    fail(format!("bad argument #{narg} to '{name}' ({msg})"))
}

/// The type name `luaL_typename` gives (Lua 5.1 has one number type and calls light
/// userdata, such as `cjson.null`, "userdata"); "no value" past the last argument.
pub fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::LightUserData(_) | Value::UserData(_)) => "userdata",
        Some(other) => other.type_name(),
    }
}

fn type_error(lua: &Lua, args: &MultiValue, i: usize, expected: &str) -> mlua::Error {
    arg_error(lua, i + 1, &format!("{expected} expected, got {}", type_name(args.get(i))))
}

/// A value as `lua_tonumber` reads it: numbers, and strings Lua reads as numbers.
pub fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(n) => Some(*n as f64),
        Value::String(s) => std::str::from_utf8(&s.as_bytes()).ok().and_then(super::bit::lua_number),
        _ => None,
    }
}

/// `luaL_checknumber` of argument `i` (from 0).
pub fn check_number(lua: &Lua, args: &MultiValue, i: usize) -> mlua::Result<f64> {
    args.get(i).and_then(to_number).ok_or_else(|| type_error(lua, args, i, "number"))
}

/// `luaL_checkinteger`: the number truncated toward zero, as `lua_tointeger` does.
pub fn check_integer(lua: &Lua, args: &MultiValue, i: usize) -> mlua::Result<i64> {
    check_number(lua, args, i).map(truncate)
}

/// `luaL_optinteger`: `default` when the argument is absent or nil.
pub fn opt_integer(lua: &Lua, args: &MultiValue, i: usize, default: i64) -> mlua::Result<i64> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(default),
        Some(_) => check_integer(lua, args, i),
    }
}

/// `luaL_checklstring`: a string's bytes, or a number as Lua prints it (`%.14g`).
pub fn check_string(lua: &Lua, args: &MultiValue, i: usize) -> mlua::Result<Vec<u8>> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Number(n)) => Ok(fmt_g(*n, 14).into_bytes()),
        Some(Value::Integer(n)) => Ok(fmt_g(*n as f64, 14).into_bytes()),
        _ => Err(type_error(lua, args, i, "string")),
    }
}

/// 2^63, the first double past `i64::MAX`.
pub const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// A double converted to a signed 64-bit integer as x86-64 does it (`cvttsd2si`): toward
/// zero, and the "integer indefinite" `i64::MIN` for NaN and values out of range, which is
/// what Redis's C libraries get from their casts.
pub fn truncate(n: f64) -> i64 {
    if !(-TWO_POW_63..TWO_POW_63).contains(&n) { i64::MIN } else { n as i64 }
}
