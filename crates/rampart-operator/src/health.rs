//! `/healthz` and `/readyz` for the kubelet's probes and `/metrics` for Prometheus, over
//! plain HTTP/1.1. Deliberately tiny: fixed paths, no request bodies, one response per
//! connection.

use crate::metrics::Metrics;
use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tracing::{debug, info, warn};

/// What the probes report; the pipeline flips `ready` once every initial list has synced,
/// and marks the report CRDs missing while writes find them not served.
#[derive(Debug, Default)]
pub struct Health {
    ready: AtomicBool,
    crds_missing: AtomicBool,
}

impl Health {
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Relaxed);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    pub fn set_crds_missing(&self, missing: bool) {
        self.crds_missing.store(missing, Ordering::Relaxed);
    }

    fn crds_missing(&self) -> bool {
        self.crds_missing.load(Ordering::Relaxed)
    }
}

/// The version of the text exposition format `Metrics::encode` writes.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Status line, content type and body for a request line such as `GET /readyz HTTP/1.1`.
fn respond(
    request_line: &str,
    health: &Health,
    metrics: &Metrics,
) -> (&'static str, &'static str, Cow<'static, str>) {
    let path = request_line.split_whitespace().nth(1).unwrap_or("");
    // Prometheus may add query parameters; only the path decides.
    let path = path.split('?').next().unwrap_or(path);
    let text = |status, body: &'static str| (status, "text/plain", Cow::Borrowed(body));
    match path {
        "/healthz" | "/livez" => text("200 OK", "ok\n"),
        "/readyz" if !health.is_ready() => {
            text("503 Service Unavailable", "waiting for the initial lists\n")
        }
        // Evaluation goes on, but nothing reaches the cluster: not ready, and saying why.
        "/readyz" if health.crds_missing() => text(
            "503 Service Unavailable",
            "the report CRDs are not installed: kubectl apply --server-side -f crds/rampart.yaml\n",
        ),
        "/readyz" => text("200 OK", "ok\n"),
        "/metrics" => match metrics.encode() {
            Ok(body) => ("200 OK", METRICS_CONTENT_TYPE, Cow::Owned(body)),
            Err(e) => {
                warn!(error = %e, "encoding metrics failed");
                text(
                    "500 Internal Server Error",
                    "metrics could not be encoded\n",
                )
            }
        },
        _ => text("404 Not Found", "not found\n"),
    }
}

/// Binds `addr` and serves probes and metrics until the task is dropped.
pub async fn serve(
    addr: SocketAddr,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    info!(%bound, "serving /healthz, /readyz and /metrics");
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, peer)) = listener.accept().await else {
                continue;
            };
            let health = health.clone();
            let metrics = metrics.clone();
            tokio::spawn(async move {
                // A probe's or a scrape's headers fit in one read; only the request line
                // is parsed, and reading all of it keeps the close from resetting the
                // connection before the client has the reply.
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let text = String::from_utf8_lossy(&buf[..n]);
                let (status, content_type, body) =
                    respond(text.lines().next().unwrap_or(""), &health, &metrics);
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
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

    fn metrics() -> Metrics {
        Metrics::new(true).expect("metrics")
    }

    #[test]
    fn readiness_follows_the_flag() {
        let h = Health::default();
        let m = metrics();
        assert_eq!(
            respond("GET /readyz HTTP/1.1", &h, &m).0,
            "503 Service Unavailable"
        );
        h.set_ready();
        assert_eq!(respond("GET /readyz HTTP/1.1", &h, &m).0, "200 OK");
        assert_eq!(respond("GET /healthz HTTP/1.1", &h, &m).0, "200 OK");
        assert_eq!(respond("GET /secret HTTP/1.1", &h, &m).0, "404 Not Found");
        assert_eq!(respond("", &h, &m).0, "404 Not Found");
    }

    #[test]
    fn missing_report_crds_make_the_operator_unready_and_say_why() {
        let h = Health::default();
        let m = metrics();
        h.set_ready();
        h.set_crds_missing(true);
        let (status, _, body) = respond("GET /readyz HTTP/1.1", &h, &m);
        assert_eq!(status, "503 Service Unavailable");
        assert!(body.contains("report CRDs are not installed"), "{body}");
        assert_eq!(respond("GET /healthz HTTP/1.1", &h, &m).0, "200 OK");
        h.set_crds_missing(false);
        assert_eq!(respond("GET /readyz HTTP/1.1", &h, &m).0, "200 OK");
    }

    #[test]
    fn metrics_are_served_in_the_text_format() {
        let (status, content_type, body) =
            respond("GET /metrics?x=1 HTTP/1.1", &Health::default(), &metrics());
        assert_eq!(status, "200 OK");
        assert!(content_type.starts_with("text/plain; version=0.0.4"));
        assert!(body.contains("# TYPE rampart_rule_info gauge"), "{body}");
    }

    #[tokio::test]
    async fn serves_over_tcp() {
        let h = Arc::new(Health::default());
        let addr = serve(
            "127.0.0.1:0".parse().expect("addr"),
            h.clone(),
            Arc::new(metrics()),
        )
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
        let scrape = get("/metrics").await;
        assert!(scrape.starts_with("HTTP/1.1 200"), "{scrape}");
        assert!(scrape.contains("rampart_secrets_encryption{state=\"unknown\"} 1"));
        // The control plane's state sets, unknown until the first pass.
        for series in [
            "rampart_anonymous_access{state=\"unknown\"} 1",
            "rampart_authorization_mode{state=\"unknown\"} 1",
            "rampart_audit_logging{state=\"off\"} 0",
            "rampart_admission_control{state=\"unknown\"} 1",
            "rampart_kubernetes_version_status{component=\"kubelet\",state=\"unknown\"} 1",
            "rampart_control_plane_info{check=\"anonymous\",evidence=\"none\"} 1",
        ] {
            assert!(scrape.contains(series), "{series} missing:\n{scrape}");
        }
    }
}
