//! The scan behind GEORADIUS and GEOSEARCH: each cell to scan is a score interval of the
//! sorted set; members in it are decoded and kept if the shape contains them. Work is
//! bounded by the members in the nine cells, and by COUNT when ANY is given.

use std::ops::Bound;

use bytes::Bytes;

use super::area::{Shape, cells_to_scan};
use super::hash::{HashBits, score_to_lonlat};
use crate::crdt::zset::{Score, ZSet};

/// A member the search found.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub member: Bytes,
    /// Its score (the 52-bit geohash).
    pub score: f64,
    /// Distance from the centre in metres.
    pub dist: f64,
    pub lon: f64,
    pub lat: f64,
}

/// Members inside `shape`, in scan order: cell by cell, by score within a cell. With
/// `limit` > 0 (COUNT n ANY) the scan stops once `limit` members are found.
pub fn members_in_shape(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Found> {
    let cells = cells_to_scan(shape);
    let mut found = Vec::new();
    // Index of the last scanned cell; 0 means none yet (the centre cell is never compared,
    // as in Redis).
    let mut last = 0usize;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // With a huge radius neighbouring cells can be one and the same: scan it once.
        if last != 0 && cells.get(last) == Some(cell) {
            continue;
        }
        if limit > 0 && found.len() >= limit {
            break;
        }
        scan_cell(z, *cell, shape, limit, &mut found);
        last = i;
    }
    found
}

/// Members scored in [cell's first score, next cell's first score) that the shape contains.
fn scan_cell(z: &ZSet, cell: HashBits, shape: &Shape, limit: usize, found: &mut Vec<Found>) {
    let min = cell.align52() as f64;
    let max = HashBits { bits: cell.bits.wrapping_add(1), step: cell.step }.align52() as f64;
    // -0 and 0 are one score to Redis but not to the index's order.
    let start = if min == 0.0 { -0.0 } else { min };
    let from = Bound::Included((Score(start), Bytes::new()));
    for (score, member) in z.index().range((from, Bound::Unbounded)) {
        if score.0 >= max {
            break;
        }
        let [lon, lat] = score_to_lonlat(score.0);
        if let Some(dist) = shape.contains(lon, lat) {
            found.push(Found { member: member.clone(), score: score.0, dist, lon, lat });
        }
        if limit > 0 && found.len() >= limit {
            break;
        }
    }
}
