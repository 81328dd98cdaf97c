//! Hash slots as in Redis Cluster: CRC16 (XMODEM) of the key, or of its `{hash tag}`, mod 16384.

pub const SLOTS: usize = 16384;

/// CRC16-CCITT (XMODEM), the polynomial Redis Cluster uses, one table step per byte: every
/// key lookup hashes its slot, so this sits on the hot path.
const CRC16_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |crc, &b| (crc << 8) ^ CRC16_TABLE[usize::from((crc >> 8) as u8 ^ b)])
}

/// The part of a key that is hashed: the content of the first non-empty `{...}`, if any.
fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

pub fn slot_of(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) & (SLOTS as u16 - 1)
}

/// An inclusive range of slots a node owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct SlotRange {
    pub start: u16,
    pub end: u16,
}

/// The intersection of two slot ranges, if they meet.
pub fn intersect(a: SlotRange, b: SlotRange) -> Option<SlotRange> {
    let (start, end) = (a.start.max(b.start), a.end.min(b.end));
    (start <= end).then_some(SlotRange { start, end })
}

impl SlotRange {
    pub const ALL: SlotRange = SlotRange { start: 0, end: (SLOTS - 1) as u16 };

    pub fn contains(&self, slot: u16) -> bool {
        self.start <= slot && slot <= self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_cluster_keyslot() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(slot_of(b"foo"), 12182);
        assert_eq!(slot_of(b"bar"), 5061);
        assert_eq!(slot_of(b"{user1000}.following"), slot_of(b"user1000"));
        assert_eq!(slot_of(b"foo{}{bar}"), slot_of(b"foo{}{bar}"));
        assert_eq!(slot_of(b"{}foo"), 9500);
    }
}
