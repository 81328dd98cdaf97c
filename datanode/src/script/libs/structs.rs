//! The `struct` library Redis's Lua has (Roberto Ierusalimschy's struct 1.4 with Redis's
//! bound checks): `pack`, `unpack` and `size` of binary records described by a format
//! string. Sizes and alignment are those of the x86-64 build Redis ships: little endian by
//! default, `long` and `size_t` of 8 bytes, `int` of 4, maximal alignment 8, integers of at
//! most 32 bytes. Format options:
//! `>` `<` endianness, `![n]` alignment, `x` padding, `b/B h/H l/L T i[n]/I[n]` integers,
//! `f` `d` floats, `c[n]` fixed strings (`c0`: the whole string, or the previous number's
//! length when unpacking), `s` zero-terminated strings, ` ` ignored.

use mlua::{Lua, MultiValue, Table, Value};

use super::args::{self, MAX_C_STACK, arg_error, check_number, check_string};
use super::{MAX_RESULTS, fail, with_place};

/// The widest integer option (`i32`).
const MAX_INT_SIZE: usize = 32;
/// `!` without a number: the alignment of a double on x86-64.
const MAX_ALIGN: i64 = 8;

/// The state a format string carries from one option to the next.
struct Header {
    little: bool,
    align: usize,
}

impl Header {
    fn new() -> Header {
        Header { little: true, align: 1 }
    }
}

/// A format string read one option at a time.
struct Format<'a> {
    fmt: &'a [u8],
    pos: usize,
}

impl Format<'_> {
    fn next(&mut self) -> Option<u8> {
        let c = *self.fmt.get(self.pos)?;
        self.pos += 1;
        Some(c)
    }

    /// The number after an option, or `default`; a number past `i32::MAX` is an error
    /// (struct's own int arithmetic would overflow).
    fn number(&mut self, default: i64) -> mlua::Result<i64> {
        if !self.fmt.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: i64 = 0;
        while let Some(d) = self.fmt.get(self.pos).filter(|b| b.is_ascii_digit()) {
            let d = i64::from(d - b'0');
            if a > i64::from(i32::MAX) / 10 || a * 10 > i64::from(i32::MAX) - d {
                return Err(fail("integral size overflow"));
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        Ok(a)
    }

    /// The size of option `opt` in bytes (0 for options that take none).
    fn size(&mut self, opt: u8) -> mlua::Result<usize> {
        Ok(match opt {
            b'b' | b'B' | b'x' => 1,
            b'h' | b'H' => 2,
            b'f' => 4,
            b'l' | b'L' | b'T' | b'd' => 8,
            b'c' => self.number(1)? as usize,
            b'i' | b'I' => {
                let size = self.number(4)?;
                if size as usize > MAX_INT_SIZE {
                    return Err(fail(format!("integral size {size} is larger than limit of {MAX_INT_SIZE}")));
                }
                size as usize
            }
            _ => 0,
        })
    }

    /// The endianness and alignment options; any other option is invalid here.
    fn control(&mut self, lua: &Lua, opt: u8, h: &mut Header) -> mlua::Result<()> {
        match opt {
            b' ' => {}
            b'>' => h.little = false,
            b'<' => h.little = true,
            b'!' => {
                let a = self.number(MAX_ALIGN)?;
                if a <= 0 || a & (a - 1) != 0 {
                    return Err(fail(format!("alignment {a} is not a power of 2")));
                }
                h.align = a as usize;
            }
            _ => {
                let shown = String::from_utf8_lossy(&[opt]).into_owned();
                return Err(arg_error(lua, 1, &format!("invalid format option '{shown}'")));
            }
        }
        Ok(())
    }
}

/// The padding that aligns an item of `size` bytes at offset `len`, as struct computes it
/// (also for sizes that are not powers of two).
fn padding(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    size.wrapping_sub(len & size.wrapping_sub(1)) & size.wrapping_sub(1)
}

/// A double as an unsigned 64-bit value the way struct's casts give it on x86-64:
/// negatives through `long`, others through `unsigned long`.
fn integer_bits(n: f64) -> u64 {
    if n < 0.0 {
        args::truncate(n) as u64
    } else if n < args::TWO_POW_63 {
        n as u64
    } else {
        // x86-64's unsigned conversion subtracts 2^63 and flips the top bit back.
        (args::truncate(n - args::TWO_POW_63) as u64) ^ (1 << 63)
    }
}

fn put_integer(out: &mut Vec<u8>, n: f64, little: bool, size: usize) {
    let mut value = integer_bits(n);
    let mut bytes = vec![0u8; size];
    for i in 0..size {
        let slot = if little { i } else { size - 1 - i };
        if let Some(b) = bytes.get_mut(slot) {
            *b = (value & 0xff) as u8;
        }
        value = value.checked_shr(8).unwrap_or(0);
    }
    out.extend_from_slice(&bytes);
}

fn get_integer(bytes: &[u8], little: bool, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let mut push = |b: &u8| l = (l << 8) | u64::from(*b);
    if little {
        bytes.iter().rev().for_each(&mut push);
    } else {
        bytes.iter().for_each(&mut push);
    }
    if !signed {
        return l as f64;
    }
    // The C shift by size*8-1 is taken modulo 64, as x86-64 does.
    let shift = ((bytes.len() as i64) * 8 - 1) & 63;
    let mask = u64::MAX << shift;
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<Vec<u8>> {
    let fmt = check_string(lua, &args, 0)?;
    // struct pushes a nil mark after its arguments: a missing one reads as "got nil".
    let mut args = args;
    args.push_back(Value::Nil);
    let mut f = Format { fmt: &fmt, pos: 0 };
    let mut h = Header::new();
    let mut out = Vec::new();
    let mut arg = 1;
    while let Some(opt) = f.next() {
        let mut size = f.size(opt)?;
        let pad = padding(out.len(), &h, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = check_number(lua, &args, arg)?;
                arg += 1;
                put_integer(&mut out, n, h.little, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let v = check_number(lua, &args, arg)? as f32;
                arg += 1;
                out.extend_from_slice(&if h.little { v.to_le_bytes() } else { v.to_be_bytes() });
            }
            b'd' => {
                let v = check_number(lua, &args, arg)?;
                arg += 1;
                out.extend_from_slice(&if h.little { v.to_le_bytes() } else { v.to_be_bytes() });
            }
            b'c' | b's' => {
                let s = check_string(lua, &args, arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                let Some(part) = s.get(..size) else {
                    // struct names the argument after the string, as its counter has moved on.
                    return Err(arg_error(lua, arg + 1, "string too short"));
                };
                out.extend_from_slice(part);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => f.control(lua, opt, &mut h)?,
        }
    }
    Ok(out)
}

fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let fmt = check_string(lua, &args, 0)?;
    let data = check_string(lua, &args, 1)?;
    let start = args::opt_integer(lua, &args, 2, 1)?;
    if start == 0 {
        return Err(arg_error(lua, 3, "offset must be 1 or greater"));
    }
    // A negative start wraps around as struct's size_t does, so it is past the data.
    let mut pos = (start as usize).wrapping_sub(1);
    let too_short = || arg_error(lua, 2, "data string too short");
    let mut f = Format { fmt: &fmt, pos: 0 };
    let mut h = Header::new();
    let mut results: Vec<Value> = Vec::new();
    // `c0` with no number before it reads the data argument itself, and pops it.
    let mut data_popped = false;
    while let Some(opt) = f.next() {
        let mut size = f.size(opt)?;
        pos = pos.wrapping_add(padding(pos, &h, opt, size));
        if pos.checked_add(size).is_none_or(|end| end > data.len()) {
            return Err(too_short());
        }
        if 2 + results.len() + 2 > MAX_C_STACK || results.len() + 1 >= MAX_RESULTS {
            return Err(fail("stack overflow (too many results)"));
        }
        let field = |size: usize| data.get(pos..pos + size).unwrap_or_default();
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                results.push(Value::Number(get_integer(field(size), h.little, opt.is_ascii_lowercase())));
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(field(4));
                let v = if h.little { f32::from_le_bytes(b) } else { f32::from_be_bytes(b) };
                results.push(Value::Number(f64::from(v)));
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(field(8));
                let v = if h.little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) };
                results.push(Value::Number(v));
            }
            b'c' => {
                if size == 0 {
                    let previous = match results.last() {
                        Some(v) => to_length(v),
                        None if !data_popped => to_length(&Value::String(lua.create_string(&data)?)),
                        None => None,
                    };
                    let Some(n) = previous else {
                        return Err(fail("format 'c0' needs a previous size"));
                    };
                    if results.pop().is_none() {
                        data_popped = true;
                    }
                    size = n.ok_or_else(too_short)?;
                    if pos.checked_add(size).is_none_or(|end| end > data.len()) {
                        return Err(too_short());
                    }
                }
                results.push(Value::String(lua.create_string(field(size))?));
            }
            b's' => {
                let rest = data.get(pos..).unwrap_or_default();
                let Some(end) = rest.iter().position(|&b| b == 0) else {
                    return Err(fail("unfinished string in data"));
                };
                results.push(Value::String(lua.create_string(rest.get(..end).unwrap_or_default())?));
                size = end + 1;
            }
            _ => f.control(lua, opt, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    results.push(Value::Integer(pos.wrapping_add(1) as i64));
    if data_popped && !results.is_empty() {
        results.remove(0);
    }
    Ok(results.into_iter().collect())
}

/// The previous value as a `c0` length: None when it is no number, Some(None) when it is
/// one no string can be that long (negative or not finite).
fn to_length(v: &Value) -> Option<Option<usize>> {
    let n = args::to_number(v)?;
    Some((n >= 0.0 && n.is_finite()).then_some(n as usize))
}

fn size(lua: &Lua, args: MultiValue) -> mlua::Result<i64> {
    let fmt = check_string(lua, &args, 0)?;
    let mut f = Format { fmt: &fmt, pos: 0 };
    let mut h = Header::new();
    let mut pos: usize = 0;
    while let Some(opt) = f.next() {
        let size = f.size(opt)?;
        pos = pos.wrapping_add(padding(pos, &h, opt, size));
        if opt == b's' {
            return Err(arg_error(lua, 1, "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(arg_error(lua, 1, "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            f.control(lua, opt, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(pos as i64)
}

/// The `struct` table.
pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| {
            let out = with_place(lua, pack(lua, args))?;
            lua.create_string(&out)
        })?,
    )?;
    t.raw_set("unpack", lua.create_function(|lua, args: MultiValue| with_place(lua, unpack(lua, args)))?)?;
    t.raw_set("size", lua.create_function(|lua, args: MultiValue| with_place(lua, size(lua, args)))?)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::libs::testing::{hex, lua_with};

    fn lua() -> Lua {
        lua_with("struct", table)
    }

    #[test]
    fn records_pack_as_struct_does() {
        let lua = lua();
        assert_eq!(hex(&lua, "return struct.pack('>i2<h', 258, -2)"), "0102feff");
        assert_eq!(hex(&lua, "return struct.pack('!4bi', 1, 2)"), "0100000002000000");
        assert_eq!(hex(&lua, "return struct.pack('>d', 1.5)"), "3ff8000000000000");
        assert_eq!(hex(&lua, "return struct.pack('c0s', 'ab', 'c')"), "61626300");
        assert_eq!(hex(&lua, "return struct.pack('i16', -1)"), "ffffffffffffffff0000000000000000");
        assert_eq!(lua.load("return struct.size('!8bd')").eval::<i64>().unwrap(), 16);
        let err = lua.load("return struct.pack('c2', 'a')").exec().unwrap_err().to_string();
        assert!(err.contains("bad argument #3 to 'pack' (string too short)"), "{err}");
        let err = lua.load("return struct.pack('i', 1, 2) .. struct.pack('bb', 1)").exec().unwrap_err().to_string();
        assert!(err.contains("bad argument #3 to 'pack' (number expected, got nil)"), "{err}");
    }

    #[test]
    fn records_unpack_as_struct_does() {
        let lua = lua();
        let got: Vec<f64> = lua.load("return {struct.unpack('>i2<hB', '\\1\\2\\254\\255\\200')}").eval().unwrap();
        assert_eq!(got, vec![258.0, -2.0, 200.0, 6.0]);
        let got: (String, i64) = lua.load("return struct.unpack('bc0', '\\2abc')").eval().unwrap();
        assert_eq!(got, ("ab".to_string(), 4));
        let err = lua.load("return struct.unpack('s', 'abc')").exec().unwrap_err().to_string();
        assert!(err.contains("unfinished string in data"), "{err}");
        let err = lua.load("return struct.unpack('i99', '')").exec().unwrap_err().to_string();
        assert!(err.contains("integral size 99 is larger than limit of 32"), "{err}");
        let err = lua.load("return struct.unpack(string.rep('b', 7998), string.rep('a', 8000))").exec().unwrap_err();
        assert!(err.to_string().contains("stack overflow (too many results)"), "{err}");
    }
}
