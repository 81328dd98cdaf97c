//! The commands that talk to a running supervisor: `status`, `stop`, `cut`, `heal`, and the
//! background start of `--detach`.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rustix::process::{Pid, Signal, kill_process};

use super::cli::UpArgs;
use super::control::{self, Answer, Request};
use super::screen::{host, port, render};
use super::snapshot::Snapshot;
use super::state_dir::{self, Paths};

/// How long `stop` waits for the supervisor to stop its processes and exit.
const STOP_WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

/// Exit status of `status` when the database runs but is not ready.
const NOT_READY: u8 = 3;

async fn status_of(dir: &Path) -> anyhow::Result<Snapshot> {
    match control::ask(&Paths(dir).socket(), &Request::Status).await {
        Ok(Answer::Status(s)) => Ok(*s),
        Ok(other) => bail!("unexpected answer: {other:?}"),
        Err(e) => bail!("no local database runs in {}: {e}", dir.display()),
    }
}

pub async fn status(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let s = status_of(dir).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        for line in render(&s) {
            println!("{line}");
        }
    }
    Ok(if s.ready { ExitCode::SUCCESS } else { ExitCode::from(NOT_READY) })
}

pub async fn stop(dir: &Path) -> anyhow::Result<ExitCode> {
    let Some(owner) = state_dir::holder(dir) else {
        println!("meridian local: nothing runs in {}", dir.display());
        return Ok(ExitCode::SUCCESS);
    };
    if control::ask(&Paths(dir).socket(), &Request::Stop).await.is_err() {
        // It does not answer: the signal Ctrl-C would send does the same.
        if let Some(pid) = i32::try_from(owner.pid).ok().and_then(Pid::from_raw) {
            let _ = kill_process(pid, Signal::TERM);
        }
    }
    let deadline = Instant::now() + STOP_WAIT;
    while state_dir::holder(dir).is_some() {
        if Instant::now() >= deadline {
            bail!("the supervisor (pid {}) did not stop within {STOP_WAIT:?}", owner.pid);
        }
        tokio::time::sleep(POLL).await;
    }
    println!("meridian local: stopped {} (pid {})", owner.database, owner.pid);
    Ok(ExitCode::SUCCESS)
}

pub async fn link(dir: &Path, region: String, up: bool) -> anyhow::Result<ExitCode> {
    let request = if up { Request::Heal { region } } else { Request::Cut { region } };
    match control::ask(&Paths(dir).socket(), &request).await {
        Ok(Answer::Done { text }) => {
            println!("meridian local: {text}");
            Ok(ExitCode::SUCCESS)
        }
        Ok(Answer::Refused { error }) => bail!("{error}"),
        Ok(other) => bail!("unexpected answer: {other:?}"),
        Err(e) => bail!("no local database runs in {}: {e}", dir.display()),
    }
}

/// `--detach`: runs this same command again as a background supervisor (its own session,
/// output in the state directory), waits until it is ready, prints where each region answers
/// and returns. If it fails or is not ready in time, it is stopped and the error shown.
pub async fn detach(args: &UpArgs, dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let log_path = Paths(dir).supervisor_log();
    let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let exe = std::env::current_exe()?;
    let argv: Vec<String> =
        std::env::args().skip(1).filter(|a| a != "--detach").chain(["--background".into()]).collect();
    let mut child = Command::new(exe)
        .args(argv)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("starting the background supervisor")?;
    let deadline = Instant::now() + Duration::from_secs(args.ready_timeout);
    loop {
        if let Some(exit) = child.try_wait()? {
            let output = std::fs::read_to_string(&log_path).unwrap_or_default();
            bail!("the background supervisor {exit}:\n{}", output.trim_end());
        }
        if let Ok(s) = status_of(dir).await
            && s.ready
        {
            for r in &s.regions {
                println!("{} (id {}): redis-cli -h {} -p {}", r.name, r.id, host(&r.client), port(&r.client));
            }
            println!(
                "meridian local: {} ready in {:.1} s, running in the background (pid {}); `meridian-operator local stop --dir {}` stops it",
                s.database,
                s.ready_after_ms.unwrap_or(0) as f64 / 1000.0,
                child.id(),
                dir.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        if Instant::now() >= deadline {
            let shown = status_of(dir).await.map(|s| render(&s).join("\n")).unwrap_or_default();
            let _ = stop(dir).await;
            let _ = child.wait();
            bail!("not ready within {} s, stopped it:\n{shown}", args.ready_timeout);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Puts the background supervisor in a session of its own, away from the terminal that
/// started it (a hangup there must not stop the database).
pub fn become_background() {
    let _ = rustix::process::setsid();
}
