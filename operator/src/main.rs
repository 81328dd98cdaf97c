//! `meridian-operator`: for now, `crd` prints the CustomResourceDefinition to apply.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Meridian's Kubernetes operator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the ActiveActiveDatabase CustomResourceDefinition (YAML), for `kubectl apply -f -`.
    Crd,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crd => print!("{}", meridian_operator::crd::crd_yaml()?),
    }
    Ok(())
}
