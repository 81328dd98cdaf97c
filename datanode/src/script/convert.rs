//! Redis's conversion rules between command replies and Lua values, both ways.

use bytes::Bytes;
use mlua::{Lua, Table, Value};

use crate::resp::Reply;

/// How deep a script's returned tables may nest: Redis stops at its Lua stack limit, and a
/// table that contains itself must not recurse forever.
const MAX_DEPTH: usize = 200;

/// Redis's error-table text: `-CODE msg` keeps CODE, anything else gets `ERR`; line breaks
/// at either end go.
pub fn err_text(s: &str) -> String {
    let (code, msg) = match s.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, msg)) => (code, msg),
            None => ("ERR", rest),
        },
        None => ("ERR", s),
    };
    format!("{code} {}", msg.trim_matches(['\r', '\n']))
}

/// An error table `{err = text}`.
pub fn error_table(lua: &Lua, text: &str) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set("err", text)?;
    Ok(Value::Table(t))
}

/// A command's reply as the script sees it, under `redis.setresp(resp)`.
pub fn reply_to_lua(lua: &Lua, reply: Reply, resp: u8) -> mlua::Result<Value> {
    let resp3 = resp == 3;
    Ok(match reply {
        Reply::Ok => single(lua, "ok", Value::String(lua.create_string("OK")?))?,
        Reply::Status(s) => single(lua, "ok", Value::String(lua.create_string(s)?))?,
        Reply::Error(s) => error_table(lua, &err_text(&format!("-{s}")))?,
        Reply::Int(n) => Value::Integer(n),
        Reply::Bulk(b) => Value::String(lua.create_string(&b)?),
        Reply::Verbatim(s) if resp3 => {
            let t = lua.create_table()?;
            t.raw_set("format", "txt")?;
            t.raw_set("string", s)?;
            single(lua, "verbatim_string", Value::Table(t))?
        }
        Reply::Verbatim(s) => Value::String(lua.create_string(s)?),
        Reply::Nil | Reply::NilArray if resp3 => Value::Nil,
        Reply::Nil | Reply::NilArray => Value::Boolean(false),
        Reply::Array(items) | Reply::Push(items) => array(lua, items, resp)?,
        Reply::Set(items) if resp3 => {
            let t = lua.create_table()?;
            for item in items {
                t.raw_set(reply_to_lua(lua, item, resp)?, true)?;
            }
            single(lua, "set", Value::Table(t))?
        }
        Reply::Set(items) => array(lua, items, resp)?,
        Reply::Map(pairs) if resp3 => {
            let t = lua.create_table()?;
            for (k, v) in pairs {
                t.raw_set(reply_to_lua(lua, k, resp)?, reply_to_lua(lua, v, resp)?)?;
            }
            single(lua, "map", Value::Table(t))?
        }
        Reply::Map(pairs) => array(lua, pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(), resp)?,
        Reply::Pairs(pairs) if resp3 => {
            array(lua, pairs.into_iter().map(|(k, v)| Reply::Array(vec![k, v])).collect(), resp)?
        }
        Reply::Pairs(pairs) => array(lua, pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(), resp)?,
        Reply::Double(d) if resp3 => single(lua, "double", Value::Number(d))?,
        Reply::Double(d) => Value::String(lua.create_string(crate::resp::number::fmt_double(d))?),
        // Printed by the command (GEOPOS): the number for RESP3, the text as sent for RESP2.
        Reply::DoubleText(s) if resp3 => single(lua, "double", Value::Number(s.parse().unwrap_or(f64::NAN)))?,
        Reply::DoubleText(s) => Value::String(lua.create_string(s)?),
        Reply::Bool(b) if resp3 => Value::Boolean(b),
        Reply::Bool(b) => Value::Integer(i64::from(b)),
    })
}

fn single(lua: &Lua, key: &str, v: Value) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set(key, v)?;
    Ok(Value::Table(t))
}

fn array(lua: &Lua, items: Vec<Reply>, resp: u8) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.into_iter().enumerate() {
        t.raw_set(i + 1, reply_to_lua(lua, item, resp)?)?;
    }
    Ok(Value::Table(t))
}

/// A Lua number as Redis replies it: truncated toward zero, as C's cast does; what no
/// 64-bit integer holds (NaN, infinities, out of range) becomes i64::MIN, as the x86 cast.
pub fn number_to_int(f: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_finite() && (-LIMIT..LIMIT).contains(&f) { f as i64 } else { i64::MIN }
}

/// A script's return value as the client's reply. `resp` is the script's `setresp`.
pub fn lua_to_reply(v: &Value, resp: u8) -> Reply {
    to_reply(v, resp, 0)
}

fn to_reply(v: &Value, resp: u8, depth: usize) -> Reply {
    match v {
        Value::String(s) => Reply::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(b) if resp == 3 => Reply::Bool(*b),
        Value::Boolean(true) => Reply::Int(1),
        Value::Integer(n) => Reply::Int(*n),
        Value::Number(f) => Reply::Int(number_to_int(*f)),
        Value::Table(t) if depth >= MAX_DEPTH => {
            let _ = t;
            Reply::error("ERR reached lua stack limit")
        }
        Value::Table(t) => table_to_reply(t, resp, depth),
        _ => Reply::Nil,
    }
}

fn table_to_reply(t: &Table, resp: u8, depth: usize) -> Reply {
    if let Ok(Value::String(e)) = t.raw_get::<Value>("err") {
        // The text as it is, without a code added: `{err='x'}` replies `-x`.
        return Reply::Error(String::from_utf8_lossy(&e.as_bytes()).into_owned());
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("ok") {
        let text = String::from_utf8_lossy(&s.as_bytes()).replace(['\r', '\n'], " ");
        return Reply::Status(text);
    }
    if let Ok(v @ (Value::Number(_) | Value::Integer(_))) = t.raw_get::<Value>("double") {
        let d = match v {
            Value::Number(d) => d,
            Value::Integer(n) => n as f64,
            _ => 0.0,
        };
        return Reply::Double(d);
    }
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let pairs = m
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, v)| (to_reply(&k, resp, depth + 1), to_reply(&v, resp, depth + 1)))
            .collect();
        return Reply::Map(pairs);
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>("set") {
        let items =
            s.pairs::<Value, Value>().filter_map(Result::ok).map(|(k, _)| to_reply(&k, resp, depth + 1)).collect();
        return Reply::Set(items);
    }
    // An array: the elements from 1 up to the first nil.
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(to_reply(&v, resp, depth + 1)),
        }
    }
    Reply::Array(items)
}

/// A `redis.call` argument: strings as they are, numbers as Redis prints them (integers
/// plainly, others with 17 significant digits). Anything else is refused.
pub fn arg_bytes(v: &Value) -> Option<Bytes> {
    match v {
        Value::String(s) => Some(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Integer(n) => Some(Bytes::from(n.to_string())),
        Value::Number(f) => Some(Bytes::from(fmt_g17(*f))),
        _ => None,
    }
}

/// C's `%.17g`.
pub fn fmt_g17(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf".into() } else { "inf".into() };
    }
    crate::resp::number::fmt_g(f, 17)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g17_matches_c() {
        assert_eq!(fmt_g17(3.7), "3.7000000000000002");
        assert_eq!(fmt_g17(0.5), "0.5");
        assert_eq!(fmt_g17(1e20), "1e+20");
        assert_eq!(fmt_g17(1.5e-7), "1.4999999999999999e-07");
        assert_eq!(fmt_g17(123456.0), "123456");
        assert_eq!(fmt_g17(-2.25), "-2.25");
    }

    #[test]
    fn numbers_truncate_like_c() {
        assert_eq!(number_to_int(3.99), 3);
        assert_eq!(number_to_int(-3.99), -3);
        assert_eq!(number_to_int(1.5e20), i64::MIN);
        assert_eq!(number_to_int(f64::NAN), i64::MIN);
    }

    #[test]
    fn error_texts_get_a_code() {
        assert_eq!(err_text("-x"), "ERR x");
        assert_eq!(err_text("x"), "ERR x");
        assert_eq!(err_text("-MY thing\r\n"), "MY thing");
        assert_eq!(err_text("-WRONGTYPE Operation against"), "WRONGTYPE Operation against");
    }

    #[test]
    fn replies_become_lua_values_and_back() {
        let lua = Lua::new();
        let r = Reply::Array(vec![
            Reply::Int(1),
            Reply::Nil,
            Reply::text("x"),
            Reply::Status("FINE".into()),
            Reply::Error("ERR bad".into()),
        ]);
        let v = reply_to_lua(&lua, r, 2).unwrap();
        // The nil became false: the array goes on after it.
        let back = lua_to_reply(&v, 2);
        assert_eq!(
            back,
            Reply::Array(vec![
                Reply::Int(1),
                Reply::Nil,
                Reply::text("x"),
                Reply::Status("FINE".into()),
                Reply::Error("ERR bad".into())
            ])
        );
        let t = lua.load("return {1, 2, nil, 4}").eval::<Value>().unwrap();
        assert_eq!(lua_to_reply(&t, 2), Reply::Array(vec![Reply::Int(1), Reply::Int(2)]));
        let t = lua.load("return {3.9, true, false}").eval::<Value>().unwrap();
        assert_eq!(lua_to_reply(&t, 2), Reply::Array(vec![Reply::Int(3), Reply::Int(1), Reply::Nil]));
        let t = lua.load("local t = {} t[1] = t return t").eval::<Value>().unwrap();
        let deep = format!("{:?}", lua_to_reply(&t, 2));
        assert!(deep.contains("reached lua stack limit"));
    }
}
