//! PFCOUNT key [key ...]: one key's cardinality (refreshing its cache as Redis does, which
//! is a write), or the cardinality of several keys' union (a pure read).

use bytes::Bytes;

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::crdt::hll::sketch;
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "pfcount",
    arity: -2,
    flags: &["readonly", "may_replicate"],
    keys: (1, -1, 1),
    group: "hyperloglog",
    summary: "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).",
    handler: Handler::Data(run),
};

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    let keys = args.rest();
    if let [key] = keys.as_slice() {
        return single(shard, key);
    }
    let mut max = sketch::zeroed_registers();
    for key in &keys {
        if let Some(v) = super::read_hll(shard, key)? {
            sketch::merge_registers(&v, &mut max).map_err(|_| super::corrupt())?;
        }
    }
    Ok(Reply::Int(sketch::count_registers(&max) as i64))
}

fn single(shard: &mut Shard, key: &Bytes) -> CmdResult {
    let Some(v) = super::read_hll(shard, key)? else { return Ok(Reply::Int(0)) };
    if let Some(card) = sketch::cached(&v) {
        return Ok(Reply::Int(card as i64));
    }
    let card = sketch::count(&v).map_err(|_| super::corrupt())?;
    // The refreshed cache is part of the value GET returns, so it is written and shipped
    // like any write; a replica leaves that to its master.
    if !shard.is_read_only() {
        let mut v = v.to_vec();
        sketch::set_cache(&mut v, card);
        super::write_hll(shard, key, Bytes::from(v));
    }
    Ok(Reply::Int(card as i64))
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{execute, run, shard};
    use crate::resp::Reply;

    #[test]
    fn counts_one_key_and_the_union_of_several() {
        let mut s = shard();
        assert_eq!(run(&mut s, &["PFCOUNT", "none"]), Reply::Int(0));
        run(&mut s, &["PFADD", "a", "1", "2", "3"]);
        run(&mut s, &["PFADD", "b", "3", "4"]);
        assert_eq!(run(&mut s, &["PFCOUNT", "a"]), Reply::Int(3));
        assert_eq!(run(&mut s, &["PFCOUNT", "a", "b", "none"]), Reply::Int(4));
        // A valid cache is read, not rewritten.
        assert!(execute(&mut s, &["PFCOUNT", "a"]).delta.is_none());
        run(&mut s, &["SET", "s", "x"]);
        assert_eq!(
            run(&mut s, &["PFCOUNT", "a", "s"]),
            Reply::error("WRONGTYPE Key is not a valid HyperLogLog string value.")
        );
    }
}
