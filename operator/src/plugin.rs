//! `kubectl meridian status`: one table of a database as every region's operator reports it
//! (each region's cluster is a kubectl context): regions, shards, roles, offsets, peer links
//! and lag, digests, and whether the regions hold the same data. Rendering is pure.

use crate::Error;
use crate::conditions;
use crate::crd::{ActiveActiveDatabase, ActiveActiveDatabaseStatus};

/// What was read from one context: the database, or why it could not be.
pub struct Read {
    pub context: String,
    pub database: Result<ActiveActiveDatabase, Error>,
}

/// Left-aligned columns, two spaces apart.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

fn region_of(read: &Read) -> String {
    match &read.database {
        Ok(db) => db.status.as_ref().and_then(|s| s.region.clone()).unwrap_or_else(|| format!("? ({})", read.context)),
        Err(_) => format!("? ({})", read.context),
    }
}

fn short(digest: &Option<String>) -> String {
    digest.as_ref().map_or("-".into(), |d| d.chars().take(12).collect())
}

pub fn render(name: &str, reads: &[Read]) -> String {
    let mut out = format!("DATABASE {name}\n\n");
    let mut shard_rows = vec![];
    let mut peer_rows = vec![];
    for read in reads {
        let region = region_of(read);
        let status = match &read.database {
            Ok(db) => db.status.clone().unwrap_or_default(),
            Err(e) => {
                shard_rows.push(vec![region, "-".into(), "-".into(), "-".into(), format!("unreadable: {e}")]);
                continue;
            }
        };
        let ready = conditions::is_true(&status.conditions, conditions::READY)
            .map_or("Unknown", |r| if r { "True" } else { "False" });
        for s in &status.shards {
            let replicas: Vec<String> = s
                .replicas
                .iter()
                .map(|r| {
                    format!(
                        "{} ({}, {})",
                        r.pod,
                        r.offset.map_or("-".into(), |o| o.to_string()),
                        if r.link_up { "up" } else { "down" }
                    )
                })
                .collect();
            shard_rows.push(vec![
                region.clone(),
                ready.into(),
                s.index.to_string(),
                s.slots.clone(),
                s.master.clone().unwrap_or_else(|| "(none)".into()),
                s.offset.map_or("-".into(), |o| o.to_string()),
                if replicas.is_empty() { "-".into() } else { replicas.join(", ") },
                short(&s.digest),
            ]);
        }
        for p in &status.peers {
            peer_rows.push(vec![
                region.clone(),
                p.region.clone(),
                p.state.clone(),
                p.lag_ms.map_or("-".into(), |l| format!("{l}ms")),
                p.last_full_sync.clone().unwrap_or_else(|| "-".into()),
                match p.digest_match {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => "-".into(),
                },
                p.last_error.clone().unwrap_or_default(),
            ]);
        }
    }
    out.push_str(&table(
        &["REGION", "READY", "SHARD", "SLOTS", "MASTER", "OFFSET", "REPLICAS (offset, link)", "DIGEST"],
        &shard_rows,
    ));
    if !peer_rows.is_empty() {
        out.push_str("\nPEER LINKS\n");
        out.push_str(&table(&["FROM", "TO", "STATE", "LAG", "LAST FULL SYNC", "SAME DATA", "LAST ERROR"], &peer_rows));
    }
    out.push('\n');
    out.push_str(&converged(reads));
    out
}

/// Whether every region read holds the same data, from their shard digests.
fn converged(reads: &[Read]) -> String {
    let statuses: Vec<&ActiveActiveDatabaseStatus> =
        reads.iter().filter_map(|r| r.database.as_ref().ok()?.status.as_ref()).collect();
    if statuses.len() < 2 {
        return "CONVERGED  - (give each region's cluster with --context to compare regions)\n".into();
    }
    let layout = |s: &ActiveActiveDatabaseStatus| s.shards.iter().map(|x| x.slots.clone()).collect::<Vec<_>>();
    let first = layout(statuses[0]);
    if statuses.iter().any(|s| layout(s) != first) {
        return "CONVERGED  - (the regions split the slots differently: see SAME DATA per peer link)\n".into();
    }
    let digests =
        |s: &ActiveActiveDatabaseStatus| s.shards.iter().map(|x| x.digest.clone()).collect::<Option<Vec<_>>>();
    match statuses.iter().map(|s| digests(s)).collect::<Option<Vec<_>>>() {
        None => "CONVERGED  - (a region has no digests yet)\n".into(),
        Some(all) if all.iter().all(|d| *d == all[0]) => "CONVERGED  yes (equal digests in every region)\n".into(),
        Some(_) => "CONVERGED  no (digests differ; writes in flight make them differ for a moment)\n".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{PeerStatus, ReplicaStatus, ShardStatus};

    fn db(region: &str, digest: &str) -> ActiveActiveDatabase {
        let mut db: ActiveActiveDatabase = serde_yaml::from_str(
            "apiVersion: meridian.io/v1alpha1\nkind: ActiveActiveDatabase\nmetadata: {name: cache}\nspec: {regions: [{name: a, id: 1, peerEndpoint: 'a:1'}]}",
        )
        .unwrap();
        db.status = Some(ActiveActiveDatabaseStatus {
            region: Some(region.into()),
            shards: vec![ShardStatus {
                index: 0,
                slots: "0-16383".into(),
                master: Some("cache-shard-0-0".into()),
                offset: Some(4711),
                replicas: vec![ReplicaStatus {
                    pod: "cache-shard-0-1".into(),
                    ready: true,
                    link_up: true,
                    offset: Some(4700),
                }],
                ready: true,
                digest: Some(digest.into()),
                ..Default::default()
            }],
            peers: vec![PeerStatus {
                region: "other".into(),
                id: 2,
                state: "partial-sync".into(),
                lag_ms: Some(3),
                digest_match: Some(true),
                ..Default::default()
            }],
            ..Default::default()
        });
        db
    }

    #[test]
    fn one_table_for_every_region_and_whether_they_converged() {
        let reads = vec![
            Read { context: "us".into(), database: Ok(db("us-east", "0123456789abcdef")) },
            Read { context: "eu".into(), database: Ok(db("eu-west", "0123456789abcdef")) },
        ];
        let text = render("cache", &reads);
        assert!(
            text.contains(
                "us-east  Unknown  0      0-16383  cache-shard-0-0  4711    cache-shard-0-1 (4700, up)  0123456789ab"
            ),
            "{text}"
        );
        assert!(text.contains("us-east  other  partial-sync  3ms  -               yes"), "{text}");
        assert!(text.ends_with("CONVERGED  yes (equal digests in every region)\n"), "{text}");
        let differ = vec![
            Read { context: "us".into(), database: Ok(db("us-east", "aa")) },
            Read { context: "eu".into(), database: Ok(db("eu-west", "bb")) },
            Read { context: "ap".into(), database: Err(Error::NoNamespace) },
        ];
        let text = render("cache", &differ);
        assert!(text.contains("? (ap)"), "{text}");
        assert!(text.contains("unreadable: the resource has no namespace"), "{text}");
        assert!(text.contains("CONVERGED  no"), "{text}");
    }
}
