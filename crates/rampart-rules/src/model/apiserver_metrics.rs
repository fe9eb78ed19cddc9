//! What kube-apiserver's own `/metrics` say about how it stores Secrets: the strongest
//! evidence of encryption at rest, because it shows what the storage transformers actually
//! did rather than what a configuration says they should do.
//!
//! ```text
//! apiserver_storage_transformation_operations_total{resource, transformation_type,
//!                                                   transformer_prefix, status}
//!   to_storage   prefix k8s:enc:<provider>:v<n>:  -> written encrypted with <provider>
//!   to_storage   prefix "" or identity            -> written in plaintext
//!   from_storage prefix identity                  -> read plaintext (never rewritten)
//! apiserver_encryption_config_controller_last_config_info  -> a configuration is loaded
//! apiserver_envelope_encryption_*                          -> KMS envelope encryption
//! ```
//! Without an encryption configuration the API server records no transformations at all.
//! The `resource` label exists since Kubernetes 1.30; older servers' counts cover every
//! encrypted resource, which the assessment says. The same metrics can be saved with
//! `kubectl get --raw /metrics` and scanned offline inside an `ApiServerMetrics` document.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One scrape of one API server's `/metrics`, reduced to what encryption needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiServerMetrics {
    /// Which API server (replica) this came from, as findings name it.
    pub name: String,
    /// Why the metrics could not be read (for example `forbidden`); nothing else is set then.
    pub unavailable: Option<String>,
    /// Transformations of Secrets (or of everything, on servers without the `resource` label).
    pub secrets: Transformations,
    /// Whether the series carried a `resource` label.
    pub per_resource: bool,
    /// `apiserver_encryption_config_controller_last_config_info` was present.
    pub config_loaded: bool,
    /// Automatic reloads of the encryption configuration that succeeded / failed (a
    /// failed reload leaves the previous configuration in force).
    pub config_reloads: f64,
    pub config_reload_failures: f64,
    /// Any `apiserver_envelope_encryption_*` counter above zero: KMS is in use.
    pub envelope_in_use: bool,
    /// Audit events produced (`apiserver_audit_event_total`): above zero proves audit
    /// logging is on. The counter is registered, at zero, even when audit is off; `None`
    /// when the scrape lacks it (a saved scrape cut to other series), which decides nothing.
    pub audit_events: Option<f64>,
    /// `apiserver_audit_level_total` has series: an audit policy is loaded and judges
    /// every request (its series exist only then).
    pub audit_policy_loaded: bool,
    /// Requests the audit backend failed to record (`apiserver_audit_requests_rejected_total`).
    pub audit_rejected: f64,
    /// Admission plugins seen handling a request
    /// (`apiserver_admission_controller_admission_duration_seconds{name}`): proof a plugin
    /// runs; a plugin that has handled nothing yet has no series, so absence proves nothing.
    pub admission_plugins: std::collections::BTreeSet<String>,
    /// Lines that did not parse; they are skipped, never fatal.
    pub malformed_lines: usize,
}

/// Successful transformation counts, by direction and provider.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transformations {
    /// Provider (`aescbc`, `kms v2`, ...) -> writes.
    pub encrypted_writes: BTreeMap<String, f64>,
    pub plaintext_writes: f64,
    /// Provider -> reads of data stored encrypted.
    pub encrypted_reads: BTreeMap<String, f64>,
    /// Reads of data stored in plaintext.
    pub plaintext_reads: f64,
    /// Transformations that failed (any status but OK).
    pub failures: f64,
}

impl Transformations {
    pub fn is_empty(&self) -> bool {
        self.encrypted_writes.is_empty()
            && self.encrypted_reads.is_empty()
            && self.plaintext_writes == 0.0
            && self.plaintext_reads == 0.0
            && self.failures == 0.0
    }

    /// Adds another server's (or scrape's) counts.
    pub fn merge(&mut self, other: &Transformations) {
        for (p, n) in &other.encrypted_writes {
            *self.encrypted_writes.entry(p.clone()).or_default() += n;
        }
        for (p, n) in &other.encrypted_reads {
            *self.encrypted_reads.entry(p.clone()).or_default() += n;
        }
        self.plaintext_writes += other.plaintext_writes;
        self.plaintext_reads += other.plaintext_reads;
        self.failures += other.failures;
    }
}

/// The provider an encrypting prefix names: `k8s:enc:aescbc:v1:` -> `aescbc`,
/// `k8s:enc:kms:v2:` -> `kms v2`. Other prefixes (key names, identity) are `None`.
pub fn provider_of_prefix(prefix: &str) -> Option<String> {
    let rest = prefix.strip_prefix("k8s:enc:")?;
    let mut parts = rest.split(':');
    let provider = parts.next().filter(|p| !p.is_empty())?;
    match (provider, parts.next()) {
        ("kms", Some(v)) if !v.is_empty() => Some(format!("kms {v}")),
        _ => Some(provider.to_owned()),
    }
}

/// One sample line: metric name, labels, value (a timestamp after it is ignored).
fn parse_line(line: &str) -> Option<(&str, BTreeMap<String, String>, f64)> {
    let line = line.trim();
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() {
        return None;
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(mut body) = rest.strip_prefix('{') {
        loop {
            body = body.trim_start_matches([',', ' ']);
            if let Some(after) = body.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = body.find('=')?;
            let key = body[..eq].trim().to_owned();
            let quoted = body[eq + 1..].trim_start().strip_prefix('"')?;
            let (value, used) = unquote(quoted)?;
            labels.insert(key, value);
            body = &quoted[used..];
        }
    }
    let value = rest.split_whitespace().next()?;
    Some((name, labels, parse_value(value)?))
}

/// Reads a label value up to its closing quote; returns it and the bytes used, quote included.
fn unquote(s: &str) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut escaped = false;
    for (i, ch) in s.char_indices() {
        match (escaped, ch) {
            (true, 'n') => {
                value.push('\n');
                escaped = false;
            }
            (true, other) => {
                value.push(other);
                escaped = false;
            }
            (false, '\\') => escaped = true,
            (false, '"') => return Some((value, i + 1)),
            (false, other) => value.push(other),
        }
    }
    None
}

fn parse_value(v: &str) -> Option<f64> {
    match v {
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => v.parse().ok(),
    }
}

impl ApiServerMetrics {
    /// Reads the Prometheus text exposition of kube-apiserver's `/metrics`.
    pub fn parse(name: &str, text: &str) -> ApiServerMetrics {
        let mut m = ApiServerMetrics {
            name: name.to_owned(),
            ..ApiServerMetrics::default()
        };
        let mut all = Transformations::default();
        let mut secrets = Transformations::default();
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let Some((metric, labels, value)) = parse_line(trimmed) else {
                m.malformed_lines += 1;
                continue;
            };
            match metric {
                "apiserver_storage_transformation_operations_total" => {
                    let resource = labels.get("resource");
                    if resource.is_some() {
                        m.per_resource = true;
                    }
                    let t = if resource.is_some_and(|r| r == "secrets") {
                        &mut secrets
                    } else {
                        &mut all
                    };
                    record(t, &labels, value);
                }
                "apiserver_encryption_config_controller_last_config_info" => {
                    m.config_loaded = true;
                }
                "apiserver_encryption_config_controller_automatic_reloads_total"
                    if value.is_finite() && value > 0.0 =>
                {
                    match labels.get("status").map(String::as_str) {
                        Some("success") => m.config_reloads += value,
                        _ => m.config_reload_failures += value,
                    }
                }
                "apiserver_audit_event_total" if value.is_finite() => {
                    *m.audit_events.get_or_insert(0.0) += value;
                }
                "apiserver_audit_level_total" => m.audit_policy_loaded = true,
                "apiserver_audit_requests_rejected_total" if value.is_finite() => {
                    m.audit_rejected += value;
                }
                "apiserver_admission_controller_admission_duration_seconds_count" => {
                    if let Some(plugin) = labels.get("name") {
                        m.admission_plugins.insert(plugin.clone());
                    }
                }
                _ if metric.starts_with("apiserver_envelope_encryption_")
                    && metric.ends_with("_total")
                    && value > 0.0 =>
                {
                    m.envelope_in_use = true;
                }
                _ => {}
            }
        }
        // Without the resource label every transformation may be a Secret's.
        if !m.per_resource {
            secrets.merge(&all);
        }
        m.secrets = secrets;
        m
    }

    /// The metrics of an API server whose `/metrics` could not be read.
    pub fn unavailable(name: &str, why: &str) -> ApiServerMetrics {
        ApiServerMetrics {
            name: name.to_owned(),
            unavailable: Some(why.to_owned()),
            ..ApiServerMetrics::default()
        }
    }
}

fn record(t: &mut Transformations, labels: &BTreeMap<String, String>, value: f64) {
    if !value.is_finite() || value <= 0.0 {
        return;
    }
    if labels.get("status").is_some_and(|s| s != "OK") {
        t.failures += value;
        return;
    }
    let prefix = labels
        .get("transformer_prefix")
        .map(String::as_str)
        .unwrap_or("");
    let provider = provider_of_prefix(prefix);
    let plaintext = prefix.is_empty() || prefix == "identity";
    match labels.get("transformation_type").map(String::as_str) {
        Some("to_storage") => match provider {
            Some(p) => *t.encrypted_writes.entry(p).or_default() += value,
            None if plaintext => t.plaintext_writes += value,
            // A key name's own prefix: counted once already under its provider's prefix.
            None => {}
        },
        Some("from_storage") => match provider {
            Some(p) => *t.encrypted_reads.entry(p).or_default() += value,
            None if plaintext => t.plaintext_reads += value,
            None => {}
        },
        _ => {}
    }
}

/// The document that carries saved metrics into a scan:
/// `apiVersion: rampart.dev/v1alpha1`, `kind: ApiServerMetrics`, `metadata.name`, `text`.
#[derive(Debug, Deserialize)]
pub(crate) struct ApiServerMetricsDocument {
    pub metadata: NameOnly,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub unavailable: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NameOnly {
    #[serde(default)]
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const AESCBC: &str = r#"# HELP apiserver_storage_transformation_operations_total [ALPHA] Total number of transformations.
# TYPE apiserver_storage_transformation_operations_total counter
apiserver_storage_transformation_operations_total{resource="secrets",status="OK",transformation_type="from_storage",transformer_prefix="e2e-key:"} 4
apiserver_storage_transformation_operations_total{resource="secrets",status="OK",transformation_type="from_storage",transformer_prefix="k8s:enc:aescbc:v1:"} 4
apiserver_storage_transformation_operations_total{resource="secrets",status="OK",transformation_type="to_storage",transformer_prefix="k8s:enc:aescbc:v1:"} 1
apiserver_storage_transformation_operations_total{resource="configmaps",status="OK",transformation_type="to_storage",transformer_prefix=""} 9
apiserver_encryption_config_controller_last_config_info{apiserver_id_hash="sha256:73",hash="sha256:39"} 1
"#;

    #[test]
    fn reads_encrypted_writes_per_provider_and_ignores_other_resources() {
        let m = ApiServerMetrics::parse("a", AESCBC);
        assert!(m.per_resource && m.config_loaded);
        assert_eq!(m.secrets.encrypted_writes.get("aescbc"), Some(&1.0));
        assert_eq!(m.secrets.encrypted_reads.get("aescbc"), Some(&4.0));
        assert_eq!(m.secrets.plaintext_writes, 0.0);
        assert_eq!(m.malformed_lines, 0);
    }

    /// As kube-apiserver 1.37.2 writes them with an audit policy and log (the e2e cluster)
    /// and without (`cluster.sh up --no-audit`).
    const AUDIT_ON: &str = "# TYPE apiserver_audit_event_total counter\n\
apiserver_audit_event_total 2\n\
apiserver_audit_level_total{level=\"None\"} 713\n\
apiserver_audit_level_total{level=\"RequestResponse\"} 2\n\
apiserver_audit_requests_rejected_total 0\n\
apiserver_admission_controller_admission_duration_seconds_count{name=\"PodSecurity\",operation=\"CREATE\",rejected=\"false\",type=\"validate\"} 4\n\
apiserver_admission_controller_admission_duration_seconds_bucket{name=\"NamespaceLifecycle\",operation=\"CREATE\",rejected=\"false\",type=\"validate\",le=\"0.005\"} 9\n\
apiserver_admission_controller_admission_duration_seconds_count{name=\"NamespaceLifecycle\",operation=\"CREATE\",rejected=\"false\",type=\"validate\"} 9\n";
    const AUDIT_OFF: &str =
        "apiserver_audit_event_total 0\napiserver_audit_requests_rejected_total 0\n";

    #[test]
    fn reads_audit_activity_and_the_admission_plugins_seen() {
        let on = ApiServerMetrics::parse("a", AUDIT_ON);
        assert_eq!(on.audit_events, Some(2.0));
        assert!(on.audit_policy_loaded);
        assert_eq!(on.audit_rejected, 0.0);
        assert_eq!(
            on.admission_plugins.iter().collect::<Vec<_>>(),
            ["NamespaceLifecycle", "PodSecurity"]
        );
        let off = ApiServerMetrics::parse("a", AUDIT_OFF);
        assert_eq!(off.audit_events, Some(0.0));
        let cut = ApiServerMetrics::parse("a", AESCBC);
        assert_eq!(
            cut.audit_events, None,
            "a scrape without the series says nothing"
        );
        assert!(!off.audit_policy_loaded);
        assert!(off.admission_plugins.is_empty());
    }

    #[test]
    fn identity_first_writes_have_an_empty_prefix() {
        let text = r#"apiserver_storage_transformation_operations_total{resource="secrets",status="OK",transformation_type="to_storage",transformer_prefix=""} 1
apiserver_storage_transformation_operations_total{resource="secrets",status="OK",transformation_type="from_storage",transformer_prefix="identity"} 2"#;
        let m = ApiServerMetrics::parse("a", text);
        assert_eq!(m.secrets.plaintext_writes, 1.0);
        assert_eq!(m.secrets.plaintext_reads, 2.0);
    }

    #[test]
    fn without_resource_label_everything_counts_and_failures_are_separate() {
        let text = "apiserver_storage_transformation_operations_total{status=\"Internal\",transformation_type=\"to_storage\",transformer_prefix=\"k8s:enc:kms:v2:\"} 3\n\
                    apiserver_storage_transformation_operations_total{status=\"OK\",transformation_type=\"to_storage\",transformer_prefix=\"k8s:enc:kms:v2:\"} 5\n\
                    apiserver_envelope_encryption_key_id_hash_total{key_id_hash=\"x\"} 2\n";
        let m = ApiServerMetrics::parse("a", text);
        assert!(!m.per_resource && m.envelope_in_use);
        assert_eq!(m.secrets.encrypted_writes.get("kms v2"), Some(&5.0));
        assert_eq!(m.secrets.failures, 3.0);
    }

    #[test]
    fn label_values_with_escapes_commas_and_braces_parse() {
        let (name, labels, v) =
            parse_line(r#"m{a="x,\"y\"}",b="z\\"} 2.5e1 1700000000"#).expect("parses");
        assert_eq!(name, "m");
        assert_eq!(labels["a"], "x,\"y\"}");
        assert_eq!(labels["b"], "z\\");
        assert_eq!(v, 25.0);
    }

    #[test]
    fn configuration_reloads_are_counted_by_outcome() {
        let text = "apiserver_encryption_config_controller_automatic_reloads_total{apiserver_id_hash=\"sha256:a\",status=\"success\"} 2\n\
                    apiserver_encryption_config_controller_automatic_reloads_total{apiserver_id_hash=\"sha256:a\",status=\"failure\"} 1\n";
        let m = ApiServerMetrics::parse("a", text);
        assert_eq!((m.config_reloads, m.config_reload_failures), (2.0, 1.0));
    }

    #[test]
    fn garbage_lines_are_counted_not_fatal() {
        let m = ApiServerMetrics::parse("a", "m{a=\"unterminated} 1\n{} 3\nm{a=b} 1\nok 1\n");
        assert_eq!(m.malformed_lines, 3);
    }

    #[test]
    fn prefixes_name_providers() {
        assert_eq!(
            provider_of_prefix("k8s:enc:aesgcm:v1:").as_deref(),
            Some("aesgcm")
        );
        assert_eq!(
            provider_of_prefix("k8s:enc:kms:v1:").as_deref(),
            Some("kms v1")
        );
        assert_eq!(provider_of_prefix("e2e-key:"), None);
        assert_eq!(provider_of_prefix("identity"), None);
        assert_eq!(provider_of_prefix("k8s:enc:"), None);
    }
}
