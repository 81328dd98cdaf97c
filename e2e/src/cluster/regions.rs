//! `PodRegions`: several regions, each its own one-node cluster, joined by one WAN. Regions
//! start one after the other (two cores cannot start three API servers at once any faster)
//! and stop in reverse order, the WAN last.

use std::path::Path;

use tempfile::TempDir;

use super::region::{Leftovers, RegionCluster};
use super::tools::ImageArchives;
use super::wan::Wan;
use crate::kube::{Error, Result};

#[derive(Debug)]
pub struct PodRegions {
    // Dropped first: regions before the WAN they hang off.
    pub regions: Vec<RegionCluster>,
    wan: Option<Wan>,
    logs: Option<TempDir>,
}

impl PodRegions {
    /// Starts one region per name (region `i` of `names` gets WAN address `10.77.0.<i+1>`).
    pub fn start(names: &[&str], images: &ImageArchives) -> Result<PodRegions> {
        super::require_root()?;
        let logs = tempfile::Builder::new()
            .prefix("meridian-wan-")
            .tempdir()
            .map_err(Error::io("create a temporary directory for the WAN"))?;
        let wan = Wan::create(logs.path())?;
        let mut out = PodRegions { regions: Vec::new(), wan: Some(wan), logs: Some(logs) };
        for (index, name) in (1u8..).zip(names) {
            let region = RegionCluster::start(name, index, out.wan.as_ref(), images)?;
            out.regions.push(region);
        }
        Ok(out)
    }

    pub fn wan(&self) -> Result<&Wan> {
        self.wan.as_ref().ok_or_else(|| Error::io("use a stopped WAN")(std::io::Error::other("already stopped")))
    }

    /// The region named `name`.
    pub fn region(&self, name: &str) -> Option<&RegionCluster> {
        self.regions.iter().find(|r| r.name() == name)
    }

    /// Cuts region `name` off the WAN; `heal` links it again.
    pub fn cut(&self, name: &str) -> Result<()> {
        self.wan()?.cut(self.index(name)?)
    }

    pub fn heal(&self, name: &str) -> Result<()> {
        self.wan()?.heal(self.index(name)?)
    }

    fn index(&self, name: &str) -> Result<u8> {
        self.region(name).map(RegionCluster::index).ok_or_else(|| Error::Prerequisite {
            what: format!("no region named {name}"),
            fix: "name one of the regions started".into(),
        })
    }

    /// Stops every region (last started first), then the WAN. Returns what was left.
    pub fn stop(&mut self) -> Leftovers {
        let mut left = Vec::new();
        while let Some(mut region) = self.regions.pop() {
            left.extend(region.stop().into_iter().map(|l| format!("region {}: {l}", region.name())));
        }
        drop(self.wan.take());
        if let Some(Err(e)) = self.logs.take().map(TempDir::close) {
            left.push(format!("remove the WAN's directory: {e}"));
        }
        left
    }

    /// Where the WAN's holder logs to.
    pub fn logs(&self) -> Option<&Path> {
        self.logs.as_ref().map(TempDir::path)
    }
}

impl Drop for PodRegions {
    fn drop(&mut self) {
        for left in self.stop() {
            eprintln!("--- not cleaned up: {left}");
        }
    }
}
