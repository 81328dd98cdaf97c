//! PFMERGE destkey [sourcekey ...]

use bytes::Bytes;

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::hll::sketch;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "pfmerge",
    arity: -2,
    flags: &["write", "denyoom"],
    keys: (1, -1, 1),
    group: "hyperloglog",
    summary: "Merges one or more HyperLogLog values into a single key.",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let keys = args.rest();
    let Some(dest) = keys.first() else { return Err(crate::cmd::ReplyError::wrong_arity("pfmerge")) };
    // The destination is one of the inputs, as in Redis.
    let mut max = sketch::zeroed_registers();
    let mut dense = false;
    let mut current = None;
    for (i, key) in keys.iter().enumerate() {
        let Some(v) = super::read_hll(shard, key)? else { continue };
        dense |= sketch::is_dense(&v);
        sketch::merge_registers(&v, &mut max).map_err(|_| super::corrupt())?;
        if i == 0 {
            current = Some(v);
        }
    }
    let mut out = current.map_or_else(sketch::empty, |v| v.to_vec());
    sketch::write_registers(&mut out, &max, dense).map_err(|_| super::corrupt())?;
    super::write_hll(shard, dest, Bytes::from(out));
    Ok(Reply::Ok)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    #[test]
    fn merges_into_the_destination() {
        let mut s = shard();
        run(&mut s, &["PFADD", "a", "1", "2"]);
        run(&mut s, &["PFADD", "b", "2", "3"]);
        assert_eq!(run(&mut s, &["PFMERGE", "d", "a", "b", "none"]), Reply::Ok);
        assert_eq!(run(&mut s, &["PFCOUNT", "d"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["PFMERGE", "e"]), Reply::Ok);
        assert_eq!(run(&mut s, &["PFCOUNT", "e"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["EXISTS", "e"]), Reply::Int(1));
        run(&mut s, &["SADD", "set", "x"]);
        assert_eq!(
            run(&mut s, &["PFMERGE", "d", "set"]),
            Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
    }
}
