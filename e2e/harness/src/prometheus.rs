//! A real Prometheus server (the `prometheus` binary of Debian's package) on loopback, with
//! a scratch configuration and storage directory, scraping one target every second and
//! evaluating the given rule files every second. Stopped (only this process) when dropped.

use crate::operator::http_get;
use crate::server::{Binary, Launch, Server};
use anyhow::{Context as _, Result, bail};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub struct Prometheus {
    server: Server,
}

/// Percent-encodes a query parameter (PromQL is full of characters URLs reserve).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Prometheus {
    /// Starts Prometheus in the new directory `dir` (config, data and log go there) scraping
    /// `target`'s `/metrics` as job `rampart`, with `rule_files` loaded.
    pub fn start(dir: &Path, target: SocketAddr, rule_files: &[PathBuf]) -> Result<Prometheus> {
        Prometheus::start_with(dir, &[target], rule_files, None)
    }

    /// [`Prometheus::start`] with several targets (replicas) under job `rampart`, sending
    /// its alerts to `alertmanager` when given.
    pub fn start_with(
        dir: &Path,
        targets: &[SocketAddr],
        rule_files: &[PathBuf],
        alertmanager: Option<SocketAddr>,
    ) -> Result<Prometheus> {
        let rules: Vec<String> = rule_files
            .iter()
            .map(|p| format!("  - {}\n", p.display()))
            .collect();
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let alerting = alertmanager.map_or_else(String::new, |am| {
            format!(
                "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{am}']\n"
            )
        });
        let config = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n{}{alerting}\
             scrape_configs:\n  - job_name: rampart\n    static_configs:\n      - targets: [{}]\n",
            rules.concat(),
            targets.join(", ")
        );
        let server = Server::start(
            dir,
            &Binary {
                name: "prometheus",
                env: "PROMETHEUS_BIN",
                default: "prometheus",
                package: "prometheus",
            },
            &Launch {
                config_file: "prometheus.yml",
                config: &config,
                storage_flag: "--storage.tsdb.path",
                extra: &[],
            },
        )?;
        Ok(Prometheus { server })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    pub fn log_text(&self) -> String {
        self.server.log_text()
    }

    /// A GET of the HTTP API; `data` of a successful answer.
    pub fn api(&self, path_and_query: &str) -> Result<Value> {
        let (status, body) = http_get(self.server.addr, path_and_query)?;
        let v: Value = serde_json::from_str(&body)
            .with_context(|| format!("{path_and_query}: HTTP {status}: {body}"))?;
        if status != 200 || v["status"] != "success" {
            bail!("{path_and_query}: HTTP {status}: {body}");
        }
        Ok(v["data"].clone())
    }

    /// The result vector of an instant query.
    pub fn query(&self, promql: &str) -> Result<Vec<Value>> {
        let data = self.api(&format!("/api/v1/query?query={}", encode(promql)))?;
        Ok(data["result"].as_array().cloned().unwrap_or_default())
    }

    /// Active (pending or firing) alerts.
    pub fn alerts(&self) -> Result<Vec<Value>> {
        Ok(self.api("/api/v1/alerts")?["alerts"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_promql() {
        assert_eq!(
            encode(r#"sum by (x) (m{a=~".*"})"#),
            "sum%20by%20%28x%29%20%28m%7Ba%3D~%22.%2A%22%7D%29"
        );
    }
}
