//! A run's report: `report.json` (everything) and `report.txt` (for people), in a directory
//! of its own under the report root, named by the run and its seed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::check::{Finding, LISTED, Verdict};
use super::faults::FaultRecord;

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    pub name: String,
    pub seed: u64,
    pub replay: String,
    pub manifest: String,
    /// Local mode's state directory (every process's log), kept when the run fails.
    pub state_dir: String,
    pub started_unix_ms: u64,
    pub duration_ms: u64,
    /// From the load's end (everything healed) to one digest per slot range on every node.
    pub converged_ms: Option<u64>,
    pub digests_match: bool,
    /// Per slot range, the digests seen at the end (node → digest).
    pub digests: Vec<(String, Vec<(String, String)>)>,
    /// Keys of the load on which the nodes serving them disagreed at the end (across
    /// regions, whatever their layouts).
    pub disagreements: Vec<String>,
    pub faults: Vec<FaultRecord>,
    /// Kills of datanodes: fault, time, nodes, whether they explain losses.
    pub kills: Vec<super::check::Kill>,
    pub writes_by_region: Vec<(String, usize, usize)>,
    pub verdict: Verdict,
    /// For a few keys with lost writes, what every node holds of them.
    pub lost_samples: Vec<String>,
    /// Errors of the run itself (the database not ready in time, ...): each fails it.
    pub errors: Vec<String>,
    /// Processes, namespaces or bridges left after `local stop`: each fails the run.
    pub leftovers: Vec<String>,
    /// Write errors by message (refused or in doubt), most frequent first.
    pub write_errors: Vec<(String, usize)>,
    #[serde(skip)]
    pub dir: PathBuf,
}

impl Report {
    /// Whether the run passes: nothing lost, nothing odd, converged, no error, nothing left.
    pub fn passed(&self) -> bool {
        self.verdict.clean() && self.converged_ms.is_some() && self.errors.is_empty() && self.leftovers.is_empty()
    }

    /// Writes both files into `root/<name>-<seed>-<time>/` and returns that directory.
    pub fn write(&mut self, root: &Path) -> std::io::Result<PathBuf> {
        let dir = root.join(format!("{}-{}-{}", self.name, self.seed, self.started_unix_ms));
        std::fs::create_dir_all(&dir)?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("report.json"), json)?;
        std::fs::write(dir.join("report.txt"), self.text())?;
        self.dir = dir.clone();
        Ok(dir)
    }

    pub fn text(&self) -> String {
        let mut t = String::new();
        let v = &self.verdict;
        let _ = writeln!(t, "chaos run {} — {}", self.name, if self.passed() { "PASSED" } else { "FAILED" });
        let _ = writeln!(t, "seed {}  (replay: {})", self.seed, self.replay);
        let _ = writeln!(t, "duration {:.1} s", self.duration_ms as f64 / 1000.0);
        if !self.passed() {
            let _ = writeln!(t, "logs of every process: {}/regions/*/", self.state_dir);
        }
        let _ = writeln!(
            t,
            "\nfaults (times in ms since the load started; ready = every shard with its master and following replicas, every peer link streaming; failover = from the fault to writes acknowledged again in the faulted region/shard):"
        );
        for f in &self.faults {
            let shard = f.shard.map_or_else(String::new, |s| format!(" shard {s}"));
            let _ =
                writeln!(t, "  #{} {} {}{} at {} ms, hold {} ms", f.index, f.kind, f.region, shard, f.at_ms, f.hold_ms);
            if let Some(s) = &f.skipped {
                let _ = writeln!(t, "      SKIPPED: {s}");
                continue;
            }
            if let Some(s) = &f.substitute {
                let _ = writeln!(t, "      INSTEAD: {s}");
            }
            let ms = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| format!("{v} ms"));
            let _ = writeln!(
                t,
                "      ready again {} after the fault ({} after its end), first write error {}, failover (writes again) {}, longest write gap {}",
                ms(f.recovered_ms),
                ms(f.resync_ms),
                ms(f.first_error_ms),
                ms(f.writes_again_ms),
                ms(f.longest_gap_ms)
            );
            for a in &f.actions {
                let _ = writeln!(t, "      {a}");
            }
            for x in &f.findings {
                let _ = writeln!(t, "      FINDING: {x}");
            }
        }
        let _ = writeln!(
            t,
            "\nwrites: {} acknowledged, {} in doubt (connection lost), {} refused",
            v.acknowledged, v.ambiguous, v.refused
        );
        for (r, acked, all) in &self.writes_by_region {
            let _ = writeln!(t, "  {r}: {acked} acknowledged of {all}");
        }
        for (e, n) in self.write_errors.iter().take(10) {
            let _ = writeln!(t, "  {n:>6} × {e}");
        }
        let _ = writeln!(t, "verified on every node: {} acknowledged writes", v.verified);
        let conv = self
            .converged_ms
            .map_or_else(|| "NOT converged".to_string(), |c| format!("converged {c} ms after the load stopped"));
        let _ = writeln!(
            t,
            "digests: {} ({conv})",
            if self.digests_match { "one per slot range on every node" } else { "DIFFER" }
        );
        if !self.digests_match {
            for (slots, nodes) in &self.digests {
                let _ = writeln!(t, "  slots {slots}: {nodes:?}");
            }
        }
        if !self.disagreements.is_empty() {
            let _ = writeln!(t, "keys the nodes serving them disagree on: {}", self.disagreements.len());
            for d in self.disagreements.iter().take(LISTED) {
                let _ = writeln!(t, "  {d}");
            }
        }
        section(&mut t, "LOST acknowledged writes", &v.lost);
        if !self.lost_samples.is_empty() {
            let _ = writeln!(t, "\nwhat the nodes hold of some keys with lost writes:");
            for l in &self.lost_samples {
                let _ = writeln!(t, "  {l}");
            }
        }
        section(&mut t, "ANOMALIES", &v.anomalies);
        section(
            &mut t,
            "lost with their node (killed before any other copy had them: no persistence, documented)",
            &v.lost_with_node,
        );
        for e in &self.errors {
            let _ = writeln!(t, "ERROR: {e}");
        }
        for l in &self.leftovers {
            let _ = writeln!(t, "LEFT BEHIND: {l}");
        }
        t
    }
}

fn section(t: &mut String, title: &str, items: &[Finding]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(t, "\n{title}: {}", items.len());
    for f in items.iter().take(LISTED) {
        let write = f.write.as_ref().map_or_else(String::new, |w| {
            format!(" [{} writer {} #{}: {} acked at {} ms by {}]", w.region, w.writer, w.seq, w.op, w.acked_ms, w.node)
        });
        let _ = writeln!(t, "  {}: {}{} on {}", f.key, f.detail, write, f.nodes.join(", "));
    }
    if items.len() > LISTED {
        let _ = writeln!(t, "  ... and {} more (report.json has them all)", items.len() - LISTED);
    }
}
