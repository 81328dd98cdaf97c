//! The supervisor's state: every region's processes, what it recorded about masters, and
//! the manifest it runs. `apply` carries a desired state out as a diff against what runs —
//! a new region is started, a removed one stopped, a shard's new members started and its
//! removed ones stopped, a syncer whose command line changed restarted — exactly as the
//! operator's apply would change StatefulSets and the syncer Deployment. The per-tick work
//! (observe, decide, act, restart) is in `tick`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use k8s_openapi::jiff::Timestamp;

use super::child::{self, Child, Spec};
use super::desired::{self, Binaries, Desired, Placement, RegionDesired};
use super::netns::{NetnsError, RegionGuard, Wan, WanGuard};
use super::record::{Adoption, Fate, Record, RecordedChild, RecordedMaster};
use super::state_dir::{StateDir, write_atomic};
use crate::failover::{Recorded, Settled};
use crate::nodes::NodeReport;
use crate::syncer_info::PeerLink;

/// Events kept for the status screen.
const EVENTS_KEPT: usize = 12;

pub struct Supervisor {
    pub regions: Vec<RegionRun>,
    pub desired: Desired,
    pub placement: Placement,
    pub binaries: Binaries,
    pub delay: Option<Duration>,
    /// Regions whose WAN links are cut (`--netns`).
    pub cut: BTreeSet<u8>,
    pub started: Instant,
    /// How long it took to be ready the first time.
    pub ready_after: Option<Duration>,
    pub events: VecDeque<String>,
    /// Events since the start (the plain output prints those it has not printed yet).
    pub event_seq: u64,
    pub ticks: u64,
    /// What a killed supervisor left running and this one takes over (empty on a fresh start).
    pub adoption: Adoption,
    /// The placement options, kept in the record.
    pub options: String,
    /// The record last written (`record::FILE`).
    record_text: String,
    // Dropped after every region (declaration order): the bridge outlives the namespaces.
    pub wan: Option<WanGuard>,
    pub dir: StateDir,
}

pub struct RegionRun {
    pub desired: RegionDesired,
    pub shards: Vec<ShardRun>,
    pub syncer: Child,
    /// The syncer's peer links, or why they could not be read.
    pub peers: Option<Result<BTreeMap<u8, PeerLink>, crate::Error>>,
    /// The shard map last written.
    pub map: String,
    // Last: the namespace goes after the processes in it.
    pub netns: Option<RegionGuard>,
}

#[derive(Default)]
pub struct ShardRun {
    pub members: Vec<MemberRun>,
    /// The master the supervisor chose, as the operator records it in status.
    pub recorded: Option<Recorded>,
    pub settled: Option<Settled>,
    pub created: Option<Instant>,
    /// A rebuild asked for with `local rebuild`, while it runs.
    pub rebuild: Option<super::rebuild::Rebuild>,
}

pub struct MemberRun {
    pub child: Child,
    pub report: Option<NodeReport>,
    /// Since when it runs but does not answer.
    pub unreachable_since: Option<Timestamp>,
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Netns(#[from] NetnsError),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("cannot start {name} ({program}): {source}")]
    Start { name: String, program: String, source: std::io::Error },
}

impl Supervisor {
    pub fn new(
        dir: StateDir,
        desired: Desired,
        placement: Placement,
        binaries: Binaries,
        delay: Option<Duration>,
    ) -> Self {
        Supervisor {
            regions: vec![],
            desired,
            placement,
            binaries,
            delay,
            cut: BTreeSet::new(),
            started: Instant::now(),
            ready_after: None,
            events: VecDeque::new(),
            event_seq: 0,
            ticks: 0,
            adoption: Adoption::default(),
            options: String::new(),
            record_text: String::new(),
            wan: None,
            dir,
        }
    }

    pub fn event(&mut self, text: impl Into<String>) {
        let text = text.into();
        // The screen shows events; the log gets them at debug level (RUST_LOG=debug).
        tracing::debug!("{text}");
        let stamp = Timestamp::now().strftime("%H:%M:%S").to_string();
        self.events.push_back(format!("{stamp} {text}"));
        self.event_seq = self.event_seq.wrapping_add(1);
        while self.events.len() > EVENTS_KEPT {
            self.events.pop_front();
        }
    }

    /// Starts everything `self.desired` holds. On an error, what was started is stopped by
    /// the caller dropping the supervisor.
    pub fn start(&mut self) -> Result<(), ApplyError> {
        let stale: Vec<_> = self.adoption.stale.iter().filter_map(|c| c.identity).collect();
        if !stale.is_empty() {
            child::stop_identities(&stale, child::STOP_TIMEOUT);
            let names: Vec<String> = self.adoption.stale.iter().map(|c| format!("{} {}", c.region, c.name)).collect();
            self.event(format!(
                "stopped what a killed supervisor left and this manifest replaces: {}",
                names.join(", ")
            ));
        }
        self.cut = self.adoption.cut.iter().copied().collect();
        if let Some(wan) = self.placement.wan.clone() {
            self.wan = Some(wan.create(self.adoption.adopts_any())?);
        }
        let regions = self.desired.regions.clone();
        for r in regions {
            self.add_region(r)?;
        }
        let adopted = self.regions.iter_mut().flat_map(|r| r.children_mut()).filter(|c| c.adopted()).count();
        if adopted > 0 {
            self.event(format!("adopted {adopted} process(es) a killed supervisor left running"));
        }
        self.save_record();
        Ok(())
    }

    /// What the state directory must record to hand everything over to the next supervisor.
    pub fn record(&self) -> Record {
        let mut children = vec![];
        let mut masters = BTreeMap::new();
        for r in &self.regions {
            let region = r.desired.name().to_string();
            let mut named: Vec<&Child> = vec![&r.syncer];
            named.extend(r.shards.iter().flat_map(|s| s.members.iter().map(|m| &m.child)));
            for c in named {
                children.push(RecordedChild {
                    region: region.clone(),
                    name: c.spec.name.clone(),
                    identity: c.identity(),
                    args: c.spec.args.clone(),
                });
            }
            masters.insert(region, r.shards.iter().map(|s| s.recorded.as_ref().map(RecordedMaster::from)).collect());
        }
        Record {
            database: self.desired.database.clone(),
            options: self.options.clone(),
            children,
            masters,
            cut: self.cut.iter().copied().collect(),
            namespaces: self
                .regions
                .iter()
                .filter_map(|r| r.netns.as_ref().map(|n| n.namespace().to_string()))
                .collect(),
            bridge: self.wan.as_ref().map(|w| w.bridge().to_string()),
        }
    }

    /// Writes the record if it changed.
    pub fn save_record(&mut self) {
        let text = self.record().to_text();
        if text == self.record_text {
            return;
        }
        match Record::write_text(self.dir.root(), &text) {
            Ok(()) => self.record_text = text,
            Err(e) => {
                self.event(format!("cannot record the children in {}: {e}", Record::path(self.dir.root()).display()))
            }
        }
    }

    /// Carries out `new` as a diff against what runs; a line per change.
    pub fn apply(&mut self, new: Desired) -> Result<Vec<String>, ApplyError> {
        let mut changes = vec![];
        let wanted: BTreeSet<u8> = new.regions.iter().map(|r| r.id()).collect();
        let gone: Vec<usize> =
            (0..self.regions.len()).rev().filter(|i| !wanted.contains(&self.regions[*i].desired.id())).collect();
        for i in gone {
            let mut region = self.regions.remove(i);
            child::stop_all(region.children_mut(), child::STOP_TIMEOUT);
            self.cut.remove(&region.desired.id());
            changes.push(format!("removed region {}", region.desired.name()));
        }
        for r in &new.regions {
            match self.regions.iter().position(|x| x.desired.id() == r.id()) {
                None => {
                    changes.push(format!(
                        "added region {} ({} shard(s) of {} datanode(s))",
                        r.name(),
                        r.plan.shards.len(),
                        r.plan.replicas + 1
                    ));
                    self.add_region(r.clone())?;
                }
                Some(i) => {
                    let binaries = self.binaries.clone();
                    let paths = self.dir.paths();
                    let region = &mut self.regions[i];
                    changes.extend(region.update(r.clone(), &binaries, paths)?);
                }
            }
        }
        self.desired = new;
        for c in &changes {
            self.event(c.clone());
        }
        Ok(changes)
    }

    fn add_region(&mut self, desired: RegionDesired) -> Result<(), ApplyError> {
        let id = desired.id();
        let adopt = self.adoption.adopts_in(desired.name());
        let netns = match &self.placement.wan {
            Some(wan) => {
                let guard = wan.add_region(id, self.delay, adopt)?;
                let others: Vec<u8> = self.regions.iter().map(|r| r.desired.id()).collect();
                for cut in self.cut.iter().copied() {
                    wan.set_link(cut, &[id], false)?;
                }
                if self.cut.contains(&id) {
                    wan.set_link(id, &others, false)?;
                }
                Some(guard)
            }
            None => None,
        };
        let paths = self.dir.paths();
        let dir = paths.region(desired.name());
        std::fs::create_dir_all(&dir)
            .map_err(|source| ApplyError::Write { path: dir.display().to_string(), source })?;
        let syncer = Child::new(syncer_spec(&desired, &self.binaries, paths, netns.as_ref()));
        let mut region = RegionRun { desired, shards: vec![], syncer, peers: None, map: String::new(), netns };
        let d = region.desired.clone();
        region.shards =
            d.plan.shards.iter().map(|_| ShardRun { created: Some(Instant::now()), ..Default::default() }).collect();
        region.grow(&self.binaries, paths);
        let name = region.desired.name().to_string();
        if let Some(masters) = self.adoption.masters.get(&name) {
            for (shard, master) in region.shards.iter_mut().zip(masters) {
                shard.recorded = master.clone();
            }
        }
        // Adopted children are taken over; recorded ones that died wait for the first pass,
        // which holds a dead master while its failover is pending.
        let mut dead = BTreeSet::new();
        for c in region.children_mut() {
            match self.adoption.fate(&name, &c.spec.name) {
                Fate::Adopt(identity) => *c = Child::adopt(c.spec.clone(), identity),
                Fate::Dead => {
                    *c = Child::found_dead(c.spec.clone());
                    dead.insert(c.spec.name.clone());
                }
                Fate::New => {}
            }
        }
        region.write_map(paths)?;
        region.start_all(|c| dead.contains(&c.spec.name))?;
        self.regions.push(region);
        self.regions.sort_by_key(|r| r.desired.id());
        Ok(())
    }

    /// Cuts or heals region `name`'s WAN links.
    pub fn set_link(&mut self, name: &str, up: bool) -> Result<String, super::Error> {
        let Some(wan) = self.placement.wan.clone() else { return Err(super::Error::NoNetns) };
        let Some(id) = self.regions.iter().find(|r| r.desired.name() == name).map(|r| r.desired.id()) else {
            return Err(self.no_region(name));
        };
        let others: Vec<u8> = self.regions.iter().map(|r| r.desired.id()).collect();
        wan.set_link(id, &others, up)?;
        let text = if up {
            self.cut.remove(&id);
            format!("healed region {name}: its WAN links are up")
        } else {
            self.cut.insert(id);
            format!("cut region {name} from the other regions (this host still reaches it)")
        };
        self.event(text.clone());
        Ok(text)
    }

    /// A request named a region this supervisor does not run.
    pub fn no_region(&self, name: &str) -> super::Error {
        let known = self.regions.iter().map(|r| r.desired.name().to_string()).collect();
        super::Error::NoRegion { name: name.to_string(), known }
    }

    /// Stops every process at once, then removes the namespaces and the bridge.
    pub fn stop(&mut self) {
        let children: Vec<&mut Child> = self.regions.iter_mut().flat_map(|r| r.children_mut()).collect();
        child::stop_all(children, child::STOP_TIMEOUT);
        self.regions.clear();
        self.wan = None;
        // Nothing is left to adopt.
        Record::remove(self.dir.root());
    }

    pub fn wan(&self) -> Option<&Wan> {
        self.placement.wan.as_ref()
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop();
    }
}

impl RegionRun {
    pub fn children_mut(&mut self) -> Vec<&mut Child> {
        let mut out: Vec<&mut Child> = vec![&mut self.syncer];
        out.extend(self.shards.iter_mut().flat_map(|s| s.members.iter_mut().map(|m| &mut m.child)));
        out
    }

    /// Adds the members the plan has and this region does not run yet (not started).
    fn grow(&mut self, binaries: &Binaries, paths: super::state_dir::Paths<'_>) {
        let d = &self.desired;
        for (s, shard) in self.shards.iter_mut().enumerate() {
            let Some(args) = d.datanode_args.get(s) else { continue };
            for (o, args) in args.iter().enumerate().skip(shard.members.len()) {
                let name = format!("datanode-{s}-{o}");
                let spec = Spec {
                    log: paths.log(d.name(), &name),
                    name,
                    program: binaries.datanode.clone(),
                    args: args.clone(),
                    netns: self.netns.as_ref().map(|n| n.namespace().to_string()),
                };
                shard.members.push(MemberRun {
                    child: Child::new(spec),
                    report: None,
                    unreachable_since: None,
                    error: None,
                });
            }
        }
    }

    /// The masters as decided so far (`None`: the map's default, ordinal 0).
    pub fn masters(&self) -> Vec<Option<u32>> {
        self.shards.iter().map(|s| s.recorded.as_ref().map(|r| r.ordinal)).collect()
    }

    /// Writes the shard map if it changed.
    pub fn write_map(&mut self, paths: super::state_dir::Paths<'_>) -> Result<bool, ApplyError> {
        let text = desired::shard_map(&self.desired, &self.masters());
        if text == self.map {
            return Ok(false);
        }
        let path = paths.shard_map(self.desired.name());
        write_atomic(&path, &text).map_err(|source| ApplyError::Write { path: path.display().to_string(), source })?;
        self.map = text;
        Ok(true)
    }

    /// Starts every process that is not running, except those `skip` names.
    fn start_all(&mut self, skip: impl Fn(&Child) -> bool) -> Result<(), ApplyError> {
        for c in self.children_mut() {
            if !c.running() && !skip(c) {
                c.start().map_err(|source| ApplyError::Start {
                    name: c.spec.name.clone(),
                    program: c.spec.program.display().to_string(),
                    source,
                })?;
            }
        }
        Ok(())
    }

    /// Applies a changed plan of this region; a line per change.
    fn update(
        &mut self,
        new: RegionDesired,
        binaries: &Binaries,
        paths: super::state_dir::Paths<'_>,
    ) -> Result<Vec<String>, ApplyError> {
        let name = new.name().to_string();
        let mut changes = vec![];
        let old = std::mem::replace(&mut self.desired, new);
        for (s, shard) in self.shards.iter_mut().enumerate() {
            let want = self.desired.plan.shards.get(s).map_or(0, |p| p.members as usize);
            let had = shard.members.len();
            if want < had {
                let mut removed: Vec<MemberRun> = shard.members.drain(want..).collect();
                child::stop_all(removed.iter_mut().map(|m| &mut m.child).collect(), child::STOP_TIMEOUT);
                changes.push(format!("{name} shard {s}: {had} → {want} datanodes (stopped the highest ordinals)"));
            } else if want > had {
                changes.push(format!("{name} shard {s}: {had} → {want} datanodes"));
            }
            for (o, m) in shard.members.iter_mut().enumerate() {
                let args = self.desired.datanode_args.get(s).and_then(|a| a.get(o));
                if let Some(args) = args.filter(|a| **a != m.child.spec.args) {
                    // Takes effect at the member's next start (no rolling restart yet).
                    m.child.spec.args = args.clone();
                    changes.push(format!("{name} shard {s} member {o}: new arguments from its next start"));
                }
            }
        }
        self.grow(binaries, paths);
        self.write_map(paths)?;
        if self.desired.syncer_args != old.syncer_args {
            self.syncer.stop(child::STOP_TIMEOUT);
            self.syncer.spec.args = self.desired.syncer_args.clone();
            changes.push(format!("{name}: restarted the syncer with its new peers and settings"));
        }
        self.start_all(|_| false)?;
        Ok(changes)
    }
}

/// Every child `desired` runs, as `record::plan` takes them: (region, name, arguments).
pub fn wanted(desired: &Desired) -> Vec<(String, String, Vec<String>)> {
    let mut out = vec![];
    for r in &desired.regions {
        out.push((r.name().to_string(), "syncer".to_string(), r.syncer_args.clone()));
        for (s, members) in r.datanode_args.iter().enumerate() {
            for (o, args) in members.iter().enumerate() {
                out.push((r.name().to_string(), format!("datanode-{s}-{o}"), args.clone()));
            }
        }
    }
    out
}

fn syncer_spec(
    d: &RegionDesired,
    binaries: &Binaries,
    paths: super::state_dir::Paths<'_>,
    netns: Option<&RegionGuard>,
) -> Spec {
    Spec {
        name: "syncer".into(),
        program: binaries.syncer.clone(),
        args: d.syncer_args.clone(),
        log: paths.log(d.name(), "syncer"),
        netns: netns.map(|n| n.namespace().to_string()),
    }
}
