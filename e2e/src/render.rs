//! Replies as `redis-cli` prints them on a terminal, so one literal expectation checks the
//! `redis` crate's view of a reply and redis-cli's alike.

use redis::Value;

/// Formats `value` as redis-cli's `cliFormatReplyTTY` does (the format of `redis-cli --no-raw`),
/// without the final newline.
pub fn render(value: &Value) -> String {
    let mut out = String::new();
    format(value, "", &mut out);
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

fn format(value: &Value, prefix: &str, out: &mut String) {
    match value {
        Value::Nil => out.push_str("(nil)\n"),
        Value::Int(i) => out.push_str(&format!("(integer) {i}\n")),
        Value::BulkString(bytes) => {
            repr(bytes, out);
            out.push('\n');
        }
        Value::SimpleString(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Okay => out.push_str("OK\n"),
        Value::Double(d) => out.push_str(&format!("(double) {d}\n")),
        Value::Boolean(b) => out.push_str(if *b { "(true)\n" } else { "(false)\n" }),
        Value::VerbatimString { text, .. } => {
            out.push_str(text);
            out.push('\n');
        }
        Value::BigNumber(n) => out.push_str(&format!("(big number) {n}\n")),
        // The crate splits "ERR some text" into a code and details.
        Value::ServerError(e) => match e.details() {
            Some(details) => out.push_str(&format!("(error) {} {details}\n", e.code())),
            None => out.push_str(&format!("(error) {}\n", e.code())),
        },
        Value::Attribute { data, .. } => format(data, prefix, out),
        Value::Array(items) => aggregate(items.iter().map(Entry::One).collect(), ')', "(empty array)", prefix, out),
        Value::Push { data, .. } => aggregate(data.iter().map(Entry::One).collect(), ')', "(empty push)", prefix, out),
        Value::Set(items) => aggregate(items.iter().map(Entry::One).collect(), '~', "(empty set)", prefix, out),
        Value::Map(pairs) => {
            aggregate(pairs.iter().map(|(k, v)| Entry::Pair(k, v)).collect(), '#', "(empty hash)", prefix, out)
        }
    }
}

enum Entry<'a> {
    One(&'a Value),
    Pair(&'a Value, &'a Value),
}

/// Numbered entries, right-aligned to the widest index; nested entries are indented by the
/// index width plus two, and the first line of an entry follows its own index.
fn aggregate(entries: Vec<Entry<'_>>, separator: char, empty: &str, prefix: &str, out: &mut String) {
    if entries.is_empty() {
        out.push_str(empty);
        out.push('\n');
        return;
    }
    let width = entries.len().to_string().len();
    let nested = format!("{prefix}{}", " ".repeat(width + 2));
    for (i, entry) in entries.iter().enumerate() {
        let lead = if i == 0 { "" } else { prefix };
        out.push_str(&format!("{lead}{:>width$}{separator} ", i + 1));
        match entry {
            Entry::One(v) => format(v, &nested, out),
            Entry::Pair(k, v) => {
                format(k, &nested, out);
                out.pop();
                out.push_str(" => ");
                format(v, &nested, out);
            }
        }
    }
}

/// Quotes bytes as redis's `sdscatrepr`.
fn repr(bytes: &[u8], out: &mut String) {
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn scalars() {
        assert_eq!(render(&Value::Okay), "OK");
        assert_eq!(render(&Value::Int(-3)), "(integer) -3");
        assert_eq!(render(&Value::Nil), "(nil)");
        assert_eq!(render(&bulk("a\"b\nc\x01")), "\"a\\\"b\\nc\\x01\"");
    }

    #[test]
    fn nested_arrays_indent_by_index_width() {
        let inner = Value::Array(vec![bulk("x"), Value::Int(1)]);
        let mut items: Vec<Value> = (0..9).map(|i| bulk(&i.to_string())).collect();
        items.push(inner);
        let text = render(&Value::Array(items));
        assert!(text.starts_with(" 1) \"0\"\n 2) \"1\"\n"), "{text}");
        assert!(text.ends_with(" 9) \"8\"\n10) 1) \"x\"\n    2) (integer) 1"), "{text}");
        assert_eq!(render(&Value::Array(vec![])), "(empty array)");
    }

    #[test]
    fn maps() {
        let map = Value::Map(vec![(bulk("f"), bulk("v")), (bulk("g"), Value::Int(2))]);
        assert_eq!(render(&map), "1# \"f\" => \"v\"\n2# \"g\" => (integer) 2");
    }
}
