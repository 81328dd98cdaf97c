//! Local mode: the same `ActiveActiveDatabase` manifest, run on this machine as child
//! processes instead of Kubernetes objects. Every decision is the operator's own: the plan
//! (`plan::plan`, CEL rules included), the shard map (`plan::shard_map`), the command lines
//! (`build`), who is master (`failover`); only the backend differs.
//!
//! The supervisor runs on one thread (a current-thread runtime): children are spawned from
//! the main thread, which their parent-death signal is tied to (`child`), and only the
//! supervisor's loop touches its state (`control` hands it requests over a channel).

pub mod binaries;
pub mod child;
pub mod cli;
pub mod commands;
pub mod control;
pub mod desired;
mod error;
pub mod layout;
pub mod netns;
pub mod rebuild;
pub mod record;
pub mod screen;
pub mod snapshot;
pub mod state_dir;
pub mod supervisor;
pub mod tick;
pub mod up;

pub use error::Error;

use std::process::ExitCode;

use cli::{Action, LocalArgs};

/// `meridian-operator local ...`.
pub fn run(args: LocalArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        match args.action {
            Some(Action::Status { dir, flag, json }) => {
                commands::status(&dir.unwrap_or_else(|| flag.path()), json).await
            }
            Some(Action::Stop { dir, flag }) => commands::stop(&dir.unwrap_or_else(|| flag.path())).await,
            Some(Action::Cut { region, dir }) => commands::link(&dir.path(), region, false).await,
            Some(Action::Heal { region, dir }) => commands::link(&dir.path(), region, true).await,
            Some(Action::Rebuild { region, shard, dir }) => commands::rebuild(&dir.path(), region, shard).await,
            None => {
                let up = args.up;
                let dir = up.dir.path();
                let Some(file) = up.file.clone() else { anyhow::bail!("local needs a manifest FILE") };
                if up.detach {
                    // Refuse what can be refused in the foreground, where the user sees it.
                    if state_dir::holder(&dir).is_none() {
                        up::check(&up, &file, &dir)?;
                        binaries::find(up.bin_dir.as_deref())?;
                    }
                    return commands::detach(&up, &dir).await;
                }
                if up.background {
                    commands::become_background();
                }
                up::run(up, file, dir).await.map(|()| ExitCode::SUCCESS)
            }
        }
    })
}
