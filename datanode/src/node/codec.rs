//! The binary encoding of what replication ships: deltas, snapshot chunks and causal
//! contexts. Postcard (compact, varint) behind a format byte; every payload travels with a
//! CRC-32 so a corrupt one is refused before anything of it is applied.

use bytes::Bytes;

use crate::crdt::CausalContext;
use crate::keyspace::claims::RangeClaims;
use crate::keyspace::delta::Delta;
use crate::keyspace::entry::Entry;

/// The first byte of every payload; a different one is refused, never guessed at. Format 2:
/// causal contexts carry their out-of-order counters as ranges, no longer dot by dot.
pub const FORMAT: u8 = 2;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
    #[error("payload checksum mismatch (corrupt in transit)")]
    Checksum,
    #[error("empty payload")]
    Empty,
    #[error("unknown payload format {0} (this node reads format {FORMAT})")]
    Format(u8),
    #[error("undecodable payload: {0}")]
    Decode(String),
}

fn encode<T: serde::Serialize>(value: &T) -> Bytes {
    let out = vec![FORMAT];
    // Serialising plain data into a Vec cannot fail; an error here would be a bug, and
    // an empty payload is then refused by the receiver rather than crashing this node.
    match postcard::to_extend(value, out) {
        Ok(v) => Bytes::from(v),
        Err(e) => {
            tracing::error!(error = %e, "encoding a replication payload failed");
            Bytes::new()
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<T, CodecError> {
    match payload.split_first() {
        None => Err(CodecError::Empty),
        Some((&FORMAT, body)) => postcard::from_bytes(body).map_err(|e| CodecError::Decode(e.to_string())),
        Some((&other, _)) => Err(CodecError::Format(other)),
    }
}

pub fn crc(payload: &[u8]) -> u32 {
    crc32fast::hash(payload)
}

/// Checks a payload against the CRC it travelled with.
pub fn verify(payload: &[u8], crc32: u32) -> Result<(), CodecError> {
    if crc(payload) == crc32 { Ok(()) } else { Err(CodecError::Checksum) }
}

pub fn encode_delta(delta: &Delta) -> Bytes {
    encode(delta)
}

pub fn decode_delta(payload: &[u8]) -> Result<Delta, CodecError> {
    decode(payload)
}

pub fn encode_context(ctx: &CausalContext) -> Bytes {
    encode(ctx)
}

/// An empty payload is the empty context (a subscriber that has seen nothing).
pub fn decode_context(payload: &[u8]) -> Result<CausalContext, CodecError> {
    if payload.is_empty() { Ok(CausalContext::new()) } else { decode(payload) }
}

/// The fields of one `Frame` (replication.proto) besides its payload.
pub struct FrameFields {
    pub offset: u64,
    pub crc32: u32,
    pub origin: u8,
    pub appended_us: u64,
    pub seq: u64,
}

/// One backlog record as followers receive it: a `Frame` message encoded as an entry of a
/// `Frames` message (field 1, length-delimited), once, when the master appends the record.
/// Protobuf joins repeated fields by concatenation, so a follower's batch is these bytes laid
/// end to end: the master encodes each delta once for all its followers, however many.
/// Returns the bytes and where the payload sits in them (the record keeps the payload as a
/// slice of the frame, not as a second copy).
pub fn wire_frame(payload: &[u8], f: &FrameFields) -> (Bytes, std::ops::Range<usize>) {
    use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint, key_len};
    let varint = |field: u32, v: u64| if v == 0 { 0 } else { key_len(field) + encoded_len_varint(v) };
    let scalars = [(1, f.offset), (3, u64::from(f.crc32)), (4, u64::from(f.origin)), (5, f.appended_us), (6, f.seq)];
    // As prost, fields at their default value (0, empty) are left out.
    let payload_len =
        if payload.is_empty() { 0 } else { key_len(2) + encoded_len_varint(payload.len() as u64) + payload.len() };
    let body: usize = scalars.iter().map(|(n, v)| varint(*n, *v)).sum::<usize>() + payload_len;
    let mut out = bytes::BytesMut::with_capacity(key_len(1) + encoded_len_varint(body as u64) + body);
    encode_key(1, WireType::LengthDelimited, &mut out);
    encode_varint(body as u64, &mut out);
    let scalar = |out: &mut bytes::BytesMut, (field, v): (u32, u64)| {
        if v != 0 {
            encode_key(field, WireType::Varint, out);
            encode_varint(v, out);
        }
    };
    scalar(&mut out, scalars[0]);
    if !payload.is_empty() {
        encode_key(2, WireType::LengthDelimited, &mut out);
        encode_varint(payload.len() as u64, &mut out);
    }
    let at = out.len();
    out.extend_from_slice(payload);
    for s in &scalars[1..] {
        scalar(&mut out, *s);
    }
    (out.freeze(), at..at + payload.len())
}

pub fn encode_claims(claims: &RangeClaims) -> Bytes {
    if claims.is_empty() { Bytes::new() } else { encode(claims) }
}

/// An empty payload is no claims (a shard that only ever joined whole snapshots).
pub fn decode_claims(payload: &[u8]) -> Result<RangeClaims, CodecError> {
    if payload.is_empty() { Ok(RangeClaims::default()) } else { decode(payload) }
}

pub fn encode_entries(entries: &[(Bytes, Entry)]) -> Bytes {
    encode(&entries)
}

pub fn decode_entries(payload: &[u8]) -> Result<Vec<(Bytes, Entry)>, CodecError> {
    decode(payload)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::cmd::testing::{execute, run};
    use crate::crdt::ActorId;
    use crate::shard::{Identity, Shard};

    fn deltas_of(commands: &[&[&str]]) -> Vec<Delta> {
        let mut shard = Shard::replicated(Identity { region: 1, actor: ActorId(7) });
        commands.iter().filter_map(|words| execute(&mut shard, words).delta).collect()
    }

    #[test]
    fn every_kind_of_delta_survives_the_round_trip() {
        let deltas = deltas_of(&[
            &["SET", "s", "v", "PX", "100000"],
            &["INCRBYFLOAT", "f", "1.5"],
            &["HSET", "h", "a", "1"],
            &["HINCRBY", "h", "a", "2"],
            &["SADD", "set", "x"],
            &["ZADD", "z", "1.5", "m"],
            &["ZINCRBY", "z", "2", "m"],
            &["RPUSH", "l", "a", "b"],
            &["LSET", "l", "0", "c"],
            &["DEL", "s"],
            &["EXPIRE", "f", "100"],
            &["PERSIST", "f"],
        ]);
        assert_eq!(deltas.len(), 12);
        for d in deltas {
            let bytes = encode_delta(&d);
            assert_eq!(decode_delta(&bytes), Ok(d));
        }
    }

    /// A record's pre-encoded frame is exactly the `Frames` entry prost would encode, and
    /// frames laid end to end decode as one batch.
    #[test]
    fn wire_frames_concatenate_into_a_batch() {
        use prost::Message;
        let fields = |offset, origin| FrameFields {
            offset,
            crc32: 0xdead_beef,
            origin,
            appended_us: 1_700_000,
            seq: offset + 1,
        };
        let (a, at) = wire_frame(b"first", &fields(0, 0));
        let (b, _) = wire_frame(b"", &fields(5, 3));
        assert_eq!(&a[at], b"first");
        let frame = |payload: &'static [u8], offset, origin| meridian_proto::Frame {
            offset,
            payload: Bytes::from_static(payload),
            crc32: 0xdead_beef,
            origin,
            appended_us: 1_700_000,
            seq: offset + 1,
        };
        let want = meridian_proto::Frames { frames: vec![frame(b"first", 0, 0), frame(b"", 5, 3)] };
        let mut joined = a.to_vec();
        joined.extend_from_slice(&b);
        assert_eq!(meridian_proto::Frames::decode(&joined[..]).unwrap(), want);
        assert_eq!(joined, want.encode_to_vec(), "byte for byte what prost encodes");
    }

    #[test]
    fn a_damaged_payload_is_refused() {
        let d = &deltas_of(&[&["SET", "k", "v"]])[0];
        let bytes = encode_delta(d);
        assert_eq!(verify(&bytes, crc(&bytes)), Ok(()));
        let mut bad = bytes.to_vec();
        bad[3] ^= 0x40;
        assert_eq!(verify(&bad, crc(&bytes)), Err(CodecError::Checksum));
        assert!(decode_delta(&bytes[..bytes.len() - 1]).is_err(), "truncated");
        assert_eq!(decode_delta(&[]), Err(CodecError::Empty));
        let mut other = bytes.to_vec();
        other[0] = 9;
        assert_eq!(decode_delta(&other), Err(CodecError::Format(9)));
    }

    #[test]
    fn a_context_round_trips_and_empty_means_nothing_seen() {
        let mut shard = Shard::replicated(Identity { region: 1, actor: ActorId(7) });
        run(&mut shard, &["SET", "k", "v"]);
        let ctx = shard.context().clone();
        assert_eq!(decode_context(&encode_context(&ctx)), Ok(ctx));
        assert_eq!(decode_context(&[]), Ok(CausalContext::new()));
    }

    proptest! {
        /// Whatever bytes arrive, decoding and applying what decodes never panics.
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut shard = Shard::replicated(Identity { region: 2, actor: ActorId(9) });
            let mut framed = vec![FORMAT];
            framed.extend_from_slice(&bytes);
            if let Ok(d) = decode_delta(&framed) {
                shard.apply_remote(&d);
                run(&mut shard, &["KEYS", "*"]);
            }
            let _ = decode_entries(&framed);
            let _ = decode_context(&framed);
        }

        /// A real delta with one byte flipped either decodes to something harmless or is refused.
        #[test]
        fn flipped_bytes_never_panic(at in 1usize..64, bit in 0u8..8) {
            let d = &deltas_of(&[&["HSET", "h", "field", "value", "g", "w"]])[0];
            let mut bytes = encode_delta(d).to_vec();
            let at = at % bytes.len();
            bytes[at] ^= 1 << bit;
            if let Ok(d) = decode_delta(&bytes) {
                let mut shard = Shard::replicated(Identity { region: 2, actor: ActorId(9) });
                shard.apply_remote(&d);
                run(&mut shard, &["HGETALL", "h"]);
            }
        }
    }
}
