//! A real Alertmanager (the `prometheus-alertmanager` binary of Debian's package) on
//! loopback, and the webhook receiver it notifies: a small HTTP server in the test process
//! that records every notification by the path it was posted to (one per receiver).

use crate::operator::free_port;
use anyhow::{Context as _, Result, bail};
use serde_json::Value;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
    child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl Alertmanager {
    /// Starts Alertmanager in the new directory `dir` with `config` (YAML text), as a
    /// single instance (no cluster gossip).
    ///
    /// Fails, never skips, when the binary is missing: `.ci/run` installs it.
    pub fn start(dir: &Path, config: &str) -> Result<Alertmanager> {
        let bin = std::env::var_os("ALERTMANAGER_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("prometheus-alertmanager"));
        let version = Command::new(&bin).arg("--version").output();
        if !version.is_ok_and(|o| o.status.success()) {
            bail!(
                "the alertmanager binary ({}) is missing: install Debian's \
                 `prometheus-alertmanager` package (.ci/run does) or set ALERTMANAGER_BIN",
                bin.display()
            );
        }
        if dir.exists() {
            bail!(
                "{} exists: Alertmanager needs an empty directory",
                dir.display()
            );
        }
        std::fs::create_dir_all(dir.join("data"))?;
        let config_path = dir.join("alertmanager.yml");
        std::fs::write(&config_path, config)?;
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let log = dir.join("alertmanager.log");
        let child = Command::new(&bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut child = child;
        let text = || std::fs::read_to_string(&log).unwrap_or_default();
        crate::wait_until_ready(&mut child, addr, "alertmanager", text)?;
        Ok(Alertmanager { child, addr, log })
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        // Only the process this harness started.
        crate::terminate(&mut self.child);
    }
}
