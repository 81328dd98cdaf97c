//! `meridian-operator`: `run` reconciles one region's databases; `crd` prints the CRD; `local`
//! runs a manifest's whole database on this machine.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use meridian_operator::controller::{self, Context};
use meridian_operator::http::{self, Health};
use meridian_operator::leader;
use meridian_operator::metrics::Metrics;
use meridian_operator::plan::OperatorDefaults;

#[derive(Parser)]
#[command(version, about = "Meridian's operator: runs one region of every ActiveActiveDatabase")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the ActiveActiveDatabase CustomResourceDefinition (YAML), for `kubectl apply -f -`.
    Crd,
    /// Reconcile this cluster's region of every ActiveActiveDatabase.
    Run(RunArgs),
    /// Run a manifest's whole database (every region) on this machine, as local processes.
    Local(meridian_operator::local::cli::LocalArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// The region this cluster is: one of each manifest's `spec.regions[].name`.
    #[arg(long, env = "MERIDIAN_REGION")]
    region: String,
    /// Watch only this namespace (default: every namespace).
    #[arg(long, env = "WATCH_NAMESPACE")]
    namespace: Option<String>,
    /// Where the datanode and syncer images are named when a manifest does not say.
    #[arg(long, env = "MERIDIAN_IMAGE_REPOSITORY", default_value = "meridian")]
    image_repository: String,
    /// The image tag when a manifest names no version (default: this operator's version).
    #[arg(long, env = "MERIDIAN_VERSION")]
    default_version: Option<String>,
    /// Address of /metrics, /healthz and /readyz.
    #[arg(long, default_value = "0.0.0.0:8080")]
    http: SocketAddr,
    /// Compete for a leader Lease, so several replicas can run and only one reconciles.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    leader_election: bool,
    /// Namespace of the Lease (default: the pod's namespace, POD_NAMESPACE).
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    lease_namespace: String,
    /// This replica's name in the Lease and in Events (default: POD_NAME, else the host name).
    #[arg(long, env = "POD_NAME")]
    identity: Option<String>,
    /// Log as JSON lines.
    #[arg(long)]
    log_json: bool,
}

fn main() -> anyhow::Result<std::process::ExitCode> {
    match Cli::parse().command {
        Command::Crd => print!("{}", meridian_operator::crd::crd_yaml()?),
        Command::Local(args) => {
            meridian_datanode::process::init_logging(false);
            return meridian_operator::local::run(args);
        }
        Command::Run(args) => {
            meridian_datanode::process::init_logging(args.log_json);
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(run(args))?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let client = kube::Client::try_default().await.context("connecting to the Kubernetes API server")?;
    let identity = args.identity.clone().unwrap_or_else(hostname);
    let metrics = Arc::new(Metrics::default());
    let ready = Arc::new(AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind(args.http).await.with_context(|| format!("binding {}", args.http))?;
    let router = http::router(Health { metrics: metrics.clone(), ready: ready.clone() });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "http endpoint stopped");
        }
    });

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        meridian_datanode::process::shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };

    let defaults = OperatorDefaults {
        image_repository: args.image_repository.clone(),
        version: args.default_version.clone().unwrap_or_else(|| env!("CARGO_PKG_VERSION").into()),
    };
    let ctx = Arc::new(Context::new(client.clone(), metrics.clone(), args.region.clone(), defaults, identity.clone()));
    ready.store(true, Ordering::Relaxed);

    let mut lease = None;
    if args.leader_election {
        let name = format!("meridian-operator-{}", args.region);
        let mut l = leader::compete(client.clone(), &args.lease_namespace, &name, &identity).await?;
        tracing::info!(lease = %name, %identity, "waiting for the leader lease");
        tokio::select! {
            got = l.acquired() => got?,
            _ = stopped() => {
                l.release().await;
                return Ok(());
            }
        }
        tracing::info!(%identity, "leading");
        lease = Some(l);
    }
    metrics.leader.set(1);
    tracing::info!(region = %args.region, namespace = ?args.namespace, "meridian-operator reconciling");
    let result = match lease.as_mut() {
        Some(l) => tokio::select! {
            r = controller::run(ctx, args.namespace.clone(), stopped()) => r,
            _ = l.lost() => Err(anyhow::anyhow!("lost the leader lease: exiting so that only the new leader acts")),
        },
        None => controller::run(ctx, args.namespace.clone(), stopped()).await,
    };
    metrics.leader.set(0);
    if let Some(l) = lease {
        l.release().await;
    }
    result
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| format!("meridian-operator-{}", std::process::id()))
}
