//! Cursors for HSCAN, SSCAN and ZSCAN. A cursor is the 64-bit hash of the next item to
//! return: items are visited in hash order, so an item present for the whole scan is
//! returned whatever is added or removed meanwhile, and cursors stay plain integers.

use std::hash::{BuildHasher, Hasher};

use bytes::Bytes;

use super::ReplyError;
use super::args::Args;
use super::format::parse_int;
use super::glob::NameFilter;

/// A fixed hasher: cursors must mean the same thing across calls and restarts.
fn item_hash(item: &[u8]) -> u64 {
    let mut h = std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().build_hasher();
    h.write(item);
    h.finish()
}

/// Options of the SCAN family after the cursor.
pub struct ScanOpts {
    pub pattern: Option<Bytes>,
    pub count: usize,
    /// SCAN's TYPE option (unused by the collection scans).
    pub kind: Option<Bytes>,
    /// HSCAN NOVALUES.
    pub novalues: bool,
}

/// Parses a cursor argument: Redis's exact error for a bad one.
pub fn parse_cursor(b: &[u8]) -> Result<u64, ReplyError> {
    std::str::from_utf8(b).ok().and_then(|s| s.parse::<u64>().ok()).ok_or_else(|| ReplyError::new("ERR invalid cursor"))
}

pub fn parse_opts(args: &mut Args, allow_type: bool) -> Result<ScanOpts, ReplyError> {
    let mut opts = ScanOpts { pattern: None, count: 10, kind: None, novalues: false };
    while let Some(opt) = args.next() {
        match &opt.to_ascii_uppercase()[..] {
            b"MATCH" => opts.pattern = Some(args.bytes()?),
            b"COUNT" => {
                let n = parse_int(&args.bytes()?).ok_or_else(ReplyError::not_integer)?;
                if n < 1 {
                    return Err(ReplyError::syntax());
                }
                opts.count = n as usize;
            }
            b"TYPE" if allow_type => opts.kind = Some(args.bytes()?),
            b"NOVALUES" if !allow_type => opts.novalues = true,
            _ => return Err(ReplyError::syntax()),
        }
    }
    Ok(opts)
}

/// Matching steps one SCAN-family call may spend: past them the page ends early (SCAN may
/// always return fewer items than COUNT), so a costly pattern cannot hold the shard long.
pub const PAGE_WORK: u64 = 1 << 18;

/// One page of a scan over `items` (name, payload) from `cursor`: the next cursor (0 when
/// done) and the items of this page that match the pattern. A page visits `count` items, or
/// fewer once `PAGE_WORK` matching steps are spent.
pub fn page<'a, T>(
    items: impl Iterator<Item = (&'a Bytes, T)>,
    cursor: u64,
    opts: &ScanOpts,
) -> (u64, Vec<(Bytes, T)>) {
    let mut ahead: Vec<(u64, &Bytes, T)> =
        items.map(|(k, v)| (item_hash(k), k, v)).filter(|(h, _, _)| *h >= cursor).collect();
    ahead.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    let mut filter = NameFilter::new(opts.pattern.as_deref());
    let mut out = Vec::new();
    let mut taken = 0;
    let mut ahead = ahead.into_iter().peekable();
    while let Some(&(h, _, _)) = ahead.peek() {
        if taken >= opts.count || filter.work() >= PAGE_WORK {
            return (h, out);
        }
        // Items sharing a hash go out together, so the cursor never splits them.
        while let Some((_, k, v)) = ahead.next_if(|(same, _, _)| *same == h) {
            taken += 1;
            if filter.accepts(k) {
                out.push((k.clone(), v));
            }
        }
    }
    (0, out)
}
