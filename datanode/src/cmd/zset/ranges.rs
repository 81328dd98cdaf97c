//! Selecting members of a sorted set by rank, score or lex range, as Redis walks them: the
//! (score, member) index gives score ranges in O(log n + k); ranks are counted (O(n)).

use std::ops::Bound;

use bytes::Bytes;

use super::score::{LexRange, ScoreRange};
use crate::crdt::zset::{Score, ZSet};

/// A member and its score, as ranges return them.
pub type Scored = (Bytes, f64);

fn pair(item: &(Score, Bytes)) -> Scored {
    (item.1.clone(), item.0.0)
}

/// Redis's rank normalisation: negative indexes count from the end; `None` when empty.
pub fn rank_bounds(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let mut start = if start < 0 { start.saturating_add(len) } else { start };
    let mut end = if end < 0 { end.saturating_add(len) } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

/// Members ranked `start..=end` (after normalisation), from the highest score if `rev`.
pub fn by_rank(z: &ZSet, start: i64, end: i64, rev: bool) -> Vec<Scored> {
    let Some((start, end)) = rank_bounds(start, end, z.len()) else { return Vec::new() };
    let n = end - start + 1;
    if rev {
        z.ordered().rev().skip(start).take(n).map(pair).collect()
    } else {
        z.ordered().skip(start).take(n).map(pair).collect()
    }
}

/// The 0-based rank of `member`, counted from the lowest score.
pub fn rank_of(z: &ZSet, member: &[u8]) -> Option<usize> {
    let score = z.score(member)?;
    Some(z.index().range(..(Score(score), Bytes::copy_from_slice(member))).count())
}

/// The rank of `member` counted from the highest score.
pub fn rev_rank_of(z: &ZSet, member: &[u8]) -> Option<usize> {
    let rank = rank_of(z, member)?;
    z.len().checked_sub(rank + 1)
}

/// The next float above `v` (finite `v`): a bound just past every member scored `v`.
fn next_up(v: f64) -> f64 {
    let v = if v == 0.0 { 0.0 } else { v };
    if v >= 0.0 { f64::from_bits(v.to_bits() + 1) } else { f64::from_bits(v.to_bits() - 1) }
}

/// Index entries with a score that could be ≥ the range's min, in score order. -0 and 0
/// compare equal in Redis but not in the index's total order, so a zero min starts at -0.
fn from_min<'a>(z: &'a ZSet, r: &ScoreRange) -> impl DoubleEndedIterator<Item = &'a (Score, Bytes)> {
    let lower = if r.min == f64::NEG_INFINITY {
        Bound::Unbounded
    } else {
        let min = if r.min == 0.0 { -0.0 } else { r.min };
        Bound::Included((Score(min), Bytes::new()))
    };
    z.index().range((lower, Bound::Unbounded))
}

/// Index entries with a score that could be ≤ the range's max.
fn to_max<'a>(z: &'a ZSet, r: &ScoreRange) -> impl DoubleEndedIterator<Item = &'a (Score, Bytes)> {
    let upper = if r.max == f64::INFINITY || r.max.is_nan() {
        Bound::Unbounded
    } else {
        Bound::Excluded((Score(next_up(r.max)), Bytes::new()))
    };
    z.index().range((Bound::Unbounded, upper))
}

/// Members in a score range, lowest first (highest first if `rev`), after skipping `offset`
/// of them and keeping at most `limit` (negative: no limit), as ZRANGEBYSCORE LIMIT does (a
/// negative offset gives nothing).
pub fn by_score(z: &ZSet, r: &ScoreRange, rev: bool, offset: i64, limit: i64) -> Vec<Scored> {
    if r.is_empty() || offset < 0 || (offset > 0 && offset as u64 >= z.len() as u64) {
        return Vec::new();
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let offset = offset as usize;
    if rev {
        to_max(z, r)
            .rev()
            .skip_while(|(s, _)| !r.lte_max(s.0))
            .skip(offset)
            .take_while(|(s, _)| r.gte_min(s.0))
            .take(limit)
            .map(pair)
            .collect()
    } else {
        from_min(z, r)
            .skip_while(|(s, _)| !r.gte_min(s.0))
            .skip(offset)
            .take_while(|(s, _)| r.lte_max(s.0))
            .take(limit)
            .map(pair)
            .collect()
    }
}

/// How many members have a score in the range.
pub fn count_score(z: &ZSet, r: &ScoreRange) -> usize {
    if r.is_empty() {
        return 0;
    }
    from_min(z, r).skip_while(|(s, _)| !r.gte_min(s.0)).take_while(|(s, _)| r.lte_max(s.0)).count()
}

/// Whether a lex range can match anything, checked as Redis does against the last and the
/// first member (lex ranges assume every member has the same score).
fn lex_possible(z: &ZSet, r: &LexRange) -> bool {
    if r.is_empty() {
        return false;
    }
    match (z.ordered().next_back(), z.ordered().next()) {
        (Some(last), Some(first)) => r.gte_min(&last.1) && r.lte_max(&first.1),
        _ => false,
    }
}

/// When every member has one score, the index is ordered by member and a lex range is a
/// plain index range; otherwise Redis's linear walk is followed.
fn single_score(z: &ZSet) -> Option<Score> {
    let first = z.ordered().next()?;
    let last = z.ordered().next_back()?;
    (first.0 == last.0).then_some(first.0)
}

/// Members in a lex range in index order (reverse if `rev`), with offset and limit as
/// ZRANGEBYLEX LIMIT takes them. As in Redis, the walk starts at the first member past the
/// near bound and yields nothing if that one is already past the far bound.
pub fn by_lex(z: &ZSet, r: &LexRange, rev: bool, offset: i64, limit: i64) -> Vec<Scored> {
    if !lex_possible(z, r) || offset < 0 {
        return Vec::new();
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    if rev {
        let mut it = lex_from_max(z, r).peekable();
        if it.peek().is_some_and(|(_, m)| !r.gte_min(m)) {
            return Vec::new();
        }
        it.skip(offset).take_while(|(_, m)| r.gte_min(m)).take(limit).map(pair).collect()
    } else {
        lex_members(z, r).skip(offset).take_while(|(_, m)| r.lte_max(m)).take(limit).map(pair).collect()
    }
}

/// The walk of ZLEXCOUNT and ZREMRANGEBYLEX: from the first member ≥ min while ≤ max (the
/// skipped-to start of ZRANGEBYLEX, before its offset).
pub fn lex_members<'a>(z: &'a ZSet, r: &'a LexRange) -> Box<dyn Iterator<Item = &'a (Score, Bytes)> + 'a> {
    if !lex_possible(z, r) {
        return Box::new(std::iter::empty());
    }
    let mut it = lex_from_min(z, r).peekable();
    if it.peek().is_some_and(|(_, m)| !r.lte_max(m)) {
        return Box::new(std::iter::empty());
    }
    Box::new(it)
}

/// Entries from the first member ≥ min onwards.
fn lex_from_min<'a>(z: &'a ZSet, r: &'a LexRange) -> Box<dyn Iterator<Item = &'a (Score, Bytes)> + 'a> {
    if let (Some(score), super::score::LexBound::Str(min)) = (single_score(z), &r.min) {
        let lower = if r.minex { Bound::Excluded((score, min.clone())) } else { Bound::Included((score, min.clone())) };
        return Box::new(z.index().range((lower, Bound::Unbounded)));
    }
    Box::new(z.ordered().skip_while(|(_, m)| !r.gte_min(m)))
}

/// Entries from the last member ≤ max backwards.
fn lex_from_max<'a>(z: &'a ZSet, r: &'a LexRange) -> Box<dyn Iterator<Item = &'a (Score, Bytes)> + 'a> {
    if let (Some(score), super::score::LexBound::Str(max)) = (single_score(z), &r.max) {
        let upper = if r.maxex { Bound::Excluded((score, max.clone())) } else { Bound::Included((score, max.clone())) };
        return Box::new(z.index().range((Bound::Unbounded, upper)).rev());
    }
    Box::new(z.ordered().rev().skip_while(|(_, m)| !r.lte_max(m)))
}

/// How many members are in a lex range.
pub fn count_lex(z: &ZSet, r: &LexRange) -> usize {
    lex_members(z, r).take_while(|(_, m)| r.lte_max(m)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_bounds_normalise_like_redis() {
        assert_eq!(rank_bounds(0, -1, 5), Some((0, 4)));
        assert_eq!(rank_bounds(-2, 100, 5), Some((3, 4)));
        assert_eq!(rank_bounds(-100, 0, 5), Some((0, 0)));
        assert_eq!(rank_bounds(3, 1, 5), None);
        assert_eq!(rank_bounds(5, 9, 5), None);
        assert_eq!(rank_bounds(0, -1, 0), None);
        assert_eq!(rank_bounds(i64::MIN, i64::MAX, 3), Some((0, 2)));
    }

    #[test]
    fn next_up_steps_past_a_score() {
        assert!(next_up(1.0) > 1.0 && next_up(-1.0) > -1.0);
        assert!(next_up(0.0) > 0.0 && next_up(-0.0) > 0.0);
        assert_eq!(next_up(f64::MAX), f64::INFINITY);
    }
}
