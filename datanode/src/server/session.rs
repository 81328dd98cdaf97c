//! One client connection: reads pipelined requests, runs each batch under one shard lock,
//! writes the replies, and handles the stateful parts of the protocol (MULTI, pub/sub,
//! blocking pops, HELLO/AUTH, CLIENT KILL).

mod client;
mod cluster;
mod commands;
mod functions;
mod replication;
mod scripting;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc};

use super::clients::ClientHandle;
use super::pubsub::MAILBOX;
use super::{Server, now_ms};
use crate::cmd::{self, Args, Blocked, Call, Handler, SessionCmd as S};
use crate::resp::Reply;
use crate::resp::frame::{self, Request};
use crate::shard::Shard;

/// Replies buffered before they are written out mid-batch: a pipeline of huge replies must
/// not build one huge buffer, and a client that stops reading stops us reading it too.
const FLUSH_AT: usize = 64 * 1024;
/// Read buffer growth step.
const READ_CHUNK: usize = 16 * 1024;
/// Redis's `client-query-buffer-limit` default: what a blocked client may pipeline before
/// the session stops reading it until its command is done.
const QUERY_BUFFER_LIMIT: usize = 1 << 30;

/// Tells a client over `maxclients` why, then hangs up.
pub async fn refuse(mut socket: TcpStream) {
    let _ = socket.write_all(b"-ERR max number of clients reached\r\n").await;
}

/// A blocking command waiting for a write to one of its keys.
struct Wait {
    args: Vec<Bytes>,
    f: cmd::BlockFn,
    keys: Vec<Bytes>,
    timeout_ms: u64,
    /// The reply if the timeout passes first.
    on_timeout: Reply,
}

/// What the session loop must do after a batch.
enum Flow {
    Next,
    Close,
    /// A blocking command found nothing: wait, then retry it.
    Block(Wait),
    /// A long command: run its steps, letting other clients in between.
    Stepwise(Box<dyn cmd::Stepwise>),
    /// Another client's script holds the shard: wait for it (or answer -BUSY).
    ScriptRunning,
}

pub struct Session {
    server: Arc<Server>,
    handle: Arc<ClientHandle>,
    id: u64,
    resp3: bool,
    authed: bool,
    /// A transaction's queue: checked calls, run as they are at EXEC.
    multi: Option<Vec<Call>>,
    multi_failed: bool,
    watches: Vec<(Bytes, u64)>,
    subs: BTreeSet<Bytes>,
    psubs: BTreeSet<Bytes>,
    /// Keys whose blocking queues hold this client while a blocking command waits.
    blocked_on: Vec<Bytes>,
    mailbox: mpsc::Sender<Reply>,
    out: BytesMut,
    cluster: cluster::ClusterConn,
}

/// Serves one client on `socket` (a TCP connection, or any byte stream in tests) until it
/// leaves, is killed, or the server stops.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    server: Arc<Server>,
    mut socket: S,
    (addr, laddr): (SocketAddr, Option<SocketAddr>),
    mut stop: broadcast::Receiver<()>,
) -> io::Result<()> {
    let handle = server.clients.register(addr, laddr);
    let id = handle.info.lock().id;
    let (tx, mut rx) = mpsc::channel(MAILBOX);
    let authed = server.config.read().get("requirepass").is_none_or(str::is_empty);
    // From here on the session owns the client's registration: whatever way this task
    // ends (a reply error, the client leaving, a panic), dropping it cleans up.
    let mut s = Session {
        server: server.clone(),
        handle: handle.clone(),
        id,
        resp3: false,
        authed,
        multi: None,
        multi_failed: false,
        watches: Vec::new(),
        subs: BTreeSet::new(),
        psubs: BTreeSet::new(),
        blocked_on: Vec::new(),
        mailbox: tx,
        out: BytesMut::with_capacity(READ_CHUNK),
        cluster: cluster::ClusterConn::new(&server),
    };
    s.run(&mut socket, &mut rx, &mut stop).await
}

/// Per-connection cleanup as a drop guard: the client leaves CLIENT LIST, its WATCHes, its
/// subscriptions and its places in blocking queues go, even if the session panicked.
impl Drop for Session {
    fn drop(&mut self) {
        self.cleanup();
    }
}

impl Session {
    async fn run<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        socket: &mut S,
        mailbox: &mut mpsc::Receiver<Reply>,
        stop: &mut broadcast::Receiver<()>,
    ) -> io::Result<()> {
        let mut input = BytesMut::with_capacity(READ_CHUNK);
        let mut pending: VecDeque<Request> = VecDeque::new();
        loop {
            tokio::select! {
                read = socket.read_buf(&mut input) => {
                    let n = read?;
                    if n == 0 {
                        return Ok(());
                    }
                    self.server.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    if !self.process(socket, &mut input, &mut pending).await? {
                        return Ok(());
                    }
                    if input.capacity() - input.len() < READ_CHUNK / 4 {
                        input.reserve(READ_CHUNK);
                    }
                }
                Some(msg) = mailbox.recv() => {
                    msg.encode(&mut self.out, self.resp3);
                    while let Ok(more) = mailbox.try_recv() {
                        more.encode(&mut self.out, self.resp3);
                        if self.out.len() > FLUSH_AT {
                            break;
                        }
                    }
                    self.flush(socket).await?;
                }
                _ = self.handle.kill.notified() => return Ok(()),
                _ = stop.recv() => return Ok(()),
            }
        }
    }

    /// Parses and runs everything buffered, including requests that arrive while a
    /// blocking command waits. Returns false when the connection must close.
    async fn process<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        socket: &mut S,
        input: &mut BytesMut,
        pending: &mut VecDeque<Request>,
    ) -> io::Result<bool> {
        loop {
            let mut protocol_error = None;
            loop {
                match frame::parse(input) {
                    Ok(Some(req)) => pending.push_back(req),
                    Ok(None) => break,
                    Err(e) => {
                        protocol_error = Some(e);
                        break;
                    }
                }
            }
            if pending.is_empty() && protocol_error.is_none() {
                return Ok(true);
            }
            while !pending.is_empty() {
                match self.run_batch(pending) {
                    Flow::Next => {}
                    Flow::Close => {
                        self.flush(socket).await?;
                        return Ok(false);
                    }
                    Flow::Block(wait) => {
                        self.flush(socket).await?;
                        if !self.block(socket, input, wait).await? {
                            return Ok(false);
                        }
                    }
                    Flow::Stepwise(cmd) => self.run_steps(cmd).await,
                    Flow::ScriptRunning => self.await_script(pending).await,
                }
                self.flush(socket).await?;
            }
            if let Some(frame::Error::Protocol(text)) = protocol_error {
                Reply::error(format!("ERR Protocol error: {text}")).encode(&mut self.out, self.resp3);
                self.flush(socket).await?;
                return Ok(false);
            }
        }
    }

    async fn flush<S: AsyncWrite + Unpin>(&mut self, socket: &mut S) -> io::Result<()> {
        if !self.out.is_empty() {
            socket.write_all(&self.out).await?;
            self.server.stats.net_output_bytes.fetch_add(self.out.len() as u64, Ordering::Relaxed);
            self.out.clear();
        }
        Ok(())
    }

    /// Runs queued requests under one shard lock until they are done, the reply buffer is
    /// big enough to flush, or one of them changes the flow.
    /// Each request's delta (what it changed) is taken from the shard after it ran and the
    /// batch's deltas go to the backlog together, before the lock is released.
    fn run_batch(&mut self, pending: &mut VecDeque<Request>) -> Flow {
        let server = self.server.clone();
        let node = &server.node;
        let Some(mut shard) = node.lock_shard() else { return Flow::ScriptRunning };
        shard.set_now(now_ms());
        let mut flow = Flow::Next;
        let mut last = None;
        let mut count = 0;
        let mut deltas = Vec::new();
        while let Some(req) = pending.pop_front() {
            if req.is_empty() {
                continue;
            }
            count += 1;
            last = Some(req[0].clone());
            flow = self.dispatch(req, &mut shard);
            // Inside MULTI nothing runs until EXEC, whose delta is the whole transaction's.
            deltas.extend(shard.take_delta());
            if !matches!(flow, Flow::Next) || self.out.len() >= FLUSH_AT {
                break;
            }
        }
        node.ship(&mut shard, deltas);
        drop(shard);
        // Counted once per batch: a shared counter bumped per command bounces between cores.
        server.stats.total_commands.fetch_add(count, Ordering::Relaxed);
        if let Some(name) = last {
            let mut info = self.handle.info.lock();
            info.last_active = Instant::now();
            info.last_cmd = String::from_utf8_lossy(&name).to_ascii_lowercase();
        }
        flow
    }

    fn reply(&mut self, r: Reply) {
        r.encode(&mut self.out, self.resp3);
    }

    fn dispatch(&mut self, req: Vec<Bytes>, shard: &mut Shard) -> Flow {
        // Lets the tests prove that no panic can leak a client's registrations.
        #[cfg(test)]
        if &req[0][..] == tests::PANIC {
            panic!("a test asked this session to panic");
        }
        let call = match Call::new(req) {
            Ok(call) => call,
            Err(e) => {
                self.fail_in_multi();
                self.reply(e.into());
                return Flow::Next;
            }
        };
        let spec = call.spec;
        let session = match spec.handler {
            Handler::Session(c) => Some(c),
            _ => None,
        };
        if !self.authed && !matches!(session, Some(S::Auth | S::Hello | S::Quit | S::Reset)) {
            self.reply(Reply::error("NOAUTH Authentication required."));
            return Flow::Next;
        }
        if self.redirected(spec, &call.args, shard) {
            return Flow::Next;
        }
        if !self.resp3
            && self.subscribed()
            && !matches!(
                session,
                Some(S::Subscribe | S::Unsubscribe | S::Psubscribe | S::Punsubscribe | S::Ping | S::Quit | S::Reset)
            )
        {
            self.reply(Reply::error(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                spec.name
            )));
            return Flow::Next;
        }
        if let Some(refusal) = spec.is_write().then(|| self.server.node.repl.write_refusal()).flatten() {
            self.fail_in_multi();
            self.reply(Reply::error(refusal));
            return Flow::Next;
        }
        if let Some(queue) = &mut self.multi {
            if !matches!(session, Some(S::Exec | S::Discard | S::Multi | S::Watch | S::Quit | S::Reset)) {
                queue.push(call);
                self.reply(Reply::status("QUEUED"));
                return Flow::Next;
            }
        }
        match spec.handler {
            Handler::Data(_) => {
                let r = cmd::run_data(call, shard);
                self.reply(r);
                Flow::Next
            }
            Handler::Blocking(f) => match f(&mut Args::new(call.args.clone()), shard) {
                Ok(Blocked::Reply(r)) => {
                    self.reply(r);
                    Flow::Next
                }
                Ok(Blocked::Wait { keys, timeout_ms, on_timeout }) => {
                    Flow::Block(Wait { args: call.args, f, keys, timeout_ms, on_timeout })
                }
                Err(e) => {
                    self.reply(e.into());
                    Flow::Next
                }
            },
            Handler::Stepwise(start) => match start(&mut Args::new(call.args)) {
                Ok(cmd) => Flow::Stepwise(cmd),
                Err(e) => {
                    self.reply(e.into());
                    Flow::Next
                }
            },
            Handler::Session(c) => self.session_command(c, call.args, shard),
        }
    }

    /// Runs a long command step by step, taking the shard for each step only, and yielding
    /// to the other tasks between steps, so no client waits on it for long.
    async fn run_steps(&mut self, mut cmd: Box<dyn cmd::Stepwise>) {
        let node = self.server.node.clone();
        let reply = loop {
            let done = {
                let Some(mut shard) = node.lock_shard() else {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                };
                shard.set_now(now_ms());
                let done = cmd.step(&mut shard);
                let deltas = shard.take_delta().into_iter().collect();
                node.ship(&mut shard, deltas);
                done
            };
            if let Some(reply) = done {
                break reply;
            }
            tokio::task::yield_now().await;
        };
        self.reply(reply);
    }

    fn subscribed(&self) -> bool {
        !self.subs.is_empty() || !self.psubs.is_empty()
    }

    fn fail_in_multi(&mut self) {
        if self.multi.is_some() {
            self.multi_failed = true;
        }
    }

    /// Waits for a key of a blocked command to be written, retrying the command each time;
    /// replies `on_timeout` when the timeout passes. Returns false if the client left.
    async fn block<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        socket: &mut S,
        input: &mut BytesMut,
        wait: Wait,
    ) -> io::Result<bool> {
        self.enter_queues(&wait.keys);
        let result = self.wait_for_keys(socket, input, &wait).await;
        self.leave_queues();
        match result? {
            Some(r) => {
                self.reply(r);
                self.flush(socket).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Puts this client in line for each of `keys`.
    fn enter_queues(&mut self, keys: &[Bytes]) {
        let node = self.server.node.clone();
        let mut shard = node.shard.lock();
        for k in keys {
            shard.block_on(k, self.id);
        }
        drop(shard);
        self.blocked_on = keys.to_vec();
        self.handle.info.lock().blocked = true;
    }

    /// One try of the blocked command, if this client is first in line for its keys: its
    /// reply when it no longer has to wait.
    fn attempt(&self, wait: &Wait) -> Option<Reply> {
        let node = &self.server.node;
        let mut shard = node.shard.lock();
        // Clients ahead in line are served first, as Redis does.
        if !shard.first_in_line(&wait.keys, self.id) {
            return None;
        }
        shard.set_now(now_ms());
        let r = (wait.f)(&mut Args::new(wait.args.clone()), &mut shard);
        let deltas = shard.take_delta().into_iter().collect();
        node.ship(&mut shard, deltas);
        match r {
            Ok(Blocked::Reply(r)) => Some(r),
            Err(e) => Some(e.into()),
            Ok(Blocked::Wait { .. }) => None,
        }
    }

    /// Retries at every wake-up until the command answers or the timeout passes (`Some`
    /// reply), or the client leaves or is killed (`None`).
    async fn wait_for_keys<S: AsyncRead + Unpin>(
        &mut self,
        socket: &mut S,
        input: &mut BytesMut,
        wait: &Wait,
    ) -> io::Result<Option<Reply>> {
        let node = self.server.node.clone();
        let deadline =
            (wait.timeout_ms > 0).then(|| tokio::time::Instant::now() + Duration::from_millis(wait.timeout_ms));
        loop {
            let notified = node.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(reply) = self.attempt(wait) {
                return Ok(Some(reply));
            }
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            // What a blocked client pipelines is kept for later, up to Redis's query buffer
            // limit; past it, reading waits until the command is done.
            let room = input.len() < QUERY_BUFFER_LIMIT;
            tokio::select! {
                _ = &mut notified => {}
                // On a real timeout Redis answers every blocking command with a null array
                // (`*-1`), even BLMOVE, whose non-blocking answer inside MULTI is `$-1`.
                _ = sleep => {
                    let r = if wait.on_timeout == Reply::Nil { Reply::NilArray } else { wait.on_timeout.clone() };
                    return Ok(Some(r));
                }
                _ = self.handle.kill.notified() => return Ok(None),
                read = socket.read_buf(input), if room => {
                    // The client may pipeline more requests while blocked (they run after),
                    // or hang up.
                    if read? == 0 {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Takes this client out of the blocking queues it waits in.
    fn leave_queues(&mut self) {
        if self.blocked_on.is_empty() {
            return;
        }
        let node = self.server.node.clone();
        let mut others_wait = false;
        {
            let mut shard = node.shard.lock();
            for k in self.blocked_on.drain(..) {
                others_wait |= shard.unblock(&k, self.id);
            }
        }
        if others_wait {
            // The next in line may now take what is there.
            node.wake.notify_waiters();
        }
        self.handle.info.lock().blocked = false;
    }

    /// Everything the server holds for this client. Runs from `Drop`, so it must not panic:
    /// the locks are parking_lot's (never poisoned), and none is held by this task when a
    /// panic unwinds to here (their guards live in the frames being unwound).
    fn cleanup(&mut self) {
        self.leave_queues();
        let mut ps = self.server.pubsub.lock();
        for ch in std::mem::take(&mut self.subs) {
            ps.unsubscribe(&ch, self.id);
        }
        for p in std::mem::take(&mut self.psubs) {
            ps.punsubscribe(&p, self.id);
        }
        drop(ps);
        if !self.watches.is_empty() {
            let node = self.server.node.clone();
            let mut shard = node.shard.lock();
            self.unwatch_all(&mut shard);
        }
        self.server.clients.unregister(self.id);
    }

    fn unwatch_all(&mut self, shard: &mut Shard) {
        for (k, _) in self.watches.drain(..) {
            shard.unwatch(&k);
        }
    }
}
