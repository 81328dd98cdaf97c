//! Random picks with a count, as SRANDMEMBER, SPOP and HRANDFIELD make them.

use rand::Rng;
use rand::seq::SliceRandom;

use crate::cmd::ReplyError;
use crate::cmd::format::parse_int;

/// Most items a negative count (picks with repetition) may ask for: the whole reply is built
/// in memory before it is sent, so an unbounded count could exhaust it. Redis has no limit.
pub const MAX_REPEATED_PICKS: u64 = 1 << 20;

/// A count of SRANDMEMBER or HRANDFIELD: any i64 but the one whose negation overflows.
pub fn parse_count(arg: &[u8]) -> Result<i64, ReplyError> {
    match parse_int(arg) {
        None => Err(ReplyError::not_integer()),
        Some(i64::MIN) => Err(ReplyError::new(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        )),
        Some(n) => Ok(n),
    }
}

/// `count` ≥ 0: that many distinct items (all of them at most), in random order.
/// `count` < 0: exactly `-count` items, each drawn independently (repeats allowed).
pub fn pick<T: Copy>(items: &[T], count: i64, rng: &mut impl Rng) -> Result<Vec<T>, ReplyError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    if count >= 0 {
        let k = usize::try_from(count).unwrap_or(usize::MAX).min(items.len());
        return Ok(rand::seq::index::sample(rng, items.len(), k)
            .into_iter()
            .filter_map(|i| items.get(i).copied())
            .collect());
    }
    let k = count.unsigned_abs();
    if k > MAX_REPEATED_PICKS {
        return Err(ReplyError::new("ERR value is out of range"));
    }
    Ok((0..k).filter_map(|_| items.choose(rng).copied()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn distinct_picks_never_repeat() {
        let mut rng = StdRng::seed_from_u64(7);
        let items = [1, 2, 3, 4, 5];
        let mut got = pick(&items, 3, &mut rng).expect("pick");
        assert_eq!(got.len(), 3);
        got.sort_unstable();
        got.dedup();
        assert_eq!(got.len(), 3);
        let mut all = pick(&items, 100, &mut rng).expect("pick");
        all.sort_unstable();
        assert_eq!(all, items);
        assert!(pick(&items, 0, &mut rng).expect("pick").is_empty());
    }

    #[test]
    fn negative_counts_repeat() {
        let mut rng = StdRng::seed_from_u64(7);
        assert_eq!(pick(&[9], -4, &mut rng).expect("pick"), vec![9, 9, 9, 9]);
        assert!(pick::<u8>(&[], -4, &mut rng).expect("pick").is_empty());
        assert!(pick(&[9], -(MAX_REPEATED_PICKS as i64) - 1, &mut rng).is_err());
    }

    #[test]
    fn counts_parse_like_redis() {
        assert_eq!(parse_count(b"-5"), Ok(-5));
        assert_eq!(parse_count(b"x"), Err(ReplyError::not_integer()));
        assert!(
            parse_count(b"-9223372036854775808")
                .expect_err("range")
                .0
                .starts_with("ERR value is out of range, value must")
        );
    }
}
