//! `rampart operator`: logging, the async runtime, signals, then the operator's pipeline.

use crate::cli::{KubeArgs, LogFormat, OperatorArgs};
use anyhow::{Context as _, Result};
use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal: a log file or a log collector would keep
    // the escape codes as text.
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

pub fn run(args: &OperatorArgs, kube: &KubeArgs) -> Result<ExitCode> {
    init_logging(args.log_format);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let client = crate::cluster::client(kube).await?;
        let anonymous = crate::cluster::anonymous_client(kube).await?;
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = tx.send(true);
        });
        let instance = std::env::var("POD_NAME")
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "rampart".to_owned());
        let health = std::sync::Arc::new(rampart_operator::health::Health::default());
        let metrics = std::sync::Arc::new(
            rampart_operator::metrics::Metrics::new(args.findings_namespace_label)
                .context("registering metrics")?,
        );
        rampart_operator::health::serve(args.health_addr, health.clone(), metrics.clone())
            .await
            .with_context(|| format!("serving health endpoints on {}", args.health_addr))?;
        let mut settings = crate::scan::load_settings(args.config.as_deref())?;
        settings.own_service_account =
            Some((args.lease_namespace.clone(), args.service_account.clone()));
        // End of life is judged on the day the operator starts; a restart or a newer
        // Rampart moves it on.
        settings.today = Some(
            k8s_openapi::jiff::Timestamp::now()
                .to_zoned(k8s_openapi::jiff::tz::TimeZone::UTC)
                .date(),
        );
        let (leadership, leader) = if args.leader_election {
            let identity = format!("{instance}-{}", std::process::id());
            let (leadership, leader) = crate::leadership::Leadership::start(
                client.clone(),
                &args.lease_namespace,
                identity,
                args.lease_duration_seconds,
            )
            .await?;
            (Some(leadership), Some(leader))
        } else {
            (None, None)
        };
        let config = rampart_operator::run::Config {
            debounce: Duration::from_millis(args.debounce_ms),
            resync: Duration::from_secs(args.resync_seconds),
            apiserver_metrics_interval: Duration::from_secs(
                args.apiserver_metrics_interval_seconds,
            ),
            anonymous: Some(anonymous),
            settings,
            health,
            initial_sync_timeout: Duration::from_secs(args.initial_sync_timeout_seconds),
            watch_failure_grace: Duration::from_secs(args.watch_failure_grace_seconds),
            event_min_severity: args.event_min_severity,
            openreports: args.openreports,
            instance,
            leader,
            metrics,
            settle: Some(crate::memory::settle),
            namespaces: rampart_operator::placement::NamespaceFilter {
                include: args.include_namespaces.clone(),
                exclude: args.exclude_namespaces.clone(),
            },
        };
        let result = rampart_operator::run::run(client, config, rx).await;
        // The loop no longer writes: hand the Lease to a standby now, while the runtime
        // and the client still run (their shutdown would cut the request off).
        if let Some(leadership) = leadership {
            leadership.release().await;
        }
        result?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM (how Kubernetes stops a pod) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = ctrl_c.await;
}
