//! Failover and outage times, from the journal: in the faulted region (and shard), when the
//! first write after the fault failed, when a write was acknowledged again after that, and the
//! longest stretch without an acknowledgement. Pure.

use meridian_datanode::keyspace::slot_of;

use super::journal::Write;

/// Outage figures in ms since the fault (gaps in ms).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outage {
    pub first_error_ms: Option<u64>,
    pub writes_again_ms: Option<u64>,
    pub longest_gap_ms: Option<u64>,
}

/// Parses a shard's slots as status shows them (`0-8191`).
pub fn parse_slots(text: &str) -> Option<(u16, u16)> {
    let (a, b) = text.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// The outage of `region`'s writes (to keys in `slots`, if given) between `from_ms` (the
/// fault) and `to_ms`.
pub fn outage(writes: &[Write], region: &str, slots: Option<(u16, u16)>, from_ms: u64, to_ms: u64) -> Outage {
    let mut ours: Vec<&Write> = writes
        .iter()
        .filter(|w| w.region == region && w.ended_ms >= from_ms && w.started_ms <= to_ms)
        .filter(|w| slots.is_none_or(|(a, b)| (a..=b).contains(&slot_of(w.op.key().as_bytes()))))
        .collect();
    ours.sort_by_key(|w| w.ended_ms);
    let first_error = ours.iter().filter(|w| !w.acked() && w.started_ms >= from_ms).map(|w| w.started_ms).min();
    let writes_again =
        first_error.and_then(|e| ours.iter().filter(|w| w.acked() && w.started_ms >= e).map(|w| w.ended_ms).min());
    let mut last = from_ms;
    let mut gap = 0;
    for w in ours.iter().filter(|w| w.acked()) {
        gap = gap.max(w.ended_ms.saturating_sub(last));
        last = last.max(w.ended_ms);
    }
    gap = gap.max(to_ms.saturating_sub(last));
    Outage {
        first_error_ms: first_error.map(|t| t.saturating_sub(from_ms)),
        writes_again_ms: writes_again.map(|t| t.saturating_sub(from_ms)),
        longest_gap_ms: Some(gap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::journal::{Op, Outcome};

    fn w(seq: u64, started: u64, ended: u64, ok: bool) -> Write {
        Write {
            region: "r1".into(),
            writer: 0,
            seq,
            op: Op::Set { key: "k".into(), value: "v".into() },
            started_ms: started,
            ended_ms: ended,
            outcome: if ok { Outcome::Acked { node: "n".into() } } else { Outcome::Refused { error: "e".into() } },
        }
    }

    #[test]
    fn the_outage_runs_from_the_fault_to_the_first_acknowledgement_after_the_first_failure() {
        let writes = [w(0, 990, 995, true), w(1, 1010, 1020, true), w(2, 1030, 3030, false), w(3, 3040, 3500, true)];
        let o = outage(&writes, "r1", None, 1000, 4000);
        assert_eq!(o, Outage { first_error_ms: Some(30), writes_again_ms: Some(2500), longest_gap_ms: Some(2480) });
        assert_eq!(outage(&writes, "r2", None, 1000, 4000).writes_again_ms, None);
        assert_eq!(parse_slots("8192-16383"), Some((8192, 16383)));
    }
}
