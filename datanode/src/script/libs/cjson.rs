//! The `cjson` library Redis's Lua has (Lua CJSON 2.1, with Redis's defaults): `encode`,
//! `decode` and `null`. Encoding follows Lua CJSON's rules: a table whose keys are all
//! positive integers is an array (an excessively sparse one is refused), any other table an
//! object, an empty table `{}`; numbers print as `%.14g`; `/` is escaped. Decoding keeps
//! the document's order when it fills tables (so a table built from JSON iterates as it does
//! in Redis), turns `null` into `cjson.null`, and refuses bad input with Lua CJSON's messages
//! ("Expected value but found invalid token at character 1"). Both bound their nesting at
//! 1000, as Lua CJSON does.

use mlua::{LightUserData, Lua, Table, Value};

use super::{fail, with_place};
use crate::resp::number::fmt_g;

/// Lua CJSON's default nesting limit, for encoding and decoding.
const MAX_DEPTH: usize = 1000;
/// Lua CJSON's defaults for sparse arrays: refuse one whose highest index is above both 10
/// and twice its number of items.
const SPARSE_RATIO: usize = 2;
const SPARSE_SAFE: usize = 10;

fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// The `cjson` table.
pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("null", null())?;
    t.raw_set(
        "encode",
        lua.create_function(|lua, v: mlua::MultiValue| {
            with_place(lua, {
                if v.len() != 1 {
                    return with_place(lua, Err(fail("bad argument #1 to 'encode' (expected 1 argument)")));
                }
                let mut out = Vec::new();
                encode(&v[0], 0, &mut out).and_then(|()| lua.create_string(&out))
            })
        })?,
    )?;
    t.raw_set("decode", lua.create_function(|lua, v: mlua::MultiValue| with_place(lua, decode(lua, &v)))?)?;
    Ok(t)
}

fn decode(lua: &Lua, v: &mlua::MultiValue) -> mlua::Result<Value> {
    let text = match v.front() {
        Some(Value::String(s)) if v.len() == 1 => s.as_bytes().to_vec(),
        Some(Value::Number(n)) if v.len() == 1 => fmt_g(*n, 14).into_bytes(),
        Some(Value::Integer(n)) if v.len() == 1 => n.to_string().into_bytes(),
        _ => return Err(fail("bad argument #1 to 'decode' (expected 1 argument)")),
    };
    let mut p = Parser { lua, text: &text, pos: 0, depth: 0 };
    let value = p.value()?;
    p.skip_space();
    if p.pos < text.len() {
        let found = p.found();
        return Err(fail(format!("Expected the end but found {found} at character {}", p.pos + 1)));
    }
    Ok(value)
}

fn encode(v: &Value, depth: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::Number(n) => {
            if !n.is_finite() {
                return Err(fail("Cannot serialise number: must not be NaN or Inf"));
            }
            out.extend_from_slice(fmt_g(*n, 14).as_bytes());
        }
        Value::String(s) => string(&s.as_bytes(), out),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > MAX_DEPTH {
                return Err(fail(format!("Cannot serialise, excessive nesting ({depth})")));
            }
            table_value(t, depth, out)?;
        }
        other => return Err(fail(format!("Cannot serialise {}: type not supported", other.type_name()))),
    }
    Ok(())
}

/// The highest index when every key is a positive integer, else None (an object).
fn array_length(t: &Table) -> mlua::Result<Option<usize>> {
    let (mut max, mut items) = (0usize, 0usize);
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        let index = match k {
            Value::Integer(i) if i >= 1 => i as usize,
            Value::Number(f) if f >= 1.0 && f.fract() == 0.0 && f < 9.0e15 => f as usize,
            _ => return Ok(None),
        };
        max = max.max(index);
        items += 1;
    }
    if max > SPARSE_SAFE && max > items.saturating_mul(SPARSE_RATIO) {
        return Err(fail("Cannot serialise table: excessively sparse array"));
    }
    Ok((items > 0).then_some(max))
}

fn table_value(t: &Table, depth: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    if let Some(len) = array_length(t)? {
        out.push(b'[');
        for i in 1..=len {
            if i > 1 {
                out.push(b',');
            }
            encode(&t.raw_get::<Value>(i)?, depth, out)?;
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
            Value::Number(n) => string(fmt_g(*n, 14).as_bytes(), out),
            Value::Integer(n) => string(n.to_string().as_bytes(), out),
            other => {
                return Err(fail(format!(
                    "Cannot serialise {}: table key must be a number or string",
                    other.type_name()
                )));
            }
        }
        out.push(b':');
        encode(&v, depth, out)?;
    }
    out.push(b'}');
    Ok(())
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
            Some(b'-' | b'0'..=b'9') => "T_NUMBER",
            Some(_) if self.word(b"true") || self.word(b"false") => "T_BOOLEAN",
            Some(_) if self.word(b"null") => "T_NULL",
            Some(_) => "invalid token",
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
            Some(b'{') | Some(b'[') => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(fail(format!(
                        "Found too many nested data structures ({}) at character {}",
                        self.depth,
                        self.pos + 1
                    )));
                }
                let v = if self.text.get(self.pos) == Some(&b'{') { self.object()? } else { self.array()? };
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
        let start = self.pos;
        while self.text.get(self.pos).is_some_and(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
            self.pos += 1;
        }
        let token = std::str::from_utf8(self.text.get(start..self.pos).unwrap_or_default()).unwrap_or_default();
        match token.parse::<f64>() {
            Ok(n) => Ok(Value::Number(n)),
            Err(_) => Err(fail(format!("Expected value but found invalid number at character {}", start + 1))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lua: &Lua, code: &str) -> Result<String, String> {
        lua.load(code).eval::<String>().map_err(|e| e.to_string())
    }

    fn lua() -> Lua {
        let lua = Lua::new();
        lua.globals().raw_set("cjson", table(&lua).unwrap()).unwrap();
        lua
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
}
