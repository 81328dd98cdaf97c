//! Redis's HyperLogLog byte format, so a value moves between Meridian and redis-server as it
//! is: a 16-byte header ("HYLL", encoding, 3 unused bytes, the cached cardinality little
//! endian with its top bit meaning "stale"), then 16384 six-bit registers, either dense
//! (12288 bytes, LSB first) or sparse (ZERO, XZERO and VAL run-length opcodes).
//!
//! Updates follow Redis's algorithm step by step (where a sparse opcode is split, which
//! neighbours are merged, when the sparse form is promoted to dense), because the bytes a
//! client reads back with GET must equal what redis-server would hold for the same commands.

use super::murmur::{HLL_SEED, murmur64a};

/// Bits of the hash that pick the register.
const P: u32 = 14;
/// Bits left for the run of zeroes.
const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
pub const HEADER: usize = 16;
/// The whole dense value: header and 16384 six-bit registers.
pub const DENSE_LEN: usize = HEADER + (REGISTERS * BITS).div_ceil(8);
/// Redis's `hll-sparse-max-bytes` default: a sparse value that would grow past this many
/// bytes (header included) becomes dense.
pub const SPARSE_MAX_BYTES: usize = 3000;

const DENSE: u8 = 0;
const SPARSE: u8 = 1;
/// Where the cached cardinality starts in the header.
const CARD: usize = 8;

const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;

/// A value whose sparse opcodes do not add up to 16384 registers: Redis's
/// `INVALIDOBJ Corrupted HLL object detected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// The register values of one or more HLLs, one byte each (PFMERGE's and PFCOUNT's scratch).
pub type Registers = Box<[u8; REGISTERS]>;

pub fn zeroed_registers() -> Registers {
    Box::new([0u8; REGISTERS])
}

/// Whether `v` passes Redis's checks for an HLL value: the magic, a known encoding, and
/// the exact length if dense. A sparse body is checked only when it is read.
pub fn is_hll(v: &[u8]) -> bool {
    v.len() >= HEADER
        && v.starts_with(b"HYLL")
        && match v[4] {
            DENSE => v.len() == DENSE_LEN,
            SPARSE => true,
            _ => false,
        }
}

pub fn is_dense(v: &[u8]) -> bool {
    v.get(4) == Some(&DENSE)
}

/// A new, empty HLL as PFADD creates it: sparse, one XZERO opcode covering every register.
pub fn empty() -> Vec<u8> {
    let mut v = vec![0u8; HEADER];
    v[..4].copy_from_slice(b"HYLL");
    v[4] = SPARSE;
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(XZERO_MAX_LEN);
        push_xzero(&mut v, run);
        left -= run;
    }
    v
}

pub fn invalidate_cache(v: &mut [u8]) {
    if let Some(b) = v.get_mut(CARD + 7) {
        *b |= 0x80;
    }
}

/// The cached cardinality, if it is not stale.
pub fn cached(v: &[u8]) -> Option<u64> {
    let card: [u8; 8] = v.get(CARD..CARD + 8)?.try_into().ok()?;
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

pub fn set_cache(v: &mut [u8], card: u64) {
    if let Some(c) = v.get_mut(CARD..CARD + 8) {
        c.copy_from_slice(&card.to_le_bytes());
    }
}

/// The register an element falls in and the length of its "000..1" pattern.
fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, HLL_SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    // The bit at Q ends every run, so the count is at most Q + 1.
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// PFADD of one element. Returns whether a register grew.
pub fn add(v: &mut Vec<u8>, element: &[u8]) -> Result<bool, Corrupt> {
    let (index, count) = pattern(element);
    set_register(v, index, count)
}

/// Raises register `index` to `count` if it is lower, in the value's encoding (a sparse
/// value may become dense on the way). Returns whether it grew.
pub fn set_register(v: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    if is_dense(v) { Ok(dense_set(&mut v[HEADER..], index, count)) } else { sparse_set(v, index, count) }
}

fn dense_get(regs: &[u8], index: usize) -> u8 {
    let byte = index * BITS / 8;
    let fb = (index * BITS) & 7;
    let b0 = u16::from(regs.get(byte).copied().unwrap_or(0));
    let b1 = u16::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) & u16::from(REGISTER_MAX)) as u8
}

fn dense_put(regs: &mut [u8], index: usize, val: u8) {
    let byte = index * BITS / 8;
    let fb = (index * BITS) & 7;
    let v = u16::from(val);
    let max = u16::from(REGISTER_MAX);
    if let Some(b) = regs.get_mut(byte) {
        *b = ((u16::from(*b) & !(max << fb)) | (v << fb)) as u8;
    }
    if let Some(b) = regs.get_mut(byte + 1) {
        *b = ((u16::from(*b) & !(max >> (8 - fb))) | (v >> (8 - fb))) as u8;
    }
}

fn dense_set(regs: &mut [u8], index: usize, count: u8) -> bool {
    if count > dense_get(regs, index) {
        dense_put(regs, index, count);
        true
    } else {
        false
    }
}

// Sparse opcodes: ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx.
fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}
fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}
fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}
fn zero_len(b: u8) -> usize {
    usize::from(b & 0x3f) + 1
}
/// An XZERO's run; a second byte missing at the very end reads as 0, as the terminating
/// NUL byte of a Redis string does.
fn xzero_len(v: &[u8], p: usize) -> usize {
    let hi = usize::from(v.get(p).copied().unwrap_or(0) & 0x3f);
    let lo = usize::from(v.get(p + 1).copied().unwrap_or(0));
    ((hi << 8) | lo) + 1
}
fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}
fn val_len(b: u8) -> usize {
    usize::from(b & 0x3) + 1
}
fn val_op(value: u8, len: usize) -> u8 {
    ((value - 1) << 2) | ((len - 1) as u8 & 0x3) | 0x80
}
fn push_xzero(out: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    out.push(((l >> 8) as u8 & 0x3f) | 0x40);
    out.push((l & 0xff) as u8);
}
fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        push_xzero(out, len);
    } else {
        out.push((len - 1) as u8);
    }
}

/// Walks a sparse body, calling `run(first register, length, value)` for each opcode.
/// Fails if the runs do not cover exactly 16384 registers.
fn sparse_runs(v: &[u8], mut run: impl FnMut(usize, usize, u8)) -> Result<(), Corrupt> {
    let mut p = HEADER;
    let mut idx = 0usize;
    while let Some(&b) = v.get(p) {
        if is_zero(b) {
            idx += zero_len(b);
            p += 1;
        } else if is_xzero(b) {
            idx += xzero_len(v, p);
            p += 2;
        } else {
            let len = val_len(b);
            if idx + len > REGISTERS {
                return Err(Corrupt);
            }
            run(idx, len, val_value(b));
            idx += len;
            p += 1;
        }
    }
    if idx == REGISTERS { Ok(()) } else { Err(Corrupt) }
}

/// Redis's sparse update (`hllSparseSet`): find the opcode holding `index`, split it around
/// the new VAL, merge equal neighbouring VALs, or promote to dense when the value does not
/// fit a VAL or the value would outgrow `SPARSE_MAX_BYTES`.
fn sparse_set(v: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(v, index, count);
    }
    // Step 1: the opcode covering `index`.
    let mut end = v.len();
    let mut p = HEADER;
    let mut first = 0usize;
    let mut prev: Option<usize> = None;
    let mut span = 0usize;
    while p < end {
        let b = v[p];
        let (s, oplen) = if is_zero(b) {
            (zero_len(b), 1)
        } else if is_val(b) {
            (val_len(b), 1)
        } else {
            (xzero_len(v, p), 2)
        };
        span = s;
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupt);
    }
    let op = v[p];
    let oldlen = if is_xzero(op) { 2 } else { 1 };
    let runlen = span;

    // Step 2: the trivial cases, updated in place.
    let mut in_place = false;
    if is_val(op) {
        if val_value(op) >= count {
            return Ok(false);
        }
        if runlen == 1 {
            v[p] = val_op(count, 1);
            in_place = true;
        }
    } else if is_zero(op) && runlen == 1 {
        v[p] = val_op(count, 1);
        in_place = true;
    }

    if !in_place {
        // The general case: the opcode splits into at most three (five bytes).
        let last = first + span - 1;
        let mut seq: Vec<u8> = Vec::with_capacity(5);
        if is_val(op) {
            let cur = val_value(op);
            if index != first {
                seq.push(val_op(cur, index - first));
            }
            seq.push(val_op(count, 1));
            if index != last {
                seq.push(val_op(cur, last - index));
            }
        } else {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_op(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        // Step 3: splice it in, unless the value would grow too big.
        let grows = seq.len().saturating_sub(oldlen);
        if grows > 0 && v.len() + grows > SPARSE_MAX_BYTES {
            return promote(v, index, count);
        }
        let stop = (p + oldlen).min(v.len());
        v.splice(p..stop, seq);
        end = v.len();
    }

    // Step 4: merge adjacent VAL opcodes of equal value, scanning up to five opcodes from
    // the one before the change.
    let mut p = prev.unwrap_or(HEADER);
    let mut scan = 5;
    while p < end && scan > 0 {
        scan -= 1;
        let b = v[p];
        if is_xzero(b) {
            p += 2;
            continue;
        }
        if is_zero(b) {
            p += 1;
            continue;
        }
        if let Some(&next) = v.get(p + 1).filter(|n| p + 1 < end && is_val(**n)) {
            let value = val_value(b);
            let len = val_len(b) + val_len(next);
            if value == val_value(next) && len <= VAL_MAX_LEN {
                v[p + 1] = val_op(value, len);
                v.remove(p);
                end -= 1;
                continue;
            }
        }
        p += 1;
    }
    invalidate_cache(v);
    Ok(true)
}

/// Sparse to dense, then the update that did not fit (it always raises the register).
fn promote(v: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(v)?;
    Ok(dense_set(&mut v[HEADER..], index, count))
}

/// Converts a sparse value to dense, keeping the header (and so the cached cardinality).
pub fn to_dense(v: &mut Vec<u8>) -> Result<(), Corrupt> {
    if is_dense(v) {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..HEADER].copy_from_slice(&v[..HEADER]);
    dense[4] = DENSE;
    {
        let regs = &mut dense[HEADER..];
        sparse_runs(v, |first, len, value| {
            for i in first..first + len {
                dense_put(regs, i, value);
            }
        })?;
    }
    *v = dense;
    Ok(())
}

/// Raises each of `max` to the value's register where that is higher (Redis's `hllMerge`).
pub fn merge_registers(v: &[u8], max: &mut [u8; REGISTERS]) -> Result<(), Corrupt> {
    if is_dense(v) {
        let regs = &v[HEADER..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(regs, i));
        }
        Ok(())
    } else {
        sparse_runs(v, |first, len, value| {
            for m in &mut max[first..first + len] {
                *m = (*m).max(value);
            }
        })
    }
}

/// Writes merged registers into `dest` as PFMERGE does: dense first if any input was, then
/// every non-zero register in index order; the cache is then stale.
pub fn write_registers(dest: &mut Vec<u8>, max: &[u8; REGISTERS], dense: bool) -> Result<(), Corrupt> {
    if dense {
        to_dense(dest)?;
    }
    for (i, m) in max.iter().enumerate().filter(|(_, m)| **m > 0) {
        // Redis ignores a failure here: the inputs were checked while merging.
        let _ = set_register(dest, i, *m);
    }
    invalidate_cache(dest);
    Ok(())
}

/// The estimated cardinality of a value (Ertl's improved estimator, as Redis computes it).
pub fn count(v: &[u8]) -> Result<u64, Corrupt> {
    let mut histogram = [0u32; 64];
    if is_dense(v) {
        let regs = &v[HEADER..];
        for i in 0..REGISTERS {
            histogram[usize::from(dense_get(regs, i))] += 1;
        }
    } else {
        let mut idx = 0usize;
        let mut p = HEADER;
        // Unlike a merge, counting does not stop at an overlong VAL: Redis only checks the
        // total at the end.
        while let Some(&b) = v.get(p) {
            if is_zero(b) {
                histogram[0] += zero_len(b) as u32;
                idx += zero_len(b);
                p += 1;
            } else if is_xzero(b) {
                let len = xzero_len(v, p);
                histogram[0] += len as u32;
                idx += len;
                p += 2;
            } else {
                histogram[usize::from(val_value(b))] += val_len(b) as u32;
                idx += val_len(b);
                p += 1;
            }
        }
        if idx != REGISTERS {
            return Err(Corrupt);
        }
    }
    Ok(estimate(&histogram))
}

/// The cardinality of merged registers (PFCOUNT of several keys).
pub fn count_registers(max: &[u8; REGISTERS]) -> u64 {
    let mut histogram = [0u32; 64];
    for m in max.iter() {
        histogram[usize::from(*m & 63)] += 1;
    }
    estimate(&histogram)
}

fn estimate(histogram: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let q = Q as usize;
    let mut z = m * tau((m - f64::from(histogram[q + 1])) / m);
    for j in (1..=q).rev() {
        z += f64::from(histogram[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histogram[0]) / m);
    /// 0.5 / ln(2): the bias correction for an unbounded number of registers.
    const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if before == z {
            return z / 3.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `redis-cli GET` of a key after `PFADD h a b c d e` on redis-server 7.0.
    const ABCDE: &[u8] = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\\{\x80Dv\x80P\xb1\x84I\x8c\x80Bm\x80BZ";

    fn pfadd(v: &mut Vec<u8>, items: &[&[u8]]) -> bool {
        let mut updated = false;
        for i in items {
            updated |= add(v, i).expect("valid");
        }
        updated
    }

    #[test]
    fn an_empty_hll_is_redis_bytes() {
        let mut v = empty();
        invalidate_cache(&mut v);
        assert_eq!(v, b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff");
        assert!(is_hll(&v));
        assert_eq!(count(&v), Ok(0));
    }

    #[test]
    fn pfadd_bytes_match_redis() {
        let mut v = empty();
        assert!(pfadd(&mut v, &[b"a", b"b", b"c", b"d", b"e"]));
        assert_eq!(v, ABCDE);
        assert_eq!(count(&v), Ok(5));
        assert!(!pfadd(&mut v, &[b"a"]), "an element already counted changes nothing");
    }

    #[test]
    fn sparse_and_dense_agree_and_promotion_happens_at_the_limit() {
        let mut sparse = empty();
        let mut dense = empty();
        to_dense(&mut dense).expect("valid");
        assert_eq!(dense.len(), DENSE_LEN);
        let mut promoted_at = None;
        for i in 0..5000u32 {
            let e = i.to_string();
            add(&mut sparse, e.as_bytes()).expect("valid");
            add(&mut dense, e.as_bytes()).expect("valid");
            assert!(sparse.len() <= SPARSE_MAX_BYTES || is_dense(&sparse));
            if promoted_at.is_none() && is_dense(&sparse) {
                promoted_at = Some(i);
            }
        }
        assert!(promoted_at.is_some(), "5000 elements do not fit 3000 sparse bytes");
        assert_eq!(count(&sparse), count(&dense));
        let c = count(&dense).expect("valid");
        assert!((4800..5200).contains(&c), "estimate {c}");
        let mut a = zeroed_registers();
        let mut b = zeroed_registers();
        merge_registers(&sparse, &mut a).expect("valid");
        merge_registers(&dense, &mut b).expect("valid");
        assert_eq!(a, b);
        assert_eq!(count_registers(&a), c);
    }

    #[test]
    fn corrupt_sparse_values_are_refused_not_panicked_on() {
        for bad in [
            &b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"[..],
            b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f",
            b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\xff\xff\xff",
        ] {
            let mut v = bad.to_vec();
            assert!(is_hll(&v));
            assert_eq!(count(&v), Err(Corrupt));
            assert_eq!(merge_registers(&v, &mut zeroed_registers()), Err(Corrupt));
            let _ = add(&mut v, b"x");
            let _ = to_dense(&mut v);
        }
        assert!(!is_hll(b"HYLL\x00 too short for dense"));
        assert!(!is_hll(b"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"));
    }

    #[test]
    fn the_cache_round_trips() {
        let mut v = ABCDE.to_vec();
        assert_eq!(cached(&v), None);
        set_cache(&mut v, 5);
        assert_eq!(cached(&v), Some(5));
        invalidate_cache(&mut v);
        assert_eq!(cached(&v), None);
    }
}
