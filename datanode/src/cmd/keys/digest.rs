//! MERIDIAN.DIGEST: a hash of this replica's whole state (entries and causal context),
//! equal on two replicas exactly when their states are equal: how tests and operators tell
//! that regions converged.

use crate::cmd::{Args, CmdResult, CommandSpec, Handler};
use crate::resp::Reply;
use crate::shard::Shard;

pub const SPEC: CommandSpec = CommandSpec {
    name: "meridian.digest",
    arity: 1,
    flags: &["readonly"],
    keys: (0, 0, 0),
    group: "meridian",
    summary: "Returns a digest of the whole CRDT state of this node.",
    handler: Handler::Data(run),
};

fn run(_: &mut Args, shard: &mut Shard) -> CmdResult {
    let hex: String = shard.digest().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Reply::text(&hex))
}
