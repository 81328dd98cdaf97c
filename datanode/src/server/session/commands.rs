//! Commands that need the connection or the whole server, not just the shard.

use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;

use super::{Flow, Session};
use crate::cmd::format::parse_int;
use crate::cmd::{self, Args, ReplyError, args::is};
use crate::resp::Reply;
use crate::server::info::{self, REDIS_VERSION};
use crate::shard::Shard;

type Res = Result<Reply, ReplyError>;

impl Session {
    pub(super) fn session_command(&mut self, name: &str, req: Vec<Bytes>, shard: &mut Shard) -> Flow {
        let mut args = Args::new(req);
        let result = match name {
            "quit" => {
                self.reply(Reply::Ok);
                return Flow::Close;
            }
            "multi" => self.multi(),
            "exec" => self.exec(shard),
            "discard" => self.discard(shard),
            "watch" => self.watch(&mut args, shard),
            "unwatch" => {
                self.unwatch_all(shard);
                Ok(Reply::Ok)
            }
            "subscribe" | "psubscribe" => {
                self.subscribe(args.rest(), name == "psubscribe");
                return Flow::Next;
            }
            "unsubscribe" | "punsubscribe" => {
                self.unsubscribe(args.rest(), name == "punsubscribe");
                return Flow::Next;
            }
            _ => self.simple_command(name, &mut args, shard),
        };
        let reply = result.unwrap_or_else(Reply::from);
        self.reply(reply);
        Flow::Next
    }

    /// Session commands that may also run inside EXEC.
    fn simple_command(&mut self, name: &str, args: &mut Args, shard: &mut Shard) -> Res {
        match name {
            "ping" => self.ping(args),
            "echo" => Ok(Reply::Bulk(args.bytes()?)),
            "select" => select(args),
            "auth" => self.auth(args),
            "hello" => self.hello(args),
            "reset" => Ok(self.reset(shard)),
            "client" => self.client(args),
            "info" => {
                let sections: Vec<String> =
                    args.rest().iter().map(|s| String::from_utf8_lossy(s).to_ascii_lowercase()).collect();
                Ok(Reply::Verbatim(info::render(&self.server, shard, &sections)))
            }
            "config" => self.config(args),
            "replicaof" | "slaveof" => self.replicaof(args, shard),
            "role" => self.role(args),
            "command" => command(args),
            "time" => {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                Ok(Reply::Array(vec![
                    Reply::text(&now.as_secs().to_string()),
                    Reply::text(&now.subsec_micros().to_string()),
                ]))
            }
            "publish" => {
                let channel = args.bytes()?;
                let message = args.bytes()?;
                let (n, overflowed) = self.server.pubsub.lock().publish(&channel, &message);
                for id in overflowed {
                    if let Some(c) = self.server.clients.get(id) {
                        c.kill.notify_one();
                    }
                }
                Ok(Reply::Int(n as i64))
            }
            "pubsub" => self.pubsub(args),
            "function" => {
                let sub = args.bytes()?;
                if is(&sub, "flush") {
                    // No functions can be loaded yet, so there is nothing to flush.
                    let _mode_given = args.eat("async") || args.eat("sync");
                    args.finish()?;
                    Ok(Reply::Ok)
                } else {
                    Err(subcommand_error(&sub, "function"))
                }
            }
            "cluster" => self.cluster(args, shard),
            "readonly" | "readwrite" => {
                self.set_readonly(name == "readonly");
                Ok(Reply::Ok)
            }
            "multi" | "exec" | "discard" | "watch" | "unwatch" | "quit" => {
                Err(ReplyError::new(format!("ERR Command not allowed inside a transaction: {name}")))
            }
            "subscribe" | "psubscribe" | "unsubscribe" | "punsubscribe" => {
                Err(ReplyError::new(format!("ERR Command not allowed inside a transaction: {name}")))
            }
            other => Err(ReplyError::new(format!("ERR unknown command '{other}'"))),
        }
    }

    fn ping(&mut self, args: &mut Args) -> Res {
        let msg = args.next();
        if args.remaining() > 0 {
            return Err(ReplyError::wrong_arity("ping"));
        }
        if !self.resp3 && self.subscribed() {
            return Ok(Reply::Array(vec![Reply::text("pong"), Reply::Bulk(msg.unwrap_or_default())]));
        }
        Ok(match msg {
            Some(m) => Reply::Bulk(m),
            None => Reply::status("PONG"),
        })
    }

    fn auth(&mut self, args: &mut Args) -> Res {
        let first = args.bytes()?;
        let (user, pass) = match args.next() {
            Some(p) => (Some(first), p),
            None => (None, first),
        };
        args.finish()?;
        self.check_password(user.as_deref(), &pass)?;
        Ok(Reply::Ok)
    }

    fn check_password(&mut self, user: Option<&[u8]>, pass: &[u8]) -> Result<(), ReplyError> {
        let required = self.server.config.read().get("requirepass").unwrap_or("").to_string();
        if required.is_empty() && user.is_none() {
            return Err(ReplyError::new(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            ));
        }
        let user_ok = user.is_none_or(|u| u == b"default");
        let pass_ok = required.is_empty() || pass == required.as_bytes();
        if user_ok && pass_ok {
            self.authed = true;
            Ok(())
        } else {
            Err(ReplyError::new("WRONGPASS invalid username-password pair or user is disabled."))
        }
    }

    fn hello(&mut self, args: &mut Args) -> Res {
        let mut proto = if self.resp3 { 3 } else { 2 };
        if let Some(v) = args.next() {
            proto = match parse_int(&v) {
                Some(n @ 2..=3) => n,
                Some(_) => return Err(ReplyError::new("NOPROTO unsupported protocol version")),
                None => return Err(ReplyError::new("ERR Protocol version is not an integer or out of range")),
            };
            while let Some(opt) = args.next() {
                if is(&opt, "auth") {
                    let user = args.bytes()?;
                    let pass = args.bytes()?;
                    self.check_password(Some(&user), &pass)?;
                } else if is(&opt, "setname") {
                    let name = args.bytes()?;
                    set_name(&self.handle, &name)?;
                } else {
                    return Err(ReplyError::new(format!(
                        "ERR Syntax error in HELLO option '{}'",
                        String::from_utf8_lossy(&opt)
                    )));
                }
            }
        }
        if !self.authed {
            return Err(ReplyError::new(
                "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
            ));
        }
        self.resp3 = proto == 3;
        self.handle.info.lock().resp = proto as u8;
        Ok(Reply::Map(vec![
            (Reply::text("server"), Reply::text("redis")),
            (Reply::text("version"), Reply::text(REDIS_VERSION)),
            (Reply::text("proto"), Reply::Int(proto)),
            (Reply::text("id"), Reply::Int(self.id as i64)),
            (Reply::text("mode"), Reply::text(if self.sharded() { "cluster" } else { "standalone" })),
            (Reply::text("role"), Reply::text("master")),
            (Reply::text("modules"), Reply::Array(vec![])),
        ]))
    }

    fn reset(&mut self, shard: &mut Shard) -> Reply {
        self.multi = None;
        self.multi_failed = false;
        self.unwatch_all(shard);
        let subs: Vec<Bytes> = self.subs.iter().cloned().collect();
        let psubs: Vec<Bytes> = self.psubs.iter().cloned().collect();
        let mut ps = self.server.pubsub.lock();
        for ch in subs {
            ps.unsubscribe(&ch, self.id);
        }
        for p in psubs {
            ps.punsubscribe(&p, self.id);
        }
        drop(ps);
        self.subs.clear();
        self.psubs.clear();
        self.resp3 = false;
        self.set_readonly(false);
        self.authed = self.server.config.read().get("requirepass").is_none_or(str::is_empty);
        let mut info = self.handle.info.lock();
        info.name = None;
        info.resp = 2;
        info.sub = 0;
        info.psub = 0;
        info.multi = -1;
        Reply::status("RESET")
    }

    fn client(&mut self, args: &mut Args) -> Res {
        let sub = args.bytes()?;
        let sub_lower = String::from_utf8_lossy(&sub).to_ascii_lowercase();
        match sub_lower.as_str() {
            "id" => {
                args.finish()?;
                Ok(Reply::Int(self.id as i64))
            }
            "setname" => {
                let name = args.bytes()?;
                args.finish().map_err(|_| ReplyError::wrong_arity("client|setname"))?;
                set_name(&self.handle, &name)?;
                Ok(Reply::Ok)
            }
            "getname" => {
                args.finish()?;
                Ok(self.handle.info.lock().name.clone().map_or(Reply::Nil, |n| Reply::text(&n)))
            }
            "setinfo" => {
                let attr = args.bytes()?;
                let value = String::from_utf8_lossy(&args.bytes()?).into_owned();
                args.finish()?;
                let mut info = self.handle.info.lock();
                if is(&attr, "lib-name") {
                    info.lib_name = value;
                } else if is(&attr, "lib-ver") {
                    info.lib_ver = value;
                } else {
                    return Err(ReplyError::new(format!(
                        "ERR Unrecognized option '{}'",
                        String::from_utf8_lossy(&attr)
                    )));
                }
                Ok(Reply::Ok)
            }
            "info" => {
                args.finish()?;
                Ok(Reply::Verbatim(format!("{}\n", self.handle.info.lock().line(Instant::now()))))
            }
            "list" => {
                let mut ids: Option<Vec<u64>> = None;
                while let Some(opt) = args.next() {
                    if is(&opt, "type") {
                        let t = args.bytes()?;
                        if !(is(&t, "normal") || is(&t, "pubsub") || is(&t, "master") || is(&t, "replica")) {
                            return Err(ReplyError::new(format!(
                                "ERR Unknown client type '{}'",
                                String::from_utf8_lossy(&t)
                            )));
                        }
                    } else if is(&opt, "id") {
                        let mut v = Vec::new();
                        for id in args.rest() {
                            v.push(
                                parse_int(&id)
                                    .filter(|n| *n > 0)
                                    .ok_or_else(|| ReplyError::new("ERR Invalid client ID"))?
                                    as u64,
                            );
                        }
                        ids = Some(v);
                    } else {
                        return Err(ReplyError::syntax());
                    }
                }
                let now = Instant::now();
                let mut text = String::new();
                for c in self.server.clients.all() {
                    let info = c.info.lock();
                    if ids.as_ref().is_none_or(|ids| ids.contains(&info.id)) {
                        text.push_str(&info.line(now));
                        text.push('\n');
                    }
                }
                Ok(Reply::Verbatim(text))
            }
            "kill" => self.client_kill(args),
            "no-evict" | "no-touch" => {
                let v = args.bytes()?;
                if is(&v, "on") || is(&v, "off") { Ok(Reply::Ok) } else { Err(ReplyError::syntax()) }
            }
            _ => Err(subcommand_error(&sub, "client")),
        }
    }

    fn client_kill(&mut self, args: &mut Args) -> Res {
        let first = args.bytes()?;
        if args.is_empty() {
            // Old form: CLIENT KILL addr:port.
            let addr = String::from_utf8_lossy(&first).into_owned();
            let victim = self.server.clients.all().into_iter().find(|c| c.info.lock().addr.to_string() == addr);
            return match victim {
                Some(c) => {
                    c.kill.notify_one();
                    Ok(Reply::Ok)
                }
                None => Err(ReplyError::new("ERR No such client")),
            };
        }
        let mut filters: Vec<(String, Bytes)> =
            vec![(String::from_utf8_lossy(&first).to_ascii_lowercase(), args.bytes()?)];
        while let Some(k) = args.next() {
            filters.push((String::from_utf8_lossy(&k).to_ascii_lowercase(), args.bytes()?));
        }
        let mut skipme = true;
        for (k, v) in &filters {
            match k.as_str() {
                "id" => {
                    parse_int(v)
                        .filter(|n| *n > 0)
                        .ok_or_else(|| ReplyError::new("ERR client-id should be greater than 0"))?;
                }
                "addr" | "laddr" | "user" | "type" => {}
                "skipme" => {
                    skipme = if is(v, "yes") {
                        true
                    } else if is(v, "no") {
                        false
                    } else {
                        return Err(ReplyError::syntax());
                    }
                }
                _ => return Err(ReplyError::syntax()),
            }
        }
        let mut killed = 0;
        for c in self.server.clients.all() {
            let info = c.info.lock();
            if skipme && info.id == self.id {
                continue;
            }
            let matches = filters.iter().all(|(k, v)| match k.as_str() {
                "id" => parse_int(v) == Some(info.id as i64),
                "addr" => info.addr.to_string().as_bytes() == &v[..],
                "laddr" => info.laddr.is_some_and(|a| a.to_string().as_bytes() == &v[..]),
                "user" => &v[..] == b"default",
                "type" => is(v, "normal") || (is(v, "pubsub") && info.sub + info.psub > 0),
                _ => true,
            });
            drop(info);
            if matches {
                c.kill.notify_one();
                killed += 1;
            }
        }
        Ok(Reply::Int(killed))
    }

    /// PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT.
    fn pubsub(&mut self, args: &mut Args) -> Res {
        let sub = args.bytes()?;
        let ps = self.server.pubsub.lock();
        if is(&sub, "channels") {
            let pattern = args.next();
            if args.remaining() > 0 {
                return Err(ReplyError::wrong_arity("pubsub|channels"));
            }
            Ok(Reply::Array(ps.channels(pattern.as_deref()).into_iter().map(Reply::Bulk).collect()))
        } else if is(&sub, "numsub") {
            let mut out = Vec::new();
            for ch in args.rest() {
                let n = ps.subscribers(&ch) as i64;
                out.push(Reply::Bulk(ch));
                out.push(Reply::Int(n));
            }
            Ok(Reply::Array(out))
        } else if is(&sub, "numpat") {
            if args.remaining() > 0 {
                return Err(ReplyError::wrong_arity("pubsub|numpat"));
            }
            Ok(Reply::Int(ps.pattern_count() as i64))
        } else {
            Err(subcommand_error(&sub, "pubsub"))
        }
    }

    fn config(&mut self, args: &mut Args) -> Res {
        let sub = args.bytes()?;
        if is(&sub, "get") {
            let patterns = args.rest();
            if patterns.is_empty() {
                return Err(ReplyError::wrong_arity("config|get"));
            }
            let cfg = self.server.config.read();
            let mut pairs = std::collections::BTreeMap::new();
            for p in patterns {
                for (k, v) in cfg.matching(&p) {
                    pairs.insert(k, v);
                }
            }
            Ok(Reply::Map(pairs.into_iter().map(|(k, v)| (Reply::text(k), Reply::text(&v))).collect()))
        } else if is(&sub, "set") {
            let rest = args.rest();
            if rest.is_empty() || rest.len() % 2 != 0 {
                return Err(ReplyError::wrong_arity("config|set"));
            }
            let mut cfg = self.server.config.write();
            let mut staged = cfg.clone();
            for pair in rest.chunks(2) {
                staged.set(&String::from_utf8_lossy(&pair[0]), String::from_utf8_lossy(&pair[1]).into_owned())?;
            }
            *cfg = staged;
            Ok(Reply::Ok)
        } else if is(&sub, "resetstat") {
            args.finish()?;
            self.server.stats.reset();
            Ok(Reply::Ok)
        } else if is(&sub, "rewrite") {
            Err(ReplyError::new("ERR The server is running without a config file"))
        } else {
            Err(subcommand_error(&sub, "config"))
        }
    }

    fn multi(&mut self) -> Res {
        if self.multi.is_some() {
            return Err(ReplyError::new("ERR MULTI calls can not be nested"));
        }
        self.multi = Some(Vec::new());
        self.multi_failed = false;
        self.handle.info.lock().multi = 0;
        Ok(Reply::Ok)
    }

    pub(super) fn discard(&mut self, shard: &mut Shard) -> Res {
        if self.multi.take().is_none() {
            return Err(ReplyError::new("ERR DISCARD without MULTI"));
        }
        self.multi_failed = false;
        self.unwatch_all(shard);
        self.handle.info.lock().multi = -1;
        Ok(Reply::Ok)
    }

    fn watch(&mut self, args: &mut Args, shard: &mut Shard) -> Res {
        if self.multi.is_some() {
            return Err(ReplyError::new("ERR WATCH inside MULTI is not allowed"));
        }
        for key in args.rest() {
            let seq = shard.watch(&key);
            self.watches.push((key, seq));
        }
        Ok(Reply::Ok)
    }

    fn exec(&mut self, shard: &mut Shard) -> Res {
        let Some(queue) = self.multi.take() else {
            return Err(ReplyError::new("ERR EXEC without MULTI"));
        };
        self.handle.info.lock().multi = -1;
        if std::mem::take(&mut self.multi_failed) {
            self.unwatch_all(shard);
            return Err(ReplyError::new("EXECABORT Transaction discarded because of previous errors."));
        }
        let aborted = self.watches.iter().any(|(k, seq)| shard.changed_since(k, *seq));
        self.unwatch_all(shard);
        if aborted {
            return Ok(Reply::NilArray);
        }
        // The commands' deltas join in the shard until the caller takes them after EXEC:
        // the transaction ships as one delta.
        let mut replies = Vec::with_capacity(queue.len());
        for req in queue {
            self.server.stats.total_commands.fetch_add(1, Ordering::Relaxed);
            let Some(spec) = cmd::lookup(&req[0]) else {
                replies.push(cmd::unknown_command(&req).into());
                continue;
            };
            let reply = match spec.handler {
                cmd::Handler::Session => {
                    let mut args = Args::new(req);
                    self.simple_command(spec.name, &mut args, shard).unwrap_or_else(Reply::from)
                }
                _ => cmd::run_data(spec, req, shard),
            };
            replies.push(reply);
        }
        Ok(Reply::Array(replies))
    }

    fn subscribe(&mut self, names: Vec<Bytes>, pattern: bool) {
        let kind = if pattern { "psubscribe" } else { "subscribe" };
        for name in names {
            let mut ps = self.server.pubsub.lock();
            if pattern {
                ps.psubscribe(name.clone(), self.id, self.mailbox.clone());
                self.psubs.insert(name.clone());
            } else {
                ps.subscribe(name.clone(), self.id, self.mailbox.clone());
                self.subs.insert(name.clone());
            }
            drop(ps);
            let count = (self.subs.len() + self.psubs.len()) as i64;
            self.reply(Reply::Push(vec![Reply::text(kind), Reply::Bulk(name), Reply::Int(count)]));
        }
        self.sync_sub_counts();
    }

    fn unsubscribe(&mut self, names: Vec<Bytes>, pattern: bool) {
        let kind = if pattern { "punsubscribe" } else { "unsubscribe" };
        let names = if names.is_empty() {
            if pattern { self.psubs.iter().cloned().collect() } else { self.subs.iter().cloned().collect::<Vec<_>>() }
        } else {
            names
        };
        if names.is_empty() {
            let count = (self.subs.len() + self.psubs.len()) as i64;
            self.reply(Reply::Push(vec![Reply::text(kind), Reply::Nil, Reply::Int(count)]));
        }
        for name in names {
            let mut ps = self.server.pubsub.lock();
            if pattern {
                ps.punsubscribe(&name, self.id);
                self.psubs.remove(&name);
            } else {
                ps.unsubscribe(&name, self.id);
                self.subs.remove(&name);
            }
            drop(ps);
            let count = (self.subs.len() + self.psubs.len()) as i64;
            self.reply(Reply::Push(vec![Reply::text(kind), Reply::Bulk(name), Reply::Int(count)]));
        }
        self.sync_sub_counts();
    }

    fn sync_sub_counts(&self) {
        let mut info = self.handle.info.lock();
        info.sub = self.subs.len();
        info.psub = self.psubs.len();
    }
}

fn select(args: &mut Args) -> Res {
    let db = args.bytes()?;
    match parse_int(&db) {
        Some(0) => Ok(Reply::Ok),
        Some(_) => Err(ReplyError::new("ERR SELECT is not allowed in cluster mode")),
        None => Err(ReplyError::not_integer()),
    }
}

fn set_name(handle: &crate::server::clients::ClientHandle, name: &[u8]) -> Result<(), ReplyError> {
    if name.iter().any(|c| !(b'!'..=b'~').contains(c)) {
        return Err(ReplyError::new("ERR Client names cannot contain spaces, newlines or special characters."));
    }
    handle.info.lock().name = (!name.is_empty()).then(|| String::from_utf8_lossy(name).into_owned());
    Ok(())
}

pub(super) fn subcommand_error(sub: &[u8], cmd: &str) -> ReplyError {
    ReplyError::new(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        String::from_utf8_lossy(sub),
        cmd.to_ascii_uppercase()
    ))
}

/// COMMAND, COMMAND COUNT, COMMAND INFO, COMMAND DOCS, COMMAND LIST.
fn command(args: &mut Args) -> Res {
    let Some(sub) = args.next() else {
        return Ok(Reply::Array(cmd::all().into_iter().map(command_info).collect()));
    };
    if is(&sub, "count") {
        Ok(Reply::Int(cmd::all().len() as i64))
    } else if is(&sub, "info") {
        let names = args.rest();
        if names.is_empty() {
            return Ok(Reply::Array(cmd::all().into_iter().map(command_info).collect()));
        }
        Ok(Reply::Array(names.iter().map(|n| cmd::lookup(n).map_or(Reply::NilArray, command_info)).collect()))
    } else if is(&sub, "docs") {
        let names = args.rest();
        let specs: Vec<_> =
            if names.is_empty() { cmd::all() } else { names.iter().filter_map(|n| cmd::lookup(n)).collect() };
        Ok(Reply::Map(
            specs
                .into_iter()
                .map(|s| {
                    (
                        Reply::text(s.name),
                        Reply::Map(vec![
                            (Reply::text("summary"), Reply::text(s.summary)),
                            (Reply::text("since"), Reply::text("1.0.0")),
                            (Reply::text("group"), Reply::text(s.group)),
                        ]),
                    )
                })
                .collect(),
        ))
    } else if is(&sub, "list") {
        Ok(Reply::Array(cmd::all().into_iter().map(|s| Reply::text(s.name)).collect()))
    } else if is(&sub, "getkeys") {
        let rest = args.rest();
        let spec = rest
            .first()
            .and_then(|n| cmd::lookup(n))
            .ok_or_else(|| ReplyError::new("ERR Invalid command specified"))?;
        if !spec.arity_ok(rest.len()) {
            return Err(ReplyError::new("ERR Invalid number of arguments specified for command"));
        }
        let idx: Vec<usize> = cmd::movable::key_positions(spec, &rest)
            .ok_or_else(|| ReplyError::new("ERR Invalid arguments specified for command"))?
            .collect();
        if idx.is_empty() {
            return Err(ReplyError::new("ERR The command has no key arguments"));
        }
        Ok(Reply::Array(idx.into_iter().filter_map(|i| rest.get(i).cloned()).map(Reply::Bulk).collect()))
    } else {
        Err(subcommand_error(&sub, "command"))
    }
}

fn command_info(spec: &cmd::CommandSpec) -> Reply {
    Reply::Array(vec![
        Reply::text(spec.name),
        Reply::Int(i64::from(spec.arity)),
        Reply::Set(spec.flags.iter().map(|f| Reply::status(f)).collect()),
        Reply::Int(i64::from(spec.keys.0)),
        Reply::Int(i64::from(spec.keys.1)),
        Reply::Int(i64::from(spec.keys.2)),
        Reply::Set(vec![Reply::status(&format!("@{}", spec.group))]),
        Reply::Array(vec![]),
        Reply::Array(vec![]),
        Reply::Array(vec![]),
    ])
}
