//! Who is a shard's master: a pure decision from what was observed of the shard's members,
//! what the operator recorded last time (in status), the clock and the grace period. The
//! operator and local mode both carry it out; neither decides on its own.
//!
//! The rules, in order:
//! - A recorded master that answers as the same incarnation (actor) stays master; if it
//!   answers as a replica (someone demoted it by hand), it is promoted back.
//! - A recorded master that answers as a *new* incarnation lost its data when it restarted
//!   (there is no persistence yet): it is replaced at once by the most advanced replica.
//! - A recorded master that is gone, unready or unreachable is waited for until the grace
//!   period has passed since it went down, then replaced by the most advanced replica.
//! - With no recorded master (a new shard), the lowest ordinal that answers is elected.
//! - Every other member that answers must follow the master; every one that does not is
//!   repointed.

use k8s_openapi::jiff::{SignedDuration, Timestamp};

/// A member's role as its datanode reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRole {
    Master,
    Replica,
}

/// What a member's datanode answered to a fresh `Status` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    pub role: NodeRole,
    /// The node's incarnation: a new one after a restart or a promotion.
    pub actor: String,
    pub replid: String,
    pub offset: u64,
    /// For a replica: the replication address it follows.
    pub master_addr: String,
}

/// One member of a shard (one StatefulSet ordinal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub ordinal: u32,
    /// Its datanode's replication address, when it has one (a pod with an IP).
    pub addr: Option<String>,
    /// Its answer; `None` when it has no address or did not answer.
    pub node: Option<NodeState>,
    /// When it was last seen going down (pod unready, gone or unreachable), if it is down.
    pub down_since: Option<Timestamp>,
}

/// The master the operator chose last time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub ordinal: u32,
    pub actor: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// A new shard: nobody was master yet.
    Elected,
    /// The master came back as a new, empty incarnation.
    MasterRestarted,
    /// The master was down for longer than the grace period.
    MasterDown,
    /// A rolling update moves the role to an updated replica before replacing the master.
    Switchover,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// `master` is (or is made) the master; `promote` if it must be told so first.
    Master { master: u32, promote: bool, changed: Option<Why> },
    /// The recorded master is down; it is waited for until the grace period ends.
    Waiting { master: u32, remaining: SignedDuration },
    /// A new shard whose members do not answer yet: nobody to elect.
    Starting,
    /// The master is lost and no member can take over.
    NoMaster { reason: String },
}

/// The master of a shard.
pub fn decide(members: &[Member], recorded: Option<&Recorded>, now: Timestamp, grace: SignedDuration) -> Decision {
    let Some(recorded) = recorded else {
        return match members.iter().filter(|m| m.node.is_some()).min_by_key(|m| m.ordinal) {
            Some(m) => master(m, Some(Why::Elected)),
            None => Decision::Starting,
        };
    };
    let Some(current) = members.iter().find(|m| m.ordinal == recorded.ordinal) else {
        return replace(members, recorded, Why::MasterDown);
    };
    match &current.node {
        Some(node) if node.actor == recorded.actor => master(current, None),
        Some(_) => replace(members, recorded, Why::MasterRestarted),
        None => {
            let since = current.down_since.unwrap_or(now);
            let down = now.duration_since(since);
            if down >= grace {
                replace(members, recorded, Why::MasterDown)
            } else {
                Decision::Waiting { master: recorded.ordinal, remaining: grace - down }
            }
        }
    }
}

fn master(m: &Member, changed: Option<Why>) -> Decision {
    let promote = m.node.as_ref().is_some_and(|n| n.role != NodeRole::Master);
    Decision::Master { master: m.ordinal, promote, changed }
}

/// The most advanced replica takes over: replicas before members that claim to be masters
/// (a restarted pod comes up as one, empty), then the highest offset (the replicas of one
/// master count the same stream's bytes), then the lowest ordinal. With nobody else
/// answering, a restarted master's new incarnation is all there is and stays master.
fn replace(members: &[Member], recorded: &Recorded, why: Why) -> Decision {
    let others = || members.iter().filter(|m| m.ordinal != recorded.ordinal);
    let best = others()
        .filter_map(|m| m.node.as_ref().map(|n| (m, n)))
        .max_by_key(|(m, n)| (n.role == NodeRole::Replica, n.offset, std::cmp::Reverse(m.ordinal)));
    match best {
        Some((m, _)) => Decision::Master { master: m.ordinal, promote: true, changed: Some(why) },
        None => match members.iter().find(|m| m.ordinal == recorded.ordinal && m.node.is_some()) {
            Some(restarted) => master(restarted, Some(why)),
            None => Decision::NoMaster {
                reason: format!("the master (ordinal {}) is down and no replica answers", recorded.ordinal),
            },
        },
    }
}

/// A shard's decision with what carrying it out takes: the master's replication address and
/// the members to repoint to it. The operator and local mode both start from this, so they
/// cannot differ on who follows whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settled {
    pub decision: Decision,
    /// The master's replication address, when there is a master with one.
    pub master_addr: Option<String>,
    /// Ordinals to tell to follow `master_addr`.
    pub repoint: Vec<u32>,
}

/// `decide`, then who must follow the chosen master. `aliases(master, addr)` lists every
/// address under which a replica may already follow it (see `to_repoint`).
pub fn settle(
    members: &[Member],
    recorded: Option<&Recorded>,
    now: Timestamp,
    grace: SignedDuration,
    aliases: impl Fn(u32, &str) -> Vec<String>,
) -> Settled {
    let decision = decide(members, recorded, now, grace);
    let master = match &decision {
        Decision::Master { master, .. } => Some(*master),
        _ => None,
    };
    let master_addr = master.and_then(|m| members.iter().find(|x| x.ordinal == m)?.addr.clone());
    let repoint = match (master, &master_addr) {
        (Some(m), Some(addr)) => to_repoint(members, m, &aliases(m, addr)),
        _ => vec![],
    };
    Settled { decision, master_addr, repoint }
}

/// The members that must be told to follow the master: every other member that answers and
/// is not already a replica of it under one of its addresses (`master_addrs`: its pod address,
/// and the stable name a node that started from the shard map follows).
pub fn to_repoint(members: &[Member], master: u32, master_addrs: &[String]) -> Vec<u32> {
    members
        .iter()
        .filter(|m| m.ordinal != master)
        .filter(|m| {
            m.node.as_ref().is_some_and(|n| n.role != NodeRole::Replica || !master_addrs.contains(&n.master_addr))
        })
        .map(|m| m.ordinal)
        .collect()
}

#[cfg(test)]
mod tests;
