//! `meridian-operator local FILE`: check everything that can be checked before anything
//! starts (the manifest through the operator's plan, the binaries, the ports, the state
//! directory's lock, root for --netns), start every region, then supervise in the foreground
//! until Ctrl-C or SIGTERM, re-reading the manifest on SIGHUP. Run on a directory whose
//! supervisor is running, it hands the manifest to that supervisor as a diff instead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::signal::unix::{SignalKind, signal};

use super::binaries;
use super::child::Identity;
use super::cli::UpArgs;
use super::control::{self, Answer, Request};
use super::desired::{self, Desired, Placement};
use super::layout::{self, Ports};
use super::netns::Wan;
use super::record::{self, Adoption, Record};
use super::screen::Screen;
use super::state_dir::{self, Paths, StateDir};
use super::supervisor::{Supervisor, wanted};
use crate::{local, plan};

/// How often the supervisor looks at everything.
const TICK: Duration = Duration::from_millis(500);

/// What `up` checked, ready to start.
pub struct Checked {
    pub dir: PathBuf,
    pub path: PathBuf,
    pub text: String,
    pub desired: Desired,
    pub placement: Placement,
}

/// Everything that can fail before a process starts.
pub fn check(args: &UpArgs, file: &Path, dir: &Path) -> anyhow::Result<Checked> {
    let dir = std::path::absolute(dir).with_context(|| format!("state directory {}", dir.display()))?;
    let (text, db) = desired::read(file)?;
    let placement = Placement {
        ports: Ports { base: args.port_base, stride: args.ports_per_region },
        wan: args.netns.then(|| Wan::for_dir(&dir)),
    };
    let desired = desired::desired(file, &db, &placement, Paths(&dir))?;
    if let Some(wan) = &placement.wan {
        wan.preflight(args.wan_delay.map(Duration::from_millis))?;
    }
    Ok(Checked { dir, path: file.to_path_buf(), text, desired, placement })
}

/// Runs in the foreground until stopped (or hands the manifest to the running supervisor).
pub async fn run(args: UpArgs, file: PathBuf, dir: PathBuf) -> anyhow::Result<()> {
    if let Some(owner) = state_dir::holder(&dir) {
        return reapply(&args, &file, &dir, owner).await;
    }
    let checked = check(&args, &file, &dir)?;
    let binaries = binaries::find(args.bin_dir.as_deref())?;
    let adoption = adoption(&args, &checked)?;
    // Adopted children hold their ports (the others, if taken, show as crash loops).
    if checked.placement.wan.is_none() && !adoption.adopts_any() {
        let ports: Vec<(u16, String)> =
            checked.desired.regions.iter().flat_map(|r| checked.placement.ports.ports(&r.plan, r.layout.ip)).collect();
        if let Some((port, user)) = layout::first_in_use(std::net::Ipv4Addr::LOCALHOST, &ports) {
            bail!(
                "port {port} (for {user}) is in use on 127.0.0.1: stop what listens there, or choose another --port-base"
            );
        }
    }
    let state = StateDir::lock(&checked.dir, &checked.desired.database)?;
    let paths = state.paths();
    std::fs::write(paths.manifest(), &checked.text)
        .with_context(|| format!("writing {}", paths.manifest().display()))?;
    let requests =
        control::serve(&paths.socket()).with_context(|| format!("listening on {}", paths.socket().display()))?;
    let delay = args.wan_delay.map(Duration::from_millis);
    let mut sup = Supervisor::new(state, checked.desired, checked.placement, binaries, delay);
    sup.adoption = adoption;
    sup.options = args.placement_options();
    for note in sup.desired.notes.clone() {
        sup.event(format!("note: {note}"));
    }
    sup.start()?;
    sup.event(format!("started {} region(s) from {}", sup.regions.len(), file.display()));
    supervise(sup, requests, &args, &file).await
}

async fn supervise(
    mut sup: Supervisor,
    mut requests: tokio::sync::mpsc::Receiver<control::Incoming>,
    args: &UpArgs,
    file: &Path,
) -> anyhow::Result<()> {
    let mut screen = Screen::new();
    if !screen.is_tty() {
        for line in endpoints(&sup) {
            println!("{line}");
        }
    }
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                sup.tick().await;
                sup.save_record();
                screen.show(&sup.snapshot());
            }
            Some((request, back)) = requests.recv() => {
                let stop = request == Request::Stop;
                let _ = back.send(handle(&mut sup, request, args));
                if stop {
                    break;
                }
                sup.save_record();
            }
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
            _ = hangup.recv() => {
                let result = std::fs::read_to_string(file)
                    .map_err(|source| local::Error::Read { path: file.to_path_buf(), source })
                    .and_then(|text| reload(&mut sup, file, &text));
                match result {
                    Ok(changes) => sup.event(format!("SIGHUP: {}", summary(&changes))),
                    Err(e) => sup.event(format!("SIGHUP: the manifest was not applied: {e}")),
                }
            }
        }
    }
    sup.event("stopping every process");
    screen.show(&sup.snapshot());
    sup.stop();
    let _ = std::fs::remove_file(sup.dir.paths().socket());
    println!("meridian local: stopped");
    Ok(())
}

/// What a killed supervisor left in the directory (`record::FILE`) and this run takes over:
/// nothing when nothing recorded still runs; refused when it belongs to another database or
/// other placement options (`local stop DIR` first).
fn adoption(args: &UpArgs, checked: &Checked) -> anyhow::Result<Adoption> {
    let Some(record) = Record::read(&checked.dir) else { return Ok(Adoption::default()) };
    let live = record.live(Identity::alive).len();
    if live == 0 {
        return Ok(Adoption::default());
    }
    let stop = format!("stop them first with `meridian-operator local stop {}`", checked.dir.display());
    if record.database != checked.desired.database {
        bail!(
            "{} has {live} process(es) of database {:?} left running by a killed supervisor, not of {:?}: {stop}",
            checked.dir.display(),
            record.database,
            checked.desired.database
        );
    }
    if record.options != args.placement_options() {
        bail!(
            "{} has {live} process(es) left running by a killed supervisor started with {}, not {}: {stop}",
            checked.dir.display(),
            record.options,
            args.placement_options()
        );
    }
    Ok(record::plan(&record, &wanted(&checked.desired), Identity::alive))
}

fn handle(sup: &mut Supervisor, request: Request, args: &UpArgs) -> Answer {
    let done = |r: Result<String, local::Error>| match r {
        Ok(text) => Answer::Done { text },
        Err(error) => Answer::Refused { error: error.to_string() },
    };
    match request {
        Request::Status => Answer::Status(Box::new(sup.snapshot())),
        Request::Stop => Answer::Done { text: "stopping".into() },
        Request::Cut { region } => done(sup.set_link(&region, false)),
        Request::Heal { region } => done(sup.set_link(&region, true)),
        Request::Rebuild { region, shard } => done(sup.rebuild(&region, shard)),
        Request::Apply { path, manifest, options } => {
            if options != args.placement_options() {
                return Answer::Refused {
                    error: format!(
                        "the running instance was started with {}, not {options}: stop it first to change them",
                        args.placement_options()
                    ),
                };
            }
            done(reload(sup, Path::new(&path), &manifest).map(|c| summary(&c)))
        }
    }
}

/// Applies a changed manifest as the API server and the operator would: the same CEL rules,
/// transition rules included, then the diff.
fn reload(sup: &mut Supervisor, path: &Path, text: &str) -> Result<Vec<String>, local::Error> {
    let db =
        desired::parse(text).map_err(|source| desired::ManifestError::Parse { path: path.to_path_buf(), source })?;
    let name = db.metadata.name.clone().unwrap_or_default();
    if name != sup.desired.database {
        return Err(local::Error::OtherDatabase {
            dir: sup.dir.root().to_path_buf(),
            running: sup.desired.database.clone(),
            path: path.to_path_buf(),
            name,
        });
    }
    plan::check_update(&db, &sup.desired.manifest)
        .map_err(|source| local::Error::Update { path: path.to_path_buf(), source })?;
    let new = desired::desired(path, &db, &sup.placement, sup.dir.paths())?;
    let changes = sup.apply(new)?;
    let _ = std::fs::write(sup.dir.paths().manifest(), text);
    Ok(changes)
}

fn summary(changes: &[String]) -> String {
    if changes.is_empty() { "no change".into() } else { changes.join("; ") }
}

/// A re-run on a directory a supervisor holds: hand it the manifest.
async fn reapply(args: &UpArgs, file: &Path, dir: &Path, owner: state_dir::Owner) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let path = std::path::absolute(file)?;
    let request =
        Request::Apply { path: path.display().to_string(), manifest: text, options: args.placement_options() };
    match control::ask(&Paths(dir).socket(), &request).await {
        Ok(Answer::Done { text }) => {
            println!("meridian local: applied to the running database {} (pid {}): {text}", owner.database, owner.pid);
            Ok(())
        }
        Ok(Answer::Refused { error }) => bail!("{error}"),
        Ok(Answer::Status(_)) => bail!("unexpected answer from the supervisor"),
        Err(e) => bail!(
            "{} is in use by a running local database ({}, pid {}) that does not answer: {e}",
            dir.display(),
            owner.database,
            owner.pid
        ),
    }
}

/// Where each region answers, printed before the first status.
pub fn endpoints(sup: &Supervisor) -> Vec<String> {
    let mut lines = vec![format!(
        "meridian local: database {} in {} region(s), state in {}",
        sup.desired.database,
        sup.regions.len(),
        sup.dir.root().display()
    )];
    for r in &sup.regions {
        let l = r.desired.layout;
        lines.push(format!(
            "  {} (id {}): redis-cli -h {} -p {} · syncer http://{}/info",
            r.desired.name(),
            r.desired.id(),
            l.ip,
            l.datanode(0, 0),
            l.http_addr()
        ));
    }
    lines
}
