//! Replication lag samples: for every delta applied here, the time from its append on the
//! peer's master to the end of its application on the local master. Bounded: past the cap,
//! new samples replace random old ones (reservoir sampling), so quantiles stay fair.

use parking_lot::Mutex;

const CAP: usize = 200_000;

#[derive(Default)]
pub struct Lag {
    inner: Mutex<(Vec<u64>, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantiles {
    pub count: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl Lag {
    /// Records the lag of deltas appended at `appended_us`, applied by `now_us`.
    pub fn record(&self, now_us: u64, appended_us: &[u64]) {
        if appended_us.is_empty() {
            return;
        }
        let mut guard = self.inner.lock();
        let (samples, seen) = &mut *guard;
        for a in appended_us {
            let lag = now_us.saturating_sub(*a);
            *seen += 1;
            if samples.len() < CAP {
                samples.push(lag);
            } else {
                let j = rand::random::<u64>() % *seen;
                if let Some(slot) = samples.get_mut(j as usize) {
                    *slot = lag;
                }
            }
        }
    }

    pub fn quantiles(&self) -> Quantiles {
        let guard = self.inner.lock();
        let mut v = guard.0.clone();
        let count = guard.1;
        drop(guard);
        v.sort_unstable();
        let at = |q: f64| -> u64 {
            if v.is_empty() {
                return 0;
            }
            let i = ((v.len() as f64 - 1.0) * q).round() as usize;
            v.get(i).copied().unwrap_or(0)
        };
        Quantiles { count, p50_us: at(0.5), p90_us: at(0.9), p99_us: at(0.99), max_us: v.last().copied().unwrap_or(0) }
    }

    pub fn reset(&self) {
        *self.inner.lock() = (Vec::new(), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_recorded_lags() {
        let lag = Lag::default();
        let appended: Vec<u64> = (1..=100).collect();
        lag.record(1000, &appended);
        let q = lag.quantiles();
        assert_eq!(q.count, 100);
        assert_eq!(q.max_us, 999);
        assert_eq!(q.p50_us, 950);
        assert_eq!(q.p99_us, 998);
        lag.reset();
        assert_eq!(lag.quantiles().count, 0);
    }
}
