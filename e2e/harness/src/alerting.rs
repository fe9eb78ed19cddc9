//! A real Alertmanager (the `prometheus-alertmanager` binary of Debian's package) on
//! loopback, and the webhook receiver it notifies: a small HTTP server in the test process
//! that records every notification by the path it was posted to (one per receiver).

use crate::server::{Binary, Launch, Server};
use anyhow::Result;
use serde_json::Value;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One notification as Alertmanager's webhook sends it.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The path it was posted to: the receiver's name in the test configuration.
    pub path: String,
    pub body: Value,
}

impl Notification {
    /// `firing` or `resolved`, for the notification as a whole.
    pub fn status(&self) -> &str {
        self.body["status"].as_str().unwrap_or_default()
    }

    /// Its alerts' labels, with each alert's own status.
    pub fn alerts(&self) -> Vec<(String, Value)> {
        self.body["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                (
                    a["status"].as_str().unwrap_or_default().to_owned(),
                    a["labels"].clone(),
                )
            })
            .collect()
    }
}

/// Records the notifications posted to it, until dropped.
pub struct Receiver {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Notification>>>,
}

impl Receiver {
    pub fn start() -> Result<Receiver> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        // The thread ends with the test process; nothing else connects to this port.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(n) = read_post(stream)
                    && let Ok(mut all) = sink.lock()
                {
                    all.push(n);
                }
            }
        });
        Ok(Receiver { addr, received })
    }

    /// Every notification so far, in arrival order.
    pub fn received(&self) -> Vec<Notification> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The URL of the receiver named `name`.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }
}

/// Reads one HTTP request and answers 200; the notification if it was a JSON POST.
fn read_post(stream: TcpStream) -> Option<Notification> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/')
        .to_owned();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    let mut out = stream;
    let _ = out.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let body = serde_json::from_slice(&body).ok()?;
    Some(Notification { path, body })
}

pub struct Alertmanager {
    server: Server,
}

impl Alertmanager {
    /// Starts Alertmanager in the new directory `dir` with `config` (YAML text), as a
    /// single instance (no cluster gossip).
    pub fn start(dir: &Path, config: &str) -> Result<Alertmanager> {
        let server = Server::start(
            dir,
            &Binary {
                name: "alertmanager",
                env: "ALERTMANAGER_BIN",
                default: "prometheus-alertmanager",
                package: "prometheus-alertmanager",
            },
            &Launch {
                config_file: "alertmanager.yml",
                config,
                storage_flag: "--storage.path",
                extra: &["--cluster.listen-address="],
            },
        )?;
        Ok(Alertmanager { server })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    pub fn log_text(&self) -> String {
        self.server.log_text()
    }
}
