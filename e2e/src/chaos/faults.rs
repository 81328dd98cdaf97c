//! Injecting one fault of the schedule into the running database, under load: what was
//! done and when, and for every kill of datanodes what the surviving copies held right
//! after it (the witness `check` uses to tell a write lost with its node from a lost write).
//! The driver waits for the database to be ready before each fault and measures how long it
//! takes to be ready again after it.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use meridian_operator::local::child::Identity;
use meridian_operator::local::snapshot::{MemberView, Snapshot};

use super::check::Kill;
use super::cluster::{ChaosDb, region};
use super::journal::Journal;
use super::observe::{Keys, Witness};
use super::schedule::{FaultKind, Step};
use crate::{Error, Result};

/// A reply the client reads after this long past the kill signal came from a new
/// incarnation (a restart takes at least the supervisor's first backoff, 250 ms).
const KILL_SETTLE: Duration = Duration::from_millis(20);
/// How long one `ip`/`tc` command may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a shard may take to be whole again inside a fault (wipe-shard's replicas).
const REBUILD_TIMEOUT: Duration = Duration::from_secs(90);
/// How long kill-supervisor looks for its shard's failover pending before killing anyway.
const PENDING_WAIT: Duration = Duration::from_millis(1500);
/// The delay and reorder the WAN gets.
const NETEM: [&str; 8] = ["delay", "40ms", "20ms", "reorder", "25%", "50%", "limit", "10000"];
/// Without `sch_netem`: a token bucket that lets 256 kbit/s through and queues the rest for
/// up to 2 s, so under the load the region's WAN traffic (both its syncer's stream to its
/// peers and its acknowledgements) waits in the queue: delay by queueing, no reordering.
const TBF: [&str; 6] = ["rate", "256kbit", "burst", "16kb", "latency", "2s"];

/// What one fault did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FaultRecord {
    pub index: usize,
    pub kind: String,
    pub region: String,
    pub shard: Option<u32>,
    /// When it was injected, ms since the run started.
    pub at_ms: u64,
    pub hold_ms: u64,
    /// What was done, each line with its time since the run started.
    pub actions: Vec<String>,
    /// Why it was not injected (the kernel lacks what it needs).
    pub skipped: Option<String>,
    /// What was injected instead of what the fault names, and why.
    pub substitute: Option<String>,
    /// When the fault was undone (a healed cut, a removed delay, a restarted supervisor).
    pub ended_ms: Option<u64>,
    /// From the fault to the database ready again (every shard with its master and replicas
    /// following, every peer link streaming).
    pub recovered_ms: Option<u64>,
    /// From the fault's end (its injection, for a kill) to ready again: the resync.
    pub resync_ms: Option<u64>,
    /// Writes in the target region: first refused or in doubt after the fault, first
    /// acknowledged after that, longest gap between two acknowledgements.
    pub first_error_ms: Option<u64>,
    pub writes_again_ms: Option<u64>,
    pub longest_gap_ms: Option<u64>,
    /// What the fault showed that is worth knowing (a bug).
    pub findings: Vec<String>,
}

/// The running parts a fault acts on.
pub struct Ctx<'a> {
    pub db: &'a mut ChaosDb,
    pub journal: &'a Journal,
    pub t0: Instant,
    pub kills: &'a mut Vec<Kill>,
}

impl Ctx<'_> {
    fn now_ms(&self) -> u64 {
        self.t0.elapsed().as_millis() as u64
    }

    fn note(&self, rec: &mut FaultRecord, text: impl Into<String>) {
        rec.actions.push(format!("{:>7} ms  {}", self.now_ms(), text.into()));
    }

    /// Kills `victims` (pid, address) with SIGKILL, then reads what every other node holds.
    fn kill_nodes(&mut self, rec: &mut FaultRecord, s: &Snapshot, victims: &[(u32, String)], explains: bool) {
        for (pid, addr) in victims {
            kill9(*pid);
            self.note(rec, format!("kill -9 datanode {addr} (pid {pid})"));
        }
        let at_ms = self.now_ms() + KILL_SETTLE.as_millis() as u64;
        let nodes: BTreeSet<String> = victims.iter().map(|(_, a)| a.clone()).collect();
        std::thread::sleep(KILL_SETTLE);
        let others: Vec<String> = all_members(s).map(|m| m.addr.clone()).filter(|a| !nodes.contains(a)).collect();
        let witness =
            if explains { Witness::take(&others, &Keys::of(&self.journal.writes())) } else { Witness::default() };
        self.note(
            rec,
            format!("witness: read {} surviving node(s), {} unreadable", witness.read.len(), witness.unreadable.len()),
        );
        self.kills.push(Kill { fault: rec.index, at_ms, nodes, explains, witness });
    }
}

pub fn all_members(s: &Snapshot) -> impl Iterator<Item = &MemberView> {
    s.regions.iter().flat_map(|r| r.shards.iter().flat_map(|sh| sh.members.iter()))
}

/// Injects `step` into the database whose status (ready) is `s`, holds it, and undoes what
/// needs undoing (a cut, a delay, a dead supervisor); the driver then waits for ready.
pub fn inject(ctx: &mut Ctx<'_>, step: &Step, s: &Snapshot) -> Result<FaultRecord> {
    let r = s.regions.get(step.region).ok_or_else(|| Error::Check(format!("no region #{}", step.region)))?;
    let mut rec = FaultRecord {
        index: step.index,
        kind: step.kind.name().into(),
        region: r.name.clone(),
        shard: step.shard,
        at_ms: ctx.now_ms(),
        hold_ms: step.hold_ms,
        ..Default::default()
    };
    let shard = step.shard.and_then(|i| r.shards.get(i as usize));
    let member = |o: Option<u32>| shard.and_then(|sh| o.and_then(|o| sh.members.get(o as usize)));
    let master = member(shard.and_then(|sh| sh.master));
    let pid_addr = |m: &MemberView| m.process.pid.map(|p| (p, m.addr.clone()));
    let hold = Duration::from_millis(step.hold_ms);
    match step.kind {
        FaultKind::KillMaster => {
            let victim = master.and_then(pid_addr).ok_or_else(|| missing("the shard's master", s))?;
            ctx.kill_nodes(&mut rec, s, &[victim], true);
            std::thread::sleep(hold);
        }
        FaultKind::KillShard => {
            let victims: Vec<(u32, String)> =
                shard.map(|sh| sh.members.iter().filter_map(pid_addr).collect()).unwrap_or_default();
            ctx.kill_nodes(&mut rec, s, &victims, true);
            std::thread::sleep(hold);
        }
        FaultKind::WipeShard => {
            let replicas: Vec<(u32, String)> = shard
                .map(|sh| sh.members.iter().filter(|m| Some(m.ordinal) != sh.master).filter_map(pid_addr).collect())
                .unwrap_or_default();
            ctx.kill_nodes(&mut rec, s, &replicas, true);
            let name = r.name.clone();
            let t = Instant::now();
            // Ready again, with every killed replica running as a new process (the status
            // may still show the old ones for a pass).
            let killed: Vec<u32> = replicas.iter().map(|(p, _)| *p).collect();
            let s2 = ctx.db.wait(REBUILD_TIMEOUT, "the wiped replicas rebuilt from the master", |s| {
                region(s, &name).is_some_and(|r| {
                    let restarted = r
                        .shards
                        .iter()
                        .flat_map(|sh| sh.members.iter())
                        .all(|m| m.process.pid.is_some_and(|p| !killed.contains(&p)));
                    r.ready && restarted
                })
            })?;
            ctx.note(&mut rec, format!("replicas rebuilt from the master in {} ms", t.elapsed().as_millis()));
            let r2 = region(&s2, &name).ok_or_else(|| missing("the region", &s2))?;
            let sh2 = step.shard.and_then(|i| r2.shards.get(i as usize));
            let victim = sh2
                .and_then(|sh| sh.master.and_then(|o| sh.members.get(o as usize)))
                .and_then(pid_addr)
                .ok_or_else(|| missing("the shard's master", &s2))?;
            ctx.kill_nodes(&mut rec, &s2, &[victim], true);
            std::thread::sleep(hold);
        }
        FaultKind::KillSyncer => {
            let pid = r.syncer.pid.ok_or_else(|| missing("the syncer", s))?;
            kill9(pid);
            ctx.note(&mut rec, format!("kill -9 syncer of {} (pid {pid})", r.name));
            std::thread::sleep(hold);
        }
        FaultKind::Partition => {
            ctx.db.cut(&r.name)?;
            ctx.note(&mut rec, format!("local cut {}", r.name));
            std::thread::sleep(hold);
            ctx.db.heal(&r.name)?;
            rec.ended_ms = Some(ctx.now_ms());
            ctx.note(&mut rec, format!("local heal {}", r.name));
        }
        FaultKind::WanDelay => {
            let ns = ctx.db.namespace(r.id);
            let qdisc = ["ip", "netns", "exec", &ns, "tc", "qdisc", "replace", "dev", "wan0", "root"];
            let netem: Vec<&str> = qdisc.iter().copied().chain(["netem"]).chain(NETEM).collect();
            let added = match run_tool(&netem) {
                Ok(_) => format!("netem {}", NETEM.join(" ")),
                Err(e) if e.contains("kind is unknown") || e.contains("Unknown qdisc") => {
                    let tbf: Vec<&str> = qdisc.iter().copied().chain(["tbf"]).chain(TBF).collect();
                    run_tool(&tbf).map_err(Error::Check)?;
                    rec.substitute = Some(format!(
                        "no sch_netem in this kernel (tc: {e:?}), so no added latency and no reordering: \
                         delayed by queueing instead, tbf {} on {}'s WAN interface",
                        TBF.join(" "),
                        r.name
                    ));
                    format!("tbf {}", TBF.join(" "))
                }
                Err(e) => return Err(Error::Check(e)),
            };
            ctx.note(&mut rec, format!("{added} on {}'s WAN", r.name));
            std::thread::sleep(hold);
            run_tool(&["ip", "netns", "exec", &ns, "tc", "qdisc", "del", "dev", "wan0", "root"])
                .map_err(Error::Check)?;
            rec.ended_ms = Some(ctx.now_ms());
            ctx.note(&mut rec, "qdisc removed");
        }
        FaultKind::KillSupervisor => kill_supervisor(ctx, &mut rec, s, step)?,
    }
    Ok(rec)
}

/// Kills the shard's master, then the supervisor while it waits out the grace period, then
/// starts local mode again on the same directory: it must adopt every child that still runs
/// (nothing started twice, no datanode back empty) and finish the failover.
fn kill_supervisor(ctx: &mut Ctx<'_>, rec: &mut FaultRecord, s: &Snapshot, step: &Step) -> Result<()> {
    let r = s.regions.get(step.region).ok_or_else(|| missing("the region", s))?;
    let shard = step.shard.and_then(|i| r.shards.get(i as usize)).ok_or_else(|| missing("the shard", s))?;
    let victim = shard
        .master
        .and_then(|o| shard.members.get(o as usize))
        .and_then(|m| m.process.pid.map(|p| (p, m.addr.clone())))
        .ok_or_else(|| missing("the shard's master", s))?;
    let victim_pid = victim.0;
    ctx.kill_nodes(rec, s, &[victim], true);
    let (name, index) = (r.name.clone(), shard.index);
    // The supervisor notices the death within a pass (500 ms) and then waits out the grace
    // period: kill it in that window. A status poll (a process of its own) can miss a window
    // of 2 s on a loaded machine, so it is killed anyway after `PENDING_WAIT`, and the record
    // says whether the failover was seen pending.
    let pending = ctx.db.wait(PENDING_WAIT, "the failover pending", |s| {
        region(s, &name).and_then(|r| r.shards.get(index as usize)).is_some_and(|sh| sh.state.contains("failover in"))
    });
    let seen = match &pending {
        Ok(_) => "while it waits for its failover".to_string(),
        Err(_) => format!("(its failover was not seen pending within {PENDING_WAIT:?}: killed anyway)"),
    };
    let now = pending.as_ref().unwrap_or(s);
    let sup = s.pid;
    let before: Vec<u32> = all_members(now)
        .filter_map(|m| m.process.pid)
        .chain(now.regions.iter().filter_map(|r| r.syncer.pid))
        .filter(|p| *p != victim_pid)
        .collect();
    kill9(sup);
    ctx.note(rec, format!("kill -9 supervisor (pid {sup}), {name} shard {index} {seen}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while running(sup) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let alive: Vec<u32> = before.iter().copied().filter(|p| running(*p)).collect();
    ctx.note(rec, format!("{} of {} processes still run without a supervisor", alive.len(), before.len()));
    let out = ctx.db.up()?;
    rec.ended_ms = Some(ctx.now_ms());
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    ctx.note(rec, format!("local FILE --netns --detach again: {} {}", out.status, text.lines().last().unwrap_or("")));
    if !out.status.success() {
        return Err(Error::Check(format!(
            "local mode does not start again on the directory of a killed supervisor: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let after = ctx.db.status()?;
    let now: BTreeSet<u32> = all_members(&after)
        .filter_map(|m| m.process.pid)
        .chain(after.regions.iter().filter_map(|r| r.syncer.pid))
        .collect();
    let adopted = alive.iter().filter(|p| now.contains(p)).count();
    ctx.note(rec, format!("the new supervisor (pid {}) adopted {adopted} of them", after.pid));
    if alive.len() != before.len() || adopted != alive.len() {
        return Err(Error::Check(format!(
            "the killed supervisor's children: {} of {} survived it, {adopted} adopted by the next one",
            alive.len(),
            before.len()
        )));
    }
    Ok(())
}

fn missing(what: &str, s: &Snapshot) -> Error {
    Error::Check(format!("{what} has no running process:\n{}", super::cluster::summary(s)))
}

/// Whether `pid` runs (a zombie, dead but not reaped yet, does not).
fn running(pid: u32) -> bool {
    Identity::of(pid).is_some()
}

pub fn kill9(pid: u32) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

/// Runs a tool to completion within `TOOL_TIMEOUT`: its stdout, or its stderr as the error.
pub fn run_tool(argv: &[&str]) -> std::result::Result<String, String> {
    let (program, args) = argv.split_first().ok_or("empty command")?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    let deadline = Instant::now() + TOOL_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{}` did not finish within {TOOL_TIMEOUT:?}", argv.join(" ")));
            }
        }
    }
    let out = child.wait_with_output().map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}
