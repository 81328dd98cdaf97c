//! HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]

use crate::cmd::scan::{page, parse_cursor, parse_opts};
use crate::cmd::strings::string_bytes;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "hscan",
    arity: -3,
    flags: &["readonly"],
    keys: (1, 1, 1),
    group: "hash",
    summary: "Incrementally iterate hash fields and associated values.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let cursor = parse_cursor(&args.bytes()?)?;
    // As in Redis, the options are parsed only once the key is found.
    let Some(map) = super::read_hash(shard, &key)? else { return Ok(scan_reply(0, Vec::new())) };
    let opts = parse_opts(args, false)?;
    let (next, found) = page(map.iter().filter(|(_, c)| c.is_live()), cursor, &opts);
    let mut out = Vec::with_capacity(found.len() * 2);
    for (field, cell) in found {
        out.push(Reply::Bulk(field));
        if !opts.novalues {
            out.push(Reply::Bulk(string_bytes(cell)));
        }
    }
    Ok(scan_reply(next, out))
}

/// A SCAN-family reply: the next cursor as a bulk string, then the page.
pub fn scan_reply(next: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::Bulk(next.to_string().into()), Reply::Array(items)])
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{bulk, bulks, run, shard};
    use crate::resp::Reply;

    fn scan_all(s: &mut crate::shard::Shard, extra: &[&str]) -> Vec<Reply> {
        crate::cmd::testing::scan_all(s, &["HSCAN", "h"], extra)
    }

    #[test]
    fn visits_every_field_with_its_value() {
        let mut s = shard();
        for i in 0..25 {
            run(&mut s, &["HSET", "h", &format!("f{i}"), &format!("{i}")]);
        }
        run(&mut s, &["HDEL", "h", "f3"]);
        let all = scan_all(&mut s, &["COUNT", "4"]);
        assert_eq!(all.len(), 48);
        for pair in all.chunks(2) {
            let (Reply::Bulk(f), Reply::Bulk(v)) = (&pair[0], &pair[1]) else { panic!("bad pair") };
            assert_eq!(&f[1..], &v[..]);
        }
        assert_eq!(scan_all(&mut s, &["MATCH", "f1*", "NOVALUES"]).len(), 11);
    }

    #[test]
    fn small_hash_in_one_page() {
        let mut s = shard();
        run(&mut s, &["HSET", "h", "a", "1"]);
        assert_eq!(run(&mut s, &["HSCAN", "h", "0"]), Reply::Array(vec![bulk("0"), bulks(&["a", "1"])]));
    }

    #[test]
    fn missing_key_and_errors() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["HSCAN", "nokey", "0", "bogus"]), Reply::Array(vec![bulk("0"), bulks(&[])]));
        assert_eq!(run(&mut s, &["HSCAN", "nokey", "x"]), Reply::error("ERR invalid cursor"));
        run(&mut s, &["HSET", "h", "a", "1"]);
        assert_eq!(run(&mut s, &["HSCAN", "h", "0", "bogus"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["HSCAN", "h", "0", "COUNT", "0"]), Reply::from(ReplyError::syntax()));
        assert_eq!(run(&mut s, &["HSCAN", "h", "0", "COUNT", "x"]), Reply::from(ReplyError::not_integer()));
        run(&mut s, &["SET", "k", "v"]);
        assert_eq!(run(&mut s, &["HSCAN", "k", "0"]), Reply::from(ReplyError::wrongtype()));
    }
}
