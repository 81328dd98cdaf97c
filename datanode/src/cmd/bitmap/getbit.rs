//! GETBIT key offset

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "getbit",
    arity: 3,
    flags: &["readonly", "fast"],
    keys: (1, 1, 1),
    group: "bitmap",
    summary: "Returns a bit value by offset.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let offset = super::bit_offset(&args.bytes()?, None)?;
    let v = crate::cmd::strings::get_string(shard, &key)?.unwrap_or_default();
    Ok(Reply::Int(i64::from(super::get_bit(&v, offset))))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn reads_bits() {
        let mut s = shard();
        run(&mut s, &["SET", "k", "@"]);
        assert_eq!(run(&mut s, &["GETBIT", "k", "1"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["GETBIT", "k", "0"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["GETBIT", "k", "4294967295"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["GETBIT", "none", "3"]), Reply::Int(0));
        assert_eq!(
            run(&mut s, &["GETBIT", "k", "4294967296"]),
            Reply::error("ERR bit offset is not an integer or out of range")
        );
    }
}
