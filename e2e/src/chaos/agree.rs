//! Whether every node that serves a key holds the same value of it, across regions. The
//! digests only compare nodes of one slot range: a region whose shards split the slots
//! differently is never compared with the others by digest, so convergence is judged key by
//! key as well. Pure.

use std::collections::{BTreeMap, BTreeSet};

use super::observe::NodeData;

/// What a node holds of one key, as text comparable between nodes.
fn value_of(d: &NodeData, key: &str) -> String {
    if let Some(n) = d.counters.get(key) {
        format!("counter {n}")
    } else if let Some(v) = d.registers.get(key) {
        format!("register {v:?}")
    } else if let Some(m) = d.sets.get(key) {
        format!("set {m:?}")
    } else if let Some(h) = d.hashes.get(key) {
        format!("hash {h:?}")
    } else {
        "nothing".to_string()
    }
}

/// The keys on which the nodes serving them disagree, each described with what every such
/// node holds (for a set, only the members some node lacks).
pub fn disagreements(finals: &[(String, NodeData)]) -> Vec<String> {
    let mut by_key: BTreeMap<&str, Vec<(&str, &NodeData)>> = BTreeMap::new();
    for (addr, d) in finals {
        for key in &d.served {
            by_key.entry(key.as_str()).or_default().push((addr.as_str(), d));
        }
    }
    let mut out = vec![];
    for (key, holders) in by_key {
        let values: Vec<(&str, String)> = holders.iter().map(|(a, d)| (*a, value_of(d, key))).collect();
        if values.windows(2).all(|p| p[0].1 == p[1].1) {
            continue;
        }
        let sets: Vec<(&str, &BTreeSet<String>)> =
            holders.iter().filter_map(|(a, d)| Some((*a, d.sets.get(key)?))).collect();
        let described: Vec<String> = if sets.len() == holders.len() {
            let union: BTreeSet<&String> = sets.iter().flat_map(|(_, s)| s.iter()).collect();
            sets.iter()
                .map(|(a, s)| {
                    let lacks: Vec<&&String> = union.iter().filter(|m| !s.contains(**m)).collect();
                    format!("{a}: lacks {lacks:?}")
                })
                .collect()
        } else {
            values.iter().map(|(a, v)| format!("{a}: {v}")).collect()
        };
        out.push(format!("{key}: {}", described.join("; ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(served: &[&str], registers: &[(&str, &str)], sets: &[(&str, &[&str])]) -> NodeData {
        NodeData {
            served: served.iter().map(|s| s.to_string()).collect(),
            registers: registers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            sets: sets.iter().map(|(k, m)| (k.to_string(), m.iter().map(|s| s.to_string()).collect())).collect(),
            ..NodeData::default()
        }
    }

    #[test]
    fn only_keys_two_serving_nodes_disagree_on_are_named() {
        let whole = node(&["a", "b", "s"], &[("a", "1"), ("b", "2")], &[("s", &["x", "y"])]);
        // A region whose node serves only some keys is compared on those only.
        let half = node(&["a", "s"], &[("a", "1")], &[("s", &["x"])]);
        let other_half = node(&["b"], &[], &[]);
        let finals = vec![("n1".to_string(), whole), ("n2".to_string(), half), ("n3".to_string(), other_half)];
        let found = disagreements(&finals);
        assert_eq!(
            found,
            vec!["b: n1: register \"2\"; n3: nothing".to_string(), "s: n1: lacks []; n2: lacks [\"y\"]".to_string(),]
        );
        assert!(disagreements(&finals[..1]).is_empty());
    }
}
