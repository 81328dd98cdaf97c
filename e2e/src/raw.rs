//! Raw RESP over TCP: exact request bytes in, exact reply bytes out.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::{Error, IO_TIMEOUT, Result};

/// A plain TCP connection to a server that reads whole RESP2/RESP3 frames.
#[derive(Debug)]
pub struct RawConn {
    stream: TcpStream,
    port: u16,
    /// Bytes read but not yet returned.
    buf: Vec<u8>,
}

impl RawConn {
    pub fn connect(port: u16) -> Result<RawConn> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|source| Error::Connect { port, source })?;
        stream.set_read_timeout(Some(IO_TIMEOUT)).map_err(|source| Error::Io { port, source })?;
        stream.set_write_timeout(Some(IO_TIMEOUT)).map_err(|source| Error::Io { port, source })?;
        stream.set_nodelay(true).map_err(|source| Error::Io { port, source })?;
        Ok(RawConn { stream, port, buf: Vec::new() })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream.write_all(bytes).map_err(|source| Error::Io { port: self.port, source })
    }

    /// Sends a command as a RESP array of bulk strings.
    pub fn send_command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<()> {
        self.send(&encode_command(args))
    }

    /// Reads exactly one complete reply and returns its bytes. Fails if the server closes the
    /// connection or sends nothing for `IO_TIMEOUT`.
    pub fn read_frame(&mut self) -> Result<Vec<u8>> {
        loop {
            if let Some(len) = frame_len(&self.buf) {
                return Ok(self.buf.drain(..len).collect());
            }
            if self.fill()? == 0 {
                return Err(Error::Io {
                    port: self.port,
                    source: std::io::Error::new(
                        ErrorKind::UnexpectedEof,
                        format!("connection closed; unparsed bytes: {:?}", String::from_utf8_lossy(&self.buf)),
                    ),
                });
            }
        }
    }

    /// `read_frame`, as text (replies in these tests are ASCII; others show escaped).
    pub fn read_text(&mut self) -> Result<String> {
        Ok(String::from_utf8_lossy(&self.read_frame()?).into_owned())
    }

    /// Sends a command and returns its reply as text.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<String> {
        self.send_command(args)?;
        self.read_text()
    }

    /// Reads until the server closes the connection, within `timeout`; returns the bytes that
    /// came first, or `None` if the connection was still open at the deadline.
    pub fn read_until_closed(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.stream.set_read_timeout(Some(left)).map_err(|source| Error::Io { port: self.port, source })?;
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(Some(std::mem::take(&mut self.buf))),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return Ok(None),
                // A reset after the server closed with unread input is a close too.
                Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => {
                    return Ok(Some(std::mem::take(&mut self.buf)));
                }
                Err(source) => return Err(Error::Io { port: self.port, source }),
            }
        }
    }

    /// True if nothing arrives within `wait` (used to check that a reply is not sent early).
    pub fn is_silent_for(&mut self, wait: Duration) -> Result<bool> {
        if !self.buf.is_empty() {
            return Ok(false);
        }
        self.stream.set_read_timeout(Some(wait)).map_err(|source| Error::Io { port: self.port, source })?;
        let mut chunk = [0u8; 4096];
        let silent = match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                false
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => true,
            Err(source) => return Err(Error::Io { port: self.port, source }),
        };
        self.stream.set_read_timeout(Some(IO_TIMEOUT)).map_err(|source| Error::Io { port: self.port, source })?;
        Ok(silent)
    }

    fn fill(&mut self) -> Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).map_err(|source| Error::io(self.port, source))?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }
}

/// A command as a RESP array of bulk strings.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Length of the first complete RESP2/RESP3 frame in `buf`, or `None` if more bytes are needed.
pub fn frame_len(buf: &[u8]) -> Option<usize> {
    frame_end(buf, 0)
}

fn frame_end(buf: &[u8], start: usize) -> Option<usize> {
    let kind = *buf.get(start)?;
    let line_end = start + buf.get(start..)?.windows(2).position(|w| w == b"\r\n")?;
    let after_line = line_end + 2;
    let number = || std::str::from_utf8(&buf[start + 1..line_end]).ok()?.parse::<i64>().ok();
    match kind {
        b'$' | b'=' | b'!' => {
            let n = number()?;
            if n < 0 {
                return Some(after_line);
            }
            let end = after_line + usize::try_from(n).ok()? + 2;
            (buf.len() >= end).then_some(end)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = number()?;
            if n < 0 {
                return Some(after_line);
            }
            let items = if matches!(kind, b'%' | b'|') { n * 2 } else { n };
            let mut pos = after_line;
            for _ in 0..items {
                pos = frame_end(buf, pos)?;
            }
            // An attribute is followed by the reply it annotates.
            if kind == b'|' { frame_end(buf, pos) } else { Some(pos) }
        }
        // Simple types (+ - : , # ( _) and inline text: one line.
        _ => Some(after_line),
    }
}

#[cfg(test)]
mod tests {
    use super::frame_len;

    #[test]
    fn frames() {
        assert_eq!(frame_len(b"+OK\r\n+PONG\r\n"), Some(5));
        assert_eq!(frame_len(b"$3\r\nabc\r\n"), Some(9));
        assert_eq!(frame_len(b"$3\r\nab"), None);
        assert_eq!(frame_len(b"$-1\r\n"), Some(5));
        assert_eq!(frame_len(b"*2\r\n$1\r\na\r\n:1\r\n"), Some(15));
        assert_eq!(frame_len(b"*2\r\n$1\r\na\r\n"), None);
        assert_eq!(frame_len(b"%1\r\n$1\r\nf\r\n,1.5\r\n"), Some(17));
        assert_eq!(frame_len(b"_\r\n"), Some(3));
        assert_eq!(frame_len(b""), None);
    }
}
