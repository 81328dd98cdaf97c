//! The binary encoding of what replication ships: deltas, snapshot chunks and causal
//! contexts. Postcard (compact, varint) behind a format byte; every payload travels with a
//! CRC-32 so a corrupt one is refused before anything of it is applied.

use bytes::Bytes;

use crate::crdt::CausalContext;
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

pub fn encode_entries(entries: &[(Bytes, Entry)]) -> Bytes {
    encode(&entries)
}

pub fn decode_entries(payload: &[u8]) -> Result<Vec<(Bytes, Entry)>, CodecError> {
    decode(payload)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use parking_lot::Mutex;
    use proptest::prelude::*;

    use super::*;
    use crate::cmd::testing::run;
    use crate::crdt::ActorId;
    use crate::shard::{Identity, Shard};

    fn deltas_of(commands: &[&[&str]]) -> Vec<Delta> {
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = out.clone();
        let mut shard = Shard::replicated(Identity { region: 1, actor: ActorId(7) });
        shard.set_sink(Some(Box::new(move |d: &Delta| sink.lock().push(d.clone()))));
        for words in commands {
            run(&mut shard, words);
        }
        out.lock().clone()
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
