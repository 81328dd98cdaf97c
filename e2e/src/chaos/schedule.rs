//! The faults a chaos run injects and the seeded order it injects them in. Pure: the same
//! seed and the same database shape give the same schedule, so `CHAOS_SEED=` replays it.
//!
//! Adding a fault kind: a variant here (with its name, and whether it targets a shard), its
//! injection in `faults.rs`; the schedule then draws it like any other.

use super::rng::Rng;

/// One kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// `kill -9` of one shard's master: a replica takes over after the grace period, the old
    /// master comes back empty as its replica.
    KillMaster,
    /// `kill -9` of a shard's master and replicas at once: every member comes back empty, and
    /// the shard is rebuilt from the peer regions' copies of its slots.
    KillShard,
    /// Every member of a shard loses its data in turn (kill + restart empty, which is what
    /// losing the data means without persistence): the replicas first, each rebuilt from the
    /// master, then the master, replaced by a rebuilt replica.
    WipeShard,
    /// `kill -9` of a region's syncer.
    KillSyncer,
    /// The region cut from every other region (`local cut`), then healed.
    Partition,
    /// `tc netem` delay and reorder on the region's WAN interface, then removed; on a kernel
    /// without `sch_netem`, a `tbf` rate limit that delays the WAN by queueing instead.
    WanDelay,
    /// `kill -9` of the local-mode supervisor while a master's failover is pending, then
    /// local mode started again on the same directory.
    KillSupervisor,
}

impl FaultKind {
    pub const ALL: [FaultKind; 7] = [
        FaultKind::KillMaster,
        FaultKind::KillShard,
        FaultKind::WipeShard,
        FaultKind::KillSyncer,
        FaultKind::Partition,
        FaultKind::WanDelay,
        FaultKind::KillSupervisor,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::KillMaster => "kill-master",
            FaultKind::KillShard => "kill-shard",
            FaultKind::WipeShard => "wipe-shard",
            FaultKind::KillSyncer => "kill-syncer",
            FaultKind::Partition => "partition",
            FaultKind::WanDelay => "wan-delay",
            FaultKind::KillSupervisor => "kill-supervisor",
        }
    }

    /// Whether it hits one shard (else the whole region).
    pub fn targets_shard(self) -> bool {
        matches!(self, FaultKind::KillMaster | FaultKind::KillShard | FaultKind::WipeShard | FaultKind::KillSupervisor)
    }
}

/// One fault of the schedule.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    pub index: usize,
    pub kind: FaultKind,
    /// Index of the target region in the manifest.
    pub region: usize,
    pub shard: Option<u32>,
    /// How long the fault lasts (a cut, a delay) or how long the load runs on before the
    /// region must be back, in milliseconds.
    pub hold_ms: u64,
}

/// The seeded schedule: first every kind once in a seeded order, then kinds drawn at random.
#[derive(Clone, Debug)]
pub struct Schedule {
    rng: Rng,
    kinds: Vec<FaultKind>,
    shards: Vec<u32>,
    hold_ms: (u64, u64),
    next: usize,
}

impl Schedule {
    /// `shards[r]` is region r's shard count; `kinds` the kinds to draw from (non-empty).
    pub fn new(seed: u64, kinds: &[FaultKind], shards: &[u32], hold_ms: (u64, u64)) -> Schedule {
        let mut rng = Rng::fork(seed, 1);
        let mut first = kinds.to_vec();
        rng.shuffle(&mut first);
        Schedule { rng, kinds: first, shards: shards.to_vec(), hold_ms, next: 0 }
    }

    /// How many steps make one pass over every kind.
    pub fn pass(&self) -> usize {
        self.kinds.len()
    }
}

impl Iterator for Schedule {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        let kind = match self.kinds.get(self.next) {
            Some(k) => *k,
            None => *self.rng.pick(&self.kinds)?,
        };
        let region = self.rng.below(self.shards.len() as u64) as usize;
        let count = self.shards.get(region).copied().unwrap_or(1);
        let shard = kind.targets_shard().then(|| self.rng.below(u64::from(count)) as u32);
        let hold_ms = self.rng.between(self.hold_ms.0, self.hold_ms.1);
        let step = Step { index: self.next, kind, region, shard, hold_ms };
        self.next += 1;
        Some(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_its_schedule_and_the_first_pass_has_every_kind_once() {
        let kinds = [FaultKind::KillMaster, FaultKind::Partition, FaultKind::KillShard];
        let a: Vec<Step> = Schedule::new(9, &kinds, &[1, 1, 2], (1000, 3000)).take(10).collect();
        let b: Vec<Step> = Schedule::new(9, &kinds, &[1, 1, 2], (1000, 3000)).take(10).collect();
        assert_eq!(a, b);
        let mut first: Vec<FaultKind> = a[..3].iter().map(|s| s.kind).collect();
        first.sort();
        assert_eq!(first, [FaultKind::KillMaster, FaultKind::KillShard, FaultKind::Partition]);
        for s in &a {
            assert!(s.region < 3 && (1000..=3000).contains(&s.hold_ms), "{s:?}");
            match s.shard {
                Some(shard) => assert!(s.kind.targets_shard() && shard < [1, 1, 2][s.region]),
                None => assert!(!s.kind.targets_shard()),
            }
        }
        let c: Vec<Step> = Schedule::new(10, &kinds, &[1, 1, 2], (1000, 3000)).take(10).collect();
        assert_ne!(a, c, "another seed, another schedule");
    }
}
