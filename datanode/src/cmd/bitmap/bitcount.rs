//! BITCOUNT key [start end [BYTE|BIT]]

use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError, args::is};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "bitcount",
    arity: -2,
    flags: &["readonly"],
    keys: (1, 1, 1),
    group: "bitmap",
    summary: "Counts the number of set bits (population counting) in a string.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    // Redis 7.0 looks the key up before it reads the range: a missing key counts 0 bits
    // whatever follows.
    let Some(v) = crate::cmd::strings::get_string(shard, &key)? else { return Ok(Reply::Int(0)) };
    let (start_bit, end_bit) = match args.remaining() {
        0 => (0, v.len() as i64 * 8 - 1),
        2 | 3 => {
            let start = args.int()?;
            let end = args.int()?;
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::Int(0));
            }
            let bit = match args.next() {
                None => false,
                Some(u) if is(&u, "bit") => true,
                Some(u) if is(&u, "byte") => false,
                Some(_) => return Err(ReplyError::syntax()),
            };
            let len = if bit { v.len() as i64 * 8 } else { v.len() as i64 };
            match super::clamp_range(start, end, len) {
                None => return Ok(Reply::Int(0)),
                Some((s, e)) if bit => (s, e),
                Some((s, e)) => (s * 8, e * 8 + 7),
            }
        }
        _ => return Err(ReplyError::syntax()),
    };
    if start_bit > end_bit {
        return Ok(Reply::Int(0));
    }
    Ok(Reply::Int(count_bits(&v, start_bit as u64, end_bit as u64) as i64))
}

/// Set bits from `first` to `last` inclusive (both within `v`).
fn count_bits(v: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first / 8) as usize, (last / 8) as usize);
    let Some(bytes) = v.get(fb..=lb) else { return 0 };
    let mut n: u64 = bytes.iter().map(|b| u64::from(b.count_ones())).sum();
    // Take away the bits of the edge bytes outside the range.
    if let Some(b) = bytes.first() {
        n -= u64::from((b & !(0xffu8 >> (first % 8))).count_ones());
    }
    if let Some(b) = bytes.last() {
        n -= u64::from((b & (0x7fu8 >> (last % 8))).count_ones());
    }
    n
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn counts_in_bytes_and_bits() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "foobar"]);
        assert_eq!(run(&mut s, &["BITCOUNT", "k"]), Reply::Int(26));
        assert_eq!(run(&mut s, &["BITCOUNT", "k", "0", "0"]), Reply::Int(4));
        assert_eq!(run(&mut s, &["BITCOUNT", "k", "1", "1"]), Reply::Int(6));
        assert_eq!(run(&mut s, &["BITCOUNT", "k", "1", "1", "BYTE"]), Reply::Int(6));
        assert_eq!(run(&mut s, &["BITCOUNT", "k", "5", "30", "BIT"]), Reply::Int(17));
        assert_eq!(run(&mut s, &["BITCOUNT", "k", "-2", "-1"]), Reply::Int(7));
        assert_eq!(run(&mut s, &["BITCOUNT", "k", "-1", "-2"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["BITCOUNT", "k", "0"]), Reply::error("ERR syntax error"));
        assert_eq!(run(&mut s, &["BITCOUNT", "k", "0", "1", "bits"]), Reply::error("ERR syntax error"));
        assert_eq!(
            run(&mut s, &["BITCOUNT", "k", "a", "1"]),
            Reply::error("ERR value is not an integer or out of range")
        );
        assert_eq!(run(&mut s, &["BITCOUNT", "none", "a"]), Reply::Int(0));
    }
}
