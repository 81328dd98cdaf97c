//! The `cmsgpack` library Redis's Lua has (lua-cmsgpack 0.4.0): `pack` turns Lua values
//! into MessagePack, `unpack`, `unpack_one` and `unpack_limit` read them back. Its rules:
//! a table whose keys are exactly 1..n is an array, any other a map; a number that is a
//! whole 64-bit value is an integer, any other a float (4 bytes when that loses nothing);
//! tables nested 16 deep pack as nil (so cycles end); values with no MessagePack type pack
//! as nil. Decoding refuses what lua-cmsgpack refuses, with its errors; it stops with Redis's
//! stack overflow errors at `MAX_HELD_NESTING` levels and `MAX_RESULTS` values, where Redis
//! goes on to its Lua stack's bound (about four and two times as far).

use mlua::{Lua, MultiValue, Table, Value};

use super::args::{self, MAX_C_STACK, arg_error, check_string};
use super::{MAX_HELD_NESTING, MAX_RESULTS, Unplaced, fail, with_place};

/// lua-cmsgpack's nesting limit when packing.
const MAX_NESTING: usize = 16;
/// The longest string Redis stores (`proto-max-bulk-len`'s default). A table that refers to
/// the same big table many times could otherwise pack into an output without bound.
const MAX_PACKED: usize = 512 * 1024 * 1024;

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<Vec<u8>> {
    if args.is_empty() {
        return Err(arg_error(lua, 0, "MessagePack pack needs input."));
    }
    if 2 * args.len() > MAX_C_STACK {
        return Err(arg_error(lua, 0, "Too many arguments for MessagePack pack."));
    }
    let mut out = Vec::new();
    for v in &args {
        encode(v, 0, &mut out)?;
    }
    Ok(out)
}

fn room(out: &[u8], more: usize) -> mlua::Result<()> {
    if out.len().saturating_add(more) > MAX_PACKED {
        return Err(fail("MessagePack pack: result larger than 512MB"));
    }
    Ok(())
}

fn encode(v: &Value, level: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    room(out, 9)?;
    match v {
        Value::String(s) => {
            let s = s.as_bytes();
            let len = s.len();
            room(out, len + 5)?;
            match len {
                0..=31 => out.push(0xa0 | len as u8),
                32..=0xff => out.extend_from_slice(&[0xd9, len as u8]),
                0x100..=0xffff => {
                    out.push(0xda);
                    out.extend_from_slice(&(len as u16).to_be_bytes());
                }
                _ => {
                    out.push(0xdb);
                    out.extend_from_slice(&(len as u32).to_be_bytes());
                }
            }
            out.extend_from_slice(&s);
        }
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_int(*i, out),
        Value::Number(n) => {
            let i = args::truncate(*n);
            if !n.is_infinite() && i as f64 == *n {
                encode_int(i, out);
            } else {
                encode_double(*n, out);
            }
        }
        Value::Table(t) if level < MAX_NESTING => encode_table(t, level, out)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn encode_int(n: i64, out: &mut Vec<u8>) {
    match n {
        0..=127 => out.push(n as u8),
        128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        0x1_0000_0000.. => {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
        -32..=-1 => out.push(n as u8),
        -128..=-33 => out.extend_from_slice(&[0xd0, n as u8]),
        -32768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(n as i16).to_be_bytes());
        }
        -2_147_483_648..=-32769 => {
            out.push(0xd2);
            out.extend_from_slice(&(n as i32).to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// A 4-byte float when the double survives the round trip through one, else 8 bytes.
fn encode_double(d: f64, out: &mut Vec<u8>) {
    let f = d as f32;
    if f64::from(f) == d {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&d.to_be_bytes());
    }
}

/// The table's size as an array (keys exactly 1..n, each a number that is a whole `int`),
/// or None for a map.
fn array_len(t: &Table) -> mlua::Result<Option<usize>> {
    let (mut count, mut max) = (0i64, 0i64);
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        let n = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(None),
        };
        // C's (int) cast: out of range gives INT_MIN, which never equals the key.
        let as_int = if (-2_147_483_648.0..2_147_483_648.0).contains(&n) { n as i32 } else { i32::MIN };
        if n <= 0.0 || f64::from(as_int) != n {
            return Ok(None);
        }
        max = max.max(i64::from(as_int));
        count += 1;
    }
    Ok((max == count).then_some(count as usize))
}

fn encode_table(t: &Table, level: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    if let Some(len) = array_len(t)? {
        header(out, len, 0x90, 0xdc);
        for j in 1..=len {
            encode(&t.get::<Value>(j)?, level + 1, out)?;
        }
        return Ok(());
    }
    let len = t.clone().pairs::<Value, Value>().count();
    header(out, len, 0x80, 0xde);
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, v) = pair?;
        encode(&k, level + 1, out)?;
        encode(&v, level + 1, out)?;
    }
    Ok(())
}

/// An array or map header: the fix form up to 15 items, then 16 and 32 bits (`big` + 1).
fn header(out: &mut Vec<u8>, len: usize, fix: u8, big: u8) {
    match len {
        0..=15 => out.push(fix | len as u8),
        16..=0xffff => {
            out.push(big);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(big + 1);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
}

/// Why decoding stopped: lua-cmsgpack's messages (placed as `luaL_error` places them), or
/// Lua's own error for a bad table key (which carries no place).
enum Stop {
    Placed(String),
    Plain(&'static str),
    Lua(mlua::Error),
}

impl From<mlua::Error> for Stop {
    fn from(e: mlua::Error) -> Stop {
        Stop::Lua(e)
    }
}

/// A table being filled: an array's next index, or a map's pending key.
enum Open {
    Array { t: Table, next: i64, left: u64 },
    Map { t: Table, key: Option<Value>, left: u64 },
}

struct Decoder<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    /// The Lua stack slots lua-cmsgpack would hold at this point.
    used: usize,
}

impl Decoder<'_> {
    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&[u8], Stop> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len());
        let Some(end) = end else {
            return Err(Stop::Placed("Missing bytes in input.".into()));
        };
        let s = self.data.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(s)
    }

    fn uint(&mut self, n: usize) -> Result<u64, Stop> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn check_stack(&self, what: &str) -> Result<(), Stop> {
        if self.used + 1 > MAX_C_STACK {
            return Err(Stop::Placed(format!("stack overflow ({what})")));
        }
        Ok(())
    }

    fn string(&mut self, len: usize) -> Result<Value, Stop> {
        let lua = self.lua;
        let s = self.take(len)?;
        Ok(Value::String(lua.create_string(s)?))
    }

    /// One value, nested tables included; iterative, so hostile nesting costs heap, not stack.
    fn value(&mut self) -> Result<Value, Stop> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            let mut v = match self.head()? {
                Head::Value(v) => v,
                Head::Array(n) => {
                    if open.len() >= MAX_HELD_NESTING {
                        return Err(Stop::Placed("stack overflow (in function mp_decode_to_lua_array)".into()));
                    }
                    let t = self.lua.create_table()?;
                    self.used += 1;
                    self.check_stack("in function mp_decode_to_lua_array")?;
                    if n == 0 {
                        Value::Table(t)
                    } else {
                        self.used += 1;
                        open.push(Open::Array { t, next: 1, left: n });
                        continue;
                    }
                }
                Head::Map(n) => {
                    if open.len() >= MAX_HELD_NESTING {
                        return Err(Stop::Placed(format!("stack overflow ({TOO_MANY})")));
                    }
                    let t = self.lua.create_table()?;
                    self.used += 1;
                    if n == 0 {
                        Value::Table(t)
                    } else {
                        open.push(Open::Map { t, key: None, left: n });
                        continue;
                    }
                }
            };
            // Hand the finished value to the tables it completes.
            loop {
                match open.last_mut() {
                    None => return Ok(v),
                    Some(Open::Array { t, next, left }) => {
                        t.raw_set(*next, v)?;
                        self.used -= 2;
                        *next += 1;
                        *left -= 1;
                        if *left > 0 {
                            self.used += 1;
                            break;
                        }
                    }
                    Some(Open::Map { t, key, left }) => {
                        let Some(k) = key.take() else {
                            *key = Some(v);
                            break;
                        };
                        match &k {
                            Value::Nil => return Err(Stop::Plain("table index is nil")),
                            Value::Number(n) if n.is_nan() => return Err(Stop::Plain("table index is NaN")),
                            _ => {}
                        }
                        t.raw_set(k, v)?;
                        self.used -= 2;
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                    }
                }
                v = match open.pop() {
                    Some(Open::Array { t, .. } | Open::Map { t, .. }) => Value::Table(t),
                    None => return Err(Stop::Plain("table index is nil")),
                };
            }
        }
    }

    /// The next item's head: a whole scalar (pushed: one more stack slot), or the size of
    /// an array or map whose items follow.
    fn head(&mut self) -> Result<Head, Stop> {
        if self.left() == 0 {
            return Err(Stop::Placed("Missing bytes in input.".into()));
        }
        self.check_stack(TOO_MANY)?;
        let b = self.take(1)?.first().copied().unwrap_or(0xc1);
        let head = match b {
            0x00..=0x7f => Head::Value(Value::Integer(i64::from(b))),
            0x80..=0x8f => return Ok(Head::Map(u64::from(b & 0x0f))),
            0x90..=0x9f => return Ok(Head::Array(u64::from(b & 0x0f))),
            0xa0..=0xbf => Head::Value(self.string(usize::from(b & 0x1f))?),
            0xc0 => Head::Value(Value::Nil),
            0xc2 => Head::Value(Value::Boolean(false)),
            0xc3 => Head::Value(Value::Boolean(true)),
            0xca => Head::Value(Value::Number(f64::from(f32::from_bits(self.uint(4)? as u32)))),
            0xcb => Head::Value(Value::Number(f64::from_bits(self.uint(8)?))),
            0xcc => Head::Value(Value::Integer(self.uint(1)? as i64)),
            0xcd => Head::Value(Value::Integer(self.uint(2)? as i64)),
            0xce => Head::Value(Value::Integer(self.uint(4)? as i64)),
            // Pushed through lua_Integer: past i64::MAX it wraps negative, as in Redis.
            0xcf => Head::Value(Value::Integer(self.uint(8)? as i64)),
            0xd0 => Head::Value(Value::Integer(i64::from(self.uint(1)? as u8 as i8))),
            0xd1 => Head::Value(Value::Integer(i64::from(self.uint(2)? as u16 as i16))),
            0xd2 => Head::Value(Value::Integer(i64::from(self.uint(4)? as u32 as i32))),
            0xd3 => Head::Value(Value::Integer(self.uint(8)? as i64)),
            0xd9 => {
                let n = self.uint(1)? as usize;
                Head::Value(self.string(n)?)
            }
            0xda => {
                let n = self.uint(2)? as usize;
                Head::Value(self.string(n)?)
            }
            0xdb => {
                let n = self.uint(4)? as usize;
                Head::Value(self.string(n)?)
            }
            0xdc => return Ok(Head::Array(self.uint(2)?)),
            0xdd => return Ok(Head::Array(self.uint(4)?)),
            0xde => return Ok(Head::Map(self.uint(2)?)),
            0xdf => return Ok(Head::Map(self.uint(4)?)),
            0xe0..=0xff => Head::Value(Value::Integer(i64::from(b as i8))),
            _ => return Err(Stop::Placed("Bad data format in input.".into())),
        };
        self.used += 1;
        Ok(head)
    }
}

const TOO_MANY: &str = "too many return values at once; use unpack_one or unpack_limit instead.";

enum Head {
    Value(Value),
    Array(u64),
    Map(u64),
}

/// Decodes up to `limit` values from `offset` (both 0: every value, and no offset in the
/// result); otherwise the first result is the offset to continue from, -1 at the end.
fn unpack_full(lua: &Lua, data: &[u8], limit: i64, offset: i64) -> mlua::Result<MultiValue> {
    let decode_all = limit == 0 && offset == 0;
    let len = data.len() as i64;
    if offset < 0 || limit < 0 {
        // lua-cmsgpack prints the input length where it means the limit.
        return Err(fail(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        )));
    }
    if offset > len {
        return Err(fail(format!("Start offset {} greater than input length {}.", offset as i32, len as i32)));
    }
    let limit = if decode_all { i64::from(i32::MAX) } else { limit };
    let mut d = Decoder { lua, data, pos: offset as usize, used: 1 };
    let mut out: Vec<Value> = Vec::new();
    while d.left() > 0 && (out.len() as i64) < limit {
        if out.len() >= MAX_RESULTS {
            return Err(fail(format!("stack overflow ({TOO_MANY})")));
        }
        match d.value() {
            Ok(v) => out.push(v),
            Err(Stop::Placed(msg)) => return Err(fail(msg)),
            Err(Stop::Plain(msg)) => return Err(mlua::Error::external(Unplaced(msg.into()))),
            Err(Stop::Lua(e)) => return Err(e),
        }
    }
    if !decode_all {
        let next = if d.left() == 0 { -1 } else { d.pos as i64 };
        out.insert(0, Value::Integer(next));
    }
    Ok(out.into_iter().collect())
}

/// The `cmsgpack` table.
pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| {
            let out = with_place(lua, pack(lua, args))?;
            lua.create_string(&out)
        })?,
    )?;
    t.raw_set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| {
            with_place(lua, check_string(lua, &args, 0).and_then(|s| unpack_full(lua, &s, 0, 0)))
        })?,
    )?;
    t.raw_set(
        "unpack_one",
        lua.create_function(|lua, args: MultiValue| {
            with_place(lua, {
                args::opt_integer(lua, &args, 1, 0)
                    .and_then(|offset| Ok((offset, check_string(lua, &args, 0)?)))
                    .and_then(|(offset, s)| unpack_full(lua, &s, 1, offset))
            })
        })?,
    )?;
    t.raw_set(
        "unpack_limit",
        lua.create_function(|lua, args: MultiValue| {
            with_place(lua, {
                args::check_integer(lua, &args, 1)
                    .and_then(|limit| Ok((limit, args::opt_integer(lua, &args, 2, 0)?)))
                    .and_then(|(limit, offset)| Ok((limit, offset, check_string(lua, &args, 0)?)))
                    .and_then(|(limit, offset, s)| unpack_full(lua, &s, limit, offset))
            })
        })?,
    )?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::libs::testing::{hex, lua_with};

    fn lua() -> Lua {
        lua_with("cmsgpack", table)
    }

    #[test]
    fn values_pack_as_lua_cmsgpack_does() {
        let lua = lua();
        assert_eq!(
            hex(&lua, "return cmsgpack.pack(1, -1, 200, -200, 70000, 2^40, -2^40)"),
            "01ffccc8d1ff38ce00011170cf0000010000000000d3ffffff0000000000"
        );
        assert_eq!(hex(&lua, "return cmsgpack.pack(1.5, 0.1)"), "ca3fc00000cb3fb999999999999a");
        assert_eq!(
            hex(&lua, "return cmsgpack.pack({1, 2}, {a = true}, {}, 'ab', nil)"),
            "920102 81a161c3 90 a26162 c0".replace(' ', "")
        );
        let deep = "local t = {} t[1] = t return cmsgpack.pack(t)";
        assert_eq!(hex(&lua, deep), format!("{}c0", "91".repeat(16)));
    }

    #[test]
    fn bytes_unpack_and_refuse_as_lua_cmsgpack_does() {
        let lua = lua();
        let got: Vec<i64> = lua
            .load("return {cmsgpack.unpack('\\1\\255\\207\\255\\255\\255\\255\\255\\255\\255\\255')}")
            .eval()
            .unwrap();
        assert_eq!(got, vec![1, -1, -1]);
        let got: Vec<i64> = lua.load("return {cmsgpack.unpack_limit('\\1\\2\\3', 1, 1)}").eval().unwrap();
        assert_eq!(got, vec![2, 2]);
        let err = |code: &str| lua.load(code).exec().unwrap_err().to_string();
        assert!(err("return cmsgpack.unpack('\\193')").contains("Bad data format in input."));
        assert!(err("return cmsgpack.unpack('\\221\\255\\255\\255\\255')").contains("Missing bytes in input."));
        assert!(err("return cmsgpack.unpack('\\129\\192\\1')").contains("table index is nil"));
        assert!(
            err("return cmsgpack.unpack(string.rep('\\145', 4000))")
                .contains("stack overflow (in function mp_decode_to_lua_array)")
        );
        assert!(err("return cmsgpack.unpack(string.rep('\\1', 8000))").contains("too many return values at once"));
        assert!(err("return cmsgpack.unpack_one('\\1', 5)").contains("Start offset 5 greater than input length 1."));
        let n: i64 = lua.load("return #{cmsgpack.unpack(string.rep('\\145', 999) .. '\\1')}").eval().unwrap();
        assert_eq!(n, 1);
    }
}
