//! A TCP fault proxy: forwards a loopback port to a target, and can cut the link (close every
//! connection and refuse new ones) and restore it, to partition regions in tests.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{Error, Result};

pub struct FaultProxy {
    port: u16,
    cut: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    /// Bytes the target has sent back through the proxy, so tests can see what is on the wire.
    received: Arc<AtomicU64>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:target`.
    pub fn start(target: u16) -> Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|source| Error::NoFreePort { source })?;
        let port = listener.local_addr().map_err(|source| Error::NoFreePort { source })?.port();
        listener.set_nonblocking(true).map_err(|source| Error::Io { port, source })?;
        let proxy = FaultProxy {
            port,
            cut: Arc::new(AtomicBool::new(false)),
            live: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
            received: Arc::new(AtomicU64::new(0)),
        };
        let (cut, live, stop) = (proxy.cut.clone(), proxy.live.clone(), proxy.stop.clone());
        let received = proxy.received.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        if cut.load(Ordering::Relaxed) {
                            drop(client);
                            continue;
                        }
                        let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else { continue };
                        let _ = client.set_nonblocking(false);
                        let _ = client.set_nodelay(true);
                        let _ = server.set_nodelay(true);
                        if let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) {
                            if let Ok(mut l) = live.lock() {
                                l.push(c2);
                                l.push(s2);
                            }
                        }
                        pipe(&client, &server, None);
                        pipe(&server, &client, Some(received.clone()));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(proxy)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Bytes received from the target so far, over every connection.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Closes every connection through the proxy and refuses new ones until `restore`.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::Relaxed);
        if let Ok(mut live) = self.live.lock() {
            for s in live.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::Relaxed);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.cut();
    }
}

/// Copies `from` to `to` on a thread until either side closes, counting into `count`.
fn pipe(from: &TcpStream, to: &TcpStream, count: Option<Arc<AtomicU64>>) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else { return };
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Some(c) = &count {
                        c.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
