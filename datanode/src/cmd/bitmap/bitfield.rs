//! BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment |
//! OVERFLOW WRAP|SAT|FAIL ...], and BITFIELD_RO key [GET type offset ...].
//!
//! Every operation is parsed and checked before any runs, as in Redis; the writes then
//! apply in order to one copy of the string, stored once (one delta).

use bytes::Bytes;

use crate::cmd::strings::set::{TtlChange, store_string};
use crate::cmd::{Args, CmdResult, CommandSpec, Handler, ReplyError, args::is};
use crate::resp::Reply;
use crate::shard::Shard;

pub const BITFIELD: CommandSpec = CommandSpec {
    name: "bitfield",
    arity: -2,
    flags: &["write", "denyoom"],
    keys: (1, 1, 1),
    group: "bitmap",
    summary: "Performs arbitrary bitfield integer operations on strings.",
    handler: Handler::Data(run),
};

pub const BITFIELD_RO: CommandSpec = CommandSpec {
    name: "bitfield_ro",
    flags: &["readonly", "fast"],
    summary: "Performs arbitrary read-only bitfield integer operations on strings.",
    handler: Handler::Data(run_ro),
    ..BITFIELD
};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Get,
    Set(i64),
    IncrBy(i64),
}

#[derive(Clone, Copy, Debug)]
struct Op {
    kind: Kind,
    signed: bool,
    bits: u32,
    offset: u64,
    overflow: Overflow,
}

fn run(args: &mut Args, shard: &mut Shard) -> CmdResult {
    execute(args, shard, false)
}

fn run_ro(args: &mut Args, shard: &mut Shard) -> CmdResult {
    execute(args, shard, true)
}

/// `i8`..`i64` or `u1`..`u63`.
fn field_type(arg: &[u8]) -> Result<(bool, u32), ReplyError> {
    let err = || {
        ReplyError::new(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(err()),
    };
    let bits = crate::cmd::format::parse_int(&arg[1..]).ok_or_else(err)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(err());
    }
    Ok((signed, bits as u32))
}

fn parse(args: &mut Args) -> Result<Vec<Op>, ReplyError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    while let Some(sub) = args.next() {
        let left = args.remaining();
        let kind = if is(&sub, "get") && left >= 2 {
            Kind::Get
        } else if is(&sub, "set") && left >= 3 {
            Kind::Set(0)
        } else if is(&sub, "incrby") && left >= 3 {
            Kind::IncrBy(0)
        } else if is(&sub, "overflow") && left >= 1 {
            let t = args.bytes()?;
            overflow = if is(&t, "wrap") {
                Overflow::Wrap
            } else if is(&t, "sat") {
                Overflow::Sat
            } else if is(&t, "fail") {
                Overflow::Fail
            } else {
                return Err(ReplyError::new("ERR Invalid OVERFLOW type specified"));
            };
            continue;
        } else {
            return Err(ReplyError::syntax());
        };
        let (signed, bits) = field_type(&args.bytes()?)?;
        let offset = super::bit_offset(&args.bytes()?, Some(bits))?;
        let kind = match kind {
            Kind::Get => Kind::Get,
            Kind::Set(_) => Kind::Set(args.int()?),
            Kind::IncrBy(_) => Kind::IncrBy(args.int()?),
        };
        ops.push(Op { kind, signed, bits, offset, overflow });
    }
    Ok(ops)
}

fn execute(args: &mut Args, shard: &mut Shard, read_only: bool) -> CmdResult {
    let key = args.bytes()?;
    let ops = parse(args)?;
    let writes = ops.iter().any(|op| op.kind != Kind::Get);
    if writes && read_only {
        return Err(ReplyError::new("ERR BITFIELD_RO only supports the GET subcommand"));
    }
    let old = crate::cmd::strings::get_string(shard, &key)?;
    if !writes {
        let v = old.unwrap_or_default();
        return Ok(Reply::Array(ops.iter().map(|op| Reply::Int(read(&v, op))).collect()));
    }
    // Redis grows the string to the farthest bit written before running the operations,
    // even those that then fail.
    let highest = ops.iter().filter(|op| op.kind != Kind::Get).map(|op| op.offset + u64::from(op.bits) - 1).max();
    let mut v = old.map(|v| v.to_vec()).unwrap_or_default();
    if let Some(h) = highest {
        // Bounded: an offset's byte is below proto-max-bulk-len, a field at most 8 bytes.
        let need = (h >> 3) as usize + 1;
        if v.len() < need {
            v.resize(need, 0);
        }
    }
    let mut replies = Vec::with_capacity(ops.len());
    for op in &ops {
        replies.push(match op.kind {
            Kind::Get => Reply::Int(read(&v, op)),
            Kind::Set(value) => match apply(op, read(&v, op), value, false) {
                Some(new) => {
                    let old = read(&v, op);
                    write(&mut v, op.offset, op.bits, new as u64);
                    Reply::Int(old)
                }
                None => Reply::Nil,
            },
            Kind::IncrBy(incr) => match apply(op, read(&v, op), incr, true) {
                Some(new) => {
                    write(&mut v, op.offset, op.bits, new as u64);
                    Reply::Int(new)
                }
                None => Reply::Nil,
            },
        });
    }
    store_string(shard, &key, Bytes::from(v), TtlChange::Keep);
    Ok(Reply::Array(replies))
}

/// The field's bits, most significant first; past the end of the string they are 0.
fn read_bits(v: &[u8], offset: u64, bits: u32) -> u64 {
    (0..u64::from(bits)).fold(0u64, |acc, j| (acc << 1) | u64::from(super::get_bit(v, offset + j)))
}

fn read(v: &[u8], op: &Op) -> i64 {
    let raw = read_bits(v, op.offset, op.bits);
    if op.signed && op.bits < 64 && raw & (1u64 << (op.bits - 1)) != 0 {
        (raw | (u64::MAX << op.bits)) as i64
    } else {
        raw as i64
    }
}

fn write(v: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..u64::from(bits) {
        let bit = (value >> (u64::from(bits) - 1 - j)) & 1;
        let pos = offset + j;
        if let Some(b) = usize::try_from(pos >> 3).ok().and_then(|i| v.get_mut(i)) {
            let mask = 0x80u8 >> (pos & 7);
            if bit == 1 {
                *b |= mask;
            } else {
                *b &= !mask;
            }
        }
    }
}

/// The value to store, or `None` when it overflows under FAIL. SET checks `value` alone;
/// INCRBY checks `old + value`. Mirrors Redis's overflow checks, quirks included (a SET of
/// a signed value below the field's range can saturate to its maximum).
fn apply(op: &Op, old: i64, value: i64, incr: bool) -> Option<i64> {
    let (base, incr) = if incr { (old, value) } else { (value, 0) };
    let (overflow, limit) = if op.signed {
        signed_overflow(base, incr, op.bits, op.overflow)
    } else {
        unsigned_overflow(base as u64, incr, op.bits, op.overflow)
    };
    match (overflow, op.overflow) {
        (false, _) => Some(base.wrapping_add(incr)),
        (true, Overflow::Fail) => None,
        (true, _) => Some(limit),
    }
}

fn unsigned_overflow(value: u64, incr: i64, bits: u32, kind: Overflow) -> (bool, i64) {
    let max: u64 = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || (value.wrapping_add(incr as u64) & !(u64::MAX << bits)) as i64;
    if value > max || (incr > 0 && incr > maxincr) {
        (true, if kind == Overflow::Wrap { wrap() } else { max as i64 })
    } else if incr < 0 && incr < minincr {
        (true, if kind == Overflow::Wrap { wrap() } else { 0 })
    } else {
        (false, 0)
    }
}

fn signed_overflow(value: i64, incr: i64, bits: u32, kind: Overflow) -> (bool, i64) {
    let max: i64 = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        (true, if kind == Overflow::Wrap { wrap() } else { max })
    } else if value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
        (true, if kind == Overflow::Wrap { wrap() } else { min })
    } else {
        (false, 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::{run, shard};
    use crate::resp::Reply;

    fn ints(v: &[Option<i64>]) -> Reply {
        Reply::Array(v.iter().map(|i| i.map_or(Reply::Nil, Reply::Int)).collect())
    }

    #[test]
    fn get_set_incrby_and_overflow() {
        let mut s = shard();
        assert_eq!(
            run(&mut s, &["BITFIELD", "k", "SET", "i8", "0", "100", "GET", "i8", "0"]),
            ints(&[Some(0), Some(100)])
        );
        assert_eq!(run(&mut s, &["BITFIELD", "k", "INCRBY", "i8", "0", "100"]), ints(&[Some(-56)]));
        assert_eq!(
            run(
                &mut s,
                &[
                    "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-200", "OVERFLOW", "FAIL", "INCRBY",
                    "i8", "0", "-1"
                ]
            ),
            ints(&[Some(-128), None])
        );
        assert_eq!(
            run(&mut s, &["BITFIELD", "k", "SET", "u4", "#1", "15", "GET", "u4", "4"]),
            ints(&[Some(0), Some(15)])
        );
        assert_eq!(run(&mut s, &["BITFIELD", "k", "INCRBY", "u2", "100", "5"]), ints(&[Some(1)]));
        assert_eq!(run(&mut s, &["BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", "0", "-1"]), ints(&[Some(143)]));
        assert_eq!(run(&mut s, &["BITFIELD_RO", "k", "GET", "u8", "0"]), ints(&[Some(255)]));
        assert_eq!(
            run(&mut s, &["BITFIELD", "k", "GET", "i64", "0"]),
            Reply::Array(vec![Reply::Int(-72_057_594_037_927_936)])
        );
        assert_eq!(run(&mut s, &["BITFIELD", "none", "GET", "u8", "0"]), ints(&[Some(0)]));
        assert_eq!(run(&mut s, &["EXISTS", "none"]), Reply::Int(0));
        assert_eq!(run(&mut s, &["BITFIELD", "k"]), Reply::Array(vec![]));
    }

    #[test]
    fn errors_as_redis() {
        let mut s = shard();
        let bad_type = Reply::error(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        );
        for t in ["u64", "i65", "i0", "x8", "I8", "u"] {
            assert_eq!(run(&mut s, &["BITFIELD", "k", "GET", t, "0"]), bad_type, "{t}");
        }
        assert_eq!(run(&mut s, &["BITFIELD", "k", "GET", "u8"]), Reply::error("ERR syntax error"));
        assert_eq!(
            run(&mut s, &["BITFIELD", "k", "OVERFLOW", "x"]),
            Reply::error("ERR Invalid OVERFLOW type specified")
        );
        assert_eq!(
            run(&mut s, &["BITFIELD", "k", "GET", "u8", "4294967296"]),
            Reply::error("ERR bit offset is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["BITFIELD", "k", "SET", "u8", "#536870912", "1"]),
            Reply::error("ERR bit offset is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["BITFIELD", "k", "SET", "u8", "0", "x"]),
            Reply::error("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["BITFIELD_RO", "k", "SET", "u8", "0", "1"]),
            Reply::error("ERR BITFIELD_RO only supports the GET subcommand")
        );
        assert_eq!(run(&mut s, &["EXISTS", "k"]), Reply::Int(0));
    }
}
