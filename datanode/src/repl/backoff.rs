//! Exponential backoff with full jitter for reconnect loops, so many followers of one lost
//! master do not all knock on its door in the same millisecond.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff { base, cap, attempt: 0 }
    }

    /// The ceiling of the next wait: base × 2^attempt, at most `cap`.
    pub fn ceiling(&self) -> Duration {
        self.base.saturating_mul(1u32 << self.attempt.min(16)).min(self.cap)
    }

    /// The next wait: uniform in [ceiling/2, ceiling].
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let half = ceiling / 2;
        half + half.mul_f64(rand::random::<f64>())
    }

    /// After a success, the next failure starts small again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_and_reset() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let waits: Vec<Duration> = (0..8).map(|_| b.next_delay()).collect();
        assert!(waits[0] >= Duration::from_millis(50) && waits[0] <= Duration::from_millis(100));
        assert!(waits[3] >= Duration::from_millis(400) && waits[3] <= Duration::from_millis(800));
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(2)));
        assert_eq!(b.ceiling(), Duration::from_secs(2));
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(100));
    }
}
