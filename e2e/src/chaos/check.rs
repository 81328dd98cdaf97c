//! The verdict on a run, as a pure function of the journal (every write and its outcome), the
//! kills (with what the surviving copies held right after each) and what every node holds at
//! the end. What each type must show follows SEMANTICS.md:
//!
//! * a set (observed-remove, add wins; nothing is removed here): every acknowledged member;
//! * a counter: the sum of its increments, exactly; one writer increments each key, so its
//!   increments reach every copy in order, and what a copy holds is a prefix of them;
//! * a register (LWW by HLC, the same clock for every region on one machine): a value that
//!   was written, and no acknowledged write that determinably came later (same writer and a
//!   later sequence number, or sent more than `CLOCK_MARGIN_MS` after the value's write was
//!   acknowledged) may be missing; a hash field likewise.
//!
//! A write is *lost with its node* (documented: there is no persistence, so a node killed
//! before a write left it takes the write along) when the node that acknowledged it was
//! killed by a fault before any surviving copy had it: the first kill of that node after the
//! acknowledgement, with a witness that lacks the write. Every other missing write is lost.

use std::collections::{BTreeMap, BTreeSet};

use super::journal::{Op, Outcome, Tag, Write};
use super::observe::{NodeData, Witness};

/// Clock granularity plus HLC slack: a write sent this long after another was acknowledged
/// has a later timestamp (both regions read one machine's clock).
pub const CLOCK_MARGIN_MS: u64 = 5;
/// Findings listed one by one in a report; the rest are counted.
pub const LISTED: usize = 100;

/// One fault's kill of nodes.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Kill {
    pub fault: usize,
    /// The kill happened at or before this time (ms since the start): a reply read later
    /// came from a later incarnation.
    pub at_ms: u64,
    /// RESP addresses of the killed nodes.
    pub nodes: BTreeSet<String>,
    /// Whether losing the killed nodes' unreplicated writes is the documented behaviour
    /// (a node killed without persistence), or would itself be a bug (the supervisor).
    pub explains: bool,
    #[serde(skip)]
    pub witness: Witness,
}

/// A write as reports name it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct WriteRef {
    pub region: String,
    pub writer: u32,
    pub seq: u64,
    pub op: String,
    pub acked_ms: u64,
    pub node: String,
}

impl WriteRef {
    fn of(w: &Write) -> WriteRef {
        let op = match &w.op {
            Op::Incr { key, by } => format!("INCRBY {key} {by}"),
            Op::Sadd { key, member } => format!("SADD {key} {member}"),
            Op::Set { key, value } => format!("SET {key} {value}"),
            Op::Hset { key, field, value } => format!("HSET {key} {field} {value}"),
        };
        WriteRef {
            region: w.region.clone(),
            writer: w.writer,
            seq: w.seq,
            op,
            acked_ms: w.ended_ms,
            node: w.node().unwrap_or_default().to_string(),
        }
    }
}

/// Something missing or wrong on some nodes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Finding {
    pub key: String,
    pub write: Option<WriteRef>,
    /// The nodes where it shows.
    pub nodes: Vec<String>,
    pub detail: String,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Verdict {
    pub acknowledged: usize,
    pub ambiguous: usize,
    pub refused: usize,
    /// Acknowledged writes found (or rightly superseded) on every node that serves their key.
    pub verified: usize,
    /// Acknowledged writes missing although no kill explains it, and counters short of
    /// their acknowledged increments: each fails the run.
    pub lost: Vec<Finding>,
    /// Acknowledged writes that went down with the node that acknowledged them before any
    /// other copy had them (documented: no persistence).
    pub lost_with_node: Vec<Finding>,
    /// Values nobody wrote, counters above what was written, refused writes that show:
    /// each fails the run.
    pub anomalies: Vec<Finding>,
}

impl Verdict {
    pub fn clean(&self) -> bool {
        self.lost.is_empty() && self.anomalies.is_empty()
    }
}

struct Index<'a> {
    writes: &'a [Write],
    by_tag: BTreeMap<Tag, usize>,
    kills: &'a [Kill],
    /// Each counter key's segments (see `segments`).
    segments: BTreeMap<String, Vec<Vec<usize>>>,
    /// For an increment: the sum of the required increments of the earlier segments of its
    /// key plus the increments of its own segment up to and including it (`None` when an
    /// earlier segment ended in doubt, so no witness value speaks for it).
    witness_need: BTreeMap<usize, Option<i64>>,
}

impl<'a> Index<'a> {
    fn new(writes: &'a [Write], kills: &'a [Kill]) -> Index<'a> {
        let by_tag = writes.iter().enumerate().map(|(i, w)| (Tag::of(w), i)).collect();
        let segments = segments(writes, kills);
        let mut witness_need = BTreeMap::new();
        for segs in segments.values() {
            let mut base = Some(0i64);
            for seg in segs {
                let mut sum = 0i64;
                for &i in seg {
                    sum = sum.saturating_add(amount(&writes[i]));
                    witness_need.insert(i, base.map(|b| b.saturating_add(sum)));
                }
                base = match (base, seg.iter().all(|&i| writes[i].acked())) {
                    (Some(b), true) => Some(b.saturating_add(sum)),
                    _ => None,
                };
            }
        }
        Index { writes, by_tag, kills, segments, witness_need }
    }

    /// The first kill of the write's node after it was acknowledged.
    fn first_kill_after(&self, w: &Write) -> Option<&'a Kill> {
        let node = w.node()?;
        self.kills.iter().filter(|k| k.nodes.contains(node) && k.at_ms >= w.ended_ms).min_by_key(|k| k.at_ms)
    }

    /// Whether the write went down with its node (see the module's doc).
    fn lost_with_node(&self, i: usize) -> bool {
        let w = &self.writes[i];
        match self.first_kill_after(w) {
            Some(k) => k.explains && !self.witnessed(i, &k.witness),
            None => false,
        }
    }

    /// Whether a value in `values` is this write's or one written after it.
    fn holds_it_or_later(&self, i: usize, values: Option<&BTreeSet<String>>) -> bool {
        values.is_some_and(|vs| {
            vs.iter().any(|v| Tag::parse(v).and_then(|t| self.by_tag.get(&t)).is_some_and(|&j| self.after(j, i)))
        })
    }

    /// Write `j` is write `i` or determinably later.
    fn after(&self, j: usize, i: usize) -> bool {
        let (a, b) = (&self.writes[j], &self.writes[i]);
        j == i
            || (a.region == b.region && a.writer == b.writer && a.seq > b.seq)
            || a.started_ms > b.ended_ms + CLOCK_MARGIN_MS
    }

    fn witnessed(&self, i: usize, wit: &Witness) -> bool {
        match &self.writes[i].op {
            Op::Sadd { key, member } => wit.sets.get(key).is_some_and(|m| m.contains(member)),
            // A copy holds a prefix of the increments: enough of them means this one.
            Op::Incr { key, .. } => match self.witness_need.get(&i).copied().flatten() {
                Some(need) => wit.counters.get(key).copied().unwrap_or(0) >= need,
                None => false,
            },
            Op::Set { key, .. } => self.holds_it_or_later(i, wit.registers.get(key)),
            Op::Hset { key, field, .. } => self.holds_it_or_later(i, wit.hashes.get(key).and_then(|f| f.get(field))),
        }
    }
}

fn amount(w: &Write) -> i64 {
    match &w.op {
        Op::Incr { by, .. } => *by,
        _ => 0,
    }
}

/// Each counter key's possibly applied increments (acknowledged or ambiguous), in order, cut
/// where the node changes, where the node was killed in between, and after an ambiguous one
/// (it may never have reached the node): within a segment, every copy holds a prefix.
fn segments(writes: &[Write], kills: &[Kill]) -> BTreeMap<String, Vec<Vec<usize>>> {
    let mut out: BTreeMap<String, Vec<Vec<usize>>> = BTreeMap::new();
    let mut last: BTreeMap<String, usize> = BTreeMap::new();
    for (i, w) in writes.iter().enumerate() {
        let Op::Incr { key, .. } = &w.op else { continue };
        let Some(node) = w.node() else { continue };
        let same = last.get(key).is_some_and(|&p| {
            let prev = &writes[p];
            prev.acked()
                && prev.node() == Some(node)
                && !kills.iter().any(|k| k.nodes.contains(node) && k.at_ms >= prev.ended_ms && k.at_ms <= w.started_ms)
        });
        let segs = out.entry(key.clone()).or_default();
        match segs.last_mut() {
            Some(seg) if same => seg.push(i),
            _ => segs.push(vec![i]),
        }
        last.insert(key.clone(), i);
    }
    out
}

/// Judges the final state of every node (`finals`: address and what it holds).
pub fn judge(writes: &[Write], kills: &[Kill], finals: &[(String, NodeData)]) -> Verdict {
    let ix = Index::new(writes, kills);
    let mut v = Verdict::default();
    for w in writes {
        match w.outcome {
            Outcome::Acked { .. } => v.acknowledged += 1,
            Outcome::Ambiguous { .. } => v.ambiguous += 1,
            Outcome::Refused { .. } => v.refused += 1,
        }
    }
    // Missing writes per write index, and the nodes they are missing on.
    let mut missing: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let mut anomalies: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut counter_short: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (addr, data) in finals {
        check_node(&ix, addr, data, &mut missing, &mut anomalies, &mut counter_short);
    }
    // A counter short of its increments: none of them counts as verified.
    let short: BTreeSet<&String> = counter_short.keys().map(|(k, _)| k).collect();
    for i in (0..writes.len()).filter(|&i| writes[i].acked()) {
        let Some(nodes) = missing.get(&i) else {
            if !short.contains(&writes[i].op.key().to_string()) {
                v.verified += 1;
            }
            continue;
        };
        let w = &writes[i];
        let finding = |detail: String| Finding {
            key: w.op.key().to_string(),
            write: Some(WriteRef::of(w)),
            nodes: nodes.iter().cloned().collect(),
            detail,
        };
        if ix.lost_with_node(i) {
            let k = ix.first_kill_after(w).map(|k| (k.fault, k.at_ms.saturating_sub(w.ended_ms))).unwrap_or_default();
            v.lost_with_node.push(finding(format!(
                "acknowledged {} ms before fault {} killed its node, no other copy had it",
                k.1, k.0
            )));
        } else {
            v.lost.push(finding("acknowledged, missing".into()));
        }
    }
    for ((key, detail), nodes) in counter_short {
        v.lost.push(Finding { key, write: None, nodes: nodes.into_iter().collect(), detail });
    }
    for ((key, detail), nodes) in anomalies {
        v.anomalies.push(Finding { key, write: None, nodes: nodes.into_iter().collect(), detail });
    }
    v
}

fn check_node(
    ix: &Index<'_>,
    addr: &str,
    data: &NodeData,
    missing: &mut BTreeMap<usize, BTreeSet<String>>,
    anomalies: &mut BTreeMap<(String, String), BTreeSet<String>>,
    counter_short: &mut BTreeMap<(String, String), BTreeSet<String>>,
) {
    let writes = ix.writes;
    let mut miss = |i: usize| {
        missing.entry(i).or_default().insert(addr.to_string());
    };
    let mut odd = |key: &str, detail: String| {
        anomalies.entry((key.to_string(), detail)).or_default().insert(addr.to_string());
    };
    // Registers and hash fields: the value held, per (key, field).
    let mut cells: BTreeMap<(String, Option<String>), Vec<usize>> = BTreeMap::new();
    for (i, w) in writes.iter().enumerate() {
        if !data.served.contains(w.op.key()) {
            continue;
        }
        match &w.op {
            Op::Sadd { key, member } => {
                let present = data.sets.get(key).is_some_and(|m| m.contains(member));
                if w.acked() && !present {
                    miss(i);
                }
                if present && matches!(w.outcome, Outcome::Refused { .. }) {
                    odd(key, format!("member {member} shows although its SADD was refused"));
                }
            }
            Op::Set { key, .. } => cells.entry((key.clone(), None)).or_default().push(i),
            Op::Hset { key, field, .. } => cells.entry((key.clone(), Some(field.clone()))).or_default().push(i),
            Op::Incr { .. } => {}
        }
    }
    for ((key, field), idx) in &cells {
        let held = match field {
            None => data.registers.get(key),
            Some(f) => data.hashes.get(key).and_then(|h| h.get(f)),
        };
        let name = field.as_ref().map_or_else(|| key.clone(), |f| format!("{key} field {f}"));
        let holder = held.and_then(|v| Tag::parse(v)).and_then(|t| ix.by_tag.get(&t).copied());
        match (held, holder) {
            (Some(v), None) => odd(key, format!("{name} holds {v:?}, which no write wrote")),
            (Some(v), Some(h)) if matches!(writes[h].outcome, Outcome::Refused { .. }) => {
                odd(key, format!("{name} holds {v:?}, whose write was refused"))
            }
            _ => {}
        }
        // Every acknowledged write that came determinably after the held one is missing.
        for &i in idx.iter().filter(|&&i| writes[i].acked()) {
            let fine = match holder {
                Some(h) => ix.after(h, i) || !ix.after(i, h),
                None => false,
            };
            if !fine {
                miss(i);
            }
        }
    }
    // Counters: one writer per key, checked segment by segment.
    for (key, segs) in &ix.segments {
        if !data.served.contains(key) {
            continue;
        }
        let value = data.counters.get(key).copied().unwrap_or(0);
        let mut required = 0i64;
        // Every sum the possibly-applied-but-not-required increments can add.
        let mut reachable: BTreeSet<i64> = BTreeSet::from([0]);
        let mut optional_total = 0i64;
        // Per segment, its optional increments with their running sums.
        let mut optional: Vec<Vec<(usize, i64)>> = vec![];
        for seg in segs {
            // The last write of the segment that must be there: everything before it too.
            let must = seg.iter().rposition(|&i| writes[i].acked() && !ix.lost_with_node(i));
            let mut options = vec![];
            let mut extra = 0i64;
            for (pos, &i) in seg.iter().enumerate() {
                let by = amount(&writes[i]);
                if must.is_some_and(|m| pos <= m) {
                    required = required.saturating_add(by);
                } else {
                    extra = extra.saturating_add(by);
                    options.push((i, extra));
                }
            }
            optional_total = optional_total.saturating_add(extra);
            if reachable.len().saturating_mul(options.len() + 1) > 100_000 {
                reachable.clear();
            } else {
                let sums: Vec<i64> = std::iter::once(0).chain(options.iter().map(|o| o.1)).collect();
                reachable = reachable.iter().flat_map(|a| sums.iter().map(move |b| a + b)).collect();
            }
            if !options.is_empty() {
                optional.push(options);
            }
        }
        if value < required {
            let detail = format!(
                "counter {value}, acknowledged increments add up to {required} (short by {})",
                required - value
            );
            counter_short.entry((key.clone(), detail)).or_default().insert(addr.to_string());
        } else if value > required + optional_total {
            odd(key, format!("counter {value}, more than every increment sent ({})", required + optional_total));
        } else if !reachable.is_empty() && !reachable.contains(&(value - required)) {
            odd(key, format!("counter {value}: no prefix of its increments adds up to it (acknowledged {required})"));
        } else if let [options] = optional.as_slice() {
            // One segment in doubt: the value says which of its increments arrived (a prefix).
            let arrived = value - required;
            for &(i, _) in options.iter().skip_while(|(_, sum)| *sum <= arrived) {
                miss(i);
            }
        }
    }
    // Members nobody added.
    for (key, members) in &data.sets {
        for m in members {
            let known = Tag::parse(m)
                .and_then(|t| ix.by_tag.get(&t))
                .is_some_and(|&i| matches!(&writes[i].op, Op::Sadd { key: k, member } if k == key && member == m));
            if !known {
                odd(key, format!("member {m} was never added"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::journal::Outcome;

    const A: &str = "10.0.0.1:7000";

    fn write(seq: u64, op: Op, at: u64, outcome: Outcome) -> Write {
        Write { region: "r1".into(), writer: 0, seq, op, started_ms: at, ended_ms: at + 1, outcome }
    }

    fn acked() -> Outcome {
        Outcome::Acked { node: A.into() }
    }

    fn sadd(seq: u64, at: u64) -> Write {
        write(seq, Op::Sadd { key: "s".into(), member: format!("r1.0.{seq}") }, at, acked())
    }

    fn incr(seq: u64, by: i64, at: u64) -> Write {
        write(seq, Op::Incr { key: "c".into(), by }, at, acked())
    }

    fn set(seq: u64, at: u64) -> Write {
        write(seq, Op::Set { key: "g".into(), value: format!("r1.0.{seq}") }, at, acked())
    }

    fn node(f: impl FnOnce(&mut NodeData)) -> Vec<(String, NodeData)> {
        let mut d = NodeData::default();
        d.served.extend(["s", "c", "g"].map(String::from));
        f(&mut d);
        vec![(A.to_string(), d)]
    }

    fn members(seqs: &[u64]) -> BTreeSet<String> {
        seqs.iter().map(|s| format!("r1.0.{s}")).collect()
    }

    fn kill(at_ms: u64, witness: Witness) -> Kill {
        Kill { fault: 0, at_ms, nodes: BTreeSet::from([A.to_string()]), explains: true, witness }
    }

    #[test]
    fn every_acknowledged_write_present_is_clean() {
        let writes = [sadd(0, 10), incr(1, 5, 20), incr(2, 7, 30), set(3, 40)];
        let finals = node(|d| {
            d.sets.insert("s".into(), members(&[0]));
            d.counters.insert("c".into(), 12);
            d.registers.insert("g".into(), "r1.0.3".into());
        });
        let v = judge(&writes, &[], &finals);
        assert!(v.clean(), "{v:#?}");
        assert_eq!((v.acknowledged, v.verified), (4, 4));
    }

    #[test]
    fn a_missing_member_is_lost_unless_its_node_died_before_any_copy_had_it() {
        let writes = [sadd(0, 10), sadd(1, 20)];
        let finals = node(|d| {
            d.sets.insert("s".into(), members(&[0]));
        });
        let v = judge(&writes, &[], &finals);
        assert_eq!(v.lost.len(), 1, "{v:#?}");
        assert_eq!(v.lost[0].write.as_ref().map(|w| w.seq), Some(1));
        // Killed after the write, and the survivors did not have it: lost with its node.
        let mut seen = Witness::default();
        seen.sets.insert("s".into(), members(&[0]));
        let v = judge(&writes, &[kill(50, seen.clone())], &finals);
        assert!(v.clean() && v.lost_with_node.len() == 1, "{v:#?}");
        // A survivor had it: losing it later is a bug.
        seen.sets.insert("s".into(), members(&[0, 1]));
        assert_eq!(judge(&writes, &[kill(50, seen)], &finals).lost.len(), 1);
        // A kill before the write explains nothing.
        assert_eq!(judge(&writes, &[kill(15, Witness::default())], &finals).lost.len(), 1);
        // Nor does a kill that is not a node's documented fate (the supervisor's).
        let mut sup = kill(50, Witness::default());
        sup.explains = false;
        assert_eq!(judge(&writes, &[sup], &finals).lost.len(), 1);
    }

    #[test]
    fn counters_are_exact_up_to_a_tail_lost_with_the_node() {
        let writes = [incr(0, 5, 10), incr(1, 7, 20), incr(2, 100, 30)];
        let short = node(|d| {
            d.counters.insert("c".into(), 5);
        });
        let v = judge(&writes, &[], &short);
        assert_eq!(v.lost.len(), 1, "{v:#?}");
        assert!(v.lost[0].detail.contains("short by 107"), "{}", v.lost[0].detail);
        // The node died after all three; the survivors had the first two (12).
        let mut seen = Witness::default();
        seen.counters.insert("c".into(), 12);
        let twelve = node(|d| {
            d.counters.insert("c".into(), 12);
        });
        let v = judge(&writes, &[kill(100, seen.clone())], &twelve);
        assert!(v.clean() && v.lost_with_node.len() == 1, "{v:#?}");
        // 5 is short of what the survivors had.
        assert_eq!(judge(&writes, &[kill(100, seen)], &short).lost.len(), 1);
        // More than was ever sent.
        let over = node(|d| {
            d.counters.insert("c".into(), 113);
        });
        assert_eq!(judge(&writes, &[], &over).anomalies.len(), 1);
    }

    #[test]
    fn a_register_must_hold_its_latest_acknowledged_value() {
        let writes = [set(0, 10), set(1, 20)];
        let stale = node(|d| {
            d.registers.insert("g".into(), "r1.0.0".into());
        });
        let v = judge(&writes, &[], &stale);
        assert_eq!(v.lost.iter().map(|f| f.write.as_ref().map(|w| w.seq)).collect::<Vec<_>>(), [Some(1)]);
        // Another region's write sent before this one was acknowledged is concurrent: either wins.
        let mut other = set(0, 19);
        other.region = "r2".into();
        other.op = Op::Set { key: "g".into(), value: "r2.0.0".into() };
        let writes = [other, set(1, 20)];
        let theirs = node(|d| {
            d.registers.insert("g".into(), "r2.0.0".into());
        });
        assert!(judge(&writes, &[], &theirs).clean());
        let nobody = node(|d| {
            d.registers.insert("g".into(), "r9.0.0".into());
        });
        assert_eq!(judge(&writes, &[], &nobody).anomalies.len(), 1);
    }

    #[test]
    fn a_member_nobody_added_or_whose_add_was_refused_is_an_anomaly() {
        let mut refused = sadd(1, 20);
        refused.outcome = Outcome::Refused { error: "READONLY".into() };
        let writes = [sadd(0, 10), refused];
        let finals = node(|d| {
            d.sets.insert("s".into(), members(&[0, 1, 7]));
        });
        let v = judge(&writes, &[], &finals);
        assert_eq!(v.anomalies.len(), 2, "{v:#?}");
        assert!(v.lost.is_empty());
    }
}
