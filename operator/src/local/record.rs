//! What the state directory records about the running processes, so that a supervisor killed
//! with SIGKILL can be replaced without losing data: every child's pid and start time (its
//! `Identity`), the masters the supervisor chose (as the operator records them in status), the
//! cut regions and the namespaces. The next `local` run on the directory reads it and *adopts*
//! the live children (`plan`, pure) instead of starting empty datanodes; `local stop` stops
//! them even when no supervisor runs. Written atomically whenever it changes, removed when
//! the supervisor stops its children.

use std::collections::BTreeMap;
use std::path::Path;

use super::child::Identity;
use super::state_dir::write_atomic;
use crate::failover::Recorded;

/// The file's name in the state directory.
pub const FILE: &str = "children.json";

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub database: String,
    /// The placement options it runs with (`UpArgs::placement_options`): a re-run with other
    /// options cannot adopt.
    pub options: String,
    pub children: Vec<RecordedChild>,
    /// Per region, per shard: the master chosen (ordinal, actor).
    pub masters: BTreeMap<String, Vec<Option<RecordedMaster>>>,
    /// Region ids whose WAN links are cut.
    pub cut: Vec<u8>,
    /// `--netns`: the namespaces and the bridge, removed by `local stop`.
    pub namespaces: Vec<String>,
    pub bridge: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordedChild {
    pub region: String,
    /// `datanode-S-O` or `syncer`.
    pub name: String,
    /// `None` while it is down (a dead master held during its grace period): recorded all
    /// the same, so the next supervisor holds it too instead of starting it as a new child.
    pub identity: Option<Identity>,
    pub args: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordedMaster {
    pub ordinal: u32,
    pub actor: String,
}

impl From<&Recorded> for RecordedMaster {
    fn from(r: &Recorded) -> Self {
        RecordedMaster { ordinal: r.ordinal, actor: r.actor.clone() }
    }
}

impl From<&RecordedMaster> for Recorded {
    fn from(r: &RecordedMaster) -> Self {
        Recorded { ordinal: r.ordinal, actor: r.actor.clone() }
    }
}

impl Record {
    pub fn path(dir: &Path) -> std::path::PathBuf {
        dir.join(FILE)
    }

    /// The record in `dir`; `None` if there is none (or it cannot be read: nothing to adopt).
    pub fn read(dir: &Path) -> Option<Record> {
        let text = std::fs::read_to_string(Record::path(dir)).ok()?;
        match serde_json::from_str(&text) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(error = %e, "ignoring an unreadable {FILE}");
                None
            }
        }
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn write_text(dir: &Path, text: &str) -> std::io::Result<()> {
        write_atomic(&Record::path(dir), text)
    }

    pub fn remove(dir: &Path) {
        let _ = std::fs::remove_file(Record::path(dir));
    }

    /// The recorded children that still run (`alive` says; `Identity::alive` in the program).
    pub fn live(&self, alive: impl Fn(&Identity) -> bool) -> Vec<Identity> {
        self.children.iter().filter_map(|c| c.identity.filter(&alive)).collect()
    }
}

/// What a new supervisor does with one child it wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// It runs, as recorded: take it over.
    Adopt(Identity),
    /// It was recorded and died meanwhile: start it (a datanode is held by the failover
    /// rules like any dead member).
    Dead,
    /// Never recorded: start it.
    New,
}

/// What to do with the recorded processes, decided before anything starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adoption {
    /// Per (region, child name).
    pub fates: BTreeMap<(String, String), Fate>,
    /// Live recorded processes that the new supervisor does not want as they are (a region or
    /// member gone from the manifest, a syncer whose command line changed): stopped first.
    pub stale: Vec<RecordedChild>,
    /// The masters to start from.
    pub masters: BTreeMap<String, Vec<Option<Recorded>>>,
    pub cut: Vec<u8>,
}

impl Adoption {
    pub fn fate(&self, region: &str, name: &str) -> Fate {
        self.fates.get(&(region.to_string(), name.to_string())).cloned().unwrap_or(Fate::New)
    }

    /// Whether anything is taken over (the namespaces and the bridge are then kept).
    pub fn adopts_any(&self) -> bool {
        self.fates.values().any(|f| matches!(f, Fate::Adopt(_)))
    }

    pub fn adopts_in(&self, region: &str) -> bool {
        self.fates.iter().any(|((r, _), f)| r == region && matches!(f, Fate::Adopt(_)))
    }
}

/// Decides, for every child the new supervisor wants (`(region, name, args)`), whether to
/// adopt the recorded process: a live one is adopted when it is the same program, which for a
/// datanode is its name (new arguments take effect at its next start, as for a running
/// supervisor) and for a syncer also its arguments (a syncer with other peers is replaced).
/// Live recorded processes nobody wants are stale. Recorded masters carry over for the
/// regions with an adopted member (a dead master then waits out its grace period like any
/// dead master); with nothing adopted, everything starts over.
pub fn plan(record: &Record, wanted: &[(String, String, Vec<String>)], alive: impl Fn(&Identity) -> bool) -> Adoption {
    let mut out = Adoption::default();
    let mut taken: Vec<bool> = vec![false; record.children.len()];
    for (region, name, args) in wanted {
        let found = record.children.iter().position(|c| &c.region == region && &c.name == name);
        let recorded = found.and_then(|i| Some((i, record.children.get(i)?)));
        let fate = match recorded {
            Some((i, c)) => match c.identity.filter(&alive) {
                // A datanode is its name (new arguments wait for its next start, as with a
                // running supervisor); a syncer with other arguments is replaced.
                Some(id) if name.starts_with("datanode-") || &c.args == args => {
                    if let Some(t) = taken.get_mut(i) {
                        *t = true;
                    }
                    Fate::Adopt(id)
                }
                Some(_) => Fate::New,
                None => Fate::Dead,
            },
            None => Fate::New,
        };
        out.fates.insert((region.clone(), name.clone()), fate);
    }
    out.stale = record
        .children
        .iter()
        .zip(&taken)
        .filter(|(c, taken)| !**taken && c.identity.as_ref().is_some_and(&alive))
        .map(|(c, _)| c.clone())
        .collect();
    for (region, shards) in &record.masters {
        if !out.adopts_in(region) {
            continue;
        }
        out.masters.insert(region.clone(), shards.iter().map(|m| m.as_ref().map(Recorded::from)).collect());
    }
    if out.adopts_any() {
        out.cut = record.cut.clone();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(region: &str, name: &str, pid: u32, args: &[&str]) -> RecordedChild {
        RecordedChild {
            region: region.into(),
            name: name.into(),
            identity: Some(Identity { pid, start: u64::from(pid) * 10 }),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn want(region: &str, name: &str, args: &[&str]) -> (String, String, Vec<String>) {
        (region.into(), name.into(), args.iter().map(|a| a.to_string()).collect())
    }

    fn record() -> Record {
        Record {
            database: "cache".into(),
            options: "--netns".into(),
            children: vec![
                child("r1", "datanode-0-0", 100, &["--port", "1"]),
                child("r1", "datanode-0-1", 101, &["--port", "2"]),
                child("r1", "syncer", 102, &["--peer", "r2"]),
                child("r2", "datanode-0-0", 200, &["--port", "3"]),
                child("r2", "syncer", 202, &["--peer", "r1"]),
                child("r3", "datanode-0-0", 300, &[]),
            ],
            masters: BTreeMap::from([
                ("r1".into(), vec![Some(RecordedMaster { ordinal: 0, actor: "a1".into() })]),
                ("r2".into(), vec![Some(RecordedMaster { ordinal: 0, actor: "a2".into() })]),
            ]),
            cut: vec![2],
            namespaces: vec![],
            bridge: None,
        }
    }

    #[test]
    fn live_children_are_adopted_dead_ones_restarted_and_unwanted_ones_stopped() {
        // r1's master died while no supervisor ran; r3 left the manifest; r2's syncer gets
        // new peers; r1's replica gets new arguments.
        let alive = |id: &Identity| id.pid != 100;
        let wanted = [
            want("r1", "datanode-0-0", &["--port", "1"]),
            want("r1", "datanode-0-1", &["--port", "2", "--backlog", "9"]),
            want("r1", "syncer", &["--peer", "r2"]),
            want("r2", "datanode-0-0", &["--port", "3"]),
            want("r2", "syncer", &["--peer", "r1", "--peer", "r4"]),
            want("r4", "datanode-0-0", &[]),
        ];
        let a = plan(&record(), &wanted, alive);
        assert_eq!(a.fate("r1", "datanode-0-0"), Fate::Dead);
        assert_eq!(a.fate("r1", "datanode-0-1"), Fate::Adopt(Identity { pid: 101, start: 1010 }));
        assert_eq!(a.fate("r1", "syncer"), Fate::Adopt(Identity { pid: 102, start: 1020 }));
        assert_eq!(a.fate("r2", "datanode-0-0"), Fate::Adopt(Identity { pid: 200, start: 2000 }));
        assert_eq!(a.fate("r2", "syncer"), Fate::New);
        assert_eq!(a.fate("r4", "datanode-0-0"), Fate::New);
        let stale: Vec<(&str, u32)> =
            a.stale.iter().map(|c| (c.region.as_str(), c.identity.map_or(0, |i| i.pid))).collect();
        assert_eq!(stale, [("r2", 202), ("r3", 300)]);
        // The masters carry over, so r1's dead master waits out its grace period instead of
        // coming back empty as master; the cut stays.
        assert_eq!(a.masters["r1"], vec![Some(Recorded { ordinal: 0, actor: "a1".into() })]);
        assert_eq!(a.cut, vec![2]);
        assert!(a.adopts_any() && a.adopts_in("r2") && !a.adopts_in("r4"));
    }

    #[test]
    fn a_member_recorded_while_down_stays_down_for_the_next_supervisor() {
        // The supervisor was killed while r1's master was dead and held for its failover.
        let mut r = record();
        r.children[0].identity = None;
        let wanted = [want("r1", "datanode-0-0", &["--port", "1"]), want("r1", "datanode-0-1", &["--port", "2"])];
        let a = plan(&r, &wanted, |_| true);
        assert_eq!(a.fate("r1", "datanode-0-0"), Fate::Dead, "not started as a new, empty master");
        assert_eq!(a.masters["r1"], vec![Some(Recorded { ordinal: 0, actor: "a1".into() })]);
        assert_eq!(r.live(|_| true).len(), 5);
    }

    #[test]
    fn nothing_alive_means_a_fresh_start() {
        let wanted = [want("r1", "datanode-0-0", &["--port", "1"]), want("r1", "syncer", &["--peer", "r2"])];
        let a = plan(&record(), &wanted, |_| false);
        assert_eq!(a.fate("r1", "datanode-0-0"), Fate::Dead);
        assert!(a.stale.is_empty() && a.masters.is_empty() && a.cut.is_empty() && !a.adopts_any());
        let a = plan(&Record::default(), &wanted, |_| true);
        assert_eq!(a.fate("r1", "syncer"), Fate::New);
    }

    #[test]
    fn a_reused_pid_is_not_the_recorded_process() {
        let id = Identity::of(std::process::id()).unwrap();
        assert!(id.alive());
        assert!(!Identity { pid: id.pid, start: id.start + 1 }.alive(), "another start time, another process");
    }

    #[test]
    fn the_record_round_trips() {
        let dir = std::env::temp_dir().join(format!("meridian-record-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let r = record();
        Record::write_text(&dir, &r.to_text()).unwrap();
        assert_eq!(Record::read(&dir), Some(r));
        Record::remove(&dir);
        assert_eq!(Record::read(&dir), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
