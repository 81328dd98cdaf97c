//! One supervision pass, as the operator's reconcile does it: observe (child deaths, a fresh
//! `Status` from every datanode, the syncers' `/info`), decide per shard with
//! `failover::settle`, act (`SetRole` to promote and repoint, then the shard map with the
//! masters first), and restart what died. A dead master is not restarted while the decision
//! waits out its grace period with a replica ready to take over: restarting it would bring
//! back an empty master; once a replica took over, it comes back as that replica's follower.

use std::time::{Duration, Instant};

use futures::future::join_all;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

use super::supervisor::{MemberRun, RegionRun, Supervisor};
use crate::failover::{self, Decision, Member, NodeRole, Recorded, Why};
use crate::nodes;
use crate::rollout::Step;
use crate::syncer_info;

/// Every how many passes the datanodes also hash their keyspace (`MERIDIAN.DIGEST`'s digest).
const DIGEST_EVERY: u64 = 4;
/// How long a new shard waits for all its members to answer before electing among those that
/// do, so the first master is the map's (ordinal 0) unless it fails to start.
const ELECTION_WAIT: Duration = Duration::from_secs(10);

impl Supervisor {
    /// One pass. Every call inside is bounded (`nodes::CALL_TIMEOUT`, `syncer_info::FETCH_TIMEOUT`).
    pub async fn tick(&mut self) {
        self.ticks = self.ticks.wrapping_add(1);
        let digest = self.ticks % DIGEST_EVERY == 1;
        let mut events = vec![];
        for r in &mut self.regions {
            reap(r, &mut events);
        }
        self.observe(digest).await;
        let now = Timestamp::now();
        let paths = self.dir.paths();
        let database_id = self.desired.database_id.clone();
        for r in &mut self.regions {
            decide_and_act(r, &database_id, now, &mut events).await;
            if let Err(e) = r.write_map(paths) {
                events.push(e.to_string());
            }
            restart(r, &mut events);
        }
        for e in events {
            self.event(e);
        }
        if self.ready_after.is_none() && self.regions.iter().all(ready) {
            let after = self.started.elapsed();
            self.ready_after = Some(after);
            self.event(format!(
                "ready: {} region(s) up and peers in sync after {:.1} s",
                self.regions.len(),
                after.as_secs_f64()
            ));
        }
    }

    /// Asks every running datanode and syncer, all at once.
    async fn observe(&mut self, digest: bool) {
        let id = self.desired.database_id.clone();
        let mut asks = vec![];
        for (r, region) in self.regions.iter().enumerate() {
            for (s, shard) in region.shards.iter().enumerate() {
                for (o, m) in shard.members.iter().enumerate() {
                    if m.child.running() {
                        let addr = region.desired.layout.repl_addr(s as u32, o as u32);
                        let id = id.clone();
                        asks.push(async move { ((r, s, o), nodes::status(&addr, &id, digest).await) });
                    }
                }
            }
        }
        let syncers = self.regions.iter().map(|r| {
            let running = r.syncer.running();
            let addr = r.desired.layout.http_addr();
            async move { if running { Some(syncer_info::fetch(&addr).await) } else { None } }
        });
        let (answers, peers) = futures::join!(join_all(asks), join_all(syncers));
        let now = Timestamp::now();
        for region in &mut self.regions {
            for shard in &mut region.shards {
                for m in &mut shard.members {
                    if !m.child.running() {
                        m.report = None;
                    }
                }
            }
        }
        for ((r, s, o), answer) in answers {
            let Some(m) = self.regions.get_mut(r).and_then(|x| x.shards.get_mut(s)).and_then(|x| x.members.get_mut(o))
            else {
                continue;
            };
            match answer {
                Ok(mut report) => {
                    if !digest {
                        // Keep the last digest between the passes that compute one.
                        report.digest = m.report.as_ref().map(|r| r.digest.clone()).unwrap_or_default();
                    }
                    m.report = Some(report);
                    m.unreachable_since = None;
                    m.child.down_since = None;
                    m.error = None;
                }
                Err(e) => {
                    m.report = None;
                    m.unreachable_since.get_or_insert(now);
                    m.error = Some(e.to_string());
                }
            }
        }
        for (region, peers) in self.regions.iter_mut().zip(peers) {
            region.peers = peers;
        }
    }
}

fn reap(r: &mut RegionRun, events: &mut Vec<String>) {
    let name = r.desired.name().to_string();
    for (s, shard) in r.shards.iter_mut().enumerate() {
        for (o, m) in shard.members.iter_mut().enumerate() {
            if m.child.reap() {
                m.report = None;
                let why = m.child.last_exit.clone().unwrap_or_default();
                events.push(format!("{name} shard {s} member {o} {why}"));
            }
        }
    }
    if r.syncer.reap() {
        let why = r.syncer.last_exit.clone().unwrap_or_default();
        events.push(format!("{name} syncer {why}"));
    }
}

/// A member as `failover::decide` takes it: down since it died or stopped answering.
fn member(ordinal: u32, m: &MemberRun, addr: String) -> Member {
    let node = m.report.as_ref().map(|r| r.state.clone());
    let down_since = match &node {
        Some(_) => None,
        None => Some(m.child.down_since.or(m.unreachable_since).unwrap_or_else(Timestamp::now)),
    };
    Member { ordinal, addr: m.child.running().then_some(addr), node, down_since }
}

async fn decide_and_act(r: &mut RegionRun, database_id: &str, now: Timestamp, events: &mut Vec<String>) {
    let grace = SignedDuration::from_secs(i64::from(r.desired.plan.failover_grace_seconds));
    let name = r.desired.name().to_string();
    let layout = r.desired.layout;
    for (s, shard) in r.shards.iter_mut().enumerate() {
        let members: Vec<Member> = shard
            .members
            .iter()
            .enumerate()
            .map(|(o, m)| member(o as u32, m, layout.repl_addr(s as u32, o as u32)))
            .collect();
        let starting = shard.recorded.is_none()
            && shard.created.is_some_and(|c| c.elapsed() < ELECTION_WAIT)
            && shard.members.iter().any(|m| m.child.running() && m.report.is_none());
        if starting {
            continue;
        }
        let mut settled =
            failover::settle(&members, shard.recorded.as_ref(), now, grace, |_, addr| vec![addr.to_string()]);
        if super::rebuild::finished(shard, &settled) {
            shard.rebuild = None;
            events.push(format!("{name} shard {s}: rebuilt, every member replaced and in sync"));
        }
        match super::rebuild::step(shard, &settled) {
            Some(Step::Replace(o)) => {
                let pid = shard.members.get(o as usize).and_then(|m| m.child.pid());
                let first = shard.rebuild.as_mut().is_some_and(|r| r.replaced.insert(o, pid).is_none());
                if let (true, Some(m)) = (first, shard.members.get(o as usize)) {
                    // Stopped now, started again (empty) by `restart` once reaped.
                    m.child.terminate();
                    events.push(format!("{name} shard {s}: rebuilding member {o}"));
                }
            }
            Some(Step::Switchover(to)) => {
                settled = failover::switchover(settled, &members, to, |_, addr| vec![addr.to_string()]);
            }
            None => {}
        }
        if let (Decision::Master { master, promote, changed }, Some(master_addr)) =
            (&settled.decision, &settled.master_addr)
        {
            let actor =
                members.iter().find(|m| m.ordinal == *master).and_then(|m| m.node.as_ref()).map(|n| n.actor.clone());
            let mut actor = actor.unwrap_or_default();
            let mut ok = true;
            // Every pass renews the master's lease, promoting it first if need be (fencing,
            // as the operator does: a master cut off from its supervisor stops taking writes).
            let lease = std::time::Duration::from_secs(u64::from(r.desired.plan.failover_grace_seconds));
            match nodes::lease_master(master_addr, database_id, lease).await {
                Ok(report) if *promote => actor = report.state.actor,
                Ok(_) => {}
                Err(e) if *promote => {
                    events.push(format!("{name} shard {s}: promoting member {master} failed: {e}"));
                    ok = false;
                }
                Err(e) => events.push(format!("{name} shard {s}: renewing member {master}'s lease failed: {e}")),
            }
            if ok {
                let previous = shard.recorded.replace(Recorded { ordinal: *master, actor });
                if changed.is_some() || (*promote && previous.is_some()) {
                    events.push(note(&name, s, *master, changed.as_ref()));
                }
                for o in &settled.repoint {
                    let Some(addr) = members.iter().find(|m| m.ordinal == *o).and_then(|m| m.addr.clone()) else {
                        continue;
                    };
                    match nodes::set_role(&addr, database_id, master_addr).await {
                        Ok(_) => events.push(format!("{name} shard {s}: member {o} follows member {master}")),
                        Err(e) => events.push(format!("{name} shard {s}: repointing member {o} failed: {e}")),
                    }
                }
            }
        }
        shard.settled = Some(settled);
    }
}

fn note(region: &str, shard: usize, master: u32, why: Option<&Why>) -> String {
    let why = match why {
        Some(Why::Elected) => "elected",
        Some(Why::MasterDown) => "took over: the master was down for longer than the grace period",
        Some(Why::MasterRestarted) => "took over: the master restarted empty",
        Some(Why::Switchover) => "took over (switchover)",
        None => "is master again (it had been demoted by hand)",
    };
    format!("{region} shard {shard}: member {master} {why}")
}

/// Starts what is dead and due, except a master whose grace period is running while another
/// member could take over.
fn restart(r: &mut RegionRun, events: &mut Vec<String>) {
    let now = Instant::now();
    let name = r.desired.name().to_string();
    for (s, shard) in r.shards.iter_mut().enumerate() {
        let waiting_for = match shard.settled.as_ref().map(|x| &x.decision) {
            Some(Decision::Waiting { master, .. }) => Some(*master),
            _ => None,
        };
        let answering: Vec<usize> =
            shard.members.iter().enumerate().filter(|(_, m)| m.report.is_some()).map(|(o, _)| o).collect();
        for (o, m) in shard.members.iter_mut().enumerate() {
            let held = waiting_for == Some(o as u32) && answering.iter().any(|a| *a != o);
            if held || !m.child.due(now) {
                continue;
            }
            match m.child.start() {
                Ok(()) => events.push(format!("{name} shard {s} member {o} restarted")),
                Err(e) => events.push(format!("{name} shard {s} member {o} cannot start: {e}")),
            }
        }
    }
    if r.syncer.due(now) {
        match r.syncer.start() {
            Ok(()) => events.push(format!("{name} syncer restarted")),
            Err(e) => events.push(format!("{name} syncer cannot start: {e}")),
        }
    }
}

/// Every shard has its master and every replica follows it; every peer streams live.
pub fn ready(r: &RegionRun) -> bool {
    let layout = r.desired.layout;
    let shards = r.shards.iter().enumerate().all(|(s, shard)| {
        let Some(rec) = &shard.recorded else { return false };
        let master_addr = layout.repl_addr(s as u32, rec.ordinal);
        shard.members.iter().enumerate().all(|(o, m)| match &m.report {
            None => false,
            Some(rep) if o as u32 == rec.ordinal => rep.state.role == NodeRole::Master && rep.state.actor == rec.actor,
            Some(rep) => rep.follows(&master_addr),
        })
    });
    let peers = match &r.peers {
        Some(Ok(links)) => r.desired.plan.peers.iter().all(|p| links.get(&p.id).is_some_and(|l| l.synced())),
        _ => false,
    };
    shards && peers
}
