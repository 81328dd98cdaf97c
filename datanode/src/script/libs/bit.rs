//! The `bit` library Redis's Lua has (LuaBitOp 1.0): 32-bit operations on Lua numbers.
//! Every argument is first normalised as `bit.tobit` does (rounded, then taken modulo
//! 2^32 as a signed 32-bit integer); every result is such an integer.

use mlua::{Lua, MultiValue, Table, Value};

use super::{fail, with_place};

/// `bit.tobit`: the number rounded to an integer (ties to even, as LuaBitOp's
/// 2^52 + 2^51 addition does), wrapped to a signed 32-bit value. NaN and the infinities
/// have no integer part: they give 0, as the addition leaves no low bits for them.
pub fn tobit(x: f64) -> i32 {
    if !x.is_finite() {
        return 0;
    }
    let n = x.round_ties_even();
    // Exact for every double below 2^63 in magnitude; beyond, the low 32 bits are 0 anyway.
    let wrapped = if n.abs() < 9.223_372_036_854_776e18 { (n as i64) as u32 } else { 0 };
    wrapped as i32
}

fn fold(args: &[f64], op: impl Fn(u32, u32) -> u32) -> i32 {
    let mut it = args.iter().map(|x| tobit(*x) as u32);
    let first = it.next().unwrap_or(0);
    it.fold(first, op) as i32
}

/// `bit.tohex(x [, n])`: the low `n` hex digits (default 8, at most 8), uppercase when `n`
/// is negative.
pub fn tohex(x: f64, n: Option<f64>) -> String {
    let n = n.map_or(8, tobit);
    let (upper, digits) = if n < 0 { (true, n.unsigned_abs()) } else { (false, n as u32) };
    let digits = digits.min(8) as usize;
    let v = tobit(x) as u32;
    let hex = if upper { format!("{v:08X}") } else { format!("{v:08x}") };
    hex.get(8 - digits..).unwrap_or_default().to_string()
}

/// Argument `i` (from 0) of `name` as a number, as `luaL_checknumber` takes it (a numeric
/// string converts), with its error text.
pub fn number_arg(args: &MultiValue, i: usize, name: &str) -> mlua::Result<f64> {
    let got = match args.get(i) {
        None => "no value",
        Some(Value::Number(n)) => return Ok(*n),
        Some(Value::Integer(n)) => return Ok(*n as f64),
        Some(Value::String(s)) => match std::str::from_utf8(&s.as_bytes()).ok().and_then(lua_number) {
            Some(n) => return Ok(n),
            None => "string",
        },
        Some(other) => super::args::type_name(Some(other)),
    };
    Err(fail(format!("bad argument #{} to '{name}' (number expected, got {got})", i + 1)))
}

/// A string as Lua 5.1 reads a number: decimal or hex, surrounded by spaces.
pub(crate) fn lua_number(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let v = u64::from_str_radix(hex, 16).ok()? as f64;
        return Some(if neg { -v } else { v });
    }
    if t.is_empty() || t.eq_ignore_ascii_case("inf") || t.eq_ignore_ascii_case("nan") {
        return None;
    }
    t.parse().ok()
}

/// The `bit` table.
pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let one = |name: &'static str, op: fn(i32) -> i32| {
        lua.create_function(move |lua, args: MultiValue| {
            with_place(lua, number_arg(&args, 0, name).map(|x| op(tobit(x))))
        })
    };
    t.raw_set("tobit", one("tobit", |x| x)?)?;
    t.raw_set("bnot", one("bnot", |x| !x)?)?;
    t.raw_set("bswap", one("bswap", i32::swap_bytes)?)?;
    t.raw_set(
        "tohex",
        lua.create_function(|lua, args: MultiValue| {
            with_place(lua, {
                let n = match args.get(1) {
                    None | Some(Value::Nil) => Ok(None),
                    Some(_) => number_arg(&args, 1, "tohex").map(Some),
                };
                number_arg(&args, 0, "tohex").and_then(|x| Ok(tohex(x, n?)))
            })
        })?,
    )?;
    let variadic = |name: &'static str, op: fn(u32, u32) -> u32| {
        lua.create_function(move |lua, args: MultiValue| {
            let all = (0..args.len().max(1)).map(|i| number_arg(&args, i, name)).collect::<mlua::Result<Vec<f64>>>();
            with_place(lua, all.map(|all| fold(&all, op)))
        })
    };
    t.raw_set("band", variadic("band", |a, b| a & b)?)?;
    t.raw_set("bor", variadic("bor", |a, b| a | b)?)?;
    t.raw_set("bxor", variadic("bxor", |a, b| a ^ b)?)?;
    let shift = |name: &'static str, op: fn(u32, u32) -> u32| {
        lua.create_function(move |lua, args: MultiValue| {
            let both = number_arg(&args, 0, name).and_then(|x| Ok((x, number_arg(&args, 1, name)?)));
            with_place(lua, both.map(|(x, n)| op(tobit(x) as u32, tobit(n) as u32 & 31) as i32))
        })
    };
    t.raw_set("lshift", shift("lshift", |x, n| x << n)?)?;
    t.raw_set("rshift", shift("rshift", |x, n| x >> n)?)?;
    t.raw_set("arshift", shift("arshift", |x, n| ((x as i32) >> n) as u32)?)?;
    t.raw_set("rol", shift("rol", |x, n| x.rotate_left(n))?)?;
    t.raw_set("ror", shift("ror", |x, n| x.rotate_right(n))?)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from LuaBitOp's own test suite and documentation.
    #[test]
    fn numbers_normalise_as_luabitop_does() {
        assert_eq!(tobit(0xffff_ffff_u32 as f64), -1);
        assert_eq!(tobit(4_294_967_296.0 + 5.0), 5);
        assert_eq!(tobit(-1.0), -1);
        assert_eq!(tobit(2.5), 2);
        assert_eq!(tobit(3.5), 4);
        assert_eq!(tobit(f64::NAN), 0);
        assert_eq!(tobit(1e300), 0);
        assert_eq!(tohex(1.0, None), "00000001");
        assert_eq!(tohex(-1.0, Some(-4.0)), "FFFF");
        assert_eq!(tohex(0x8765_4321_u32 as f64, Some(2.0)), "21");
        assert_eq!(tohex(1.0, Some(20.0)), "00000001");
        assert_eq!(fold(&[0x12345678 as f64, 0xff as f64], |a, b| a & b), 0x78);
        assert_eq!(!tobit(0.0), -1);
        assert_eq!(tobit(0x12345678 as f64).swap_bytes(), 0x78563412);
    }

    #[test]
    fn the_table_runs_in_lua() {
        let lua = Lua::new();
        lua.globals().raw_set("bit", table(&lua).unwrap()).unwrap();
        let got: Vec<i64> = lua
            .load("return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 12), bit.ror(0x12345678, 12), bit.bxor(1, 3, 4), bit.bor(1, 2, 4)}")
            .eval()
            .unwrap();
        assert_eq!(got, vec![-2147483648, 15, -16, 0x45678123, 0x67812345, 6, 7]);
        let err = lua.load("return bit.band()").exec().unwrap_err().to_string();
        assert!(err.contains("bad argument #1 to 'band' (number expected, got no value)"), "{err}");
        let err = lua.load("return bit.lshift(1, {})").exec().unwrap_err().to_string();
        assert!(err.contains("bad argument #2 to 'lshift' (number expected, got table)"), "{err}");
        assert_eq!(lua.load("return bit.tobit(' 0x10 ')").eval::<i64>().unwrap(), 16);
    }
}
