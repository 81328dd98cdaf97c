//! The control socket (`control.sock` in the state directory): how `local status`, `stop`,
//! `cut`, `heal` and a re-run with a changed manifest reach a running supervisor. One JSON
//! request line, one JSON answer line, each bounded in size and time. Requests are handed to
//! the supervisor's loop over a channel, so only that loop ever touches its state.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

use super::snapshot::Snapshot;

/// The largest request or answer: a manifest, or a status of many regions.
const MAX_MESSAGE: u64 = 4 << 20;
/// How long a client waits for the supervisor (a reload starts processes and namespaces).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// Requests waiting for the supervisor's loop.
const QUEUE: usize = 8;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "kebab-case")]
pub enum Request {
    Status,
    Stop,
    Cut {
        region: String,
    },
    Heal {
        region: String,
    },
    Rebuild {
        region: String,
        shard: u32,
    },
    /// A re-run: the manifest's text and the options it was run with.
    Apply {
        path: String,
        manifest: String,
        options: String,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum Answer {
    Status(Box<Snapshot>),
    Done { text: String },
    Refused { error: String },
}

/// A request with its way back.
pub type Incoming = (Request, oneshot::Sender<Answer>);

/// Serves the socket at `path`, forwarding requests into the returned channel.
pub fn serve(path: &Path) -> std::io::Result<mpsc::Receiver<Incoming>> {
    let listener = UnixListener::bind(path)?;
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(ANSWER_TIMEOUT, connection(stream, tx)).await;
            });
        }
    });
    Ok(rx)
}

async fn connection(stream: UnixStream, tx: mpsc::Sender<Incoming>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    BufReader::new(read.take(MAX_MESSAGE)).read_line(&mut line).await?;
    let answer = match serde_json::from_str::<Request>(&line) {
        Ok(request) => {
            let (back, answer) = oneshot::channel();
            if tx.send((request, back)).await.is_err() {
                Answer::Refused { error: "the supervisor is stopping".into() }
            } else {
                answer.await.unwrap_or(Answer::Refused { error: "the supervisor is stopping".into() })
            }
        }
        Err(e) => Answer::Refused { error: format!("bad request: {e}") },
    };
    let mut text = serde_json::to_string(&answer).unwrap_or_default();
    text.push('\n');
    write.write_all(text.as_bytes()).await
}

/// Sends one request to the supervisor behind `socket`.
pub async fn ask(socket: &Path, request: &Request) -> Result<Answer, super::Error> {
    let work = async {
        let stream = UnixStream::connect(socket)
            .await
            .map_err(|source| super::Error::Connect { socket: socket.to_path_buf(), source })?;
        let (read, mut write) = stream.into_split();
        let mut text = serde_json::to_string(request).map_err(super::Error::Encode)?;
        text.push('\n');
        write.write_all(text.as_bytes()).await?;
        let mut line = String::new();
        BufReader::new(read.take(MAX_MESSAGE)).read_line(&mut line).await?;
        serde_json::from_str(&line).map_err(super::Error::BadAnswer)
    };
    tokio::time::timeout(ANSWER_TIMEOUT, work).await.unwrap_or(Err(super::Error::NoAnswer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_reaches_the_loop_and_its_answer_comes_back() {
        let path = std::env::temp_dir().join(format!("meridian-control-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut rx = serve(&path).unwrap();
        tokio::spawn(async move {
            while let Some((request, back)) = rx.recv().await {
                let text = format!("{request:?}");
                let _ = back.send(Answer::Done { text });
            }
        });
        let answer = ask(&path, &Request::Cut { region: "us-east".into() }).await.unwrap();
        assert_eq!(answer, Answer::Done { text: "Cut { region: \"us-east\" }".into() });
        std::fs::remove_file(&path).unwrap();
    }
}
