//! The `cjson` library Redis's Lua has (Lua CJSON 2.1, with Redis's defaults): `encode`,
//! `decode` and `null`. Encoding follows Lua CJSON's rules: a table whose keys are all
//! positive integers is an array (an excessively sparse one is refused), any other table an
//! object, an empty table `{}`; numbers print as `%.14g`; `/` is escaped. Decoding keeps
//! the document's order when it fills tables (so a table built from JSON iterates as it does
//! in Redis), turns `null` into `cjson.null`, and refuses bad input with Lua CJSON's messages
//! ("Expected value but found invalid token at character 1"). The settings functions
//! (`cjson_config`) change the nesting limits (1000 by default), the number precision, how
//! sparse arrays and invalid numbers (NaN, Inf, hex) are handled. Nesting never goes past
//! `MAX_HELD_NESTING`, whatever the settings say (**Meridian rule**).

use mlua::{LightUserData, Lua, Table, Value};

use super::cjson_config::{self, Config};
use super::{MAX_HELD_NESTING, fail, with_place};
use crate::resp::number::fmt_g;

fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// A `cjson` module table with default settings of its own: the global `cjson`, and what
/// each `cjson.new()` returns (Lua CJSON's way to have two sets of settings).
pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let cfg = cjson_config::Shared::default();
    t.raw_set("null", null())?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    t.raw_set("new", lua.create_function(|lua, _: mlua::MultiValue| table(lua))?)?;
    cjson_config::install(&t, &cfg, lua)?;
    let encode_cfg = cfg.clone();
    t.raw_set(
        "encode",
        lua.create_function(move |lua, v: mlua::MultiValue| {
            with_place(lua, {
                if v.len() != 1 {
                    return with_place(lua, Err(fail("bad argument #1 to 'encode' (expected 1 argument)")));
                }
                let mut out = Vec::new();
                let mut e = Encoder { cfg: cjson_config::get(&encode_cfg) };
                e.encode(&v[0], 0, &mut out).and_then(|()| lua.create_string(&out))
            })
        })?,
    )?;
    t.raw_set("decode", lua.create_function(move |lua, v: mlua::MultiValue| with_place(lua, decode(lua, &v, &cfg)))?)?;
    Ok(t)
}

fn decode(lua: &Lua, v: &mlua::MultiValue, cfg: &cjson_config::Shared) -> mlua::Result<Value> {
    let text = match v.front() {
        Some(Value::String(s)) if v.len() == 1 => s.as_bytes().to_vec(),
        Some(Value::Number(n)) if v.len() == 1 => fmt_g(*n, 14).into_bytes(),
        Some(Value::Integer(n)) if v.len() == 1 => fmt_g(*n as f64, 14).into_bytes(),
        _ => return Err(fail("bad argument #1 to 'decode' (expected 1 argument)")),
    };
    let cfg = cjson_config::get(cfg);
    let mut p = Parser { lua, text: &text, pos: 0, depth: 0, cfg };
    let value = p.value()?;
    p.skip_space();
    if p.pos < text.len() {
        let found = p.found();
        return Err(fail(format!("Expected the end but found {found} at character {}", p.pos + 1)));
    }
    Ok(value)
}

/// A number as Lua prints it with `%.<precision>g`, NaN and the infinities as glibc does.
fn number_text(n: f64, precision: i32) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf".into() } else { "inf".into() };
    }
    fmt_g(n, precision.clamp(1, 17) as usize)
}

/// How a table encodes.
enum Shape {
    Array(usize),
    Object,
}

struct Encoder {
    cfg: Config,
}

impl Encoder {
    fn encode(&mut self, v: &Value, depth: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
        match v {
            Value::Nil => out.extend_from_slice(b"null"),
            Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
            Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Integer(n) => self.number(*n as f64, out)?,
            Value::Number(n) => self.number(*n, out)?,
            Value::String(s) => string(&s.as_bytes(), out),
            Value::Table(t) => {
                let depth = depth + 1;
                if depth > (self.cfg.encode_max_depth as usize).min(MAX_HELD_NESTING) {
                    return Err(fail(format!("Cannot serialise, excessive nesting ({depth})")));
                }
                self.table_value(t, depth, out)?;
            }
            other => return Err(fail(format!("Cannot serialise {}: type not supported", other.type_name()))),
        }
        Ok(())
    }

    fn number(&self, n: f64, out: &mut Vec<u8>) -> mlua::Result<()> {
        if !n.is_finite() {
            match self.cfg.encode_invalid_numbers {
                0 => return Err(fail("Cannot serialise number: must not be NaN or Inf")),
                1 if n.is_nan() => {
                    out.extend_from_slice(b"nan");
                    return Ok(());
                }
                1 => {}
                _ => {
                    out.extend_from_slice(b"null");
                    return Ok(());
                }
            }
        }
        out.extend_from_slice(number_text(n, self.cfg.number_precision).as_bytes());
        Ok(())
    }

    /// An array when every key is a positive whole number (its length the highest), an
    /// object otherwise; an excessively sparse array is refused, or written as an object
    /// when `encode_sparse_array` says to convert.
    fn shape(&self, t: &Table) -> mlua::Result<Shape> {
        let (mut max, mut items) = (0usize, 0usize);
        for pair in t.clone().pairs::<Value, Value>() {
            let (k, _) = pair?;
            let index = match k {
                Value::Integer(i) if i >= 1 => i as usize,
                Value::Number(f) if f >= 1.0 && f.fract() == 0.0 && f < 9.0e15 => f as usize,
                _ => return Ok(Shape::Object),
            };
            max = max.max(index);
            items += 1;
        }
        let ratio = self.cfg.sparse_ratio as usize;
        if ratio > 0 && max > items.saturating_mul(ratio) && max > self.cfg.sparse_safe as usize {
            if !self.cfg.sparse_convert {
                return Err(fail("Cannot serialise table: excessively sparse array"));
            }
            return Ok(Shape::Object);
        }
        Ok(if items > 0 { Shape::Array(max) } else { Shape::Object })
    }

    fn table_value(&mut self, t: &Table, depth: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
        if let Shape::Array(len) = self.shape(t)? {
            out.push(b'[');
            for i in 1..=len {
                if i > 1 {
                    out.push(b',');
                }
                self.encode(&t.raw_get::<Value>(i)?, depth, out)?;
            }
            out.push(b']');
            return Ok(());
        }
        out.push(b'{');
        let mut first = true;
        for pair in t.clone().pairs::<Value, Value>() {
            let (k, v) = pair?;
            if !first {
                out.push(b',');
            }
            first = false;
            match &k {
                Value::String(s) => string(&s.as_bytes(), out),
                Value::Number(n) => string(number_text(*n, self.cfg.number_precision).as_bytes(), out),
                Value::Integer(n) => string(number_text(*n as f64, self.cfg.number_precision).as_bytes(), out),
                other => {
                    return Err(fail(format!(
                        "Cannot serialise {}: table key must be a number or string",
                        other.type_name()
                    )));
                }
            }
            out.push(b':');
            self.encode(&v, depth, out)?;
        }
        out.push(b'}');
        Ok(())
    }
}

/// A JSON string as Lua CJSON writes it: `"`, `\`, `/` and control characters escaped,
/// every other byte as it is.
fn string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

struct Parser<'a> {
    lua: &'a Lua,
    text: &'a [u8],
    pos: usize,
    depth: usize,
    cfg: Config,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.text.get(self.pos).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// What the next token is, named as Redis's Lua CJSON names it in its errors.
    fn found(&self) -> &'static str {
        match self.text.get(self.pos) {
            None => "T_END",
            Some(b'{') => "T_OBJ_BEGIN",
            Some(b'}') => "T_OBJ_END",
            Some(b'[') => "T_ARR_BEGIN",
            Some(b']') => "T_ARR_END",
            Some(b'"') => "T_STRING",
            Some(b':') => "T_COLON",
            Some(b',') => "T_COMMA",
            Some(b'-' | b'0'..=b'9') => self.number_token_name(),
            Some(_) if self.word(b"true") || self.word(b"false") => "T_BOOLEAN",
            Some(_) if self.word(b"null") => "T_NULL",
            Some(_) if self.cfg.decode_invalid_numbers && self.invalid_number() => self.number_token_name(),
            Some(_) => "invalid token",
        }
    }

    /// A token that starts like a number: T_NUMBER, or "invalid number" when it is one
    /// the settings refuse or no number can be read from it.
    fn number_token_name(&self) -> &'static str {
        if !self.cfg.decode_invalid_numbers && self.invalid_number() {
            return "invalid number";
        }
        match strtod(self.text.get(self.pos..).unwrap_or_default()) {
            Some(_) => "T_NUMBER",
            None => "invalid number",
        }
    }

    /// What strict JSON refuses but C's strtod reads: a leading `+`, hex, leading zeros,
    /// `inf` and `nan` (Lua CJSON's `json_is_invalid_number`).
    fn invalid_number(&self) -> bool {
        let rest = self.text.get(self.pos..).unwrap_or_default();
        let body = match rest.first() {
            Some(b'+') => return true,
            Some(b'-') => rest.get(1..).unwrap_or_default(),
            _ => rest,
        };
        match body.first() {
            Some(b'0') => matches!(body.get(1), Some(b'x' | b'X' | b'0'..=b'9')),
            Some(c) if *c <= b'9' => false,
            _ => {
                let head = body.get(..3).unwrap_or_default();
                head.eq_ignore_ascii_case(b"inf") || head.eq_ignore_ascii_case(b"nan")
            }
        }
    }

    fn word(&self, w: &[u8]) -> bool {
        self.text.get(self.pos..self.pos + w.len()) == Some(w)
    }

    fn expected(&self, what: &str) -> mlua::Error {
        fail(format!("Expected {what} but found {} at character {}", self.found(), self.pos + 1))
    }

    fn value(&mut self) -> mlua::Result<Value> {
        self.skip_space();
        match self.text.get(self.pos) {
            Some(&open @ (b'{' | b'[')) => {
                self.depth += 1;
                if self.depth > (self.cfg.decode_max_depth as usize).min(MAX_HELD_NESTING) {
                    return Err(fail(format!(
                        "Found too many nested data structures ({}) at character {}",
                        self.depth,
                        self.pos + 1
                    )));
                }
                let v = if open == b'{' { self.object()? } else { self.array()? };
                self.depth -= 1;
                Ok(v)
            }
            Some(b'"') => Ok(Value::String(self.lua.create_string(self.string()?)?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) if self.word(b"true") => {
                self.pos += 4;
                Ok(Value::Boolean(true))
            }
            Some(_) if self.word(b"false") => {
                self.pos += 5;
                Ok(Value::Boolean(false))
            }
            Some(_) if self.word(b"null") => {
                self.pos += 4;
                Ok(null())
            }
            Some(_) if self.cfg.decode_invalid_numbers && self.invalid_number() => self.number(),
            _ => Err(self.expected("value")),
        }
    }

    fn object(&mut self) -> mlua::Result<Value> {
        let t = self.lua.create_table()?;
        self.pos += 1;
        self.skip_space();
        if self.text.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Value::Table(t));
        }
        loop {
            self.skip_space();
            if self.text.get(self.pos) != Some(&b'"') {
                return Err(self.expected("object key string"));
            }
            let key = self.string()?;
            self.skip_space();
            if self.text.get(self.pos) != Some(&b':') {
                return Err(self.expected("colon"));
            }
            self.pos += 1;
            let v = self.value()?;
            t.raw_set(self.lua.create_string(&key)?, v)?;
            self.skip_space();
            match self.text.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Table(t));
                }
                _ => return Err(self.expected("comma or object end")),
            }
        }
    }

    fn array(&mut self) -> mlua::Result<Value> {
        let t = self.lua.create_table()?;
        self.pos += 1;
        self.skip_space();
        if self.text.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Value::Table(t));
        }
        let mut i = 1i64;
        loop {
            let v = self.value()?;
            t.raw_set(i, v)?;
            i += 1;
            self.skip_space();
            match self.text.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Table(t));
                }
                _ => return Err(self.expected("comma or array end")),
            }
        }
    }

    /// A string token from its opening quote; the position ends past the closing one. Errors
    /// name the place as Lua CJSON does: the backslash of a bad escape, the end of the text
    /// for an unterminated string.
    fn string(&mut self) -> mlua::Result<Vec<u8>> {
        let bad = |what: &str, at: usize| fail(format!("Expected value but found {what} at character {}", at + 1));
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.text.get(self.pos) else {
                return Err(bad("unexpected end of string", self.pos));
            };
            let at = self.pos;
            self.pos += 1;
            match b {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(&e) = self.text.get(self.pos) else {
                        return Err(bad("unexpected end of string", self.pos));
                    };
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let c = self.unicode_escape().ok_or_else(|| bad("invalid unicode escape code", at))?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(bad("invalid escape code", at)),
                    }
                }
                _ => out.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
        self.pos += 4;
        Some(v)
    }

    /// After `\u`: one code point, a surrogate pair taken together.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xd800..0xdc00).contains(&first) {
            if self.text.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return None;
            }
            self.pos += 2;
            let low = self.hex4()?;
            if !(0xdc00..0xe000).contains(&low) {
                return None;
            }
            return char::from_u32(0x10000 + ((first - 0xd800) << 10) + (low - 0xdc00));
        }
        char::from_u32(first)
    }

    fn number(&mut self) -> mlua::Result<Value> {
        if self.number_token_name() != "T_NUMBER" {
            return Err(self.expected("value"));
        }
        match strtod(self.text.get(self.pos..).unwrap_or_default()) {
            Some((n, len)) => {
                self.pos += len;
                Ok(Value::Number(n))
            }
            None => Err(self.expected("value")),
        }
    }
}

/// C's `strtod` on a prefix of `s` (no leading spaces): the number and the bytes it
/// took, or None when no number starts there. Reads decimal and hex numbers, `inf`,
/// `infinity` and `nan` (optionally `nan(chars)`), each with an optional sign.
pub(crate) fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let (neg, mut i) = match s.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let sign = |v: f64| if neg { -v } else { v };
    let rest = s.get(i..).unwrap_or_default();
    let starts = |w: &[u8]| rest.get(..w.len()).is_some_and(|p| p.eq_ignore_ascii_case(w));
    if starts(b"infinity") {
        return Some((sign(f64::INFINITY), i + 8));
    }
    if starts(b"inf") {
        return Some((sign(f64::INFINITY), i + 3));
    }
    if starts(b"nan") {
        let mut len = i + 3;
        if s.get(len) == Some(&b'(') {
            let close =
                s.get(len + 1..).unwrap_or_default().iter().position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'));
            if let Some(c) = close.filter(|c| s.get(len + 1 + c) == Some(&b')')) {
                len += c + 2;
            }
        }
        return Some((sign(f64::NAN), len));
    }
    let digit_at =
        |j: usize, hex: bool| s.get(j).is_some_and(|b| if hex { b.is_ascii_hexdigit() } else { b.is_ascii_digit() });
    if rest.first() == Some(&b'0') && matches!(rest.get(1), Some(b'x' | b'X')) {
        let j = i + 2;
        if digit_at(j, true) || (s.get(j) == Some(&b'.') && digit_at(j + 1, true)) {
            return Some(hex_float(s, j, sign));
        }
        // "0x" with no hex digit after it: strtod reads the 0 alone.
        return Some((sign(0.0), i + 1));
    }
    let start = i;
    let mut digits = 0;
    while digit_at(i, false) {
        i += 1;
        digits += 1;
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        while digit_at(i, false) {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if digit_at(j, false) {
            while digit_at(j, false) {
                j += 1;
            }
            i = j;
        }
    }
    let text = std::str::from_utf8(s.get(start..i).unwrap_or_default()).ok()?;
    let v: f64 = text.parse().ok()?;
    Some((sign(v), i))
}

/// The digits of a hex float from `j` (after "0x"): mantissa, optional fraction, optional
/// binary exponent `p[+-]n`.
fn hex_float(s: &[u8], mut j: usize, sign: impl Fn(f64) -> f64) -> (f64, usize) {
    let hex = |b: &u8| (*b as char).to_digit(16);
    let mut v = 0.0f64;
    let mut scale = 0i64;
    while let Some(d) = s.get(j).and_then(hex) {
        v = v * 16.0 + f64::from(d);
        j += 1;
    }
    if s.get(j) == Some(&b'.') {
        j += 1;
        while let Some(d) = s.get(j).and_then(hex) {
            v = v * 16.0 + f64::from(d);
            scale -= 4;
            j += 1;
        }
    }
    if matches!(s.get(j), Some(b'p' | b'P')) {
        let mut k = j + 1;
        let neg = match s.get(k) {
            Some(b'-') => {
                k += 1;
                true
            }
            Some(b'+') => {
                k += 1;
                false
            }
            _ => false,
        };
        if s.get(k).is_some_and(u8::is_ascii_digit) {
            let mut e = 0i64;
            while let Some(d) = s.get(k).filter(|b| b.is_ascii_digit()) {
                e = (e * 10 + i64::from(d - b'0')).min(100_000);
                k += 1;
            }
            scale += if neg { -e } else { e };
            j = k;
        }
    }
    let v = v * 2f64.powi(scale.clamp(-100_000, 100_000) as i32);
    (sign(v), j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::libs::testing::lua_with;

    fn run(lua: &Lua, code: &str) -> Result<String, String> {
        lua.load(code).eval::<String>().map_err(|e| e.to_string())
    }

    fn lua() -> Lua {
        lua_with("cjson", table)
    }

    #[test]
    fn values_encode_as_lua_cjson_does() {
        let lua = lua();
        assert_eq!(
            run(&lua, "return cjson.encode({1, 2.5, 'a/b', true, cjson.null})").unwrap(),
            r#"[1,2.5,"a\/b",true,null]"#
        );
        assert_eq!(run(&lua, "return cjson.encode({})").unwrap(), "{}");
        assert_eq!(run(&lua, "return cjson.encode({a = {b = 0.1}})").unwrap(), r#"{"a":{"b":0.1}}"#);
        assert_eq!(run(&lua, "return cjson.encode(1/3)").unwrap(), "0.33333333333333");
        assert_eq!(run(&lua, "return cjson.encode('\\n\\1')").unwrap(), r#""\n\u0001""#);
        assert_eq!(run(&lua, "return cjson.encode({[1] = 1, [3] = 3})").unwrap(), "[1,null,3]");
        assert!(run(&lua, "return cjson.encode({[20] = 1})").unwrap_err().contains("excessively sparse array"));
        assert!(run(&lua, "return cjson.encode(function() end)").unwrap_err().contains("Cannot serialise function"));
        assert!(run(&lua, "return cjson.encode(0/0)").unwrap_err().contains("must not be NaN or Inf"));
        let deep = "local t = {} local c = t for i = 1, 1100 do c[1] = {} c = c[1] end return cjson.encode(t)";
        assert!(run(&lua, deep).unwrap_err().contains("excessive nesting (1001)"));
    }

    #[test]
    fn documents_decode_in_order_and_errors_name_the_place() {
        let lua = lua();
        let round = r#"return cjson.encode(cjson.decode('{"a":[1,2,{"b":null}],"c":"\\u00e9\\ud83d\\ude00"}'))"#;
        assert_eq!(run(&lua, round).unwrap(), "{\"a\":[1,2,{\"b\":null}],\"c\":\"é😀\"}");
        assert_eq!(run(&lua, "return tostring(cjson.decode('[true]')[1])").unwrap(), "true");
        let err = |doc: &str| run(&lua, &format!("return cjson.decode({doc:?})")).unwrap_err();
        assert!(err("").contains("Expected value but found T_END at character 1"));
        assert!(err("x").contains("Expected value but found invalid token at character 1"));
        assert!(err("{1:2}").contains("Expected object key string but found T_NUMBER at character 2"));
        assert!(err("[1 2]").contains("Expected comma or array end but found T_NUMBER at character 4"));
        assert!(err("{\"a\" 1}").contains("Expected colon but found T_NUMBER at character 6"));
        assert!(err("[1] x").contains("Expected the end but found invalid token at character 5"));
        assert!(err(&"[".repeat(1001)).contains("Found too many nested data structures (1001) at character 1001"));
    }

    #[test]
    fn strtod_reads_what_c_reads() {
        assert_eq!(strtod(b"12abc"), Some((12.0, 2)));
        assert_eq!(strtod(b"-0x1F]"), Some((-31.0, 5)));
        assert_eq!(strtod(b"0x.8p1"), Some((1.0, 6)));
        assert_eq!(strtod(b"0x]"), Some((0.0, 1)));
        assert_eq!(strtod(b"1e]"), Some((1.0, 1)));
        assert_eq!(strtod(b"1.5.5"), Some((1.5, 3)));
        assert_eq!(strtod(b"+3"), Some((3.0, 2)));
        assert_eq!(strtod(b"-Infinity,"), Some((f64::NEG_INFINITY, 9)));
        assert_eq!(strtod(b"infx"), Some((f64::INFINITY, 3)));
        assert!(strtod(b"nan(12)").is_some_and(|(v, n)| v.is_nan() && n == 7));
        assert_eq!(strtod(b"-x"), None);
        assert_eq!(strtod(b".5"), Some((0.5, 2)));
        assert_eq!(strtod(b"."), None);
    }

    #[test]
    fn settings_change_later_calls() {
        let lua = lua();
        assert_eq!(
            run(&lua, "cjson.encode_number_precision(3) return cjson.encode({1/3, 12345})").unwrap(),
            "[0.333,1.23e+04]"
        );
        assert_eq!(run(&lua, "cjson.encode_invalid_numbers('null') return cjson.encode({1/0})").unwrap(), "[null]");
        assert_eq!(
            run(&lua, "cjson.encode_sparse_array(true) return cjson.encode({[20] = 1})").unwrap(),
            r#"{"20":1}"#
        );
        assert!(
            run(&lua, "cjson.decode_max_depth(2) return cjson.decode('[[[1]]]')")
                .unwrap_err()
                .contains("(3) at character 3")
        );
        assert!(
            run(&lua, "cjson.decode_invalid_numbers(false) return cjson.decode('0x10')")
                .unwrap_err()
                .contains("found invalid number")
        );
        let err = run(&lua, "return cjson.encode_max_depth(0)").unwrap_err();
        assert!(
            err.contains("bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"),
            "{err}"
        );
        let deep = "cjson.decode_max_depth(100000) return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))";
        assert!(run(&lua, deep).unwrap_err().contains("(1001) at character 1001"));
    }

    /// `cjson.new()` is a module of its own: its settings start at the defaults and
    /// changing them leaves the global `cjson` alone.
    #[test]
    fn new_tables_have_their_own_settings() {
        let lua = lua();
        let both = "local c = cjson.new() c.encode_number_precision(3) \
                    return c.encode(1/3) .. ' ' .. cjson.encode(1/3) .. ' ' .. tostring(c.null == cjson.null)";
        assert_eq!(run(&lua, both).unwrap(), "0.333 0.33333333333333 true");
        assert_eq!(run(&lua, "return cjson.new().new().encode_number_precision()").unwrap(), "14");
    }
}
