//! A server of the Prometheus project (Prometheus, Alertmanager) run from its Debian
//! package's binary on loopback, in a scratch directory that holds its configuration, its
//! data and its log. Stopped (only this process) when dropped.

use crate::operator::{free_port, http_get};
use anyhow::{Context as _, Result, bail};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which binary runs, and how to get it when it is missing.
pub struct Binary {
    /// How errors name it: `prometheus`, `alertmanager`.
    pub name: &'static str,
    /// The environment variable that points at another binary.
    pub env: &'static str,
    /// The binary's name on PATH otherwise.
    pub default: &'static str,
    /// The Debian package that installs it.
    pub package: &'static str,
}

/// How one server is started in its directory.
pub struct Launch<'a> {
    /// The configuration's file name in the directory, and its text.
    pub config_file: &'a str,
    pub config: &'a str,
    /// The flag that names the data directory (`--storage.tsdb.path`).
    pub storage_flag: &'a str,
    /// Any other flags.
    pub extra: &'a [&'a str],
}

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl Server {
    /// Starts `binary` in the new directory `dir` and waits up to 30 s for `/-/ready`.
    ///
    /// Fails, never skips, when the binary is missing: `.ci/run` installs it.
    pub fn start(dir: &Path, binary: &Binary, launch: &Launch<'_>) -> Result<Server> {
        let bin = std::env::var_os(binary.env)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(binary.default));
        let version = Command::new(&bin).arg("--version").output();
        if !version.is_ok_and(|o| o.status.success()) {
            bail!(
                "the {} binary ({}) is missing: install Debian's `{}` package (.ci/run does) \
                 or set {}",
                binary.name,
                bin.display(),
                binary.package,
                binary.env
            );
        }
        if dir.exists() {
            bail!(
                "{} exists: {} needs an empty directory",
                dir.display(),
                binary.name
            );
        }
        std::fs::create_dir_all(dir.join("data"))?;
        let config_path = dir.join(launch.config_file);
        std::fs::write(&config_path, launch.config)?;
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let log = dir.join(format!("{}.log", binary.name));
        let child = Command::new(&bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "{}={}",
                launch.storage_flag,
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .args(launch.extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut server = Server { child, addr, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if matches!(http_get(addr, "/-/ready"), Ok((200, _))) {
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                bail!(
                    "{} exited with {status}:\n{}",
                    binary.name,
                    server.log_text()
                );
            }
            if Instant::now() > deadline {
                crate::terminate(&mut server.child);
                bail!(
                    "{} was not ready within 30 s:\n{}",
                    binary.name,
                    server.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only the process this harness started.
        crate::terminate(&mut self.child);
    }
}
