//! How long each step of a region's start took: printed after every start, so the tier's
//! costs are measured on every run, not guessed.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Timings {
    region: String,
    steps: Vec<(&'static str, Duration)>,
}

impl Timings {
    pub fn new(region: &str) -> Timings {
        Timings { region: region.to_string(), steps: Vec::new() }
    }

    /// Runs `work`, recording how long it took under `name` (failed steps too).
    pub fn step<T>(&mut self, name: &'static str, work: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = work();
        self.steps.push((name, start.elapsed()));
        out
    }

    pub fn steps(&self) -> &[(&'static str, Duration)] {
        &self.steps
    }

    pub fn total(&self) -> Duration {
        self.steps.iter().map(|(_, d)| *d).sum()
    }

    /// `region us-east started in 41.2 s: namespaces 0.1 s, certificates 2.3 s, ...`
    pub fn report(&self) -> String {
        let steps: Vec<String> =
            self.steps.iter().map(|(name, d)| format!("{name} {:.1} s", d.as_secs_f64())).collect();
        format!("region {} started in {:.1} s: {}", self.region, self.total().as_secs_f64(), steps.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Timings;

    #[test]
    fn the_report_lists_every_step_and_the_total() {
        let mut t = Timings::new("us-east");
        t.steps.push(("etcd", Duration::from_millis(1500)));
        t.steps.push(("kubelet", Duration::from_millis(2500)));
        assert_eq!(t.report(), "region us-east started in 4.0 s: etcd 1.5 s, kubelet 2.5 s");
        assert_eq!(t.step("x", || 7), 7);
        assert_eq!(t.steps().len(), 3);
    }
}
