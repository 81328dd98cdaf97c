//! Bitmap commands: bit-level reads and writes of a string. A write rewrites the whole
//! string, so it is a register write like SETRANGE (SEMANTICS.md §2: bitfields are plain
//! LWW bytes, never counters).

mod bitcount;
mod bitfield;
mod bitop;
mod bitpos;
mod getbit;
mod setbit;

use super::format::parse_int;
use super::{CommandSpec, ReplyError};

pub const COMMANDS: &[CommandSpec] =
    &[bitcount::SPEC, bitfield::BITFIELD, bitfield::BITFIELD_RO, bitop::SPEC, bitpos::SPEC, getbit::SPEC, setbit::SPEC];

fn bad_offset() -> ReplyError {
    ReplyError::new("ERR bit offset is not an integer or out of range")
}

/// A bit offset as Redis's `getBitOffsetFromArgument` takes it: an integer whose byte fits
/// in `proto-max-bulk-len`; with `width` (BITFIELD), `#n` means n fields of that width.
fn bit_offset(arg: &[u8], width: Option<u32>) -> Result<u64, ReplyError> {
    let (digits, hash) = match (arg.first(), width) {
        (Some(b'#'), Some(w)) => (&arg[1..], Some(w)),
        _ => (arg, None),
    };
    let mut offset = parse_int(digits).ok_or_else(bad_offset)?;
    if let Some(w) = hash {
        // Redis multiplies without an overflow check; a wrapped product is then refused
        // (or not) by the range check exactly as there.
        offset = offset.wrapping_mul(i64::from(w));
    }
    if offset < 0 || (offset as u64 >> 3) >= super::strings::MAX_STRING {
        return Err(bad_offset());
    }
    Ok(offset as u64)
}

/// The value of bit `offset` (bit 0 is the most significant bit of byte 0); bits past the
/// end read as 0.
fn get_bit(v: &[u8], offset: u64) -> bool {
    usize::try_from(offset >> 3).ok().and_then(|i| v.get(i)).is_some_and(|b| b & (0x80 >> (offset & 7)) != 0)
}

/// Resolves a BITCOUNT/BITPOS range as Redis does: negative indexes count from the end,
/// both ends clamp. `len` is in the range's unit. `None` when the range is empty.
fn clamp_range(start: i64, end: i64, len: i64) -> Option<(i64, i64)> {
    let start = if start < 0 { (len + start).max(0) } else { start };
    let mut end = if end < 0 { (len + end).max(0) } else { end };
    if end >= len {
        end = len - 1;
    }
    (start <= end).then_some((start, end))
}
