//! Commands that need the connection or the whole server, not just the shard.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::{Flow, Session};
use crate::cmd::format::parse_int;
use crate::cmd::{self, Args, ReplyError, SessionCmd as S, args::is};
use crate::resp::Reply;
use crate::server::info::{self, REDIS_VERSION};
use crate::shard::Shard;

type Res = Result<Reply, ReplyError>;

impl Session {
    pub(super) fn session_command(&mut self, c: S, req: Vec<Bytes>, shard: &mut Shard) -> Flow {
        let mut args = Args::new(req);
        let result = match c {
            S::Quit => {
                self.reply(Reply::Ok);
                return Flow::Close;
            }
            S::Multi => self.multi(),
            S::Exec => self.exec(shard),
            S::Discard => self.discard(shard),
            S::Watch => self.watch(&mut args, shard),
            S::Unwatch => {
                self.unwatch_all(shard);
                Ok(Reply::Ok)
            }
            S::Subscribe | S::Psubscribe => {
                self.subscribe(args.rest(), c == S::Psubscribe);
                return Flow::Next;
            }
            S::Unsubscribe | S::Punsubscribe => {
                self.unsubscribe(args.rest(), c == S::Punsubscribe);
                return Flow::Next;
            }
            _ => self.simple_command(c, &mut args, shard),
        };
        let reply = result.unwrap_or_else(Reply::from);
        self.reply(reply);
        Flow::Next
    }

    /// Session commands that may also run inside EXEC.
    pub(super) fn simple_command(&mut self, c: S, args: &mut Args, shard: &mut Shard) -> Res {
        match c {
            S::Ping => self.ping(args),
            S::Echo => Ok(Reply::Bulk(args.bytes()?)),
            S::Select => select(args),
            S::Auth => self.auth(args),
            S::Hello => self.hello(args),
            S::Reset => Ok(self.reset(shard)),
            S::Client => self.client(args),
            S::Info => {
                let sections: Vec<String> =
                    args.rest().iter().map(|s| String::from_utf8_lossy(s).to_ascii_lowercase()).collect();
                Ok(Reply::Verbatim(info::render(&self.server, shard, &sections)))
            }
            S::Config => self.config(args),
            S::Replicaof => self.replicaof(args, shard),
            S::Role => self.role(args),
            S::Command => command(args),
            S::Time => {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                Ok(Reply::Array(vec![
                    Reply::text(&now.as_secs().to_string()),
                    Reply::text(&now.subsec_micros().to_string()),
                ]))
            }
            // Meridian keeps no snapshot on disk (a node resyncs from its replica or peers),
            // so no save ever happened: Redis then answers its start time.
            S::Lastsave => Ok(Reply::Int(i64::try_from(self.server.started_unix).unwrap_or(i64::MAX))),
            S::Publish => {
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
            S::Pubsub => self.pubsub(args),
            S::Function => self.function(args),
            S::Fcall | S::FcallRo => self.fcall(c, args, shard),
            S::Cluster => self.cluster(args, shard),
            S::Eval | S::EvalSha | S::EvalRo | S::EvalShaRo => self.eval(c, args, shard),
            S::Script => self.script(args),
            S::Readonly | S::Readwrite => {
                self.set_readonly(c == S::Readonly);
                Ok(Reply::Ok)
            }
            S::Multi
            | S::Exec
            | S::Discard
            | S::Watch
            | S::Unwatch
            | S::Quit
            | S::Subscribe
            | S::Psubscribe
            | S::Unsubscribe
            | S::Punsubscribe => Err(ReplyError::new(format!(
                "ERR Command not allowed inside a transaction: {}",
                format!("{c:?}").to_ascii_lowercase()
            ))),
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
                    super::client::set_name(&self.handle, &name)?;
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
        for call in queue {
            self.server.stats.total_commands.fetch_add(1, Ordering::Relaxed);
            let reply = match call.spec.handler {
                cmd::Handler::Session(c) => {
                    self.simple_command(c, &mut Args::new(call.args), shard).unwrap_or_else(Reply::from)
                }
                _ => cmd::run_data(call, shard),
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
