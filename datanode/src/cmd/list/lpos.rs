//! LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]

use crate::cmd::args::is;
use crate::cmd::format::parse_int;
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

use super::read_list;

pub const SPEC: CommandSpec = CommandSpec {
    name: "lpos",
    arity: -3,
    flags: &["readonly"],
    keys: (1, 1, 1),
    group: "list",
    summary: "Return the index of matching elements on a list",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let value = args.bytes()?;
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    while let Some(opt) = args.next() {
        let Some(arg) = args.next() else { return Err(ReplyError::syntax()) };
        if is(&opt, "rank") {
            rank = parse_int(&arg).ok_or_else(ReplyError::not_integer)?;
            if rank == 0 {
                return Err(ReplyError::new(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
                     or use negative to start from the end of the list",
                ));
            }
        } else if is(&opt, "count") {
            count = Some(non_negative(&arg, "ERR COUNT can't be negative")?);
        } else if is(&opt, "maxlen") {
            maxlen = non_negative(&arg, "ERR MAXLEN can't be negative")?;
        } else {
            return Err(ReplyError::syntax());
        }
    }
    let Some(list) = read_list(shard, &key)? else {
        return Ok(if count.is_some() { Reply::Array(Vec::new()) } else { Reply::Nil });
    };
    // As Redis does it, wrapping included: RANK i64::MIN counts from the tail and matches
    // everything, so COUNT never stops it.
    let from_tail = rank < 0;
    let rank = if from_tail { rank.wrapping_neg() } else { rank };
    let len = list.len();
    let items: Box<dyn Iterator<Item = (usize, &[u8])>> = if from_tail {
        Box::new(list.iter().rev().enumerate().map(|(i, (_, e))| (len - 1 - i, e.get())))
    } else {
        Box::new(list.iter().enumerate().map(|(i, (_, e))| (i, e.get())))
    };
    let limit = if maxlen == 0 { usize::MAX } else { usize::try_from(maxlen).unwrap_or(usize::MAX) };
    let mut matches: i64 = 0;
    let mut found = Vec::new();
    for (index, elem) in items.take(limit) {
        if elem != &value[..] {
            continue;
        }
        matches += 1;
        if matches >= rank {
            found.push(Reply::Int(index as i64));
            match count {
                None => break,
                Some(c) if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c => break,
                Some(_) => {}
            }
        }
    }
    Ok(match count {
        Some(_) => Reply::Array(found),
        None => found.pop().unwrap_or(Reply::Nil),
    })
}

/// A non-negative integer option; Redis gives the option's own message for any bad value.
fn non_negative(arg: &[u8], message: &str) -> Result<i64, ReplyError> {
    parse_int(arg).filter(|n| *n >= 0).ok_or_else(|| ReplyError::new(message))
}

#[cfg(test)]
mod tests {
    use crate::cmd::ReplyError;
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    fn ints(v: &[i64]) -> Reply {
        Reply::Array(v.iter().map(|i| Reply::Int(*i)).collect())
    }

    #[test]
    fn finds_matches_with_rank_count_and_maxlen() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "a", "c", "a", "d", "a"]);
        assert_eq!(run(&mut s, &["lpos", "l", "a"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "rank", "2"]), Reply::Int(2));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "rank", "-1"]), Reply::Int(6));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "RANK", "-2", "COUNT", "2"]), ints(&[4, 2]));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "count", "0"]), ints(&[0, 2, 4, 6]));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "count", "0", "maxlen", "3"]), ints(&[0, 2]));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "rank", "-1", "maxlen", "1"]), Reply::Int(6));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "count", "2", "count", "3"]), ints(&[0, 2, 4]));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "rank", "1", "rank", "3"]), Reply::Int(4));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "maxlen", "0", "rank", "10"]), Reply::Nil);
        assert_eq!(run(&mut s, &["lpos", "l", "a", "rank", "10", "count", "1"]), ints(&[]));
        assert_eq!(run(&mut s, &["lpos", "l", "z"]), Reply::Nil);
        assert_eq!(run(&mut s, &["lpos", "l", "z", "count", "2"]), ints(&[]));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "rank", "9223372036854775807"]), Reply::Nil);
        assert_eq!(run(&mut s, &["lpos", "l", "a", "count", "9223372036854775807"]), ints(&[0, 2, 4, 6]));
    }

    #[test]
    fn the_most_negative_rank_wraps_as_in_redis() {
        let mut s = shard();
        run(&mut s, &["rpush", "l", "a", "b", "a", "c", "a", "d", "a"]);
        assert_eq!(run(&mut s, &["lpos", "l", "a", "rank", "-9223372036854775808"]), Reply::Int(6));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "rank", "-9223372036854775808", "count", "1"]), ints(&[6, 4, 2, 0]));
        assert_eq!(run(&mut s, &["lpos", "l", "a", "rank", "-9223372036854775807", "count", "1"]), ints(&[]));
    }

    #[test]
    fn missing_key() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["lpos", "m", "a"]), Reply::Nil);
        assert_eq!(run(&mut s, &["lpos", "m", "a", "count", "0"]), ints(&[]));
    }

    #[test]
    fn errors() {
        let mut s = shard();
        run(&mut s, &["set", "s", "v"]);
        let rank_zero = Reply::error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to \
             start from the end of the list",
        );
        assert_eq!(run(&mut s, &["lpos", "s", "a"]), ReplyError::wrongtype().into());
        assert_eq!(run(&mut s, &["lpos", "s", "a", "rank", "0"]), rank_zero);
        assert_eq!(run(&mut s, &["lpos", "m", "a", "rank", "x"]), ReplyError::not_integer().into());
        assert_eq!(run(&mut s, &["lpos", "m", "a", "rank", "9223372036854775808"]), ReplyError::not_integer().into());
        assert_eq!(run(&mut s, &["lpos", "m", "a", "count", "-1"]), Reply::error("ERR COUNT can't be negative"));
        assert_eq!(run(&mut s, &["lpos", "m", "a", "count", "x"]), Reply::error("ERR COUNT can't be negative"));
        assert_eq!(run(&mut s, &["lpos", "m", "a", "maxlen", "-1"]), Reply::error("ERR MAXLEN can't be negative"));
        assert_eq!(run(&mut s, &["lpos", "m", "a", "maxlen", "x"]), Reply::error("ERR MAXLEN can't be negative"));
        assert_eq!(run(&mut s, &["lpos", "m", "a", "foo", "1"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["lpos", "m", "a", "rank"]), ReplyError::syntax().into());
        assert_eq!(run(&mut s, &["lpos", "m"]), ReplyError::wrong_arity("lpos").into());
    }
}
