//! Clients with state (subscribed, watching, blocked, named) that must come through other
//! clients' abuse untouched, and the check that the server then holds exactly their state.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use meridian_e2e::{RawConn, Result};

/// How long the server may take to notice that abusive connections are gone.
const SETTLE: Duration = Duration::from_secs(5);

/// One line of CLIENT LIST, as `field -> value`.
type ClientLine = BTreeMap<String, String>;

/// The long-lived clients, each with the id the server gave it.
pub struct Crowd {
    port: u16,
    subscriber: (RawConn, u64),
    watcher: (RawConn, u64),
    blocker: (RawConn, u64),
    named: (RawConn, u64),
}

fn client_id(conn: &mut RawConn) -> Result<u64> {
    let reply = conn.call(&["CLIENT", "ID"])?;
    Ok(reply.trim_start_matches(':').trim_end().parse().unwrap_or_else(|_| panic!("CLIENT ID replied {reply:?}")))
}

fn expect(conn: &mut RawConn, args: &[&str], want: &str) -> Result<()> {
    let got = conn.call(args)?;
    assert_eq!(got, want, "{args:?}");
    Ok(())
}

/// The body of a bulk or verbatim string reply.
fn text_body(reply: &str) -> String {
    let body = reply.split_once("\r\n").map_or(reply, |(_, rest)| rest).trim_end_matches("\r\n");
    body.strip_prefix("txt:").unwrap_or(body).to_string()
}

fn client_list(conn: &mut RawConn) -> Result<Vec<ClientLine>> {
    let reply = conn.call(&["CLIENT", "LIST"])?;
    Ok(text_body(&reply)
        .lines()
        .map(|line| {
            line.split(' ').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
        })
        .collect())
}

impl Crowd {
    pub fn gather(port: u16) -> Result<Crowd> {
        let mut subscriber = RawConn::connect(port)?;
        let sub_id = client_id(&mut subscriber)?;
        expect(
            &mut subscriber,
            &["SUBSCRIBE", "robust:news"],
            "*3\r\n$9\r\nsubscribe\r\n$11\r\nrobust:news\r\n:1\r\n",
        )?;
        expect(&mut subscriber, &["PSUBSCRIBE", "robust:*"], "*3\r\n$10\r\npsubscribe\r\n$8\r\nrobust:*\r\n:2\r\n")?;
        let mut watcher = RawConn::connect(port)?;
        let watch_id = client_id(&mut watcher)?;
        expect(&mut watcher, &["WATCH", "robust:watched"], "+OK\r\n")?;
        let mut named = RawConn::connect(port)?;
        let named_id = client_id(&mut named)?;
        expect(&mut named, &["CLIENT", "SETNAME", "survivor"], "+OK\r\n")?;
        let mut blocker = RawConn::connect(port)?;
        let block_id = client_id(&mut blocker)?;
        blocker.send_command(&["BLPOP", "robust:queue", "0"])?;
        Ok(Crowd {
            port,
            subscriber: (subscriber, sub_id),
            watcher: (watcher, watch_id),
            blocker: (blocker, block_id),
            named: (named, named_id),
        })
    }

    /// Checks that the server holds these clients, `others` (ids of the other connections
    /// still open) and a fresh checker connection, and nothing else; then that each client's
    /// state still works.
    pub fn check(mut self, others: &[u64], seed: u64) -> Result<()> {
        let mut checker = RawConn::connect(self.port)?;
        let checker_id = client_id(&mut checker)?;
        let mut want: Vec<u64> = vec![self.subscriber.1, self.watcher.1, self.blocker.1, self.named.1, checker_id];
        want.extend_from_slice(others);
        want.sort_unstable();
        // Connections that were cut or hung up may take a moment to be noticed.
        let deadline = Instant::now() + SETTLE;
        let list = loop {
            let list = client_list(&mut checker)?;
            let mut ids: Vec<u64> = list.iter().filter_map(|l| l.get("id")?.parse().ok()).collect();
            ids.sort_unstable();
            if ids == want || Instant::now() > deadline {
                assert_eq!(ids, want, "seed {seed}: CLIENT LIST holds exactly the open connections:\n{list:#?}");
                break list;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let line = |id: u64| list.iter().find(|l| l.get("id") == Some(&id.to_string())).cloned().unwrap_or_default();
        let field = |id: u64, name: &str| line(id).get(name).cloned().unwrap_or_default();
        assert_eq!(
            (field(self.subscriber.1, "flags"), field(self.subscriber.1, "sub"), field(self.subscriber.1, "psub")),
            ("P".into(), "1".into(), "1".into()),
            "seed {seed}: the subscriber"
        );
        assert_eq!(field(self.blocker.1, "flags"), "b", "seed {seed}: the blocked client");
        assert_eq!(field(self.blocker.1, "cmd"), "blpop", "seed {seed}: the blocked client");
        assert_eq!(field(self.named.1, "name"), "survivor", "seed {seed}: the named client");
        assert_eq!(field(self.watcher.1, "flags"), "N", "seed {seed}: the watcher");
        let info = text_body(&checker.call(&["INFO", "clients"])?);
        let info: Vec<&str> = info.lines().map(str::trim_end).collect();
        let connected = format!("connected_clients:{}", want.len());
        assert!(info.contains(&connected.as_str()) && info.contains(&"blocked_clients:1"), "seed {seed}: {info:?}");
        expect(&mut checker, &["PUBSUB", "NUMSUB", "robust:news"], "*2\r\n$11\r\nrobust:news\r\n:1\r\n")?;
        expect(&mut checker, &["PUBSUB", "NUMPAT"], ":1\r\n")?;
        expect(&mut checker, &["PUBSUB", "CHANNELS", "robust:*"], "*1\r\n$11\r\nrobust:news\r\n")?;

        // And each client's state still does its job.
        expect(&mut checker, &["PUBLISH", "robust:news", "still here"], ":2\r\n")?;
        let sub = &mut self.subscriber.0;
        assert_eq!(sub.read_text()?, "*3\r\n$7\r\nmessage\r\n$11\r\nrobust:news\r\n$10\r\nstill here\r\n");
        assert_eq!(
            sub.read_text()?,
            "*4\r\n$8\r\npmessage\r\n$8\r\nrobust:*\r\n$11\r\nrobust:news\r\n$10\r\nstill here\r\n"
        );
        expect(&mut checker, &["RPUSH", "robust:queue", "job"], ":1\r\n")?;
        assert_eq!(self.blocker.0.read_text()?, "*2\r\n$12\r\nrobust:queue\r\n$3\r\njob\r\n");
        expect(&mut checker, &["SET", "robust:watched", "changed"], "+OK\r\n")?;
        let w = &mut self.watcher.0;
        expect(w, &["MULTI"], "+OK\r\n")?;
        expect(w, &["SET", "robust:watched", "mine"], "+QUEUED\r\n")?;
        expect(w, &["EXEC"], "*-1\r\n")?;
        expect(&mut self.named.0, &["CLIENT", "GETNAME"], "$8\r\nsurvivor\r\n")?;
        expect(&mut checker, &["PING"], "+PONG\r\n")?;
        Ok(())
    }
}
