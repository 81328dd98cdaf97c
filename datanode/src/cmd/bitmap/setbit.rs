//! SETBIT key offset value

use bytes::Bytes;

use crate::cmd::strings::set::{TtlChange, store_string};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "setbit",
    arity: 4,
    flags: &["write", "denyoom"],
    keys: (1, 1, 1),
    group: "bitmap",
    summary: "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let offset = super::bit_offset(&args.bytes()?, None)?;
    let bad_bit = || ReplyError::new("ERR bit is not an integer or out of range");
    let on = match crate::cmd::format::parse_int(&args.bytes()?) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(bad_bit()),
    };
    let old = crate::cmd::strings::get_string(shard, &key)?;
    // The offset's byte is below proto-max-bulk-len, so this is bounded.
    let byte = (offset >> 3) as usize;
    let was = old.as_deref().is_some_and(|v| super::get_bit(v, offset));
    let grows = old.as_ref().is_none_or(|v| v.len() <= byte);
    // As Redis: nothing is written when the bit already holds the value and the string
    // need not grow.
    if grows || was != on {
        let mut value = old.map(|v| v.to_vec()).unwrap_or_default();
        if value.len() <= byte {
            value.resize(byte + 1, 0);
        }
        if let Some(b) = value.get_mut(byte) {
            let mask = 0x80u8 >> (offset & 7);
            if on {
                *b |= mask;
            } else {
                *b &= !mask;
            }
        }
        store_string(shard, &key, Bytes::from(value), TtlChange::Keep);
    }
    Ok(Reply::Int(i64::from(was)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{bulk, execute, run, shard};
    use crate::resp::Reply;

    #[test]
    fn sets_and_reports_the_old_bit() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["SETBIT", "k", "7", "1"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["GET", "k"]), bulk("\u{1}"));
        assert_eq!(run(&mut s, &["SETBIT", "k", "7", "0"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["SETBIT", "k", "1", "1"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["GET", "k"]), bulk("@"));
        assert!(execute(&mut s, &["SETBIT", "k", "1", "1"]).delta.is_none(), "no change, no write");
    }

    #[test]
    fn refuses_bad_offsets_and_bits() {
        let mut s = shard();
        let bad_offset = Reply::error("ERR bit offset is not an integer or out of range");
        for off in ["-1", "4294967296", "x", "1.5", "#1"] {
            assert_eq!(run(&mut s, &["SETBIT", "k", off, "1"]), bad_offset, "{off}");
        }
        let bad_bit = Reply::error("ERR bit is not an integer or out of range");
        for bit in ["2", "-1", "x"] {
            assert_eq!(run(&mut s, &["SETBIT", "k", "0", bit]), bad_bit);
        }
        run(&mut s, &["LPUSH", "l", "a"]);
        assert_eq!(
            run(&mut s, &["SETBIT", "l", "0", "1"]),
            Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        assert_eq!(run(&mut s, &["EXISTS", "k"]), Reply::Int(0));
    }
}
