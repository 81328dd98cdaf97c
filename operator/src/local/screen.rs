//! The status screen: `render` turns a snapshot into lines (pure), and `Screen` shows them.
//! On a terminal the screen redraws in place (cursor home, each line cleared to its end, the
//! rest of the screen cleared: three ANSI sequences, so no terminal library is needed; raw
//! mode, input and resizing are not); when the output is piped it prints each event once, as
//! plain lines a script or a log can follow.

use std::io::{IsTerminal, Write};

use super::snapshot::{RegionView, ShardView, Snapshot};

pub fn render(s: &Snapshot) -> Vec<String> {
    let state = match (s.ready, s.ready_after_ms) {
        (true, Some(ms)) => format!("ready (in {:.1} s)", ms as f64 / 1000.0),
        (true, None) => "ready".into(),
        (false, Some(_)) => "DEGRADED".into(),
        (false, None) => format!("starting ({:.0} s)", s.uptime_ms as f64 / 1000.0),
    };
    let mode = if s.netns { " · regions in network namespaces" } else { "" };
    let mut lines = vec![
        format!("meridian local · database {} · {} region(s){mode} · {state}", s.database, s.regions.len()),
        format!("state {} · supervisor pid {} · Ctrl-C stops everything", s.dir, s.pid),
        String::new(),
    ];
    for r in &s.regions {
        lines.extend(region(r));
    }
    if !s.notes.is_empty() {
        lines.push("notes:".into());
        lines.extend(s.notes.iter().map(|n| format!("  {n}")));
    }
    lines.push("events:".into());
    lines.extend(s.events.iter().map(|e| format!("  {e}")));
    lines
}

fn region(r: &RegionView) -> Vec<String> {
    let state = match (r.ready, r.cut) {
        (_, true) => "CUT from the other regions",
        (true, false) => "ready",
        (false, false) => "not ready",
    };
    let mut lines = vec![format!(
        "{} (id {}) · {state} · redis-cli -h {} -p {} · syncer http://{}/info{}",
        r.name,
        r.id,
        host(&r.client),
        port(&r.client),
        r.syncer_http,
        r.syncer.pid.map_or_else(|| " (down)".into(), |p| format!(" (pid {p})")),
    )];
    if !r.peers.is_empty() {
        let peers: Vec<String> = r
            .peers
            .iter()
            .map(|p| {
                let lag = p.lag_ms.map_or_else(String::new, |l| format!(" {l} ms"));
                let err = p.last_error.as_ref().map_or_else(String::new, |e| format!(" ({e})"));
                format!("{} {}{lag}{err}", p.region, p.state)
            })
            .collect();
        lines.push(format!("  peers: {}", peers.join(" · ")));
    }
    for s in &r.shards {
        lines.extend(shard(s));
    }
    lines.push(String::new());
    lines
}

fn shard(s: &ShardView) -> Vec<String> {
    let digest = match s.digest_match {
        Some(true) => "digests equal",
        Some(false) => "digests differ",
        None => "digests pending",
    };
    let mut lines = vec![format!("  shard {} · slots {} · {} · {digest}", s.index, s.slots, s.state)];
    for m in &s.members {
        let pid = m.process.pid.map_or_else(|| "-".into(), |p| p.to_string());
        let link = if m.role == "replica" { if m.link_up { " link up" } else { " link DOWN" } } else { "" };
        let numbers = match (m.keys, m.offset) {
            (Some(k), Some(o)) => format!(" keys {k} offset {o}"),
            _ => String::new(),
        };
        let restarts = if m.process.restarts > 0 {
            format!(" restarts {} (last: {})", m.process.restarts, m.process.last_exit.as_deref().unwrap_or("?"))
        } else {
            String::new()
        };
        lines.push(format!("    {} {:<8} {} pid {pid}{link}{numbers}{restarts}", m.ordinal, m.role, m.addr));
    }
    lines
}

pub fn host(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(h, _)| h)
}

pub fn port(addr: &str) -> &str {
    addr.rsplit_once(':').map_or("", |(_, p)| p)
}

/// Where the status goes: a terminal redrawn in place, or plain lines.
pub struct Screen {
    tty: bool,
    printed_events: u64,
    cleared: bool,
}

impl Screen {
    pub fn new() -> Screen {
        Screen { tty: std::io::stdout().is_terminal(), printed_events: 0, cleared: false }
    }

    pub fn is_tty(&self) -> bool {
        self.tty
    }

    pub fn show(&mut self, s: &Snapshot) {
        let mut out = std::io::stdout().lock();
        if self.tty {
            let mut text = String::new();
            if !self.cleared {
                text.push_str("\x1b[2J");
                self.cleared = true;
            }
            text.push_str("\x1b[H");
            for line in render(s) {
                text.push_str(&line);
                text.push_str("\x1b[K\n");
            }
            text.push_str("\x1b[J");
            let _ = out.write_all(text.as_bytes());
        } else {
            let new = s.event_seq.saturating_sub(self.printed_events).min(s.events.len() as u64) as usize;
            for e in &s.events[s.events.len() - new..] {
                let _ = writeln!(out, "{e}");
            }
            self.printed_events = s.event_seq;
        }
        let _ = out.flush();
    }
}

impl Default for Screen {
    fn default() -> Self {
        Screen::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::snapshot::{MemberView, PeerView, ProcessView};

    #[test]
    fn the_screen_shows_endpoints_roles_peers_and_digests() {
        let s = Snapshot {
            database: "cache".into(),
            dir: "/tmp/m".into(),
            pid: 42,
            ready: true,
            ready_after_ms: Some(3300),
            regions: vec![RegionView {
                name: "us-east".into(),
                id: 1,
                ready: true,
                client: "127.0.0.1:7000".into(),
                syncer_http: "127.0.0.1:7999".into(),
                syncer: ProcessView { pid: Some(7), ..Default::default() },
                peers: vec![PeerView {
                    region: "eu-west".into(),
                    id: 2,
                    state: "partial-sync".into(),
                    lag_ms: Some(3),
                    last_error: None,
                }],
                shards: vec![ShardView {
                    index: 0,
                    slots: "0-16383".into(),
                    state: "master 0".into(),
                    master: Some(0),
                    digest_match: Some(true),
                    members: vec![
                        MemberView {
                            ordinal: 0,
                            addr: "127.0.0.1:7000".into(),
                            role: "master".into(),
                            keys: Some(2),
                            offset: Some(10),
                            process: ProcessView { pid: Some(5), ..Default::default() },
                            ..Default::default()
                        },
                        MemberView {
                            ordinal: 1,
                            addr: "127.0.0.1:7001".into(),
                            role: "replica".into(),
                            link_up: true,
                            process: ProcessView {
                                pid: None,
                                restarts: 1,
                                last_exit: Some("killed by signal 9".into()),
                            },
                            ..Default::default()
                        },
                    ],
                }],
                ..Default::default()
            }],
            events: vec!["12:00:00 ready".into()],
            event_seq: 1,
            ..Default::default()
        };
        assert_eq!(
            render(&s),
            [
                "meridian local · database cache · 1 region(s) · ready (in 3.3 s)",
                "state /tmp/m · supervisor pid 42 · Ctrl-C stops everything",
                "",
                "us-east (id 1) · ready · redis-cli -h 127.0.0.1 -p 7000 · syncer http://127.0.0.1:7999/info (pid 7)",
                "  peers: eu-west partial-sync 3 ms",
                "  shard 0 · slots 0-16383 · master 0 · digests equal",
                "    0 master   127.0.0.1:7000 pid 5 keys 2 offset 10",
                "    1 replica  127.0.0.1:7001 pid - link up restarts 1 (last: killed by signal 9)",
                "",
                "events:",
                "  12:00:00 ready",
            ]
        );
    }
}
