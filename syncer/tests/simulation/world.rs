//! The simulated world: regions of (master, replica) nodes, each a real `Shard` with its real
//! `ReplState` (backlog included), linked by replication sessions and syncer subscriptions that
//! move records with the protocol functions the gRPC layer uses. Everything is driven by one
//! seeded RNG and a simulated clock: a seed replays exactly.

use std::collections::HashMap;

use meridian_datanode::crdt::{ActorId, CausalContext};
use meridian_datanode::keyspace::slot::SlotRange;
use meridian_datanode::node::codec::decode_delta;
use meridian_datanode::node::replication::{NodeSettings, ReplState, Role};
use meridian_datanode::repl::protocol::{self, HandOver, Start};
use meridian_datanode::shard::{Identity, Shard};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Small enough that bursts of writes overrun it and force full syncs.
pub const BACKLOG: usize = 6 * 1024;

pub struct Node {
    pub repl: ReplState,
    pub shard: Shard,
    /// Bumped at every crash or role change: sessions made with an older one are dead.
    pub incarnation: u64,
    /// A master cut off from everyone (split brain): it still takes writes.
    pub isolated: bool,
    /// For a replica: the position its session with the master has reached.
    pub session: Option<u64>,
}

pub struct Sub {
    ctx: CausalContext,
    live_from: u64,
    pos: u64,
    /// (peer master's incarnation, local master's incarnation) when it started.
    made_with: (u64, u64),
}

pub struct Region {
    pub id: u8,
    /// Peers (by index) this region's syncer must next sync from in full (anti-entropy).
    pub full_from: Vec<usize>,
    pub nodes: Vec<Node>,
    pub master: usize,
    pub syncer_up: bool,
    /// This region's subscriptions, by peer region index.
    pub subs: HashMap<usize, Sub>,
}

pub struct World {
    pub rng: StdRng,
    pub now_ms: u64,
    pub regions: Vec<Region>,
    /// links[a][b]: the network between regions a and b is up.
    pub links: Vec<Vec<bool>>,
    pub log: Vec<String>,
    next_actor: u64,
}

fn node(region: u8, actor: u64, incarnation: u64) -> Node {
    let settings = NodeSettings {
        database_id: "sim".into(),
        region,
        active_active: true,
        backlog_size: BACKLOG,
        repl_addr: String::new(),
    };
    let shard = Shard::replicated(Identity { region, actor: ActorId(actor) });
    let repl = ReplState::new(settings);
    repl.ensure_backlog(&shard);
    Node { repl, shard, incarnation, isolated: false, session: None }
}

impl World {
    pub fn new(seed: u64, regions: u8) -> World {
        let mut w = World {
            rng: StdRng::seed_from_u64(seed),
            now_ms: 1_000_000,
            regions: Vec::new(),
            links: vec![vec![true; regions as usize]; regions as usize],
            log: Vec::new(),
            next_actor: 1,
        };
        for id in 1..=regions {
            let master = node(id, w.actor(), 1);
            let mut replica = node(id, w.actor(), 1);
            replica.repl.demote(
                &mut replica.shard,
                Role::Replica { master: String::new(), resp_host: String::new(), resp_port: 0 },
            );
            let region = Region {
                id,
                full_from: Vec::new(),
                nodes: vec![master, replica],
                master: 0,
                syncer_up: true,
                subs: HashMap::new(),
            };
            w.regions.push(region);
        }
        w
    }

    fn actor(&mut self) -> u64 {
        self.next_actor += 1;
        self.next_actor
    }

    pub fn tick(&mut self, ms: u64) {
        self.now_ms += ms;
        for r in &mut self.regions {
            for n in &mut r.nodes {
                n.shard.set_now(self.now_ms);
            }
        }
    }

    pub fn master(&mut self, r: usize) -> &mut Node {
        let m = self.regions[r].master;
        &mut self.regions[r].nodes[m]
    }

    /// Moves up to `max` records from region `r`'s master to its replica, making the
    /// session first if there is none (hand-over, then partial or full sync).
    pub fn replicate(&mut self, r: usize, max: usize) {
        let region = &mut self.regions[r];
        let (m, rep) = (region.master, 1 - region.master);
        if region.nodes[m].isolated || region.nodes[rep].isolated {
            region.nodes[rep].session = None;
            return;
        }
        let (master, replica) = pair(&mut region.nodes, m, rep);
        if replica.session.is_none() {
            match protocol::hand_over(&replica.repl, &replica.shard, master.shard.applied()) {
                None => {}
                Some(HandOver::Deltas(deltas)) => {
                    protocol::apply_peer_deltas(&master.repl, &mut master.shard, &deltas);
                    self.log.push(format!("region {} old master hands {} deltas over", region.id, deltas.len()));
                }
                Some(HandOver::Snapshot(snap)) => {
                    protocol::take_handed_over_snapshot(&master.repl, &mut master.shard, &snap);
                    // Its replication id changed: every syncer notices and subscribes again.
                    master.incarnation += 1;
                    self.log.push(format!("region {} old master hands its whole state over", region.id));
                }
            }
            let (replid, offset) = match replica.repl.stream.backlog.lock().as_ref() {
                Some(b) => (b.replid.clone(), b.offset()),
                None => (String::new(), 0),
            };
            let Some(Start { replid, offset, snapshot, .. }) =
                protocol::start_replica(&master.repl, &mut master.shard, &replid, offset)
            else {
                return;
            };
            match snapshot {
                Some(snap) => protocol::replica_full_sync(&replica.repl, &mut replica.shard, replid, offset, &snap),
                None => {
                    if protocol::replica_resume(&replica.repl, replid, offset).is_err() {
                        return;
                    }
                }
            }
            replica.session = Some(offset);
        }
        let Some(pos) = replica.session else { return };
        let records = master.repl.stream.backlog.lock().as_ref().and_then(|b| b.read(pos, max));
        let Some(records) = records else {
            replica.session = None; // overrun: the next session is a full sync
            return;
        };
        for rec in records {
            let Ok(delta) = decode_delta(&rec.payload) else { panic!("the master's own record does not decode") };
            if protocol::replica_apply(
                &replica.repl,
                &mut replica.shard,
                rec.offset,
                &delta,
                rec.payload.clone(),
                rec.origin,
            )
            .is_err()
            {
                replica.session = None;
                return;
            }
            replica.session = Some(rec.end());
        }
    }

    /// Region `r`'s syncer pulls up to `max` records from region `p`'s master and applies
    /// them to `r`'s master: batches are shuffled and partly duplicated, as a network of
    /// retries may deliver them.
    pub fn sync(&mut self, r: usize, p: usize, max: usize) {
        let up = self.links[r][p]
            && self.regions[r].syncer_up
            && self.regions[p].syncer_up
            && !self.master(r).isolated
            && !self.master(p).isolated;
        let made_with = (self.master(p).incarnation, self.master(r).incarnation);
        if !up || self.regions[r].subs.get(&p).is_some_and(|s| s.made_with != made_with) {
            self.regions[r].subs.remove(&p);
        }
        if !up {
            return;
        }
        let (peer_id, my_id) = (self.regions[p].id, self.regions[r].id);
        if !self.regions[r].subs.contains_key(&p) {
            let full = self.regions[r].full_from.contains(&p);
            self.regions[r].full_from.retain(|x| *x != p);
            let ctx = self.master(r).shard.applied().clone();
            let peer = self.master(p);
            let Some(start) = protocol::start_subscriber(&peer.repl, &mut peer.shard, &ctx, &[SlotRange::ALL], full)
            else {
                return;
            };
            if let Some(snap) = &start.snapshot {
                let me = self.master(r);
                protocol::apply_peer_snapshot(&me.repl, &mut me.shard, &[SlotRange::ALL], snap, peer_id);
                self.log.push(format!("region {my_id} full-syncs from region {peer_id}"));
            }
            let sub = Sub { ctx, live_from: start.live_from, pos: start.offset, made_with };
            self.regions[r].subs.insert(p, sub);
        }
        let Some(sub) = self.regions[r].subs.get(&p) else { return };
        let (pos, ctx, live_from) = (sub.pos, sub.ctx.clone(), sub.live_from);
        let records = self.master(p).repl.stream.backlog.lock().as_ref().and_then(|b| b.read(pos, max));
        let Some(records) = records else {
            self.regions[r].subs.remove(&p);
            return;
        };
        let mut batch = Vec::new();
        let mut end = pos;
        for rec in &records {
            end = rec.end();
            let payload = match protocol::pick_for_subscriber(rec, &ctx, live_from, &[SlotRange::ALL]) {
                protocol::Gets::Nothing => None,
                protocol::Gets::Record => Some(rec.payload.clone()),
                protocol::Gets::Part(payload, _) => Some(payload),
            };
            if let Some(payload) = payload {
                let Ok(delta) = decode_delta(&payload) else { panic!("a picked record does not decode") };
                let origin = if rec.origin == 0 { peer_id } else { rec.origin };
                batch.push((delta, payload, origin));
            }
        }
        if batch.len() > 1 && self.rng.gen_bool(0.3) {
            batch.shuffle(&mut self.rng);
        }
        if !batch.is_empty() && self.rng.gen_bool(0.2) {
            let i = self.rng.gen_range(0..batch.len());
            let copy = (batch[i].0.clone(), batch[i].1.clone(), batch[i].2);
            batch.push(copy);
        }
        let me = self.master(r);
        protocol::apply_peer_deltas(&me.repl, &mut me.shard, &batch);
        if let Some(sub) = self.regions[r].subs.get_mut(&p) {
            sub.pos = end;
        }
    }

    /// A node crashes: its state is gone. A master's replica is promoted; the node comes
    /// back empty as a replica.
    pub fn crash(&mut self, r: usize, which: usize) {
        let actor = self.actor();
        let promoted_actor = self.actor();
        let region = &mut self.regions[r];
        let was_master = which == region.master;
        let incarnation = region.nodes[which].incarnation + 1;
        let mut fresh = node(region.id, actor, incarnation);
        fresh
            .repl
            .demote(&mut fresh.shard, Role::Replica { master: String::new(), resp_host: String::new(), resp_port: 0 });
        region.nodes[which] = fresh;
        if was_master {
            let other = 1 - which;
            // An isolated old master is the only copy left: it is the master again, reachable.
            region.nodes[other].isolated = false;
            promote(&mut region.nodes[other], promoted_actor);
            region.master = other;
        }
        region.nodes[1 - region.master].session = None;
        self.log.push(format!("crash region {} node {which} (master: {was_master})", region.id));
    }

    /// Split brain: the master is cut off from everyone but keeps taking writes; its replica
    /// is promoted.
    pub fn isolate_master(&mut self, r: usize) {
        let actor = self.actor();
        let region = &mut self.regions[r];
        let old = region.master;
        region.nodes[old].isolated = true;
        let new = 1 - old;
        promote(&mut region.nodes[new], actor);
        region.nodes[new].session = None;
        region.master = new;
        self.log.push(format!("region {} master isolated; replica promoted", region.id));
    }

    /// An isolated old master rejoins as a replica of the new one (its extra writes are
    /// handed over when its session starts).
    pub fn rejoin(&mut self, r: usize) {
        let region = &mut self.regions[r];
        for (i, n) in region.nodes.iter_mut().enumerate() {
            if n.isolated {
                n.isolated = false;
                n.incarnation += 1;
                n.session = None;
                let role = Role::Replica { master: String::new(), resp_host: String::new(), resp_port: 0 };
                n.repl.demote(&mut n.shard, role);
                self.log.push(format!("region {} node {i} rejoins as replica", region.id));
            }
        }
    }

    pub fn any_isolated(&self, r: usize) -> bool {
        self.regions[r].nodes.iter().any(|n| n.isolated)
    }

    /// Heals: settles, then while a region's context lacks dots a peer has (which no stream
    /// will bring), has it sync from that peer in full, as the syncer's anti-entropy check does.
    pub fn heal(&mut self) -> bool {
        for _ in 0..10 {
            if !self.settle() {
                return false;
            }
            let mut gaps = Vec::new();
            for r in 0..self.regions.len() {
                for p in 0..self.regions.len() {
                    let (mr, mp) = (&self.regions[r], &self.regions[p]);
                    if r != p
                        && protocol::lacks(mr.nodes[mr.master].shard.context(), mp.nodes[mp.master].shard.context())
                    {
                        gaps.push((r, p));
                    }
                }
            }
            if gaps.is_empty() {
                return true;
            }
            for (r, p) in gaps {
                self.log.push(format!("anti-entropy: region {} syncs in full from region {}", r + 1, p + 1));
                self.regions[r].subs.remove(&p);
                self.regions[r].full_from.push(p);
            }
        }
        false
    }

    /// Runs every link until nothing moves. Returns false if it did not settle.
    pub fn settle(&mut self) -> bool {
        for _ in 0..500 {
            let before = self.positions();
            for r in 0..self.regions.len() {
                self.replicate(r, 1000);
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
            for n in &r.nodes {
                v.push(n.repl.stream.backlog.lock().as_ref().map_or(0, |b| b.offset()));
                v.push(n.session.unwrap_or(u64::MAX));
            }
            let mut subs: Vec<_> = r.subs.iter().map(|(p, s)| (*p as u64, s.pos)).collect();
            subs.sort();
            v.extend(subs.into_iter().flat_map(|(a, b)| [a, b]));
        }
        v
    }

    /// Every session exists and has read everything its source holds.
    fn quiet(&self) -> bool {
        self.regions.iter().enumerate().all(|(ri, r)| {
            let m = &r.nodes[r.master];
            let head = m.repl.stream.backlog.lock().as_ref().map_or(0, |b| b.offset());
            let replica_done = r.nodes[1 - r.master].session == Some(head);
            let subs_done = (0..self.regions.len()).filter(|p| *p != ri).all(|p| {
                let peer = &self.regions[p];
                let peer_head = peer.nodes[peer.master].repl.stream.backlog.lock().as_ref().map_or(0, |b| b.offset());
                r.subs.get(&p).is_some_and(|s| s.pos == peer_head)
            });
            replica_done && subs_done
        })
    }

    pub fn digests(&self) -> Vec<((u8, usize), [u8; 32])> {
        self.regions
            .iter()
            .flat_map(|r| r.nodes.iter().enumerate().map(move |(i, n)| ((r.id, i), n.shard.digest())))
            .collect()
    }

    /// Whether any node other than (r, which) has seen every dot of `dots`.
    pub fn survives_elsewhere(&self, r: usize, which: usize, dots: &[meridian_datanode::crdt::Dot]) -> bool {
        self.regions.iter().enumerate().any(|(ri, region)| {
            region
                .nodes
                .iter()
                .enumerate()
                .any(|(ni, n)| (ri, ni) != (r, which) && dots.iter().all(|d| n.shard.context().contains(d)))
        })
    }
}

fn promote(n: &mut Node, actor: u64) {
    n.repl.promote(&mut n.shard, ActorId(actor));
    n.incarnation += 1;
    n.session = None;
}

fn pair(nodes: &mut [Node], a: usize, b: usize) -> (&mut Node, &mut Node) {
    let (lo, hi) = nodes.split_at_mut(a.max(b));
    if a < b { (&mut lo[a], &mut hi[0]) } else { (&mut hi[0], &mut lo[b]) }
}
