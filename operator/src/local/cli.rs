//! `meridian-operator local`'s command line.

use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct LocalArgs {
    #[command(subcommand)]
    pub action: Option<Action>,
    #[command(flatten)]
    pub up: UpArgs,
}

#[derive(clap::Args, Debug, Clone)]
pub struct UpArgs {
    /// The ActiveActiveDatabase manifest (the file `kubectl apply` takes). Run again on a
    /// running directory, it is applied as a diff.
    #[arg(required = true)]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub dir: DirArg,
    /// Region id 1's first port; region r's block starts (r - 1) * --ports-per-region later.
    #[arg(long, default_value_t = 7000)]
    pub port_base: u16,
    /// Ports per region: datanode (shard s, member o) at block + 10 s + o, the syncer's peer
    /// and HTTP ports last.
    #[arg(long, default_value_t = 1000)]
    pub ports_per_region: u16,
    /// Each region in its own network namespace, on a bridge ("WAN"), so `local cut`/`heal`
    /// can partition it (needs root).
    #[arg(long)]
    pub netns: bool,
    /// With --netns: delay added to each region's WAN interface (tc netem), in milliseconds.
    #[arg(long, requires = "netns", value_name = "MS")]
    pub wan_delay: Option<u64>,
    /// Start in the background, print the endpoints once ready, and exit.
    #[arg(long)]
    pub detach: bool,
    /// With --detach: how long to wait for ready, in seconds, before giving up (and stopping).
    #[arg(long, default_value_t = 120)]
    pub ready_timeout: u64,
    /// Where meridian-datanode and meridian-syncer are (default: beside this program, or PATH).
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Internal: this process is the background supervisor of --detach.
    #[arg(long, hide = true)]
    pub background: bool,
}

#[derive(clap::Args, Debug, Clone)]
pub struct DirArg {
    /// The state directory: lock, shard maps, logs, control socket.
    #[arg(long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl DirArg {
    /// `--dir`, else `$TMPDIR/meridian-local`.
    pub fn path(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| std::env::temp_dir().join("meridian-local"))
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Print the running database's status (exit status 0 when ready, 3 when not, 1 when
    /// nothing runs there).
    Status {
        /// The state directory (same as --dir).
        #[arg(id = "state_dir", value_name = "DIR")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        flag: DirArg,
        /// The status as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop the database running in the directory, and wait until it has stopped.
    Stop {
        /// The state directory (same as --dir).
        #[arg(id = "state_dir", value_name = "DIR")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        flag: DirArg,
    },
    /// Cut a region from the other regions (--netns instances).
    Cut {
        region: String,
        #[command(flatten)]
        dir: DirArg,
    },
    /// Restore a cut region's links.
    Heal {
        region: String,
        #[command(flatten)]
        dir: DirArg,
    },
}

impl UpArgs {
    /// The options that must match when a manifest is re-applied to a running directory.
    pub fn placement_options(&self) -> String {
        format!(
            "--port-base {} --ports-per-region {}{}{}",
            self.port_base,
            self.ports_per_region,
            if self.netns { " --netns" } else { "" },
            self.wan_delay.map_or_else(String::new, |d| format!(" --wan-delay {d}")),
        )
    }
}
