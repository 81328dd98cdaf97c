//! BITOP AND|OR|XOR|NOT destkey key [key ...]: a whole new value for destkey (a SET, so it
//! clears the TTL), or a DEL of destkey when every source is empty.

use bytes::Bytes;

use crate::cmd::strings::set::{TtlChange, store_string};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError, args::is};
use crate::resp::Reply;
use crate::shard::{Access, Shard};

pub const SPEC: CommandSpec = CommandSpec {
    name: "bitop",
    arity: -4,
    flags: &["write", "denyoom"],
    keys: (2, -1, 1),
    group: "bitmap",
    summary: "Performs bitwise operations on multiple strings, and stores the result.",
    handler: Handler::Data(run),
};

#[derive(Clone, Copy, PartialEq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let name = args.bytes()?;
    let op = [("and", Op::And), ("or", Op::Or), ("xor", Op::Xor), ("not", Op::Not)]
        .into_iter()
        .find(|(n, _)| is(&name, n))
        .map(|(_, op)| op)
        .ok_or_else(ReplyError::syntax)?;
    let dest = args.bytes()?;
    let keys = args.rest();
    if op == Op::Not && keys.len() != 1 {
        return Err(ReplyError::new("ERR BITOP NOT must be called with a single source key."));
    }
    let mut sources = Vec::with_capacity(keys.len());
    for k in &keys {
        sources.push(crate::cmd::strings::get_string(shard, k)?.unwrap_or_default());
    }
    let len = sources.iter().map(Bytes::len).max().unwrap_or(0);
    if len == 0 {
        if shard.lookup(&dest, Access::Write).is_some() {
            shard.delete(&dest);
        }
        return Ok(Reply::Int(0));
    }
    let byte = |s: &Bytes, i: usize| s.get(i).copied().unwrap_or(0);
    let mut out = vec![0u8; len];
    for (i, o) in out.iter_mut().enumerate() {
        let mut it = sources.iter();
        let mut acc = it.next().map_or(0, |s| byte(s, i));
        if op == Op::Not {
            acc = !acc;
        }
        for s in it {
            let b = byte(s, i);
            match op {
                Op::And => acc &= b,
                Op::Or => acc |= b,
                Op::Xor => acc ^= b,
                Op::Not => {}
            }
        }
        *o = acc;
    }
    store_string(shard, &dest, Bytes::from(out), TtlChange::Clear);
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn combines_and_stores() {
        let mut s = shard();
        run(&mut s, &["SET", "a", "abc"]);
        run(&mut s, &["SET", "b", "a"]);
        assert_eq!(run(&mut s, &["BITOP", "AND", "d", "a", "b"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["GET", "d"]), bulk("a\0\0"));
        assert_eq!(run(&mut s, &["BITOP", "or", "d", "a", "none"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["GET", "d"]), bulk("abc"));
        assert_eq!(run(&mut s, &["BITOP", "XOR", "d", "a", "a"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["GET", "d"]), bulk("\0\0\0"));
        assert_eq!(run(&mut s, &["BITOP", "NOT", "d", "b"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["GET", "d"]), Reply::Bulk(bytes::Bytes::from_static(b"\x9e")));
        assert_eq!(run(&mut s, &["BITOP", "AND", "d", "none"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["EXISTS", "d"]), Reply::Int(0));
        assert_eq!(
            run(&mut s, &["BITOP", "NOT", "d", "a", "b"]),
            Reply::error("ERR BITOP NOT must be called with a single source key.")
        );
        assert_eq!(run(&mut s, &["BITOP", "NAND", "d", "a"]), Reply::error("ERR syntax error"));
    }
}
