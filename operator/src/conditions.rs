//! Status conditions, Kubernetes style: one per type, and `lastTransitionTime` moves only
//! when the status itself changes, so `kubectl wait` and dashboards see real transitions.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

pub const READY: &str = "Ready";
pub const SHARDS_READY: &str = "ShardsReady";
pub const PEERS_SYNCED: &str = "PeersSynced";
pub const PROGRESSING: &str = "Progressing";
pub const DEGRADED: &str = "Degraded";

/// A condition to set: type, whether it holds, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Want {
    pub type_: &'static str,
    pub status: bool,
    pub reason: &'static str,
    pub message: String,
}

impl Want {
    pub fn new(type_: &'static str, status: bool, reason: &'static str, message: impl Into<String>) -> Want {
        Want { type_, status, reason, message: message.into() }
    }
}

/// `wanted` applied to `previous`: conditions keep their transition time unless their
/// status flips; types not wanted are dropped. Ordered as `wanted`.
pub fn merge(previous: &[Condition], wanted: &[Want], generation: Option<i64>, now: Timestamp) -> Vec<Condition> {
    wanted
        .iter()
        .map(|w| {
            let status = if w.status { "True" } else { "False" };
            let since = previous
                .iter()
                .find(|c| c.type_ == w.type_ && c.status == status)
                .map(|c| c.last_transition_time.clone())
                .unwrap_or(Time(now));
            Condition {
                type_: w.type_.into(),
                status: status.into(),
                reason: w.reason.into(),
                message: w.message.clone(),
                last_transition_time: since,
                observed_generation: generation,
            }
        })
        .collect()
}

/// The status of condition `type_`, if present.
pub fn is_true(conditions: &[Condition], type_: &str) -> Option<bool> {
    conditions.iter().find(|c| c.type_ == type_).map(|c| c.status == "True")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    #[test]
    fn the_transition_time_moves_only_when_the_status_flips() {
        let first = merge(&[], &[Want::new(READY, false, "ShardsNotReady", "0/1 shards")], Some(1), t(0));
        assert_eq!(first[0].last_transition_time, Time(t(0)));
        // Same status, new message: the time stays.
        let second = merge(&first, &[Want::new(READY, false, "ShardsNotReady", "still 0/1")], Some(2), t(5));
        assert_eq!(second[0].last_transition_time, Time(t(0)));
        assert_eq!((second[0].message.as_str(), second[0].observed_generation), ("still 0/1", Some(2)));
        // Flip: the time moves.
        let third = merge(&second, &[Want::new(READY, true, "AllShardsReady", "1/1")], Some(2), t(9));
        assert_eq!(third[0].last_transition_time, Time(t(9)));
        assert_eq!(is_true(&third, READY), Some(true));
        assert_eq!(is_true(&third, DEGRADED), None);
    }
}
