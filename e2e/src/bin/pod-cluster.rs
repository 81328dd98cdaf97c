//! `pod-cluster`: the real-Pod tier's clusters by hand. Starts one single-node Kubernetes per
//! region named (default: one, `us-east`), joined by a WAN, with Meridian's images imported;
//! prints how to reach each one, then waits for Enter, Ctrl-C or SIGTERM and tears
//! everything down, listing anything it could not remove (exit code 1 then).
//!
//! ```sh
//! images/build.sh && .ci/pod-tools.sh
//! cargo run -p meridian-e2e --bin pod-cluster -- us-east eu-west
//! ```

use std::io::BufRead;

use clap::Parser;
use meridian_e2e::cluster::{ImageArchives, PodRegions, WORKSPACE_VERSION};

#[derive(Parser)]
#[command(about = "Start one single-node Kubernetes per region (real Pods), wait, tear down")]
struct Cli {
    /// Region names (DNS labels); region i gets the WAN address 10.77.0.<i>.
    #[arg(default_values_t = ["us-east".to_string()])]
    regions: Vec<String>,
    /// The tag of Meridian's images to import (images/build.sh --version).
    #[arg(long, default_value = WORKSPACE_VERSION)]
    version: String,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let names: Vec<&str> = cli.regions.iter().map(String::as_str).collect();
    let mut regions =
        PodRegions::start(&names, &ImageArchives::find(&cli.version)).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    for region in &regions.regions {
        let ns = region.netns().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        println!(
            "region {} (API server {}): nsenter --target {} --net kubectl --kubeconfig {} get pods -A",
            region.name(),
            region.server_url(),
            ns.pid(),
            region.kubeconfig().display(),
        );
    }
    println!("press Enter (or Ctrl-C) to tear everything down");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let enter = tokio::task::spawn_blocking(|| std::io::stdin().lock().lines().next());
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            _ = enter => {}
        }
        anyhow::Ok(())
    })?;
    let left = regions.stop();
    for item in &left {
        eprintln!("not cleaned up: {item}");
    }
    if left.is_empty() {
        println!("everything stopped and removed");
        Ok(())
    } else {
        std::process::exit(1)
    }
}
