//! `rampart operator`: logging, the async runtime, signals, then the operator's pipeline.

use crate::cli::{LogFormat, OperatorArgs};
use anyhow::{Context as _, Result};
use std::process::ExitCode;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

pub fn run(args: &OperatorArgs) -> Result<ExitCode> {
    init_logging(args.log_format);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let client = kube::Client::try_default()
            .await
            .context("connecting to the cluster (kubeconfig or in-cluster config)")?;
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = tx.send(true);
        });
        let instance = std::env::var("POD_NAME")
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "rampart".to_owned());
        let leader = if args.leader_election {
            let identity = format!("{instance}-{}", std::process::id());
            // One field manager per replica: server-side apply detects a conflict only
            // between different managers, so a shared one would let two replicas both
            // take the lease.
            let manager = kube_lease_manager::LeaseManagerBuilder::new(client.clone(), "rampart")
                .with_namespace(&args.lease_namespace)
                .with_identity(&identity)
                .with_duration(args.lease_duration_seconds)
                .with_grace(2)
                .with_field_manager(format!("rampart-lease-{identity}"))
                .build()
                .await
                .context("setting up leader election")?;
            // The lease is released when the receiver is dropped at shutdown.
            let (receiver, _task) = manager.watch().await;
            Some(receiver)
        } else {
            None
        };
        let health = std::sync::Arc::new(rampart_operator::health::Health::default());
        let metrics = std::sync::Arc::new(
            rampart_operator::metrics::Metrics::new(args.findings_namespace_label)
                .context("registering metrics")?,
        );
        rampart_operator::health::serve(args.health_addr, health.clone(), metrics.clone())
            .await
            .with_context(|| format!("serving health endpoints on {}", args.health_addr))?;
        let settings = crate::scan::load_settings(args.config.as_deref())?;
        let config = rampart_operator::run::Config {
            debounce: Duration::from_millis(args.debounce_ms),
            resync: Duration::from_secs(args.resync_seconds),
            apiserver_metrics_interval: Duration::from_secs(
                args.apiserver_metrics_interval_seconds,
            ),
            settings,
            health,
            initial_sync_timeout: Duration::from_secs(args.initial_sync_timeout_seconds),
            watch_failure_grace: Duration::from_secs(args.watch_failure_grace_seconds),
            event_min_severity: args.event_min_severity,
            instance,
            leader,
            metrics,
            namespaces: rampart_operator::report::NamespaceFilter {
                include: args.include_namespaces.clone(),
                exclude: args.exclude_namespaces.clone(),
            },
        };
        rampart_operator::run::run(client, config, rx).await?;
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
