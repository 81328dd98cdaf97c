//! PFADD key [element ...]

use bytes::Bytes;

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::hll::sketch;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "pfadd",
    arity: -2,
    flags: &["write", "denyoom", "fast"],
    keys: (1, 1, 1),
    group: "hyperloglog",
    summary: "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let key = args.bytes()?;
    let elements = args.rest();
    // A key PFADD creates counts as changed, even with no element.
    let (mut hll, mut updated) = match super::read_hll(shard, &key)? {
        Some(v) => (v.to_vec(), false),
        None => (sketch::empty(), true),
    };
    for e in &elements {
        updated |= sketch::add(&mut hll, e).map_err(|_| super::corrupt())?;
    }
    if updated {
        sketch::invalidate_cache(&mut hll);
        super::write_hll(shard, &key, Bytes::from(hll));
    }
    Ok(Reply::Int(i64::from(updated)))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn replies_and_errors_as_redis() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["PFADD", "h"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["PFADD", "h"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["PFADD", "h", "a", "b"]), Reply::Int(1));
        assert_eq!(run(&mut s, &["PFADD", "h", "a"]), Reply::Int(0));
        run(&mut s, &["SET", "s", "plain"]);
        assert_eq!(
            run(&mut s, &["PFADD", "s", "a"]),
            Reply::error("WRONGTYPE Key is not a valid HyperLogLog string value.")
        );
        run(&mut s, &["LPUSH", "l", "a"]);
        assert_eq!(
            run(&mut s, &["PFADD", "l", "a"]),
            Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        assert_eq!(run(&mut s, &["PFADD"]), Reply::error("ERR wrong number of arguments for 'pfadd' command"));
    }

    #[test]
    fn a_corrupt_sparse_value_is_refused() {
        let mut s = shard();
        // One ZERO opcode: the body covers one register instead of 16384.
        run(&mut s, &["SET", "h", "HYLL\u{1}\0\0\0\0\0\0\0\0\0\0\0\0"]);
        assert_eq!(run(&mut s, &["PFADD", "h", "a"]), Reply::error("INVALIDOBJ Corrupted HLL object detected"));
        // A valid cached cardinality is returned without reading the registers, as Redis does.
        assert_eq!(run(&mut s, &["PFCOUNT", "h"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["PFCOUNT", "h", "other"]), Reply::error("INVALIDOBJ Corrupted HLL object detected"));
        assert_eq!(run(&mut s, &["PFMERGE", "other", "h"]), Reply::error("INVALIDOBJ Corrupted HLL object detected"));
    }
}
