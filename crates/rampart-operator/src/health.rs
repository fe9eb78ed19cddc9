//! `/healthz` and `/readyz` over plain HTTP/1.1, for the kubelet's probes. Deliberately
//! tiny: two fixed paths, no request bodies, one response per connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tracing::{debug, info};

/// What the probes report; the pipeline flips `ready` once every initial list has synced.
#[derive(Debug, Default)]
pub struct Health {
    ready: AtomicBool,
}

impl Health {
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Relaxed);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }
}

/// Status line and body for a request line such as `GET /readyz HTTP/1.1`.
fn respond(request_line: &str, health: &Health) -> (&'static str, &'static str) {
    let path = request_line.split_whitespace().nth(1).unwrap_or("");
    match path {
        "/healthz" | "/livez" => ("200 OK", "ok\n"),
        "/readyz" if health.is_ready() => ("200 OK", "ok\n"),
        "/readyz" => ("503 Service Unavailable", "waiting for the initial lists\n"),
        _ => ("404 Not Found", "not found\n"),
    }
}

/// Binds `addr` and serves probes until the task is dropped.
pub async fn serve(addr: SocketAddr, health: Arc<Health>) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    info!(%bound, "serving /healthz and /readyz");
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, peer)) = listener.accept().await else {
                continue;
            };
            let health = health.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                // A probe's request fits in one read; anything longer is cut, not parsed.
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let text = String::from_utf8_lossy(&buf[..n]);
                let (status, body) = respond(text.lines().next().unwrap_or(""), &health);
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                if let Err(e) = stream.write_all(reply.as_bytes()).await {
                    debug!(%peer, error = %e, "probe connection closed early");
                }
            });
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_follows_the_flag() {
        let h = Health::default();
        assert_eq!(
            respond("GET /readyz HTTP/1.1", &h).0,
            "503 Service Unavailable"
        );
        h.set_ready();
        assert_eq!(respond("GET /readyz HTTP/1.1", &h).0, "200 OK");
        assert_eq!(respond("GET /healthz HTTP/1.1", &h).0, "200 OK");
        assert_eq!(respond("GET /secret HTTP/1.1", &h).0, "404 Not Found");
    }

    #[tokio::test]
    async fn serves_over_tcp() {
        let h = Arc::new(Health::default());
        let addr = serve("127.0.0.1:0".parse().expect("addr"), h.clone())
            .await
            .expect("bind");
        let get = |path: &'static str| async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
            s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
                .await
                .expect("write");
            let mut out = String::new();
            s.read_to_string(&mut out).await.expect("read");
            out
        };
        assert!(get("/readyz").await.starts_with("HTTP/1.1 503"));
        h.set_ready();
        assert!(get("/readyz").await.starts_with("HTTP/1.1 200"));
    }
}
