//! `kubectl-meridian`: the kubectl plugin (`kubectl meridian status NAME`). Reads the
//! database from each given context (one per region's cluster) and prints one table.

use clap::{Parser, Subcommand};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use meridian_operator::Error;
use meridian_operator::crd::ActiveActiveDatabase;
use meridian_operator::plugin::{Read, render};

#[derive(Parser)]
#[command(name = "kubectl meridian", version, about = "Meridian's Active-Active databases, region by region")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regions, shards, roles, offsets, peer links, lag and digests of one database.
    Status {
        /// The ActiveActiveDatabase's name.
        name: String,
        /// Its namespace (default: the context's).
        #[arg(short, long)]
        namespace: Option<String>,
        /// A kubeconfig context, once per region's cluster (default: the current one).
        #[arg(long = "context")]
        contexts: Vec<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let Command::Status { name, namespace, contexts } = Cli::parse().command;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let reads = runtime.block_on(async {
        let contexts = if contexts.is_empty() { vec![None] } else { contexts.into_iter().map(Some).collect() };
        let mut reads = vec![];
        for context in contexts {
            let label = context.clone().unwrap_or_else(|| "current".into());
            let database = read(&name, namespace.as_deref(), context).await;
            reads.push(Read { context: label, database });
        }
        reads
    });
    print!("{}", render(&name, &reads));
    if reads.iter().all(|r| r.database.is_err()) {
        anyhow::bail!("no region could be read");
    }
    Ok(())
}

async fn read(name: &str, namespace: Option<&str>, context: Option<String>) -> Result<ActiveActiveDatabase, Error> {
    let options = KubeConfigOptions { context, ..Default::default() };
    let config = match Kubeconfig::read() {
        Ok(kubeconfig) => Config::from_custom_kubeconfig(kubeconfig, &options).await?,
        Err(_) => Config::infer().await?,
    };
    let ns = namespace.map(String::from).unwrap_or_else(|| config.default_namespace.clone());
    let client = Client::try_from(config).map_err(Error::Client)?;
    Api::<ActiveActiveDatabase>::namespaced(client, &ns)
        .get(name)
        .await
        .map_err(|source| Error::ReadDatabase { name: name.to_string(), source })
}
