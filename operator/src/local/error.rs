//! Why local mode refused a request (`cut`, `heal`, `rebuild`, a re-run with a changed
//! manifest) or could not reach its supervisor. Its own type, not the crate's `Error`: these
//! go back to the command line as text over the control socket, and never through a
//! reconcile or its metrics. Each text is what the command line has always printed.

use std::path::PathBuf;

use super::control::ANSWER_TIMEOUT;
use super::desired::ManifestError;
use super::netns::NetnsError;
use super::supervisor::ApplyError;
use crate::plan::PlanError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cut and heal need --netns: in loopback mode the regions share one network")]
    NoNetns,
    #[error("no region {name:?} (regions: {})", known.join(", "))]
    NoRegion { name: String, known: Vec<String> },
    #[error(transparent)]
    Link(#[from] NetnsError),
    #[error("region {region} has {count} shard(s), 0 to {}: there is no shard {shard}", count.saturating_sub(1))]
    NoShard { region: String, count: usize, shard: u32 },
    #[error("shard {shard} of region {region} is being rebuilt already")]
    Rebuilding { region: String, shard: u32 },
    /// The manifest file, re-read on SIGHUP.
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(
        "{dir} runs database {running:?} and {path} is database {name:?}: stop it first (`meridian-operator local stop --dir {dir}`) or choose another --dir"
    )]
    OtherDatabase { dir: PathBuf, running: String, path: PathBuf, name: String },
    #[error("{path}: {source}")]
    Update { path: PathBuf, source: PlanError },
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The control socket: the supervisor behind it could not be asked.
    #[error("{socket}: {source}")]
    Connect { socket: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Encode(serde_json::Error),
    #[error("bad answer from the supervisor: {0}")]
    BadAnswer(serde_json::Error),
    #[error("the supervisor did not answer within {ANSWER_TIMEOUT:?}")]
    NoAnswer,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_the_command_line_has_always_printed_them() {
        let region = Error::NoRegion { name: "ap".into(), known: vec!["us-east".into(), "eu-west".into()] };
        assert_eq!(region.to_string(), "no region \"ap\" (regions: us-east, eu-west)");
        let shard = Error::NoShard { region: "us-east".into(), count: 2, shard: 5 };
        assert_eq!(shard.to_string(), "region us-east has 2 shard(s), 0 to 1: there is no shard 5");
        let other = Error::OtherDatabase {
            dir: "/tmp/m".into(),
            running: "cache".into(),
            path: "/srv/db.yaml".into(),
            name: "orders".into(),
        };
        assert_eq!(
            other.to_string(),
            "/tmp/m runs database \"cache\" and /srv/db.yaml is database \"orders\": stop it first \
             (`meridian-operator local stop --dir /tmp/m`) or choose another --dir"
        );
    }
}
