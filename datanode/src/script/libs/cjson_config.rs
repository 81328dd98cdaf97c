//! Lua CJSON's settings and the functions that read and change them
//! (`cjson.encode_max_depth(n)` and friends). As in Redis, they belong to a `cjson` module
//! table: a change lasts for later scripts until SCRIPT FLUSH builds a new VM, and a table
//! from `cjson.new()` has settings of its own. Each function returns the
//! setting as it now is; a bad argument is refused in Lua CJSON's words, and settings
//! before it in the same call stay changed, as there.

use std::sync::Arc;

use mlua::{Lua, MultiValue, Table, Value};
use parking_lot::Mutex;

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

/// One module table's settings, shared by its functions.
pub type Shared = Arc<Mutex<Config>>;

pub fn get(cfg: &Shared) -> Config {
    *cfg.lock()
}

fn set(cfg: &Shared, change: impl FnOnce(&mut Config)) {
    change(&mut cfg.lock());
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
    cfg: &Shared,
    lua: &Lua,
    name: &str,
    min: i32,
    max: i32,
    field: fn(&mut Config) -> &mut i32,
) -> mlua::Result<()> {
    let cfg = cfg.clone();
    let f = lua.create_function(move |lua, args: MultiValue| {
        with_place(lua, {
            at_most(lua, &args, 1).and_then(|()| {
                let v = integer_option(lua, &args, 0, min, max, *field(&mut get(&cfg)))?;
                set(&cfg, |c| *field(c) = v);
                Ok(v)
            })
        })
    })?;
    t.raw_set(name, f)
}

fn enum_setting(
    t: &Table,
    cfg: &Shared,
    lua: &Lua,
    name: &str,
    names: &'static [&'static str],
    field: fn(&mut Config) -> &mut i32,
) -> mlua::Result<()> {
    let cfg = cfg.clone();
    let f = lua.create_function(move |lua, args: MultiValue| {
        with_place(lua, {
            at_most(lua, &args, 1).and_then(|()| {
                let v = enum_option(lua, &args, 0, names, *field(&mut get(&cfg)))?;
                set(&cfg, |c| *field(c) = v);
                enum_value(lua, names, v)
            })
        })
    })?;
    t.raw_set(name, f)
}

fn bool_setting(
    t: &Table,
    cfg: &Shared,
    lua: &Lua,
    name: &str,
    field: fn(&mut Config) -> &mut bool,
) -> mlua::Result<()> {
    let cfg = cfg.clone();
    let f = lua.create_function(move |lua, args: MultiValue| {
        with_place(lua, {
            at_most(lua, &args, 1).and_then(|()| {
                let v = enum_option(lua, &args, 0, ON_OFF, i32::from(*field(&mut get(&cfg))))?;
                set(&cfg, |c| *field(c) = v == 1);
                Ok(v == 1)
            })
        })
    })?;
    t.raw_set(name, f)
}

/// Adds the setting functions to the `cjson` table.
pub fn install(t: &Table, cfg: &Shared, lua: &Lua) -> mlua::Result<()> {
    integer_setting(t, cfg, lua, "encode_max_depth", 1, i32::MAX, |c| &mut c.encode_max_depth)?;
    integer_setting(t, cfg, lua, "decode_max_depth", 1, i32::MAX, |c| &mut c.decode_max_depth)?;
    integer_setting(t, cfg, lua, "encode_number_precision", 1, 14, |c| &mut c.number_precision)?;
    bool_setting(t, cfg, lua, "encode_keep_buffer", |c| &mut c.keep_buffer)?;
    bool_setting(t, cfg, lua, "decode_invalid_numbers", |c| &mut c.decode_invalid_numbers)?;
    enum_setting(t, cfg, lua, "encode_invalid_numbers", INVALID_NUMBERS, |c| &mut c.encode_invalid_numbers)?;
    let cfg = cfg.clone();
    let sparse = lua.create_function(move |lua, args: MultiValue| {
        with_place(lua, {
            at_most(lua, &args, 3).and_then(|()| {
                let c = get(&cfg);
                let convert = enum_option(lua, &args, 0, ON_OFF, i32::from(c.sparse_convert))? == 1;
                set(&cfg, |c| c.sparse_convert = convert);
                let ratio = integer_option(lua, &args, 1, 0, i32::MAX, c.sparse_ratio)?;
                set(&cfg, |c| c.sparse_ratio = ratio);
                let safe = integer_option(lua, &args, 2, 0, i32::MAX, c.sparse_safe)?;
                set(&cfg, |c| c.sparse_safe = safe);
                Ok((convert, ratio, safe))
            })
        })
    })?;
    t.raw_set("encode_sparse_array", sparse)
}
