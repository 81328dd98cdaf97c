//! RANDOMKEY

use rand::Rng;

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::{Access, Shard};

pub const SPEC: CommandSpec = CommandSpec {
    name: "randomkey",
    arity: 1,
    flags: &["readonly"],
    keys: (0, 0, 0),
    group: "generic",
    summary: "Returns a random key name from the database.",
    handler: Handler::Data(run),
};

/// Tries this many random picks before concluding every key is expired.
const ATTEMPTS: usize = 100;

fn run(_: &mut Args, shard: &mut Shard) -> CmdResult {
    let mut rng = rand::thread_rng();
    for _ in 0..ATTEMPTS {
        let Some(key) = shard.keyspace().random_key(|n| rng.gen_range(0..n.max(1))) else { return Ok(Reply::Nil) };
        if shard.lookup(&key, Access::Read).is_some() {
            return Ok(Reply::Bulk(key));
        }
    }
    Ok(Reply::Nil)
}
