//! The simulated network: it carries the messages the shipping code makes and nothing else.
//! Inside a region a replica follows its master through the datanode's own request handler
//! (`handlers::sync`), stream cursor and event handling (`follow::on_event`), after handing
//! over what the master lacks (`follow::hand_over`). Across regions each syncer runs its real
//! `PeerLink`s: the peer plans its master subscriptions with `forward::plan`, opens them with
//! `handlers::subscribe`, tags their events with `forward::tag`, and the link's calls are
//! made with `handlers::apply` / `handlers::apply_snapshot` on the local masters. Faults:
//! cut links, streams of several masters interleaved in any order, replies lost after a call
//! was made (so it is made again after the resubscription), heartbeats late.

use meridian_datanode::repl::fullsync::Assembler;
use meridian_datanode::repl::stream::{Read, event};
use meridian_datanode::repl::{follow, handlers};
use meridian_proto::sync_event::Event;
use meridian_proto::{Heartbeat, PeerEvent, PeerStatusReply, SyncEvent};
use meridian_syncer::forward;
use meridian_syncer::gap::LocalSeen;
use meridian_syncer::link::Call;
use rand::Rng;

use crate::world::{Conn, DATABASE, Region, Relayed, Session, World};
use meridian_datanode::keyspace::slot::SlotRange;

/// Two regions at once, the first mutable.
fn pair(regions: &mut [Region], a: usize, b: usize) -> (&mut Region, &Region) {
    if a < b {
        let (lo, hi) = regions.split_at_mut(b);
        (&mut lo[a], &hi[0])
    } else {
        let (lo, hi) = regions.split_at_mut(a);
        (&mut hi[0], &lo[b])
    }
}

/// The next event of a stream: what is left of its opening, then the backlog.
fn next_event(
    opening: &mut std::collections::VecDeque<SyncEvent>,
    cursor: &mut meridian_datanode::repl::stream::Cursor,
    master: &meridian_datanode::node::Node,
) -> Result<Option<SyncEvent>, ()> {
    if let Some(e) = opening.pop_front() {
        return Ok(Some(e));
    }
    let guard = master.repl.stream.backlog.lock();
    let Some(backlog) = guard.as_ref() else { return Err(()) };
    match cursor.read(backlog) {
        Read::Overrun => Err(()),
        Read::CaughtUp => Ok(None),
        Read::Deltas(Some(message)) => Ok(Some(event(Event::Deltas(message)))),
        Read::Deltas(None) => {
            Ok(Some(event(Event::Heartbeat(Heartbeat { offset: cursor.pos, unix_ms: 0, behind: 0 }))))
        }
    }
}

impl World {
    /// Shard `g` of region `r`: moves up to `max` events from its master to its replica,
    /// making the session first if there is none.
    pub fn replicate(&mut self, r: usize, g: usize, max: usize) {
        let group = &mut self.regions[r].groups[g];
        let (m, rep) = (group.master, 1 - group.master);
        if group.nodes[m].isolated || group.nodes[rep].isolated {
            group.nodes[rep].session = None;
            return;
        }
        let (lo, hi) = group.nodes.split_at_mut(1);
        let (master, replica) = if m == 0 { (&mut lo[0], &mut hi[0]) } else { (&mut hi[0], &mut lo[0]) };
        if replica.session.as_ref().is_some_and(|s| s.master != master.incarnation) {
            replica.session = None;
        }
        if replica.session.is_none() {
            match follow::hand_over(&replica.node, &handlers::status(&master.node, false)) {
                Ok(None) => {}
                Ok(Some(follow::HandOver::Apply(request))) => {
                    let n = request.deltas.len();
                    if handlers::apply(&master.node, request).is_err() {
                        return;
                    }
                    self.log.push(format!("region {} shard {g}: old master hands {n} deltas over", r + 1));
                }
                Ok(Some(follow::HandOver::Snapshot(parts))) => {
                    if handlers::apply_snapshot(&master.node, parts).is_err() {
                        return;
                    }
                    self.log.push(format!("region {} shard {g}: old master hands its whole state over", r + 1));
                }
                Err(_) => return,
            }
            let Ok(opening) = handlers::sync(&master.node, &follow::sync_request(&replica.node)) else { return };
            replica.session = Some(Session {
                opening: opening.events.into(),
                cursor: opening.cursor,
                assembler: Assembler::default(),
                master: master.incarnation,
            });
        }
        let Some(session) = replica.session.as_mut() else { return };
        for _ in 0..max {
            let event = match next_event(&mut session.opening, &mut session.cursor, &master.node) {
                Ok(Some(e)) => e,
                Ok(None) => return,
                Err(()) => {
                    // Overrun: the next session is a full sync.
                    replica.session = None;
                    return;
                }
            };
            if follow::on_event(&replica.node, &mut session.assembler, event.event).is_err() {
                replica.session = None;
                return;
            }
        }
    }

    fn link_up(&self, r: usize, p: usize) -> bool {
        self.links[r][p] && self.regions[r].syncer_up && self.regions[p].syncer_up
    }

    fn drop_conn(&mut self, r: usize, p: usize) {
        if let Some(l) = self.regions[r].links.get_mut(&p) {
            if l.conn.take().is_some() {
                l.link.disconnected();
            }
        }
    }

    /// Region `r`'s syncer subscribes to region `p` (as its `pull` would), the peer opens
    /// the master subscriptions its syncer would.
    fn connect(&mut self, r: usize, p: usize) -> Option<Conn> {
        let local_now: Vec<u64> =
            (0..self.regions[r].groups.len()).map(|g| self.regions[r].master(g).incarnation).collect();
        let applied = (0..self.regions[r].groups.len())
            .map(|g| handlers::status(&self.regions[r].master(g).node, false).applied)
            .collect();
        let request = self.regions[r].links.get_mut(&p)?.link.subscribe(applied);
        let peer = &self.regions[p];
        let forwards = forward::plan(&peer.ranges(), DATABASE, self.regions[r].id, &request.contexts).ok()?;
        let mut streams = Vec::new();
        for f in forwards {
            let master = peer.master(f.shard);
            let opening = handlers::subscribe(&master.node, &f.request).ok()?;
            streams.push(Relayed {
                master: master.incarnation,
                opening: opening.events.into(),
                cursor: opening.cursor,
                forward: f,
                beat: false,
            });
        }
        Some(Conn { streams, local: local_now })
    }

    /// Region `r`'s syncer pulls up to `max` events from region `p`: the peer's streams
    /// interleaved at random, fed to the link, its calls made on the local masters.
    pub fn sync(&mut self, r: usize, p: usize, max: usize) {
        if !self.link_up(r, p) {
            self.drop_conn(r, p);
            return;
        }
        // A local or peer master that changed ends the subscription, as in the syncer.
        let broken = self.regions[r].links.get(&p).and_then(|l| l.conn.as_ref()).is_some_and(|c| {
            c.local.iter().enumerate().any(|(g, inc)| self.regions[r].master(g).incarnation != *inc)
                || c.streams.iter().any(|s| self.regions[p].master(s.forward.shard).incarnation != s.master)
        });
        if broken {
            self.drop_conn(r, p);
        }
        if self.regions[r].links.get(&p).is_some_and(|l| l.conn.is_none()) {
            let conn = self.connect(r, p);
            if conn.is_none() {
                self.drop_conn(r, p);
                return;
            }
            if let Some(l) = self.regions[r].links.get_mut(&p) {
                l.conn = conn;
            }
        }
        let Some(batch) = self.gather(r, p, max) else {
            self.drop_conn(r, p);
            return;
        };
        if batch.is_empty() {
            return;
        }
        let Some(link) = self.regions[r].links.get_mut(&p) else { return };
        let calls = match link.link.receive(batch) {
            Ok(received) => received.calls,
            Err(e) => {
                self.log.push(format!("region {} from {}: {e}", r + 1, p + 1));
                self.drop_conn(r, p);
                return;
            }
        };
        for call in calls {
            let (g, result) = match call {
                Call::Apply { shard, request } => {
                    (shard, handlers::apply(&self.regions[r].master(shard).node, request).err())
                }
                Call::Snapshot { shard, parts } => {
                    self.log.push(format!("region {} full-syncs shard {shard} from region {}", r + 1, p + 1));
                    (shard, handlers::apply_snapshot(&self.regions[r].master(shard).node, parts).err())
                }
            };
            // An error, or a reply lost on the way back: the syncer starts over.
            if result.is_some() || self.rng.gen_bool(0.02) {
                self.log.push(format!("region {} from {}: call on shard {g} failed or reply lost", r + 1, p + 1));
                self.drop_conn(r, p);
                return;
            }
        }
    }

    /// Up to `max` events from the peer's streams, picked at random among those with
    /// something to send. None when a stream broke (overrun).
    fn gather(&mut self, r: usize, p: usize, max: usize) -> Option<Vec<PeerEvent>> {
        let (mine, peer) = pair(&mut self.regions, r, p);
        let streams = &mut mine.links.get_mut(&p)?.conn.as_mut()?.streams;
        let mut out = Vec::new();
        while out.len() < max && !streams.is_empty() {
            let n = streams.len();
            let start = self.rng.gen_range(0..n);
            let mut sent = false;
            for k in 0..n {
                let s = &mut streams[(start + k) % n];
                let master = &peer.master(s.forward.shard).node;
                let event = match next_event(&mut s.opening, &mut s.cursor, master) {
                    Err(()) => return None,
                    Ok(Some(e)) => e,
                    // Caught up: once, a heartbeat says so (behind 0), as the feed does.
                    Ok(None) if s.beat => {
                        s.beat = false;
                        event(Event::Heartbeat(Heartbeat { offset: s.cursor.pos, unix_ms: 0, behind: 0 }))
                    }
                    Ok(None) => continue,
                };
                if matches!(event.event, Some(Event::Deltas(_))) {
                    s.beat = true;
                }
                out.push(forward::tag(peer.id, &s.forward, event).ok()?);
                sent = true;
                break;
            }
            if !sent {
                break;
            }
        }
        Some(out)
    }

    /// Counts the link ticks of region `r`'s syncer; a due anti-entropy check runs on
    /// Status answers as the syncer's does, and a gap ends the subscription.
    pub fn link_ticks(&mut self, r: usize) {
        let peers: Vec<usize> = self.regions[r].links.keys().copied().collect();
        for p in peers {
            // Bounded: each turn takes a second off the link's clock.
            while let Some(l) = self.regions[r].links.get_mut(&p) {
                if l.clock_ms < 1000 {
                    break;
                }
                l.clock_ms -= 1000;
                if l.conn.is_none() || !l.link.tick() {
                    continue;
                }
                let (theirs, mine) = self.statuses(r, p, &[]);
                let Some(l) = self.regions[r].links.get_mut(&p) else { break };
                let checked = match l.link.check_gaps(&theirs, &mine) {
                    Ok(alike) if !alike.is_empty() => {
                        let (theirs, mine) = self.statuses(r, p, &alike);
                        let Some(l) = self.regions[r].links.get_mut(&p) else { break };
                        l.link.check_digests(&theirs, &mine)
                    }
                    other => other.map(|_| ()),
                };
                if let Err(e) = checked {
                    self.log.push(format!("region {} from {}: {e}", r + 1, p + 1));
                    self.drop_conn(r, p);
                }
            }
        }
    }

    /// What region `r`'s syncer reads in a check of peer `p`: the peer syncer's Status reply
    /// and its own masters' Status, each with the digests of those of `digest_ranges` that
    /// lie within the shard (as `pull::local_statuses` asks them).
    fn statuses(&self, r: usize, p: usize, digest_ranges: &[SlotRange]) -> (PeerStatusReply, Vec<LocalSeen>) {
        let status = |region: &Region, g: usize| {
            let range = region.groups[g].range;
            let within: Vec<SlotRange> =
                digest_ranges.iter().copied().filter(|d| range.start <= d.start && d.end <= range.end).collect();
            (range, handlers::status_with(&region.master(g).node, false, &within))
        };
        let peer = &self.regions[p];
        let statuses: Vec<_> = (0..peer.groups.len()).map(|g| status(peer, g)).collect();
        let theirs = forward::status_reply(peer.id, &statuses);
        let mine = (0..self.regions[r].groups.len())
            .filter_map(|g| {
                let (range, s) = status(&self.regions[r], g);
                LocalSeen::from_status(range, &s)
            })
            .collect();
        (theirs, mine)
    }

    /// Heals: settles, then lets anti-entropy checks run until none finds a gap.
    pub fn heal(&mut self) -> bool {
        for _ in 0..20 {
            if !self.settle() {
                return false;
            }
            let gaps_before = self.log.iter().filter(|l| l.contains("anti-entropy")).count();
            // Two checks, so a gap can outlive one; the links stay caught up meanwhile. A link
            // busy before the heal skips its first due check (`PeerLink::tick` runs one only
            // after a whole idle period), so two checks take three periods: with two, a link
            // could check once, only record the peer, and the heal end with a gap unseen
            // (seed 38426 of the long run).
            for _ in 0..3 * meridian_syncer::link::GAP_CHECK_TICKS {
                self.tick(1000);
                for r in 0..self.regions.len() {
                    self.link_ticks(r);
                }
            }
            let gaps_after = self.log.iter().filter(|l| l.contains("anti-entropy")).count();
            if gaps_after == gaps_before && self.settle() && self.quiet() {
                return true;
            }
        }
        false
    }

    /// Runs every link until nothing moves. Returns false if it did not settle.
    pub fn settle(&mut self) -> bool {
        for _ in 0..500 {
            let before = self.positions();
            for r in 0..self.regions.len() {
                for g in 0..self.regions[r].groups.len() {
                    self.replicate(r, g, 1000);
                }
                for p in 0..self.regions.len() {
                    if p != r {
                        self.sync(r, p, 1000);
                    }
                }
            }
            if self.positions() == before && self.quiet() {
                return true;
            }
        }
        false
    }

    fn positions(&self) -> Vec<u64> {
        let mut v = Vec::new();
        for r in &self.regions {
            for g in &r.groups {
                for n in &g.nodes {
                    v.push(n.node.repl.stream.backlog.lock().as_ref().map_or(0, |b| b.offset()));
                    v.push(n.session.as_ref().map_or(u64::MAX, |s| s.cursor.pos));
                }
            }
            for (p, l) in &r.links {
                v.push(*p as u64);
                v.extend(l.conn.iter().flat_map(|c| c.streams.iter().map(|s| s.cursor.pos)));
            }
        }
        v
    }

    /// Every stream exists and has delivered everything its source holds.
    pub fn quiet(&self) -> bool {
        let head = |n: &crate::world::SimNode| n.node.repl.stream.backlog.lock().as_ref().map_or(0, |b| b.offset());
        self.regions.iter().all(|r| {
            let replicas = r.groups.iter().all(|g| {
                let rep = &g.nodes[1 - g.master];
                rep.session.as_ref().is_some_and(|s| s.opening.is_empty() && s.cursor.pos == head(&g.nodes[g.master]))
            });
            let links = r.links.values().all(|l| {
                l.conn.as_ref().is_some_and(|c| {
                    c.streams.iter().all(|s| {
                        let peer = self.regions.iter().find(|x| x.id == l.link.peer());
                        s.opening.is_empty() && peer.is_some_and(|x| s.cursor.pos == head(x.master(s.forward.shard)))
                    })
                })
            });
            replicas && links
        })
    }
}
