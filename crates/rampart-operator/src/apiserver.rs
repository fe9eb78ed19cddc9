//! Reads kube-apiserver's `/metrics`, the strongest evidence of Secrets encryption at rest.
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
use rampart_rules::encryption::ApiServerMetrics;
use rampart_rules::encryption::apiserver_metrics_ref;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, warn};

/// The name of the entry that stands for API servers that cannot be told apart.
const ANY: &str = "apiserver";

pub struct Scraper {
    interval: Option<Duration>,
    next: Instant,
    current: BTreeMap<String, ApiServerMetrics>,
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
    /// `interval` zero turns scraping off.
    pub fn new(interval: Duration) -> Scraper {
        Scraper {
            interval: (!interval.is_zero()).then_some(interval),
            next: Instant::now(),
            current: BTreeMap::new(),
        }
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
        self.current.values().cloned().map(Object::ApiServerMetrics)
    }

    /// Scrapes when due and returns the inventory changes it made.
    pub async fn refresh(&mut self, client: &Client) -> Vec<Change> {
        let Some(interval) = self.interval else {
            return Vec::new();
        };
        if Instant::now() < self.next {
            return Vec::new();
        }
        self.next = Instant::now() + interval;
        let mut changes = Vec::new();
        // A few requests, so that replicas behind the Service are likely all seen.
        for _ in 0..3 {
            let request = http::Request::get("/metrics").body(Vec::new());
            let result = match request {
                Ok(r) => client.request_text(r).await,
                Err(e) => {
                    warn!(error = %e, "building the /metrics request");
                    return changes;
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
                    return changes;
                }
            };
            // A failure replaces every replica's reading; a success replaces a failure.
            let stale: Vec<String> = self
                .current
                .iter()
                .filter(|(n, old)| {
                    *n != &metrics.name
                        && (metrics.unavailable.is_some() || old.unavailable.is_some())
                })
                .map(|(n, _)| n.clone())
                .collect();
            for n in stale {
                self.current.remove(&n);
                changes.push(Change::Delete(apiserver_metrics_ref(&n)));
            }
            if self.current.get(&metrics.name) != Some(&metrics) {
                self.current.insert(metrics.name.clone(), metrics.clone());
                changes.push(Change::Upsert(Box::new(Object::ApiServerMetrics(metrics))));
            }
        }
        changes
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
}
