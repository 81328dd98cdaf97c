//! Lua CJSON's settings and the functions that read and change them
//! (`cjson.encode_max_depth(n)` and friends). As in Redis, they belong to the VM: a change
//! lasts for later scripts until SCRIPT FLUSH builds a new VM. Each function returns the
//! setting as it now is; a bad argument is refused in Lua CJSON's words, and settings
//! before it in the same call stay changed, as there.

use mlua::{Lua, MultiValue, Table, Value};

use super::args::{self, arg_error};
use super::with_place;

/// The settings, with Lua CJSON's defaults as Redis builds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub sparse_convert: bool,
    pub sparse_ratio: i32,
    pub sparse_safe: i32,
    pub encode_max_depth: i32,
    pub decode_max_depth: i32,
    pub number_precision: i32,
    pub keep_buffer: bool,
    /// 0 refuse NaN and Inf, 1 write them (`nan`, `inf`), 2 write `null`.
    pub encode_invalid_numbers: i32,
    /// Accept hex numbers, `inf`, `nan`, a leading `+` or zeros.
    pub decode_invalid_numbers: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            number_precision: 14,
            keep_buffer: true,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: true,
        }
    }
}

/// The VM's settings (defaults until a script changes one).
pub fn get(lua: &Lua) -> Config {
    lua.app_data_ref::<Config>().map(|c| *c).unwrap_or_default()
}

fn set(lua: &Lua, change: impl FnOnce(&mut Config)) {
    let mut c = get(lua);
    change(&mut c);
    lua.set_app_data(c);
}

const ON_OFF: &[&str] = &["off", "on"];
const INVALID_NUMBERS: &[&str] = &["off", "on", "null"];

/// Refuses arguments past `n`, as `json_arg_init` does.
fn at_most(lua: &Lua, args: &MultiValue, n: usize) -> mlua::Result<()> {
    if args.len() > n {
        return Err(arg_error(lua, n + 1, "found too many arguments"));
    }
    Ok(())
}

/// An option among `names` (or a boolean for the first two), then its value as Lua CJSON
/// reports it: a boolean for off/on, the name otherwise.
fn enum_option(lua: &Lua, args: &MultiValue, i: usize, names: &[&str], current: i32) -> mlua::Result<i32> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(current),
        Some(Value::Boolean(b)) => Ok(i32::from(*b)),
        Some(_) => {
            let s = args::check_string(lua, args, i)?;
            match names.iter().position(|n| n.as_bytes() == s.as_slice()) {
                Some(p) => Ok(p as i32),
                None => Err(arg_error(lua, i + 1, &format!("invalid option '{}'", String::from_utf8_lossy(&s)))),
            }
        }
    }
}

fn enum_value(lua: &Lua, names: &[&str], v: i32) -> mlua::Result<Value> {
    if v == 0 || v == 1 {
        return Ok(Value::Boolean(v == 1));
    }
    let name = names.get(v as usize).copied().unwrap_or_default();
    Ok(Value::String(lua.create_string(name)?))
}

/// An integer setting within `min..=max`. Lua CJSON names argument 1 in the range error
/// whichever argument it was.
fn integer_option(lua: &Lua, args: &MultiValue, i: usize, min: i32, max: i32, current: i32) -> mlua::Result<i32> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(current),
        Some(_) => {
            let v = args::check_integer(lua, args, i)? as i32;
            if v < min || v > max {
                return Err(arg_error(lua, 1, &format!("expected integer between {min} and {max}")));
            }
            Ok(v)
        }
    }
}

fn integer_setting(
    t: &Table,
    lua: &Lua,
    name: &str,
    min: i32,
    max: i32,
    field: fn(&mut Config) -> &mut i32,
) -> mlua::Result<()> {
    let f = lua.create_function(move |lua, args: MultiValue| {
        with_place(lua, {
            at_most(lua, &args, 1).and_then(|()| {
                let v = integer_option(lua, &args, 0, min, max, *field(&mut get(lua)))?;
                set(lua, |c| *field(c) = v);
                Ok(v)
            })
        })
    })?;
    t.raw_set(name, f)
}

fn enum_setting(
    t: &Table,
    lua: &Lua,
    name: &str,
    names: &'static [&'static str],
    field: fn(&mut Config) -> &mut i32,
) -> mlua::Result<()> {
    let f = lua.create_function(move |lua, args: MultiValue| {
        with_place(lua, {
            at_most(lua, &args, 1).and_then(|()| {
                let v = enum_option(lua, &args, 0, names, *field(&mut get(lua)))?;
                set(lua, |c| *field(c) = v);
                enum_value(lua, names, v)
            })
        })
    })?;
    t.raw_set(name, f)
}

fn bool_setting(t: &Table, lua: &Lua, name: &str, field: fn(&mut Config) -> &mut bool) -> mlua::Result<()> {
    let f = lua.create_function(move |lua, args: MultiValue| {
        with_place(lua, {
            at_most(lua, &args, 1).and_then(|()| {
                let v = enum_option(lua, &args, 0, ON_OFF, i32::from(*field(&mut get(lua))))?;
                set(lua, |c| *field(c) = v == 1);
                Ok(v == 1)
            })
        })
    })?;
    t.raw_set(name, f)
}

/// Adds the setting functions to the `cjson` table.
pub fn install(t: &Table, lua: &Lua) -> mlua::Result<()> {
    integer_setting(t, lua, "encode_max_depth", 1, i32::MAX, |c| &mut c.encode_max_depth)?;
    integer_setting(t, lua, "decode_max_depth", 1, i32::MAX, |c| &mut c.decode_max_depth)?;
    integer_setting(t, lua, "encode_number_precision", 1, 14, |c| &mut c.number_precision)?;
    bool_setting(t, lua, "encode_keep_buffer", |c| &mut c.keep_buffer)?;
    bool_setting(t, lua, "decode_invalid_numbers", |c| &mut c.decode_invalid_numbers)?;
    enum_setting(t, lua, "encode_invalid_numbers", INVALID_NUMBERS, |c| &mut c.encode_invalid_numbers)?;
    let sparse = lua.create_function(|lua, args: MultiValue| {
        with_place(lua, {
            at_most(lua, &args, 3).and_then(|()| {
                let c = get(lua);
                let convert = enum_option(lua, &args, 0, ON_OFF, i32::from(c.sparse_convert))? == 1;
                set(lua, |c| c.sparse_convert = convert);
                let ratio = integer_option(lua, &args, 1, 0, i32::MAX, c.sparse_ratio)?;
                set(lua, |c| c.sparse_ratio = ratio);
                let safe = integer_option(lua, &args, 2, 0, i32::MAX, c.sparse_safe)?;
                set(lua, |c| c.sparse_safe = safe);
                Ok((convert, ratio, safe))
            })
        })
    })?;
    t.raw_set("encode_sparse_array", sparse)
}
