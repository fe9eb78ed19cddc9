//! A real Prometheus server (the `prometheus` binary of Debian's package) on loopback, with
//! a scratch configuration and storage directory, scraping one target every second and
//! evaluating the given rule files every second. Stopped (only this process) when dropped.

use crate::operator::{free_port, http_get};
use anyhow::{Context as _, Result, bail};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Prometheus {
    child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
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
    /// Starts Prometheus in the new directory `dir` (config, data and log go there) scraping `target`'s
    /// `/metrics` as job `rampart`, with `rule_files` loaded.
    ///
    /// Fails, never skips, when the binary is missing: `.ci/run` installs it.
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
        let bin = std::env::var_os("PROMETHEUS_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("prometheus"));
        let version = Command::new(&bin).arg("--version").output();
        if !version.is_ok_and(|o| o.status.success()) {
            bail!(
                "the prometheus binary ({}) is missing: install Debian's `prometheus` package \
                 (apt-get install prometheus; .ci/run does) or set PROMETHEUS_BIN",
                bin.display()
            );
        }
        if dir.exists() {
            bail!(
                "{} exists: Prometheus needs an empty directory",
                dir.display()
            );
        }
        std::fs::create_dir_all(dir.join("data"))?;
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
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config)?;
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let log = dir.join("prometheus.log");
        let child = Command::new(&bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut child = child;
        let text = || std::fs::read_to_string(&log).unwrap_or_default();
        crate::wait_until_ready(&mut child, addr, "prometheus", text)?;
        Ok(Prometheus { child, addr, log })
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A GET of the HTTP API; `data` of a successful answer.
    pub fn api(&self, path_and_query: &str) -> Result<Value> {
        let (status, body) = http_get(self.addr, path_and_query)?;
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

    fn stop(&mut self) {
        // Only the process this harness started.
        crate::terminate(&mut self.child);
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
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
