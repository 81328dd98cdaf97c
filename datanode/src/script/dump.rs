//! FUNCTION DUMP's payload, as Redis 7.0 writes it: each library as the RDB opcode
//! `FUNCTION2` (245) and its code as an RDB string, then the RDB version (10, two bytes,
//! little-endian) and Redis's CRC64 of all that (eight bytes, little-endian). Meridian writes
//! the code uncompressed (Redis reads that); it reads what Redis writes too: strings
//! compressed with LZF, or stored as integers.

use bytes::Bytes;

/// The RDB version of Redis 7.0; a payload of a later version is refused, as Redis does.
const RDB_VERSION: u16 = 10;
/// A library: its code follows as an RDB string.
const OPCODE_FUNCTION2: u8 = 245;
/// The opcode of Redis 7.0's release candidates (name, engine, description, code).
const OPCODE_FUNCTION_PRE_GA: u8 = 246;
/// No library's code may decompress past this (Redis's default `proto-max-bulk-len`): a
/// payload's declared length must not make the node allocate without bound.
const MAX_STRING: usize = 512 << 20;

pub const BAD_PAYLOAD: &str = "DUMP payload version or checksum are wrong";

/// The payload for libraries with these codes.
pub fn dump<'a>(codes: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        out.push(OPCODE_FUNCTION2);
        write_length(&mut out, code.len() as u64);
        out.extend_from_slice(code);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The libraries' codes in a payload. Errors are Redis's texts without `ERR `.
pub fn codes(payload: &[u8]) -> Result<Vec<Bytes>, String> {
    let Some(body_len) = payload.len().checked_sub(10) else { return Err(BAD_PAYLOAD.into()) };
    let (body, footer) = payload.split_at(body_len);
    let (version, crc) = footer.split_at(2);
    let version = u16::from_le_bytes(version.try_into().map_err(|_| BAD_PAYLOAD)?);
    let crc = u64::from_le_bytes(crc.try_into().map_err(|_| BAD_PAYLOAD)?);
    let covered = payload.get(..body_len + 2).unwrap_or_default();
    if version > RDB_VERSION || crc64(0, covered) != crc {
        return Err(BAD_PAYLOAD.into());
    }
    let mut reader = Reader { data: body, pos: 0 };
    let mut codes = Vec::new();
    while let Some(opcode) = reader.byte() {
        match opcode {
            OPCODE_FUNCTION2 => {}
            OPCODE_FUNCTION_PRE_GA => return Err("Pre-GA function format not supported".into()),
            _ => return Err("given type is not a function".into()),
        }
        let code = reader.string().ok_or("Failed loading library payload")?;
        codes.push(Bytes::from(code));
    }
    Ok(codes)
}

/// RDB's length encoding: 6, 14, 32 or 64 bits.
fn write_length(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&[0x40 | (len >> 8) as u8, len as u8]);
    } else if len <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

/// What an RDB length field holds: a length, or the kind of an encoded string.
enum Length {
    Plain(u64),
    Encoded(u8),
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn length(&mut self) -> Option<Length> {
        let first = self.byte()?;
        Some(match first >> 6 {
            0 => Length::Plain(u64::from(first & 0x3f)),
            1 => Length::Plain(u64::from(first & 0x3f) << 8 | u64::from(self.byte()?)),
            3 => Length::Encoded(first & 0x3f),
            _ if first == 0x80 => Length::Plain(u64::from(u32::from_be_bytes(self.take(4)?.try_into().ok()?))),
            _ if first == 0x81 => Length::Plain(u64::from_be_bytes(self.take(8)?.try_into().ok()?)),
            _ => return None,
        })
    }

    fn plain_length(&mut self) -> Option<usize> {
        match self.length()? {
            Length::Plain(n) => usize::try_from(n).ok(),
            Length::Encoded(_) => None,
        }
    }

    /// An RDB string: raw, an integer (8, 16 or 32 bits) or LZF-compressed.
    fn string(&mut self) -> Option<Vec<u8>> {
        match self.length()? {
            Length::Plain(n) => Some(self.take(usize::try_from(n).ok()?)?.to_vec()),
            Length::Encoded(0) => Some((self.byte()? as i8).to_string().into_bytes()),
            Length::Encoded(1) => Some(i16::from_le_bytes(self.take(2)?.try_into().ok()?).to_string().into_bytes()),
            Length::Encoded(2) => Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?).to_string().into_bytes()),
            Length::Encoded(3) => {
                let compressed = self.plain_length()?;
                let len = self.plain_length()?;
                if len > MAX_STRING {
                    return None;
                }
                lzf_decompress(self.take(compressed)?, len)
            }
            Length::Encoded(_) => None,
        }
    }
}

/// LZF decompression (liblzf's format, which Redis uses): a control byte below 32 starts a
/// run of that many plus one literal bytes; any other is a back-reference of
/// `(ctrl >> 5) + 2` bytes (7 means a length byte follows) at distance
/// `((ctrl & 31) << 8) + next byte + 1`. The output must be exactly `len` bytes long.
pub fn lzf_decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(len.min(input.len().saturating_mul(4)));
    let mut i = 0;
    while let Some(&ctrl) = input.get(i) {
        let ctrl = usize::from(ctrl);
        i += 1;
        if ctrl < 32 {
            let run = input.get(i..i.checked_add(ctrl + 1)?)?;
            if out.len() + run.len() > len {
                return None;
            }
            out.extend_from_slice(run);
            i += ctrl + 1;
        } else {
            let mut n = ctrl >> 5;
            if n == 7 {
                n += usize::from(*input.get(i)?);
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + usize::from(*input.get(i)?) + 1;
            i += 1;
            n += 2;
            let start = out.len().checked_sub(back)?;
            if out.len() + n > len {
                return None;
            }
            // Byte by byte: a reference may overlap what it produces (a repeated run).
            for k in start..start + n {
                let b = *out.get(k)?;
                out.push(b);
            }
        }
    }
    (out.len() == len).then_some(out)
}

/// Redis's CRC64 (Jones polynomial, reflected, no final xor), as its RDB and DUMP use.
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    for &b in data {
        crc = CRC64_TABLE[usize::from((crc as u8) ^ b)] ^ (crc >> 8);
    }
    crc
}

const CRC64_TABLE: [u64; 256] = crc64_table();

const fn crc64_table() -> [u64; 256] {
    // 0xad93d23594c935a9 with its bits reversed.
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5;
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ POLY } else { crc >> 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// FUNCTION DUMP from redis-server 7.0.15 with one library (its code LZF-compressed).
    const REDIS_DUMP: &str = "f5c34054405e1f23216c7561206e616d653d6f6e650a72656469732e72656769737465725f6675066e6374\
                              696f6e7bc008005f602910276f6e6c79272c2063616c6c6261636b3dc01e0f28292072657475726e2031\
                              20656e647d0a00bc48c9a67e4e60af";

    #[test]
    fn crc64_is_redis_crc64() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn reads_what_redis_dumps() {
        let codes = codes(&unhex(REDIS_DUMP)).unwrap();
        assert_eq!(
            codes,
            [Bytes::from_static(
                b"#!lua name=one\nredis.register_function{function_name='only', callback=function() return 1 end}"
            )]
        );
    }

    #[test]
    fn an_empty_dump_is_redis_empty_dump() {
        assert_eq!(dump(std::iter::empty()), b"\n\x00]\x9b\\@\x0f\x7f\xa2\xda");
        assert_eq!(codes(b"\n\x00]\x9b\\@\x0f\x7f\xa2\xda").unwrap(), Vec::<Bytes>::new());
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let long = vec![b'x'; 20_000];
        let payload = dump([&b"#!lua name=a\n"[..], &long].into_iter());
        assert_eq!(codes(&payload).unwrap(), [Bytes::from_static(b"#!lua name=a\n"), Bytes::from(long)]);
        let mut bad = payload.clone();
        bad[3] ^= 1;
        assert_eq!(codes(&bad).unwrap_err(), BAD_PAYLOAD);
        assert_eq!(codes(b"short").unwrap_err(), BAD_PAYLOAD);
        let mut other = vec![0u8];
        other.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = crc64(0, &other);
        other.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(codes(&other).unwrap_err(), "given type is not a function");
    }

    #[test]
    fn lzf_literals_and_overlapping_references() {
        // "abc" as a literal run, then a reference of 6 bytes at distance 3: "abcabcabc".
        assert_eq!(lzf_decompress(&[2, b'a', b'b', b'c', 4 << 5, 2], 9).unwrap(), b"abcabcabc");
        // A length that does not match, a reference before the start, a cut literal run.
        assert!(lzf_decompress(&[2, b'a', b'b', b'c'], 4).is_none());
        assert!(lzf_decompress(&[1 << 5, 5], 3).is_none());
        assert!(lzf_decompress(&[5, b'a'], 6).is_none());
    }
}
