//! No input crashes the datanode or leaves a client's state behind: seeded random commands
//! with hostile arguments, hostile command names, connections that send random bytes or hang
//! up mid-command, while other clients sit subscribed, watching and blocked. Afterwards every
//! client's state is checked, not just that the process answers PING: CLIENT LIST lists
//! exactly the connections still open, with their flags, and each still behaves (the
//! subscriber gets messages, the blocked client is served, the WATCH still aborts).
//!
//! `SEED=n` replays a run; a failure prints its seed.

mod clients;
mod hostile;
mod random;
mod vocabulary;

/// Test result: harness failures (a server that does not start) surface as errors.
type TestResult = Result<(), meridian_e2e::Error>;

/// A tiny seeded generator: the failing seed is printed, and a run is reproducible.
struct Lcg(u64);

impl Lcg {
    fn from_env() -> Lcg {
        let seed = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_u64);
        println!("seed {seed}");
        Lcg(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() as usize % items.len()]
    }
}
