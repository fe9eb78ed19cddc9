//! Reads kube-apiserver's `/metrics`, the strongest evidence of Secrets encryption at rest
//! and of audit logging, and probes the API server: its `/version`, and what a request
//! without any credentials gets from a few read-only paths (never Secrets, never a write).
//! It needs `get` on the nonResourceURL `/metrics`, which the install offers as an opt-in
//! (`manifests/optional/apiserver-metrics-rbac.yaml`); without it the scrape is recorded as
//! forbidden and the assessment falls back to weaker evidence and says so.
//!
//! Behind the `kubernetes` Service each request may reach another API server replica. The
//! encryption-config controller's info series names the replica (`apiserver_id_hash`), so
//! scrapes are kept per replica and the assessment adds them up; without it (no encryption
//! configured) the replicas cannot be told apart and one entry stands for them.

use kube::Client;
use rampart_rules::Change;
use rampart_rules::Object;
use rampart_rules::control_plane::{ANONYMOUS_PATHS, ApiServerProbe};
use rampart_rules::encryption::apiserver_metrics_ref;
use rampart_rules::encryption::{ApiServerMetrics, MetricsView};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, warn};

/// The name of the entry that stands for API servers that cannot be told apart.
const ANY: &str = "apiserver";

/// What one read of `/metrics` brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// What the verdicts read changed: the reading goes into the inventory.
    Changed,
    /// Only counters ran on: the held reading stands for it.
    Unchanged,
    Forbidden,
    /// No answer: the last reading stands.
    Failed,
}

impl Read {
    pub const ALL: [Read; 4] = [
        Read::Changed,
        Read::Unchanged,
        Read::Forbidden,
        Read::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Read::Changed => "changed",
            Read::Unchanged => "unchanged",
            Read::Forbidden => "forbidden",
            Read::Failed => "failed",
        }
    }
}

/// What a refresh brought: the inventory changes, and each read of `/metrics`.
#[derive(Debug, Default)]
pub struct Refreshed {
    pub changes: Vec<Change>,
    pub reads: Vec<Read>,
}

pub struct Scraper {
    interval: Option<Duration>,
    next: Instant,
    current: BTreeMap<String, ApiServerMetrics>,
    /// A client without credentials, for the anonymous probe; `None` probes `/version` only.
    anonymous: Option<AnonymousClient>,
    probed: Option<ApiServerProbe>,
}

/// A client that sends no credentials (no token, no client certificate), for the
/// anonymous probe.
#[derive(Clone)]
pub struct AnonymousClient(pub Client);

impl std::fmt::Debug for AnonymousClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnonymousClient")
    }
}

/// Lists ask for metadata only, so an anonymous caller that may list gets no content.
const METADATA_ONLY: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

/// Asks the API server for its version with Rampart's own credentials, and each of
/// [`ANONYMOUS_PATHS`] with none: what anyone who reaches the server gets.
pub async fn probe(client: &Client, anonymous: Option<&AnonymousClient>) -> ApiServerProbe {
    let mut probe = ApiServerProbe {
        name: ANY.to_owned(),
        ..ApiServerProbe::default()
    };
    match client.apiserver_version().await {
        Ok(info) => probe.version = Some(info.git_version),
        Err(e) => warn!(error = %e, "reading the API server's /version failed"),
    }
    let Some(anonymous) = anonymous else {
        return probe;
    };
    for path in ANONYMOUS_PATHS {
        let mut request = http::Request::get(*path);
        if path.contains("?limit=") {
            request = request.header(http::header::ACCEPT, METADATA_ONLY);
        }
        let request = match request.body(kube::client::Body::from(Vec::new())) {
            Ok(r) => r,
            Err(e) => {
                warn!(error = %e, path, "building an anonymous probe request");
                continue;
            }
        };
        // Only the status is kept; the body is dropped unread.
        match anonymous.0.send(request).await {
            Ok(response) => {
                probe
                    .anonymous
                    .insert((*path).to_owned(), response.status().as_u16());
            }
            Err(e) => {
                // No answer decides nothing: the verdict stays unknown and says why.
                probe.anonymous.clear();
                probe.anonymous_error = Some(e.to_string());
                warn!(error = %e, path, "the anonymous probe got no answer");
                break;
            }
        }
    }
    debug!(answers = ?probe.anonymous, version = ?probe.version, "probed the API server");
    probe
}

/// Which replica a scrape came from, when the metrics say.
fn replica(text: &str) -> Option<String> {
    let line = text
        .lines()
        .find(|l| l.starts_with("apiserver_encryption_config_controller_last_config_info{"))?;
    let hash = line
        .split("apiserver_id_hash=\"")
        .nth(1)?
        .split('"')
        .next()?;
    let hex = hash.trim_start_matches("sha256:");
    Some(format!("apiserver-{}", &hex[..hex.len().min(12)]))
}

impl Scraper {
    /// `interval` zero turns scraping off (the probe then runs once, at the first refresh).
    /// `anonymous` is a client without credentials for the anonymous probe.
    pub fn new(interval: Duration, anonymous: Option<AnonymousClient>) -> Scraper {
        Scraper {
            interval: (!interval.is_zero()).then_some(interval),
            next: Instant::now(),
            current: BTreeMap::new(),
            anonymous,
            probed: None,
        }
    }

    /// Whether /metrics are read on a schedule (else only the probe, until it answers).
    pub fn is_periodic(&self) -> bool {
        self.interval.is_some()
    }

    /// When the next scrape is due (far away when scraping is off).
    pub fn due(&self) -> Instant {
        match self.interval {
            Some(_) => self.next,
            None => Instant::now() + Duration::from_secs(365 * 24 * 3600),
        }
    }

    /// What was last read, to put into a freshly built inventory.
    pub fn objects(&self) -> impl Iterator<Item = Object> + '_ {
        let probe = self.probed.iter().cloned().map(Object::ApiServerProbe);
        self.current
            .values()
            .cloned()
            .map(Object::ApiServerMetrics)
            .chain(probe)
    }

    /// Probes again and returns the change, if the answers differ from the last ones.
    async fn reprobe(&mut self, client: &Client) -> Option<Change> {
        let fresh = probe(client, self.anonymous.as_ref()).await;
        // A server that answered nothing at all taught nothing: the last answers stand (and
        // a scan of an unreachable cluster still finds it read nothing).
        if fresh.version.is_none() && fresh.anonymous.is_empty() {
            return None;
        }
        if self.probed.as_ref() == Some(&fresh) {
            return None;
        }
        self.probed = Some(fresh.clone());
        Some(Change::Upsert(Box::new(Object::ApiServerProbe(fresh))))
    }

    /// Scrapes when due: the inventory changes it made, and what each read of `/metrics`
    /// brought.
    pub async fn refresh(&mut self, client: &Client) -> Refreshed {
        let Some(interval) = self.interval else {
            let mut refreshed = Refreshed::default();
            if self.probed.is_none() {
                refreshed.changes.extend(self.reprobe(client).await);
            }
            return refreshed;
        };
        if Instant::now() < self.next {
            return Refreshed::default();
        }
        self.next = Instant::now() + interval;
        let mut refreshed = Refreshed {
            changes: self.reprobe(client).await.into_iter().collect(),
            reads: Vec::new(),
        };
        // A few requests, so that replicas behind the Service are likely all seen.
        for _ in 0..3 {
            let request = http::Request::get("/metrics").body(Vec::new());
            let result = match request {
                Ok(r) => client.request_text(r).await,
                Err(e) => {
                    warn!(error = %e, "building the /metrics request");
                    return refreshed;
                }
            };
            let metrics = match result {
                Ok(text) => {
                    let name = replica(&text).unwrap_or_else(|| ANY.to_owned());
                    let m = ApiServerMetrics::parse(&name, &text);
                    debug!(
                        name,
                        malformed = m.malformed_lines,
                        "read kube-apiserver /metrics"
                    );
                    m
                }
                Err(kube::Error::Api(e)) if e.code == 403 => ApiServerMetrics::unavailable(
                    ANY,
                    "forbidden: grant get on the nonResourceURL /metrics (manifests/optional/apiserver-metrics-rbac.yaml)",
                ),
                Err(e) => {
                    warn!(error = %e, "reading kube-apiserver /metrics failed; keeping the last reading");
                    refreshed.reads.push(Read::Failed);
                    return refreshed;
                }
            };
            let read = self.keep(metrics, &mut refreshed.changes);
            refreshed.reads.push(read);
        }
        refreshed
    }

    /// Holds a reading in place of the last, when the verdicts would read it differently.
    fn keep(&mut self, metrics: ApiServerMetrics, changes: &mut Vec<Change>) -> Read {
        // A failure replaces every replica's reading; a success replaces a failure.
        let stale: Vec<String> = self
            .current
            .iter()
            .filter(|(n, old)| {
                *n != &metrics.name && (metrics.unavailable.is_some() || old.unavailable.is_some())
            })
            .map(|(n, _)| n.clone())
            .collect();
        for n in stale {
            self.current.remove(&n);
            changes.push(Change::Delete(apiserver_metrics_ref(&n)));
        }
        let forbidden = metrics.unavailable.is_some();
        // Counters run on with every request the API server serves: a reading the
        // verdicts read as the held one's is left out, and the held one stands for it.
        let others = self.current.values().filter(|m| m.name != metrics.name);
        let fresh = MetricsView::of(others.chain(std::iter::once(&metrics)));
        let changed = fresh != MetricsView::of(self.current.values());
        if changed {
            self.current.insert(metrics.name.clone(), metrics.clone());
            changes.push(Change::Upsert(Box::new(Object::ApiServerMetrics(metrics))));
        }
        match (forbidden, changed) {
            (true, _) => Read::Forbidden,
            (false, true) => Read::Changed,
            (false, false) => Read::Unchanged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_are_named_by_their_id_hash() {
        let text = "# HELP x\napiserver_encryption_config_controller_last_config_info{apiserver_id_hash=\"sha256:73095bbbe8f317654631\",hash=\"sha256:39\"} 1\n";
        assert_eq!(replica(text).as_deref(), Some("apiserver-73095bbbe8f3"));
        assert_eq!(replica("apiserver_storage_x 1\n"), None);
    }

    fn reading(
        name: &str,
        aescbc_writes: f64,
        plaintext_writes: f64,
        audit: f64,
    ) -> ApiServerMetrics {
        let mut m = ApiServerMetrics {
            name: name.to_owned(),
            config_loaded: true,
            audit_events: Some(audit),
            ..ApiServerMetrics::default()
        };
        m.secrets
            .encrypted_writes
            .insert("aescbc".to_owned(), aescbc_writes);
        m.secrets.plaintext_writes = plaintext_writes;
        m
    }

    fn upserted(changes: &[Change]) -> Vec<f64> {
        changes
            .iter()
            .filter_map(|c| match c {
                Change::Upsert(o) => match &**o {
                    Object::ApiServerMetrics(m) => Some(m.secrets.encrypted_writes["aescbc"]),
                    _ => None,
                },
                Change::Delete(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_reading_is_kept_only_when_the_verdicts_would_read_it_differently() {
        let mut scraper = Scraper::new(Duration::from_secs(60), None);
        let mut changes = Vec::new();
        assert_eq!(
            scraper.keep(reading("a", 5.0, 0.0, 100.0), &mut changes),
            Read::Changed
        );
        assert_eq!(upserted(&changes), [5.0]);
        // Counters ran on: nothing goes in, the first reading stands.
        changes.clear();
        let later = reading("a", 9.0, 0.0, 250.0);
        assert_eq!(scraper.keep(later, &mut changes), Read::Unchanged);
        assert!(changes.is_empty(), "{changes:?}");
        assert_eq!(scraper.current["a"].secrets.encrypted_writes["aescbc"], 5.0);
        // A first plaintext write is what the encryption verdict reads.
        let plaintext = reading("a", 9.0, 1.0, 260.0);
        assert_eq!(scraper.keep(plaintext, &mut changes), Read::Changed);
        assert_eq!(upserted(&changes), [9.0]);
        // Another replica is a change too; then forbidden replaces both readings.
        changes.clear();
        assert_eq!(
            scraper.keep(reading("b", 1.0, 0.0, 3.0), &mut changes),
            Read::Changed
        );
        changes.clear();
        let forbidden = ApiServerMetrics::unavailable(ANY, "forbidden");
        assert_eq!(
            scraper.keep(forbidden.clone(), &mut changes),
            Read::Forbidden
        );
        let deleted = changes
            .iter()
            .filter(|c| matches!(c, Change::Delete(_)))
            .count();
        assert_eq!((deleted, changes.len()), (2, 3), "{changes:?}");
        // Forbidden again: nothing new.
        changes.clear();
        assert_eq!(scraper.keep(forbidden, &mut changes), Read::Forbidden);
        assert!(changes.is_empty(), "{changes:?}");
    }
}
