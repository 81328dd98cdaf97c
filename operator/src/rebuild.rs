//! A forced rebuild of a shard (`kubectl annotate aadb NAME meridian.io/rebuild-shard=0`, or
//! `meridian-operator local rebuild REGION SHARD`). A rebuild replaces the shard's members
//! one at a time, exactly as a rolling upgrade does — replicas first, then the master's role
//! moves to a rebuilt replica, then the old master goes — so the shard stays writable and
//! nothing it acknowledged is lost: every new member starts empty and takes a full sync from
//! the master (and a shard without replicas from the peer regions, through the syncer).
//!
//! On Kubernetes the request becomes a token in the shard's pod template (a new StatefulSet
//! revision, which the rollout then carries out); the token is kept in the shard's status so
//! the next passes keep rendering it. Pure: parsing the request and naming the token.

use std::collections::BTreeSet;

/// The annotation that asks for a rebuild: shard indexes of this region, comma-separated.
pub const ANNOTATION: &str = "meridian.io/rebuild-shard";
/// The pod-template annotation that carries a shard's rebuild token.
pub const TEMPLATE_ANNOTATION: &str = "meridian.io/rebuild";

/// The most shard indexes one request may name (a region has at most this many shards).
const MAX_NAMED: usize = 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RebuildError {
    #[error(
        "annotation {ANNOTATION}={value:?} is not a list of shard indexes: write the shards of this region to rebuild, from 0 to {last}, separated by commas (e.g. \"0\" or \"0,2\")"
    )]
    NotShards { value: String, last: u32 },
    #[error(
        "annotation {ANNOTATION}={value:?} names shard {shard}, but this region has {count} shard(s) (0 to {last})"
    )]
    NoSuchShard { value: String, shard: u64, count: u32, last: u32 },
}

/// The shards `value` asks to rebuild, in a region of `shards` shards (at least one).
pub fn parse(value: &str, shards: u32) -> Result<BTreeSet<u32>, RebuildError> {
    let last = shards.saturating_sub(1);
    let not_shards = || RebuildError::NotShards { value: value.to_string(), last };
    let words: Vec<&str> = value.split(',').map(str::trim).collect();
    if words.len() > MAX_NAMED || words.iter().all(|w| w.is_empty()) {
        return Err(not_shards());
    }
    let mut named = BTreeSet::new();
    for word in words.into_iter().filter(|w| !w.is_empty()) {
        if !word.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_shards());
        }
        let shard: u64 = word.parse().map_err(|_| not_shards())?;
        match u32::try_from(shard) {
            Ok(s) if s < shards => {
                named.insert(s);
            }
            _ => return Err(RebuildError::NoSuchShard { value: value.to_string(), shard, count: shards, last }),
        }
    }
    Ok(named)
}

/// The later of two tokens (they are times in one format, so they order as text): a pass
/// that reads a status older than the operator's own last write must not take the pod
/// template back to an earlier token, which would roll the shard again.
pub fn latest(a: Option<String>, b: Option<String>) -> Option<String> {
    // `None` orders before any token, so it never wins over one.
    a.max(b)
}

/// A new rebuild token: the time of the request, which also tells users when it was asked.
pub fn token(now: k8s_openapi::jiff::Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_token_wins_and_none_never_undoes_one() {
        let (t1, t2) = (Some("2026-12-07T15:28:14Z".to_string()), Some("2026-12-07T15:28:15Z".to_string()));
        assert_eq!(latest(t1.clone(), t2.clone()), t2);
        assert_eq!(latest(t2.clone(), t1.clone()), t2);
        assert_eq!(latest(None, t1.clone()), t1);
        assert_eq!(latest(t1.clone(), None), t1);
        assert_eq!(latest(None, None), None);
    }

    #[test]
    fn shard_lists_are_read_and_bad_ones_say_what_to_write() {
        assert_eq!(parse("0", 1), Ok(BTreeSet::from([0])));
        assert_eq!(parse(" 2, 0 ,2", 3), Ok(BTreeSet::from([0, 2])));
        assert_eq!(parse("0,", 2), Ok(BTreeSet::from([0])));
        for bad in ["", " , ", "one", "-1", "1.0", "+1", "０"] {
            let e = parse(bad, 2).unwrap_err();
            assert!(e.to_string().contains("from 0 to 1, separated by commas"), "{bad:?}: {e}");
        }
        let e = parse("0,3", 2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "annotation meridian.io/rebuild-shard=\"0,3\" names shard 3, but this region has 2 shard(s) (0 to 1)"
        );
        assert!(matches!(parse("99999999999999999999999", 2), Err(RebuildError::NotShards { .. })));
        assert!(matches!(parse("4294967296", 2), Err(RebuildError::NoSuchShard { .. })));
        assert!(parse(&"0,".repeat(2000), 2).is_err(), "an endless list is refused, not walked");
    }

    #[test]
    fn a_token_is_the_time_of_the_request() {
        let t: k8s_openapi::jiff::Timestamp = "2026-12-07T05:00:01.5Z".parse().unwrap();
        assert_eq!(token(t), "2026-12-07T05:00:01Z");
    }
}
