//! A full sync being received, the same way wherever one arrives (a replica from its
//! master, a syncer from a peer, a master from a syncer or an old master): a header, chunks,
//! an end marker, in that order, each chunk checked on arrival; only a complete one is handed
//! on, so nothing of a truncated or damaged snapshot is ever applied.

use meridian_proto::{Frame, FullSyncBegin, FullSyncEnd};

use crate::keyspace::delta::Snapshot;
use crate::node::codec::{CodecError, decode_claims, decode_context, decode_entries, verify};

/// Chunks one full sync may have. A snapshot of 512-entry chunks this long holds half a
/// billion keys; a sender claiming more is refused rather than trusted with memory.
pub const MAX_CHUNKS: usize = 1 << 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("snapshot chunk outside a full sync")]
    ChunkOutside,
    #[error("snapshot end without a start")]
    EndWithoutStart,
    #[error("snapshot chunk refused: {0}")]
    Chunk(CodecError),
    #[error("snapshot ended after {got} chunks but says it had {said}")]
    Count { got: usize, said: u64 },
    #[error("snapshot of more than {MAX_CHUNKS} chunks refused")]
    TooLong,
    #[error("snapshot refused: {0}")]
    Decode(CodecError),
}

/// A complete full sync: its header and its checked chunks, not decoded yet (a syncer that
/// passes it on whole need not).
#[derive(Debug, Clone, PartialEq)]
pub struct FullSync {
    pub begin: FullSyncBegin,
    pub chunks: Vec<Frame>,
}

impl FullSync {
    /// The snapshot it carries.
    pub fn snapshot(&self) -> Result<Snapshot, Error> {
        let mut entries = Vec::new();
        for chunk in &self.chunks {
            entries.extend(decode_entries(&chunk.payload).map_err(Error::Decode)?);
        }
        let ctx = decode_context(&self.begin.context).map_err(Error::Decode)?;
        let applied = decode_context(&self.begin.applied).map_err(Error::Decode)?;
        let claims = decode_claims(&self.begin.claims).map_err(Error::Decode)?;
        Ok(Snapshot { ctx, applied, entries, claims })
    }
}

/// Puts one full sync together from its parts.
#[derive(Debug, Default)]
pub struct Assembler {
    current: Option<FullSync>,
}

impl Assembler {
    /// A header: a full sync starts (one in progress is dropped: its sender started over).
    pub fn begin(&mut self, begin: FullSyncBegin) {
        self.current = Some(FullSync { begin, chunks: Vec::new() });
    }

    pub fn chunk(&mut self, frame: Frame) -> Result<(), Error> {
        let sync = self.current.as_mut().ok_or(Error::ChunkOutside)?;
        verify(&frame.payload, frame.crc32).map_err(Error::Chunk)?;
        if sync.chunks.len() >= MAX_CHUNKS {
            return Err(Error::TooLong);
        }
        sync.chunks.push(frame);
        Ok(())
    }

    /// The end marker: the complete full sync, if it has every chunk its sender counted.
    pub fn end(&mut self, end: &FullSyncEnd) -> Result<FullSync, Error> {
        let sync = self.current.take().ok_or(Error::EndWithoutStart)?;
        if sync.chunks.len() as u64 != end.chunks {
            return Err(Error::Count { got: sync.chunks.len(), said: end.chunks });
        }
        Ok(sync)
    }

    pub fn in_progress(&self) -> bool {
        self.current.is_some()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::crdt::CausalContext;
    use crate::keyspace::entry::Entry;
    use crate::node::codec::{crc, encode_context, encode_entries};

    fn chunk(keys: &[&'static str]) -> Frame {
        let entries: Vec<(Bytes, Entry)> =
            keys.iter().map(|k| (Bytes::from_static(k.as_bytes()), Entry::default())).collect();
        let payload = encode_entries(&entries);
        Frame { crc32: crc(&payload), payload, ..Frame::default() }
    }

    fn begin() -> FullSyncBegin {
        FullSyncBegin { context: encode_context(&CausalContext::new()), ..FullSyncBegin::default() }
    }

    #[test]
    fn a_complete_full_sync_comes_out_whole() {
        let mut a = Assembler::default();
        a.begin(begin());
        a.chunk(chunk(&["a", "b"])).unwrap();
        a.chunk(chunk(&["c"])).unwrap();
        let sync = a.end(&FullSyncEnd { chunks: 2 }).unwrap();
        let keys: Vec<Bytes> = sync.snapshot().unwrap().entries.into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert!(!a.in_progress());
    }

    #[test]
    fn parts_out_of_order_or_damaged_are_refused() {
        let mut a = Assembler::default();
        assert_eq!(a.chunk(chunk(&["a"])), Err(Error::ChunkOutside));
        assert_eq!(a.end(&FullSyncEnd { chunks: 0 }), Err(Error::EndWithoutStart));
        a.begin(begin());
        let mut bad = chunk(&["a"]);
        bad.crc32 ^= 1;
        assert!(matches!(a.chunk(bad), Err(Error::Chunk(_))));
        a.chunk(chunk(&["a"])).unwrap();
        assert_eq!(a.end(&FullSyncEnd { chunks: 2 }), Err(Error::Count { got: 1, said: 2 }), "a chunk went missing");
        assert!(!a.in_progress(), "nothing of it is kept");
    }
}
