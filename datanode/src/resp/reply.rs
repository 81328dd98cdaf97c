//! Replies and their encoding in RESP2 or RESP3, as Redis 7.0 sends them.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::ReplyError;
use super::number::fmt_double;

#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Ok,
    Status(String),
    /// The whole error line after '-', e.g. `ERR syntax error` or `WRONGTYPE ...`.
    Error(String),
    Int(i64),
    Bulk(Bytes),
    /// A missing value: `$-1` in RESP2, `_` in RESP3.
    Nil,
    /// A missing aggregate: `*-1` in RESP2, `_` in RESP3.
    NilArray,
    Array(Vec<Reply>),
    /// A RESP3 map; a flat array of alternating keys and values in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// A RESP3 set; an array in RESP2.
    Set(Vec<Reply>),
    /// A RESP3 double; a bulk string in RESP2.
    Double(f64),
    /// A RESP3 double whose digits are already printed, for replies Redis prints in another
    /// form than `%.17g` (GEOPOS coordinates: 17 decimals); a bulk string in RESP2.
    DoubleText(String),
    /// A RESP3 boolean; 1 or 0 in RESP2.
    Bool(bool),
    /// A RESP3 verbatim string (`txt`); a bulk string in RESP2.
    Verbatim(String),
    /// A RESP3 push (pub/sub messages); an array in RESP2.
    Push(Vec<Reply>),
    /// Pairs that RESP2 sends as one flat array and RESP3 as an array of 2-element arrays
    /// (ZRANGE WITHSCORES, HRANDFIELD WITHVALUES, ZRANDMEMBER WITHSCORES).
    Pairs(Vec<(Reply, Reply)>),
}

impl Reply {
    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }

    pub fn text(s: &str) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    pub fn status(s: &str) -> Reply {
        Reply::Status(s.to_owned())
    }

    pub fn error(s: impl Into<String>) -> Reply {
        Reply::Error(s.into())
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    pub fn bulks<I, B>(items: I) -> Reply
    where
        I: IntoIterator<Item = B>,
        B: Into<Bytes>,
    {
        Reply::Array(items.into_iter().map(|b| Reply::Bulk(b.into())).collect())
    }

    pub fn encode(&self, out: &mut BytesMut, resp3: bool) {
        match self {
            Reply::Ok => out.put_slice(b"+OK\r\n"),
            Reply::Status(s) => simple(out, b'+', s),
            Reply::Error(s) => simple(out, b'-', s),
            Reply::Int(n) => {
                let mut buf = itoa::Buffer::new();
                line(out, b':', buf.format(*n).as_bytes());
            }
            Reply::Bulk(b) => bulk(out, b),
            Reply::Nil => out.put_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" }),
            Reply::NilArray => out.put_slice(if resp3 { b"_\r\n" } else { b"*-1\r\n" }),
            Reply::Array(items) => {
                header(out, b'*', items.len());
                for item in items {
                    item.encode(out, resp3);
                }
            }
            Reply::Map(pairs) => {
                if resp3 {
                    header(out, b'%', pairs.len());
                } else {
                    header(out, b'*', pairs.len() * 2);
                }
                for (k, v) in pairs {
                    k.encode(out, resp3);
                    v.encode(out, resp3);
                }
            }
            Reply::Set(items) => {
                header(out, if resp3 { b'~' } else { b'*' }, items.len());
                for item in items {
                    item.encode(out, resp3);
                }
            }
            Reply::Push(items) => {
                header(out, if resp3 { b'>' } else { b'*' }, items.len());
                for item in items {
                    item.encode(out, resp3);
                }
            }
            Reply::Pairs(pairs) => {
                if resp3 {
                    header(out, b'*', pairs.len());
                    for (a, b) in pairs {
                        header(out, b'*', 2);
                        a.encode(out, resp3);
                        b.encode(out, resp3);
                    }
                } else {
                    header(out, b'*', pairs.len() * 2);
                    for (a, b) in pairs {
                        a.encode(out, resp3);
                        b.encode(out, resp3);
                    }
                }
            }
            Reply::Double(d) => {
                let text = fmt_double(*d);
                if resp3 {
                    line(out, b',', text.as_bytes());
                } else {
                    bulk(out, text.as_bytes());
                }
            }
            Reply::DoubleText(text) => {
                if resp3 {
                    line(out, b',', text.as_bytes());
                } else {
                    bulk(out, text.as_bytes());
                }
            }
            Reply::Bool(b) => {
                if resp3 {
                    out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" });
                } else {
                    out.put_slice(if *b { b":1\r\n" } else { b":0\r\n" });
                }
            }
            Reply::Verbatim(s) => {
                if resp3 {
                    header(out, b'=', s.len() + 4);
                    out.put_slice(b"txt:");
                    out.put_slice(s.as_bytes());
                    out.put_slice(b"\r\n");
                } else {
                    bulk(out, s.as_bytes());
                }
            }
        }
    }
}

fn line(out: &mut BytesMut, prefix: u8, body: &[u8]) {
    out.reserve(body.len() + 3);
    out.put_u8(prefix);
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

/// A status or error line. Its text may quote what a client sent (an unknown command's
/// name): a line break in it would end the line early and make the rest a reply of its own,
/// so CR and LF become spaces, as Redis does.
fn simple(out: &mut BytesMut, prefix: u8, text: &str) {
    if !text.contains(['\r', '\n']) {
        return line(out, prefix, text.as_bytes());
    }
    let body: Vec<u8> = text.bytes().map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect();
    line(out, prefix, &body);
}

fn header(out: &mut BytesMut, prefix: u8, len: usize) {
    let mut buf = itoa::Buffer::new();
    line(out, prefix, buf.format(len).as_bytes());
}

fn bulk(out: &mut BytesMut, b: &[u8]) {
    header(out, b'$', b.len());
    out.reserve(b.len() + 2);
    out.put_slice(b);
    out.put_slice(b"\r\n");
}

impl From<ReplyError> for Reply {
    fn from(e: ReplyError) -> Reply {
        Reply::Error(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply, resp3: bool) -> String {
        let mut out = BytesMut::new();
        r.encode(&mut out, resp3);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn resp2_and_resp3_shapes() {
        let map = Reply::Map(vec![(Reply::text("a"), Reply::Int(1))]);
        assert_eq!(enc(&map, false), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&map, true), "%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&Reply::Nil, false), "$-1\r\n");
        assert_eq!(enc(&Reply::Nil, true), "_\r\n");
        assert_eq!(enc(&Reply::NilArray, false), "*-1\r\n");
        assert_eq!(enc(&Reply::Double(1.5), false), "$3\r\n1.5\r\n");
        assert_eq!(enc(&Reply::Double(1.5), true), ",1.5\r\n");
        assert_eq!(enc(&Reply::Set(vec![Reply::Int(1)]), true), "~1\r\n:1\r\n");
    }

    #[test]
    fn a_line_break_in_an_error_or_status_becomes_a_space() {
        assert_eq!(enc(&Reply::error("ERR unknown command 'a\r\n+OK'"), false), "-ERR unknown command 'a  +OK'\r\n");
        assert_eq!(enc(&Reply::status("x\ny"), true), "+x y\r\n");
    }
}
