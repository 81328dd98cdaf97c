//! How a region's 16384 hash slots are split among its shards: contiguous ranges as even as
//! the division allows, the first shards taking the remainder, as `redis-cli --cluster
//! create` does. The same count always gives the same ranges, so every reconcile and every
//! restart agrees on them.

use meridian_datanode::keyspace::{SLOTS, SlotRange};

/// The slot ranges of `shards` shards, in order. Empty for zero shards.
pub fn split(shards: u32) -> Vec<SlotRange> {
    let total = SLOTS as u32;
    let shards = shards.min(total);
    let base = total.checked_div(shards).unwrap_or(0);
    let extra = total.checked_rem(shards).unwrap_or(0);
    let mut start = 0u32;
    (0..shards)
        .map(|i| {
            let len = base + u32::from(i < extra);
            let range = SlotRange { start: start as u16, end: (start + len - 1) as u16 };
            start += len;
            range
        })
        .collect()
}

/// `first-last`, as status and the shard map print a range.
pub fn render(range: SlotRange) -> String {
    format!("{}-{}", range.start, range.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_splits() {
        assert_eq!(split(1), vec![SlotRange::ALL]);
        assert_eq!(split(2), vec![SlotRange { start: 0, end: 8191 }, SlotRange { start: 8192, end: 16383 }]);
        // 16384 = 3 * 5461 + 1: the first shard takes the extra slot.
        assert_eq!(
            split(3),
            vec![
                SlotRange { start: 0, end: 5461 },
                SlotRange { start: 5462, end: 10922 },
                SlotRange { start: 10923, end: 16383 }
            ]
        );
        assert!(split(0).is_empty());
    }

    proptest! {
        #[test]
        fn every_slot_is_owned_exactly_once(shards in 1u32..=1024) {
            let ranges = split(shards);
            prop_assert_eq!(ranges.len() as u32, shards);
            let mut next = 0u32;
            for r in &ranges {
                prop_assert_eq!(u32::from(r.start), next);
                prop_assert!(r.start <= r.end);
                next = u32::from(r.end) + 1;
            }
            prop_assert_eq!(next, SLOTS as u32);
            let sizes: Vec<u32> = ranges.iter().map(|r| u32::from(r.end - r.start) + 1).collect();
            prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        }
    }
}
