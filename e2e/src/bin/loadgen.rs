//! `loadgen`: a bounded write load over raw RESP, for `bench/replication.sh`.
//!
//! * `loadgen rate`: open loop. Every connection has a fixed schedule (the total rate spread
//!   evenly over the targets and their connections) and sends what is due, as one pipelined
//!   write, at most `--pipeline` commands in flight; a connection that falls behind catches up
//!   as fast as its window allows, so the achieved rate says whether the servers kept up.
//!   Sending stops after `--duration` seconds; replies are awaited for `--drain` more at most.
//! * `loadgen bulk`: closed loop, as fast as the windows allow: `--count` commands with
//!   sequential key indexes (`SET key:<i> <value>` by default), split over the connections.
//!
//! Keys are 16 bytes: a 4-byte prefix per type (`key:`, `cnt:`, `hsh:`, `set:`, `zst:`) and a
//! 12-digit index. Values are random alphanumerics (they would compress unrealistically well
//! otherwise). The result is one line on stdout, `loadgen key=value ...`; every failure is
//! also reported on stderr, and a connection that failed makes the exit status 1.

use std::collections::VecDeque;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::Notify;
use tokio::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Bounded write load for Meridian's replication benchmark (raw RESP, pipelined)")]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Open loop: a fixed total rate for a fixed time, spread evenly over the targets.
    Rate(RateArgs),
    /// Closed loop: `--count` commands as fast as possible, sequential key indexes.
    Bulk(BulkArgs),
}

#[derive(Args, Debug)]
struct Common {
    /// RESP endpoints, host:port (repeat the flag or separate with commas).
    #[arg(long = "target", required = true, value_delimiter = ',')]
    targets: Vec<String>,
    /// Connections per target.
    #[arg(long, default_value_t = 2)]
    connections: usize,
    /// Commands in flight per connection, at most.
    #[arg(long, default_value_t = 64)]
    pipeline: usize,
    /// Bytes per value (SET, HSET).
    #[arg(long, default_value_t = 64)]
    value_size: usize,
    /// Seconds to wait for the replies still due once sending stopped.
    #[arg(long, default_value_t = 10.0)]
    drain: f64,
    /// Seconds to wait for each connection to be established.
    #[arg(long, default_value_t = 5.0)]
    connect_timeout: f64,
    /// Tokio worker threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Seed of the key and value generator (each connection derives its own).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Args, Debug)]
struct RateArgs {
    #[command(flatten)]
    common: Common,
    /// Total writes per second, over all targets.
    #[arg(long)]
    rate: f64,
    /// Seconds of sending (a hard bound; replies are then awaited for `--drain` at most).
    #[arg(long)]
    duration: f64,
    /// Keys per command type: key indexes are drawn uniformly from 0..keys.
    #[arg(long, default_value_t = 100_000)]
    keys: u64,
    /// Command mix as weights, e.g. `set=4,incr=2,hset=1,sadd=1,zadd=1`.
    #[arg(long, default_value = "set=1,incr=1,hset=1,sadd=1")]
    mix: String,
}

#[derive(Args, Debug)]
struct BulkArgs {
    #[command(flatten)]
    common: Common,
    /// Commands to send in total.
    #[arg(long)]
    count: u64,
    /// The command: command `i` uses key index `i % keys`.
    #[arg(long, value_enum, default_value_t = Kind::Set)]
    cmd: Kind,
    /// Distinct keys (default: `--count`, every key once).
    #[arg(long)]
    keys: Option<u64>,
    /// Seconds of sending at most (a hard bound; then `--drain`).
    #[arg(long, default_value_t = 300.0)]
    duration: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Kind {
    Set,
    Incr,
    Hset,
    Sadd,
    Zadd,
}

impl Kind {
    fn parse(name: &str) -> Result<Kind> {
        <Kind as ValueEnum>::from_str(name, true).map_err(|e| anyhow!("unknown command {name:?} in --mix: {e}"))
    }
}

/// Which command and key a connection sends next.
enum Keys {
    /// Weighted random command, uniform random key index below `keys`.
    Random { mix: Vec<(Kind, u32)>, total: u32, keys: u64 },
    /// One command, key index `i % keys` for i in `next..end`.
    Sequential { kind: Kind, next: u64, end: u64, keys: u64 },
}

/// Builds RESP commands into a buffer.
struct Generator {
    rng: StdRng,
    keys: Keys,
    value_size: usize,
}

const ALPHANUMERIC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl Generator {
    /// Appends the next command; false once a sequential range is exhausted.
    fn push(&mut self, out: &mut Vec<u8>) -> bool {
        let (kind, index) = match &mut self.keys {
            Keys::Random { mix, total, keys } => {
                let mut pick = self.rng.gen_range(0..*total);
                let mut kind = Kind::Set;
                for (k, w) in mix.iter() {
                    kind = *k;
                    if pick < *w {
                        break;
                    }
                    pick -= *w;
                }
                (kind, self.rng.gen_range(0..*keys))
            }
            Keys::Sequential { kind, next, end, keys } => {
                if *next >= *end {
                    return false;
                }
                let i = *next % *keys;
                *next += 1;
                (*kind, i)
            }
        };
        let prefix: &[u8] = match kind {
            Kind::Set => b"key:",
            Kind::Incr => b"cnt:",
            Kind::Hset => b"hsh:",
            Kind::Sadd => b"set:",
            Kind::Zadd => b"zst:",
        };
        let mut key = [0u8; 16];
        key[..4].copy_from_slice(prefix);
        let mut n = index % 1_000_000_000_000;
        for b in key[4..].iter_mut().rev() {
            *b = b'0' + (n % 10) as u8;
            n /= 10;
        }
        match kind {
            Kind::Set => {
                let value = self.value();
                encode(out, &[b"SET", &key, &value]);
            }
            Kind::Incr => encode(out, &[b"INCR", &key]),
            Kind::Hset => {
                let field = format!("f{}", self.rng.gen_range(0..16u32));
                let value = self.value();
                encode(out, &[b"HSET", &key, field.as_bytes(), &value]);
            }
            Kind::Sadd => {
                let member = format!("m{}", self.rng.gen_range(0..64u32));
                encode(out, &[b"SADD", &key, member.as_bytes()]);
            }
            Kind::Zadd => {
                let score = self.rng.gen_range(0..1_000_000u32).to_string();
                let member = format!("m{}", self.rng.gen_range(0..64u32));
                encode(out, &[b"ZADD", &key, score.as_bytes(), member.as_bytes()]);
            }
        }
        true
    }

    fn value(&mut self) -> Vec<u8> {
        let mut v = vec![0u8; self.value_size];
        self.rng.fill_bytes(&mut v);
        for b in &mut v {
            *b = ALPHANUMERIC[usize::from(*b & 63)];
        }
        v
    }
}

/// A RESP array of bulk strings.
fn encode(out: &mut Vec<u8>, parts: &[&[u8]]) {
    let _ = write!(out, "*{}\r\n", parts.len());
    for p in parts {
        let _ = write!(out, "${}\r\n", p.len());
        out.extend_from_slice(p);
        out.extend_from_slice(b"\r\n");
    }
}

/// Length of the complete reply at the start of `buf`, and whether it is an error; `None`
/// if the reply is not complete yet.
fn parse_reply(buf: &[u8]) -> Result<Option<(usize, bool)>> {
    let Some(line_end) = buf.windows(2).position(|w| w == b"\r\n") else { return Ok(None) };
    let line = buf.get(1..line_end).unwrap_or_default();
    let after = line_end + 2;
    let number = || -> Result<i64> {
        std::str::from_utf8(line).ok().and_then(|s| s.parse().ok()).ok_or_else(|| anyhow!("bad RESP length {line:?}"))
    };
    match buf.first() {
        Some(b'+' | b':' | b',' | b'#' | b'_') => Ok(Some((after, false))),
        Some(b'-') => Ok(Some((after, true))),
        Some(b'$') => {
            let len = number()?;
            if len < 0 {
                return Ok(Some((after, false)));
            }
            let end = after + len as usize + 2;
            Ok((buf.len() >= end).then_some((end, false)))
        }
        Some(b'*') => {
            let count = number()?;
            let mut at = after;
            for _ in 0..count.max(0) {
                match parse_reply(buf.get(at..).unwrap_or_default())? {
                    Some((n, _)) => at += n,
                    None => return Ok(None),
                }
            }
            Ok(Some((at, false)))
        }
        Some(other) => bail!("unexpected RESP type byte {:?}", char::from(*other)),
        None => Ok(None),
    }
}

/// What one connection is to do.
struct Plan {
    addr: String,
    /// Commands per second, or `None` for as fast as the window allows.
    rate: Option<f64>,
    start: Instant,
    stop: Instant,
    drain: Duration,
    pipeline: usize,
    generator: Generator,
}

#[derive(Default)]
struct Shared {
    sent: AtomicU64,
    acked: AtomicU64,
    errors: AtomicU64,
    writer_done: AtomicBool,
    /// Woken by the reader when replies arrived (window space) and by the writer when done.
    acked_notify: Notify,
    done_notify: Notify,
    /// Send time of every command in flight, oldest first.
    in_flight: Mutex<VecDeque<Instant>>,
    first_error: Mutex<Option<String>>,
}

#[derive(Default)]
struct ConnResult {
    sent: u64,
    acked: u64,
    errors: u64,
    /// Commands due by the schedule that were never sent (the window stayed full).
    not_sent: u64,
    bytes: u64,
    latencies_us: Vec<u32>,
    last_reply: Option<Instant>,
    first_error: Option<String>,
    failure: Option<String>,
}

async fn run_connection(stream: TcpStream, mut plan: Plan) -> ConnResult {
    let shared = Arc::new(Shared::default());
    let (read, write) = stream.into_split();
    let reader = tokio::spawn(read_replies(read, shared.clone(), plan.stop + plan.drain));
    let mut result = ConnResult::default();
    match write_commands(write, &mut plan, &shared).await {
        Ok((bytes, not_sent)) => {
            result.bytes = bytes;
            result.not_sent = not_sent;
        }
        Err(e) => result.failure = Some(format!("{}: writing: {e:#}", plan.addr)),
    }
    shared.writer_done.store(true, Ordering::SeqCst);
    shared.done_notify.notify_one();
    match reader.await {
        Ok(Ok((latencies, last))) => {
            result.latencies_us = latencies;
            result.last_reply = last;
        }
        Ok(Err(e)) => {
            result.failure.get_or_insert_with(|| format!("{}: reading: {e:#}", plan.addr));
        }
        Err(e) => {
            result.failure.get_or_insert_with(|| format!("{}: reader task: {e}", plan.addr));
        }
    }
    result.sent = shared.sent.load(Ordering::SeqCst);
    result.acked = shared.acked.load(Ordering::SeqCst);
    result.errors = shared.errors.load(Ordering::SeqCst);
    result.first_error = shared.first_error.lock().take();
    result
}

/// Sends what the schedule says is due; returns bytes written and commands never sent.
async fn write_commands(mut write: OwnedWriteHalf, plan: &mut Plan, shared: &Shared) -> Result<(u64, u64)> {
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut bytes = 0u64;
    let mut sent = 0u64;
    let mut exhausted = false;
    tokio::time::sleep_until(plan.start).await;
    while !exhausted {
        let now = Instant::now();
        if now >= plan.stop {
            break;
        }
        let due = match plan.rate {
            Some(rate) => (now.duration_since(plan.start).as_secs_f64() * rate) as u64 + 1,
            None => u64::MAX,
        };
        let in_flight = sent - shared.acked.load(Ordering::SeqCst);
        let room = (plan.pipeline as u64).saturating_sub(in_flight);
        let n = due.saturating_sub(sent).min(room);
        if n > 0 {
            buf.clear();
            let mut added = 0;
            while added < n {
                if !plan.generator.push(&mut buf) {
                    exhausted = true;
                    break;
                }
                added += 1;
            }
            if added > 0 {
                {
                    // Latency counts from when the schedule said to send (open loop: a
                    // server that makes the client fall behind is charged for it).
                    let mut times = shared.in_flight.lock();
                    match plan.rate {
                        Some(rate) => times.extend(
                            (sent..sent + added).map(|k| plan.start + Duration::from_secs_f64(k as f64 / rate)),
                        ),
                        None => times.extend(std::iter::repeat_n(now, added as usize)),
                    }
                }
                shared.sent.fetch_add(added, Ordering::SeqCst);
                sent += added;
                tokio::time::timeout_at(plan.stop + plan.drain, write.write_all(&buf))
                    .await
                    .context("write timed out")??;
                bytes += buf.len() as u64;
            }
            continue;
        }
        if room == 0 || plan.rate.is_none() {
            // Window full: wait for replies.
            let _ = tokio::time::timeout_at(plan.stop, shared.acked_notify.notified()).await;
        } else if let Some(rate) = plan.rate {
            let next = plan.start + Duration::from_secs_f64(sent as f64 / rate);
            tokio::time::sleep_until(next.min(plan.stop)).await;
        }
    }
    let not_sent = match plan.rate {
        Some(rate) => {
            let due = (plan.stop.duration_since(plan.start).as_secs_f64() * rate) as u64;
            due.saturating_sub(sent)
        }
        None => 0,
    };
    write.flush().await?;
    Ok((bytes, not_sent))
}

/// Counts replies (and error replies) until the writer is done and everything sent is
/// answered, or `deadline`. Returns the latencies (µs) and the time of the last reply.
async fn read_replies(
    mut read: OwnedReadHalf,
    shared: Arc<Shared>,
    deadline: Instant,
) -> Result<(Vec<u32>, Option<Instant>)> {
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut latencies = Vec::new();
    let mut last = None;
    loop {
        if shared.writer_done.load(Ordering::SeqCst)
            && shared.acked.load(Ordering::SeqCst) >= shared.sent.load(Ordering::SeqCst)
        {
            return Ok((latencies, last));
        }
        let n = tokio::select! {
            r = read.read(&mut chunk) => r?,
            _ = shared.done_notify.notified() => continue,
            _ = tokio::time::sleep_until(deadline) => {
                let missing = shared.sent.load(Ordering::SeqCst) - shared.acked.load(Ordering::SeqCst);
                bail!("{missing} replies still missing when the drain time ran out");
            }
        };
        if n == 0 {
            bail!("the server closed the connection");
        }
        let now = Instant::now();
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let mut at = 0;
        let mut replies = 0u64;
        let mut errors = 0u64;
        while let Some((len, is_error)) = parse_reply(buf.get(at..).unwrap_or_default())? {
            if is_error {
                errors += 1;
                let mut first = shared.first_error.lock();
                if first.is_none() {
                    let text = buf.get(at + 1..at + len - 2).unwrap_or_default();
                    *first = Some(String::from_utf8_lossy(text).into_owned());
                }
            }
            at += len;
            replies += 1;
        }
        buf.drain(..at);
        if replies > 0 {
            {
                let mut times = shared.in_flight.lock();
                for _ in 0..replies {
                    let Some(sent) = times.pop_front() else { bail!("more replies than commands sent") };
                    latencies.push(now.duration_since(sent).as_micros().min(u128::from(u32::MAX)) as u32);
                }
            }
            shared.errors.fetch_add(errors, Ordering::SeqCst);
            shared.acked.fetch_add(replies, Ordering::SeqCst);
            shared.acked_notify.notify_one();
            last = Some(now);
        }
    }
}

async fn connect(addr: &str, timeout: Duration) -> Result<TcpStream> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .with_context(|| format!("connecting to {addr}: timed out"))?
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true).with_context(|| format!("TCP_NODELAY on {addr}"))?;
    Ok(stream)
}

fn parse_mix(text: &str) -> Result<Vec<(Kind, u32)>> {
    let mut mix = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part.split_once('=').unwrap_or((part, "1"));
        let weight: u32 = weight.trim().parse().with_context(|| format!("bad weight in --mix entry {part:?}"))?;
        if weight > 0 {
            mix.push((Kind::parse(name.trim())?, weight));
        }
    }
    if mix.is_empty() {
        bail!("--mix names no command with a weight above 0");
    }
    Ok(mix)
}

fn quantile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i).copied().unwrap_or(0)
}

async fn run(cli: Cli) -> Result<bool> {
    let (common, mode, rate, duration) = match &cli.mode {
        Mode::Rate(a) => (&a.common, "rate", Some(a.rate), a.duration),
        Mode::Bulk(a) => (&a.common, "bulk", None, a.duration),
    };
    if common.connections == 0 || common.pipeline == 0 {
        bail!("--connections and --pipeline must be at least 1");
    }
    if !(duration > 0.0 && duration.is_finite()) {
        bail!("--duration must be a positive number of seconds");
    }
    if let Some(r) = rate {
        if !(r > 0.0 && r.is_finite()) {
            bail!("--rate must be a positive number of writes per second");
        }
    }
    let total_conns = common.targets.len() * common.connections;
    let timeout = Duration::from_secs_f64(common.connect_timeout.max(0.001));
    let mut streams = Vec::new();
    for addr in &common.targets {
        for _ in 0..common.connections {
            streams.push((addr.clone(), connect(addr, timeout)));
        }
    }
    let mut connected = Vec::new();
    for (addr, fut) in streams {
        connected.push((addr, fut.await?));
    }
    // Everything connected: start together, a little later, on a shared clock.
    let start = Instant::now() + Duration::from_millis(20);
    let stop = start + Duration::from_secs_f64(duration);
    let drain = Duration::from_secs_f64(common.drain.max(0.0));
    let mut tasks = Vec::new();
    for (i, (addr, stream)) in connected.into_iter().enumerate() {
        let keys = match &cli.mode {
            Mode::Rate(a) => {
                let mix = parse_mix(&a.mix)?;
                let total = mix.iter().map(|(_, w)| *w).sum();
                Keys::Random { mix, total, keys: a.keys.max(1) }
            }
            Mode::Bulk(a) => {
                let per = a.count.div_ceil(total_conns as u64);
                let next = (i as u64 * per).min(a.count);
                let end = (next + per).min(a.count);
                Keys::Sequential { kind: a.cmd, next, end, keys: a.keys.unwrap_or(a.count).max(1) }
            }
        };
        let generator = Generator {
            rng: StdRng::seed_from_u64(common.seed.wrapping_mul(1_000_003).wrapping_add(i as u64)),
            keys,
            value_size: common.value_size,
        };
        let plan = Plan {
            addr,
            rate: rate.map(|r| r / total_conns as f64),
            start,
            stop,
            drain,
            pipeline: common.pipeline,
            generator,
        };
        tasks.push(tokio::spawn(run_connection(stream, plan)));
    }
    let mut total = ConnResult::default();
    let mut failures = Vec::new();
    for t in tasks {
        let r = t.await.map_err(|e| anyhow!("connection task: {e}"))?;
        total.sent += r.sent;
        total.acked += r.acked;
        total.errors += r.errors;
        total.not_sent += r.not_sent;
        total.bytes += r.bytes;
        total.latencies_us.extend(r.latencies_us);
        total.last_reply = total.last_reply.max(r.last_reply);
        if total.first_error.is_none() {
            total.first_error = r.first_error;
        }
        if let Some(f) = r.failure {
            failures.push(f);
        }
    }
    // Elapsed: from the start to the last reply (or the end of sending, if that was later
    // for an open-loop run: the schedule, not the replies, sets its length).
    let mut end = total.last_reply.unwrap_or(start);
    if rate.is_some() {
        end = end.max(stop.min(Instant::now()));
    }
    let elapsed = end.saturating_duration_since(start).as_secs_f64();
    let achieved = if elapsed > 0.0 { total.acked as f64 / elapsed } else { 0.0 };
    total.latencies_us.sort_unstable();
    let lat = &total.latencies_us;
    println!(
        "loadgen mode={mode} targets={} connections={total_conns} pipeline={} requested_rate={} duration_s={duration} \
         elapsed_s={elapsed:.3} sent={} acked={} errors={} not_sent={} conn_errors={} achieved_rate={achieved:.0} \
         bytes_sent={} bytes_per_cmd={:.1} lat_p50_us={} lat_p99_us={} lat_max_us={}",
        common.targets.len(),
        common.pipeline,
        rate.map_or("max".to_string(), |r| format!("{r:.0}")),
        total.sent,
        total.acked,
        total.errors,
        total.not_sent,
        failures.len(),
        total.bytes,
        if total.sent > 0 { total.bytes as f64 / total.sent as f64 } else { 0.0 },
        quantile(lat, 0.5),
        quantile(lat, 0.99),
        lat.last().copied().unwrap_or(0),
    );
    if let Some(e) = &total.first_error {
        eprintln!("loadgen: first error reply: {e}");
    }
    for f in &failures {
        eprintln!("loadgen: {f}");
    }
    Ok(failures.is_empty())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let threads = match &cli.mode {
        Mode::Rate(a) => a.common.threads,
        Mode::Bulk(a) => a.common.threads,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(threads.max(1)).enable_all().build()?;
    if runtime.block_on(run(cli))? { Ok(()) } else { std::process::exit(1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_parse_incrementally() {
        assert_eq!(parse_reply(b"+OK\r\n").unwrap(), Some((5, false)));
        assert_eq!(parse_reply(b":12\r\n+OK").unwrap(), Some((5, false)));
        assert_eq!(parse_reply(b"-ERR x\r\n").unwrap(), Some((8, true)));
        assert_eq!(parse_reply(b"$3\r\nab").unwrap(), None);
        assert_eq!(parse_reply(b"$3\r\nabc\r\n").unwrap(), Some((9, false)));
        assert_eq!(parse_reply(b"$-1\r\n").unwrap(), Some((5, false)));
        assert_eq!(parse_reply(b"*2\r\n:1\r\n$1\r\nx\r\n").unwrap(), Some((15, false)));
        assert_eq!(parse_reply(b"*2\r\n:1\r\n").unwrap(), None);
        assert!(parse_reply(b"?\r\n").is_err());
    }

    #[test]
    fn commands_have_16_byte_keys() {
        let mut g = Generator {
            rng: StdRng::seed_from_u64(1),
            keys: Keys::Sequential { kind: Kind::Set, next: 7, end: 9, keys: 100 },
            value_size: 64,
        };
        let mut out = Vec::new();
        assert!(g.push(&mut out));
        assert!(out.starts_with(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000007\r\n$64\r\n"));
        assert_eq!(out.len(), 107);
        assert!(g.push(&mut out));
        assert!(!g.push(&mut out));
        let mut g = Generator {
            rng: StdRng::seed_from_u64(1),
            keys: Keys::Sequential { kind: Kind::Incr, next: 0, end: 1, keys: 1 },
            value_size: 64,
        };
        let mut out = Vec::new();
        assert!(g.push(&mut out));
        assert_eq!(out, b"*2\r\n$4\r\nINCR\r\n$16\r\ncnt:000000000000\r\n");
        assert_eq!(parse_mix("set=3, incr").unwrap(), vec![(Kind::Set, 3), (Kind::Incr, 1)]);
        assert!(parse_mix("get=1").is_err());
        assert!(parse_mix("set=0").is_err());
    }
}
