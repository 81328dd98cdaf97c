//! Chaos runs: a local-mode database with every region in its own network namespace, a
//! write load in every region through real Redis clients that journal every write's
//! outcome, and a seeded schedule of faults (kill -9 of masters, shards, syncers and the
//! supervisor; wiped shards; partitions; WAN delay). After the schedule everything is healed,
//! the regions must converge (one digest per slot range on every node), and every
//! acknowledged write must be there as SEMANTICS.md says. Each run writes a report (JSON and
//! text). See docs/chaos.md.
//!
//! One job per file: `config` (what to run, from the environment), `schedule` (the seeded
//! faults), `cluster` (local mode as a process), `load`/`client`/`journal` (the writers),
//! `faults` (injecting one fault), `observe` (reading nodes), `check` (the verdict, pure),
//! `measure` (failover and resync times), `report`, and `run` (the driver).

pub mod agree;
pub mod check;
pub mod client;
pub mod cluster;
pub mod config;
pub mod faults;
pub mod journal;
pub mod load;
pub mod measure;
pub mod observe;
pub mod report;
pub mod rng;
pub mod run;
pub mod schedule;

pub use config::Config;
pub use report::Report;
pub use run::run;
pub use schedule::FaultKind;
