//! LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common
//! subsequence of two strings, by Redis's dynamic programme (so ties break the same way).

use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError, args::is};
use crate::keyspace::entry::Content;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "lcs",
    arity: -3,
    flags: &["readonly"],
    keys: (1, 2, 1),
    group: "string",
    summary: "Finds the longest common substring.",
    handler: Handler::Data(run),
};

fn string_of(shard: &mut Shard, key: &[u8]) -> Result<bytes::Bytes, ReplyError> {
    match shard.read(key) {
        None => Ok(bytes::Bytes::new()),
        Some(Content::Str(cell)) => Ok(super::string_bytes(cell)),
        Some(_) => Err(ReplyError::new("ERR The specified keys must contain string values")),
    }
}

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let ka = args.bytes()?;
    let kb = args.bytes()?;
    let a = string_of(shard, &ka);
    let b = string_of(shard, &kb);
    let (a, b) = (a?, b?);
    let (mut len_only, mut idx, mut with_len) = (false, false, false);
    let mut min_len: i64 = 0;
    while let Some(opt) = args.next() {
        if is(&opt, "idx") {
            idx = true;
        } else if is(&opt, "len") {
            len_only = true;
        } else if is(&opt, "withmatchlen") {
            with_len = true;
        } else if is(&opt, "minmatchlen") && !args.is_empty() {
            min_len = args.int()?.max(0);
        } else {
            return Err(ReplyError::syntax());
        }
    }
    if idx && len_only {
        return Err(ReplyError::new("ERR If you want both the length and indexes, please just use IDX."));
    }
    if a.len() as u64 >= u64::from(u32::MAX) - 1 || b.len() as u64 >= u64::from(u32::MAX) - 1 {
        return Err(ReplyError::new("ERR String too long for LCS"));
    }
    // The table's memory is bounded as in Redis: by proto-max-bulk-len.
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells.saturating_mul(4) > super::MAX_STRING {
        return Err(ReplyError::new("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
    }
    let w = b.len() + 1;
    let mut t = vec![0u32; cells as usize];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            t[i * w + j] = if a[i - 1] == b[j - 1] {
                t[(i - 1) * w + j - 1] + 1
            } else {
                t[(i - 1) * w + j].max(t[i * w + j - 1])
            };
        }
    }
    let total = t[a.len() * w + b.len()];
    if len_only {
        return Ok(Reply::Int(i64::from(total)));
    }
    // Walk back from the end, collecting the subsequence and the ranges of matches.
    let mut out = vec![0u8; total as usize];
    let mut k = total as usize;
    let mut matches = Vec::new();
    let (mut i, mut j) = (a.len(), b.len());
    // (a start, a end, b start, b end) of the match being extended backwards.
    let mut range: Option<(usize, usize, usize, usize)> = None;
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            k -= 1;
            out[k] = a[i - 1];
            range = Some(match range {
                None => (i - 1, i - 1, j - 1, j - 1),
                Some((sa, ea, sb, eb)) if sa == i && sb == j => (sa - 1, ea, sb - 1, eb),
                Some(r) => {
                    emit = true;
                    r
                }
            });
            if range.is_some_and(|(sa, _, sb, _)| sa == 0 || sb == 0) {
                emit = true;
            }
            i -= 1;
            j -= 1;
        } else {
            if t[(i - 1) * w + j] > t[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = range.is_some();
        }
        if emit {
            if let Some((sa, ea, sb, eb)) = range.take() {
                let len = (ea - sa + 1) as i64;
                if min_len == 0 || len >= min_len {
                    let mut m = vec![
                        Reply::Array(vec![Reply::Int(sa as i64), Reply::Int(ea as i64)]),
                        Reply::Array(vec![Reply::Int(sb as i64), Reply::Int(eb as i64)]),
                    ];
                    if with_len {
                        m.push(Reply::Int(len));
                    }
                    matches.push(Reply::Array(m));
                }
            }
        }
    }
    if idx {
        return Ok(Reply::Map(vec![
            (Reply::text("matches"), Reply::Array(matches)),
            (Reply::text("len"), Reply::Int(i64::from(total))),
        ]));
    }
    Ok(Reply::Bulk(bytes::Bytes::from(out)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{bulk, run, shard};
    use crate::resp::Reply;

    #[test]
    fn finds_the_subsequence_its_length_and_ranges() {
        let mut s = shard();
        run(&mut s, &["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
        assert_eq!(run(&mut s, &["LCS", "key1", "key2"]), bulk("mytext"));
        assert_eq!(run(&mut s, &["LCS", "key1", "key2", "LEN"]), Reply::Int(6));
        let r = |a: i64, b: i64| Reply::Array(vec![Reply::Int(a), Reply::Int(b)]);
        assert_eq!(
            run(&mut s, &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]),
            Reply::Map(vec![
                (bulk("matches"), Reply::Array(vec![Reply::Array(vec![r(4, 7), r(5, 8), Reply::Int(4)])])),
                (bulk("len"), Reply::Int(6)),
            ])
        );
        assert_eq!(
            run(&mut s, &["LCS", "key1", "key2", "IDX"]),
            Reply::Map(vec![
                (
                    bulk("matches"),
                    Reply::Array(vec![Reply::Array(vec![r(4, 7), r(5, 8)]), Reply::Array(vec![r(2, 3), r(0, 1)])])
                ),
                (bulk("len"), Reply::Int(6)),
            ])
        );
        assert_eq!(run(&mut s, &["LCS", "key1", "none"]), bulk(""));
        assert_eq!(
            run(&mut s, &["LCS", "key1", "key2", "LEN", "IDX"]),
            Reply::error("ERR If you want both the length and indexes, please just use IDX.")
        );
        assert_eq!(run(&mut s, &["LCS", "key1", "key2", "MINMATCHLEN"]), Reply::error("ERR syntax error"));
        run(&mut s, &["SADD", "set", "x"]);
        assert_eq!(
            run(&mut s, &["LCS", "key1", "set"]),
            Reply::error("ERR The specified keys must contain string values")
        );
    }
}
