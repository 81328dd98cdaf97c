//! CLIENT and its subcommands: what a connection says of itself, and what it may see and
//! do of the others (LIST, KILL).

use std::time::Instant;

use bytes::Bytes;

use super::Session;
use super::commands::subcommand_error;
use crate::cmd::format::parse_int;
use crate::cmd::{Args, ReplyError, args::is};
use crate::resp::Reply;

type Res = Result<Reply, ReplyError>;

impl Session {
    pub(super) fn client(&mut self, args: &mut Args) -> Res {
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
            "list" => self.client_list(args),
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

    /// CLIENT LIST [TYPE type] [ID id ...].
    fn client_list(&mut self, args: &mut Args) -> Res {
        let mut ids: Option<Vec<u64>> = None;
        while let Some(opt) = args.next() {
            if is(&opt, "type") {
                let t = args.bytes()?;
                if !(is(&t, "normal") || is(&t, "pubsub") || is(&t, "master") || is(&t, "replica")) {
                    return Err(ReplyError::new(format!("ERR Unknown client type '{}'", String::from_utf8_lossy(&t))));
                }
            } else if is(&opt, "id") {
                let mut v = Vec::new();
                for id in args.rest() {
                    v.push(parse_int(&id).filter(|n| *n > 0).ok_or_else(|| ReplyError::new("ERR Invalid client ID"))?
                        as u64);
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
}

pub(super) fn set_name(handle: &crate::server::clients::ClientHandle, name: &[u8]) -> Result<(), ReplyError> {
    if name.iter().any(|c| !(b'!'..=b'~').contains(c)) {
        return Err(ReplyError::new("ERR Client names cannot contain spaces, newlines or special characters."));
    }
    handle.info.lock().name = (!name.is_empty()).then(|| String::from_utf8_lossy(name).into_owned());
    Ok(())
}
