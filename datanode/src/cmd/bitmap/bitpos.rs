//! BITPOS key bit [start [end [BYTE|BIT]]]

use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError, args::is};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "bitpos",
    arity: -3,
    flags: &["readonly"],
    keys: (1, 1, 1),
    group: "bitmap",
    summary: "Finds the first set (1) or clear (0) bit in a string.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let bit = match args.int()? {
        0 => false,
        1 => true,
        _ => return Err(ReplyError::new("ERR The bit argument must be 1 or 0.")),
    };
    // A missing key is an endless run of zeroes.
    let Some(v) = crate::cmd::strings::get_string(shard, &key)? else {
        return Ok(Reply::Int(if bit { -1 } else { 0 }));
    };
    let bytes = v.len() as i64;
    let mut end_given = false;
    let range = match args.remaining() {
        0 => super::clamp_range(0, bytes - 1, bytes).map(|(s, e)| (s * 8, e * 8 + 7)),
        1..=3 => {
            let start = args.int()?;
            let unit = match args.all().get(5) {
                None => false,
                Some(u) if is(u, "bit") => true,
                Some(u) if is(u, "byte") => false,
                Some(_) => return Err(ReplyError::syntax()),
            };
            let end = match args.remaining() {
                0 => {
                    if unit {
                        bytes * 8 + 7
                    } else {
                        bytes - 1
                    }
                }
                _ => {
                    end_given = true;
                    args.int()?
                }
            };
            let len = if unit { bytes * 8 } else { bytes };
            match super::clamp_range(start, end, len) {
                Some((s, e)) if unit => Some((s, e)),
                Some((s, e)) => Some((s * 8, e * 8 + 7)),
                None => None,
            }
        }
        _ => return Err(ReplyError::syntax()),
    };
    let Some((first, last)) = range else { return Ok(Reply::Int(-1)) };
    let found = (first..=last).find(|i| super::get_bit(&v, *i as u64) == bit);
    Ok(Reply::Int(match found {
        Some(i) => i,
        // Looking for a clear bit with no end given: the string is padded with zeroes.
        None if !bit && !end_given => last + 1,
        None => -1,
    }))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn finds_bits_as_redis() {
        let mut s = shard();
        // 0xff 0xf0 0x00
        run(&mut s, &["BITFIELD", "k", "SET", "u24", "0", "16773120"]);
        assert_eq!(run(&mut s, &["BITPOS", "k", "0"]), Reply::Int(12));
        assert_eq!(run(&mut s, &["BITPOS", "k", "1", "2"]), Reply::Int(-1));
        assert_eq!(run(&mut s, &["BITPOS", "k", "1", "7", "15", "BIT"]), Reply::Int(7));
        assert_eq!(run(&mut s, &["BITPOS", "k", "0", "0", "0"]), Reply::Int(-1));
        run(&mut s, &["BITFIELD", "ones", "SET", "u8", "0", "255"]);
        assert_eq!(run(&mut s, &["BITPOS", "ones", "0"]), Reply::Int(8));
        assert_eq!(run(&mut s, &["BITPOS", "ones", "0", "0", "-1"]), Reply::Int(-1));
        assert_eq!(run(&mut s, &["BITPOS", "none", "0"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["BITPOS", "none", "1"]), Reply::Int(-1));
        assert_eq!(run(&mut s, &["BITPOS", "k", "2"]), Reply::error("ERR The bit argument must be 1 or 0."));
        assert_eq!(run(&mut s, &["BITPOS", "k", "1", "0", "1", "x"]), Reply::error("ERR syntax error"));
    }
}
