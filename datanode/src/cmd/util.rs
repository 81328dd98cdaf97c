//! Helpers shared by command families: typed reads of a key and the write skeleton.

use bytes::Bytes;

use super::ReplyError;
use crate::keyspace::delta::Delta;
use crate::keyspace::entry::{Content, Entry, Kind};
use crate::shard::{Access, Shard};

/// The visible content of `key` if it is of `kind`; `None` if the key is missing;
/// WRONGTYPE if it holds another type.
pub fn read_kind<'a>(shard: &'a mut Shard, key: &[u8], kind: Kind) -> Result<Option<&'a Content>, ReplyError> {
    match shard.read(key) {
        None => Ok(None),
        Some(c) if c.kind() == kind => Ok(Some(c)),
        Some(_) => Err(ReplyError::wrongtype()),
    }
}

/// Checks that `key` is missing or holds `kind`, for a write about to happen, and returns
/// the entry as the write will observe it (an expired key is deleted first).
pub fn check_write<'a>(shard: &'a mut Shard, key: &[u8], kind: Kind) -> Result<Option<&'a Entry>, ReplyError> {
    match shard.lookup(key, Access::Write) {
        None => Ok(None),
        Some(e) => match e.visible() {
            Some(c) if c.kind() != kind => Err(ReplyError::wrongtype()),
            _ => Ok(Some(e)),
        },
    }
}

/// A write to one key holding `kind`: mints the dot, removes content of other kinds,
/// lets `build` fill the delta part (it gets the tag, the entry as it stands, the part, and
/// a list to put observed dots in), then commits.
pub fn write_one<R>(
    shard: &mut Shard,
    key: &Bytes,
    kind: Kind,
    build: impl FnOnce(crate::crdt::Tag, Option<&Entry>, &mut Entry, &mut Vec<crate::crdt::Dot>) -> R,
) -> R {
    let mut delta = Delta::new();
    shard.prepare_write(key, kind, &mut delta);
    let tag = shard.mint();
    let mut part = Entry::default();
    let mut observed = vec![tag.dot];
    let r = build(tag, shard.keyspace().get(key), &mut part, &mut observed);
    delta.observe(observed);
    delta.put(key.clone(), part);
    shard.commit(delta);
    r
}

/// Replaces the TTL of a key in a write's delta part: the atoms seen are removed and one new
/// atom holds `deadline` (`None` = an explicit "no expiry", which beats concurrent deadlines).
pub fn set_ttl(
    entry: Option<&Entry>,
    tag: crate::crdt::Tag,
    deadline: Option<u64>,
    part: &mut Entry,
    observed: &mut Vec<crate::crdt::Dot>,
) {
    if let Some(e) = entry {
        e.ttl.observed(observed);
    }
    part.ttl = crate::crdt::ttl::Ttl::with(tag, deadline);
}

/// Time units of expiry arguments.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExpireUnit {
    /// Relative seconds (EX, EXPIRE).
    Secs,
    /// Relative milliseconds (PX, PEXPIRE).
    Millis,
    /// Absolute Unix seconds (EXAT, EXPIREAT).
    AtSecs,
    /// Absolute Unix milliseconds (PXAT, PEXPIREAT).
    AtMillis,
}

/// Turns an expiry argument into an absolute deadline in ms, as Redis validates it. `cmd` is
/// the command name used in the error text.
pub fn deadline(unit: ExpireUnit, value: i64, now: u64, cmd: &str, allow_nonpositive: bool) -> Result<u64, ReplyError> {
    let invalid = || ReplyError::new(format!("ERR invalid expire time in '{cmd}' command"));
    if value <= 0 && !allow_nonpositive {
        return Err(invalid());
    }
    let ms = match unit {
        ExpireUnit::Secs | ExpireUnit::AtSecs => value.checked_mul(1000).ok_or_else(invalid)?,
        ExpireUnit::Millis | ExpireUnit::AtMillis => value,
    };
    let at = match unit {
        ExpireUnit::Secs | ExpireUnit::Millis => ms.checked_add(now as i64).ok_or_else(invalid)?,
        ExpireUnit::AtSecs | ExpireUnit::AtMillis => ms,
    };
    Ok(at.max(0) as u64)
}
