//! A scripted fake of Graph (and of a token endpoint) on loopback, written over raw TCP so a test
//! can answer anything: a normal reply, a slow one, a body cut short, garbage. Every request is
//! recorded (method, path, headers, body) for the test to inspect.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Header names in lowercase.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

/// What the fake answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A whole response.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Waits, then answers (or the client gives up first).
    Slow(Duration, Box<Reply>),
    /// Declares `Content-Length` for the whole body, sends only `sent` bytes, and closes.
    CutShort {
        status: u16,
        body: Vec<u8>,
        sent: usize,
    },
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::Full {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into().into_bytes(),
        }
    }

    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Full {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Reply::Full {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

pub type Script = Arc<dyn Fn(usize, &Seen) -> Reply + Send + Sync>;

/// A running fake; it stops when dropped with the runtime.
pub struct Fake {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    /// Connections whose client went away before the reply was written.
    pub abandoned: Arc<Mutex<usize>>,
}

impl Fake {
    /// Starts the fake on `runtime`; `script(n, request)` answers the n-th request (from 0).
    pub fn start(runtime: &tokio::runtime::Runtime, script: Script) -> Fake {
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let abandoned: Arc<Mutex<usize>> = Arc::default();
        let (seen2, abandoned2) = (seen.clone(), abandoned.clone());
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (script, seen, abandoned) = (script.clone(), seen2.clone(), abandoned2.clone());
                tokio::spawn(async move {
                    let _ = connection(stream, script, seen, abandoned).await;
                });
            }
        });
        Fake {
            url,
            seen,
            abandoned,
        }
    }

    /// Answers every request with `reply`.
    pub fn always(runtime: &tokio::runtime::Runtime, reply: Reply) -> Fake {
        Fake::start(runtime, Arc::new(move |_, _| reply.clone()))
    }

    /// Answers the n-th request with `replies[n]` (the last one after that).
    pub fn sequence(runtime: &tokio::runtime::Runtime, replies: Vec<Reply>) -> Fake {
        Fake::start(
            runtime,
            Arc::new(move |n, _| replies[n.min(replies.len() - 1)].clone()),
        )
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn connection(
    mut stream: TcpStream,
    script: Script,
    seen: Arc<Mutex<Vec<Seen>>>,
    abandoned: Arc<Mutex<usize>>,
) -> std::io::Result<()> {
    loop {
        let Some(request) = read_request(&mut stream).await? else {
            return Ok(());
        };
        let n = {
            let mut seen = seen.lock().unwrap();
            seen.push(request.clone());
            seen.len() - 1
        };
        let reply = script(n, &request);
        if !write_reply(&mut stream, reply, &abandoned).await? {
            return Ok(());
        }
    }
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Seen>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let path = first.next().unwrap_or_default().to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(Seen {
        method,
        path,
        headers,
        body,
    }))
}

/// Writes the reply; false when the connection should close afterwards.
async fn write_reply(
    stream: &mut TcpStream,
    reply: Reply,
    abandoned: &Mutex<usize>,
) -> std::io::Result<bool> {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} Fake\r\ncontent-length: {}\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
            Ok(true)
        }
        Reply::Slow(wait, reply) => {
            // Watch the socket while waiting: a client that gives up closes it.
            let mut probe = [0u8; 1];
            tokio::select! {
                _ = tokio::time::sleep(wait) => Box::pin(write_reply(stream, *reply, abandoned)).await,
                read = stream.read(&mut probe) => {
                    if matches!(read, Ok(0) | Err(_)) {
                        *abandoned.lock().unwrap() += 1;
                    }
                    Ok(false)
                }
            }
        }
        Reply::CutShort { status, body, sent } => {
            let head = format!(
                "HTTP/1.1 {status} Fake\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body[..sent.min(body.len())]).await?;
            stream.shutdown().await?;
            Ok(false)
        }
    }
}
