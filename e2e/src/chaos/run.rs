//! The driver: start the database, start the load, inject the schedule's faults one after
//! another (each once the database is ready, each followed by a bounded wait until it is
//! ready again), heal everything, stop the load, wait for convergence, read every node, judge,
//! stop local mode, and write the report. A run that goes wrong half-way still judges what it
//! can and writes its report; the error is in it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use meridian_operator::local::snapshot::Snapshot;

use super::agree;
use super::check::{self, Kill};
use super::cluster::ChaosDb;
use super::config::Config;
use super::faults::{self, Ctx, FaultRecord, all_members};
use super::journal::{Outcome, Write};
use super::load::{Load, RegionLoad};
use super::measure;
use super::observe::{self, Keys};
use super::report::Report;
use super::schedule::Schedule;
use crate::{Error, Result};

/// How long the database may take to be ready before a fault or after one.
const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// How long the load runs before the first fault.
const WARM_UP: Duration = Duration::from_secs(1);
/// How long the regions may take to converge once every fault is undone and the load stopped.
const CONVERGE_TIMEOUT: Duration = Duration::from_secs(90);
/// How long `CHAOS_HOLD` keeps a run that did not converge.
const HOLD_AT_MOST: Duration = Duration::from_secs(1800);

/// Runs one chaos run and writes its report (the returned report knows where).
pub fn run(cfg: &Config, test: &str) -> Result<Report> {
    let started_unix_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
    let mut report = Report {
        name: cfg.name.clone(),
        seed: cfg.seed,
        replay: cfg.replay(test),
        manifest: cfg.manifest(),
        started_unix_ms,
        ..Default::default()
    };
    let dir = std::env::temp_dir().join(format!("mc-{}-{}", cfg.name, std::process::id()));
    report.state_dir = dir.display().to_string();
    let mut db = ChaosDb::start(&dir, &cfg.manifest())?;
    let s = db.status()?;
    let t0 = Instant::now();
    let regions: Vec<RegionLoad> = s
        .regions
        .iter()
        .map(|r| RegionLoad {
            region: r.name.clone(),
            nodes: r.shards.iter().flat_map(|sh| sh.members.iter().map(|m| m.addr.clone())).collect(),
        })
        .collect();
    let load = Load::start(&regions, cfg.writers_per_region, cfg.pause, cfg.seed, t0);
    std::thread::sleep(WARM_UP);
    let mut kills: Vec<Kill> = vec![];
    let mut slots: Vec<Option<(u16, u16)>> = vec![];
    let mut schedule = Schedule::new(cfg.seed, &cfg.kinds, &cfg.shards, cfg.hold_ms);
    let more = |n: usize| n < cfg.rounds || cfg.seconds.is_some_and(|s| t0.elapsed() < Duration::from_secs(s));
    let mut n = 0;
    while more(n) {
        let Some(step) = schedule.next() else { break };
        n += 1;
        let before = match db.wait(READY_TIMEOUT, &format!("ready before fault #{}", step.index), |s| s.ready) {
            Ok(s) => s,
            Err(e) => {
                report.errors.push(e.to_string());
                break;
            }
        };
        let shard_slots = step
            .shard
            .and_then(|i| before.regions.get(step.region)?.shards.get(i as usize))
            .and_then(|sh| measure::parse_slots(&sh.slots));
        let mut ctx = Ctx { db: &mut db, journal: &load.journal, t0, kills: &mut kills };
        let mut rec = match faults::inject(&mut ctx, &step, &before) {
            Ok(rec) => rec,
            Err(e) => {
                report.errors.push(format!("fault #{} ({}): {e}", step.index, step.kind.name()));
                break;
            }
        };
        eprintln!("chaos: fault #{} {} {} done at {} ms", rec.index, rec.kind, rec.region, t0.elapsed().as_millis());
        match db.wait(READY_TIMEOUT, &format!("ready after fault #{} ({})", step.index, step.kind.name()), |s| s.ready)
        {
            Ok(_) => {
                let now = t0.elapsed().as_millis() as u64;
                rec.recovered_ms = Some(now.saturating_sub(rec.at_ms));
                rec.resync_ms = Some(now.saturating_sub(rec.ended_ms.unwrap_or(rec.at_ms)));
            }
            Err(e) => report.errors.push(e.to_string()),
        }
        report.faults.push(rec);
        slots.push(shard_slots);
        if !report.errors.is_empty() {
            break;
        }
    }
    heal_everything(&db, &mut report);
    std::thread::sleep(Duration::from_secs(1));
    let journal = load.stop();
    let load_end = Instant::now();
    let writes = journal.writes();
    measure_faults(&mut report.faults, &slots, &writes, t0.elapsed().as_millis() as u64);
    let final_status = db.wait(READY_TIMEOUT, "ready after the schedule", |s| s.ready);
    let status = match final_status {
        Ok(s) => s,
        Err(e) => {
            report.errors.push(e.to_string());
            db.status().unwrap_or_default()
        }
    };
    let keys = Keys::of(&writes);
    converge(&status, &keys, &mut report, load_end);
    if report.converged_ms.is_none() && cfg.hold {
        hold(&dir);
    }
    let (finals, read_errors) = read_every_node(&status, &keys);
    report.errors.extend(read_errors.into_iter().map(|e| format!("final read: {e}")));
    report.disagreements = agree::disagreements(&finals);
    report.verdict = check::judge(&writes, &kills, &finals);
    report.lost_samples = lost_samples(&report.verdict, &finals);
    report.kills = kills;
    report.writes_by_region = by_region(&writes);
    report.write_errors = write_errors(&writes);
    report.duration_ms = t0.elapsed().as_millis() as u64;
    if let Err(e) = db.stop() {
        report.errors.push(e.to_string());
    }
    report.leftovers = leftovers_after_stop(&db);
    drop(db);
    report.write(&cfg.report_root).map_err(|e| Error::Check(format!("writing the report: {e}")))?;
    // The processes' logs stay for a failed run's post-mortem (the report names the directory).
    if report.passed() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(report)
}

/// Undoes every cut and delay, whatever the schedule did last.
fn heal_everything(db: &ChaosDb, report: &mut Report) {
    let Ok(s) = db.status() else { return };
    for r in &s.regions {
        if r.cut {
            if let Err(e) = db.heal(&r.name) {
                report.errors.push(format!("heal {}: {e}", r.name));
            }
        }
        let ns = db.namespace(r.id);
        let _ = faults::run_tool(&["ip", "netns", "exec", &ns, "tc", "qdisc", "del", "dev", "wan0", "root"]);
    }
}

/// Keeps the database as it is (bounded) until the `HOLD` file in `dir` is removed.
fn hold(dir: &std::path::Path) {
    let flag = dir.join("HOLD");
    if std::fs::write(&flag, "remove this file to let the run finish\n").is_err() {
        return;
    }
    eprintln!("chaos: HOLD: not converged; inspect, then rm {}", flag.display());
    let until = Instant::now() + HOLD_AT_MOST;
    while flag.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// What every node holds of the load's keys, and the nodes that could not be read.
fn read_every_node(s: &Snapshot, keys: &Keys) -> (Vec<(String, observe::NodeData)>, Vec<String>) {
    let (mut finals, mut errors) = (vec![], vec![]);
    for m in all_members(s) {
        match observe::read(&m.addr, keys) {
            Ok(d) => finals.push((m.addr.clone(), d)),
            Err(e) => errors.push(e),
        }
    }
    (finals, errors)
}

/// Waits (bounded) until every node of each slot range has one digest and every node serving
/// a key of the load holds the same value of it (regions with other layouts compare only so).
fn converge(s: &Snapshot, keys: &Keys, report: &mut Report, since: Instant) {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &s.regions {
        for sh in &r.shards {
            groups.entry(sh.slots.clone()).or_default().extend(sh.members.iter().map(|m| m.addr.clone()));
        }
    }
    let deadline = Instant::now() + CONVERGE_TIMEOUT;
    loop {
        let seen: Vec<(String, Vec<(String, String)>)> = groups
            .iter()
            .map(|(slots, nodes)| {
                let ds =
                    nodes.iter().map(|n| (n.clone(), observe::digest(n).unwrap_or_else(|e| format!("error: {e}"))));
                (slots.clone(), ds.collect())
            })
            .collect();
        let one = seen
            .iter()
            .all(|(_, ds)| ds.windows(2).all(|p| p[0].1 == p[1].1) && !ds.iter().any(|d| d.1.starts_with("error")));
        report.digests = seen;
        report.digests_match = one;
        if one {
            let (finals, errors) = read_every_node(s, keys);
            if errors.is_empty() && agree::disagreements(&finals).is_empty() {
                report.converged_ms = Some(since.elapsed().as_millis() as u64);
                return;
            }
        }
        if Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn measure_faults(faults: &mut [FaultRecord], slots: &[Option<(u16, u16)>], writes: &[Write], end_ms: u64) {
    let ends: Vec<u64> = faults.iter().skip(1).map(|f| f.at_ms).chain([end_ms]).collect();
    for ((f, to), slots) in faults.iter_mut().zip(ends).zip(slots) {
        let o = measure::outage(writes, &f.region, *slots, f.at_ms, to);
        f.first_error_ms = o.first_error_ms;
        f.writes_again_ms = o.writes_again_ms;
        f.longest_gap_ms = o.longest_gap_ms;
    }
}

/// Keys with lost writes described here, with what every node holds of them.
const LOST_SAMPLES: usize = 6;

/// For a few keys with lost writes, what each node holds of the key: enough to tell a key
/// gone everywhere from a member missing on one node, or an older value that won.
fn lost_samples(v: &check::Verdict, finals: &[(String, observe::NodeData)]) -> Vec<String> {
    let mut keys: Vec<&str> = vec![];
    for f in &v.lost {
        if !keys.contains(&f.key.as_str()) && keys.len() < LOST_SAMPLES {
            keys.push(&f.key);
        }
    }
    let mut out = vec![];
    for key in keys {
        let missing: Vec<String> =
            v.lost.iter().filter(|f| f.key == key).filter_map(|f| f.write.as_ref().map(|w| w.op.clone())).collect();
        out.push(format!(
            "{key}: {} lost write(s), e.g. {:?}",
            missing.len(),
            missing.iter().take(3).collect::<Vec<_>>()
        ));
        for (addr, d) in finals {
            let held = if !d.served.contains(key) {
                "not served".to_string()
            } else if let Some(m) = d.sets.get(key) {
                format!("set of {} members, first {:?}", m.len(), m.iter().take(3).collect::<Vec<_>>())
            } else if let Some(r) = d.registers.get(key) {
                format!("register {r:?}")
            } else if let Some(h) = d.hashes.get(key) {
                format!("hash {h:?}")
            } else if let Some(c) = d.counters.get(key) {
                format!("counter {c}")
            } else {
                "absent".to_string()
            };
            out.push(format!("    {addr}: {held}"));
        }
    }
    out
}

fn by_region(writes: &[Write]) -> Vec<(String, usize, usize)> {
    let mut m: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for w in writes {
        let e = m.entry(w.region.clone()).or_default();
        e.1 += 1;
        if w.acked() {
            e.0 += 1;
        }
    }
    m.into_iter().map(|(r, (a, n))| (r, a, n)).collect()
}

fn write_errors(writes: &[Write]) -> Vec<(String, usize)> {
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for w in writes {
        let e = match &w.outcome {
            Outcome::Acked { .. } => continue,
            Outcome::Ambiguous { error, .. } => format!("in doubt: {}", generic(error)),
            Outcome::Refused { error } => format!("refused: {}", generic(error)),
        };
        *m.entry(e).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// An error message without its address and numbers, so that alike errors count together.
fn generic(e: &str) -> String {
    let e = e.split_once(": ").map_or(e, |(head, rest)| if head.contains(':') { rest } else { e });
    e.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
}

/// What `local stop` left: give the supervisor's children a moment to be reaped.
fn leftovers_after_stop(db: &ChaosDb) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = db.leftovers();
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
