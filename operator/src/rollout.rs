//! Rolling a shard onto a new pod template, one pod at a time, with the shard writable
//! throughout: replicas are replaced first (the highest ordinal first), then the master's
//! role moves to an updated replica (a switchover), and only then is the old master
//! replaced, as a replica. Pure: the operator carries out the step it returns.

/// One member as the rollout sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pod {
    pub ordinal: u32,
    /// Runs the StatefulSet's current template.
    pub updated: bool,
    /// Ready and answering, following the master if it is a replica.
    pub healthy: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Delete this pod so the StatefulSet recreates it from the new template.
    Replace(u32),
    /// Make this updated replica the master first.
    Switchover(u32),
}

/// The next step for a shard whose master is `master`, or none: nothing to update, or the
/// shard is not healthy enough to lose a member now (a member is down or catching up, or the
/// StatefulSet has fewer pods than `members`).
pub fn step(pods: &[Pod], master: u32, members: u32) -> Option<Step> {
    if pods.len() as u32 != members || pods.iter().any(|p| !p.healthy) {
        return None;
    }
    let outdated_replica = pods.iter().filter(|p| !p.updated && p.ordinal != master).max_by_key(|p| p.ordinal);
    if let Some(p) = outdated_replica {
        return Some(Step::Replace(p.ordinal));
    }
    let master_outdated = pods.iter().any(|p| p.ordinal == master && !p.updated);
    if !master_outdated {
        return None;
    }
    match pods.iter().filter(|p| p.updated && p.ordinal != master).min_by_key(|p| p.ordinal) {
        Some(p) => Some(Step::Switchover(p.ordinal)),
        // A shard without replicas cannot stay writable: its only pod is replaced.
        None => Some(Step::Replace(master)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(ordinal: u32, updated: bool) -> Pod {
        Pod { ordinal, updated, healthy: true }
    }

    #[test]
    fn replicas_go_first_then_the_master_moves_then_the_old_master_goes() {
        let mut pods = vec![pod(0, false), pod(1, false), pod(2, false)];
        assert_eq!(step(&pods, 0, 3), Some(Step::Replace(2)));
        pods[2].updated = true;
        assert_eq!(step(&pods, 0, 3), Some(Step::Replace(1)));
        pods[1].updated = true;
        assert_eq!(step(&pods, 0, 3), Some(Step::Switchover(1)));
        // Master is now 1; 0 is an outdated replica.
        assert_eq!(step(&pods, 1, 3), Some(Step::Replace(0)));
        pods[0].updated = true;
        assert_eq!(step(&pods, 1, 3), None);
    }

    #[test]
    fn nothing_moves_while_a_member_is_unhealthy_or_missing() {
        let pods = vec![pod(0, false), Pod { ordinal: 1, updated: true, healthy: false }];
        assert_eq!(step(&pods, 0, 2), None);
        assert_eq!(step(&[pod(0, false)], 0, 2), None);
    }

    #[test]
    fn a_shard_without_replicas_replaces_its_master() {
        assert_eq!(step(&[pod(0, false)], 0, 1), Some(Step::Replace(0)));
    }
}
