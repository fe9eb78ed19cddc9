//! Alerts delivered end to end: two operator replicas on the real control plane, a real
//! Prometheus scraping both with `manifests/monitoring/rules.yaml`, a real Alertmanager
//! with `manifests/monitoring/alertmanager.yaml` (receiver URLs pointed at a webhook
//! receiver in this test, timings shortened), and what each receiver gets:
//!
//! 1. a critical misconfiguration -> one "new" notification;
//! 2. a second, different one of the same rule in the same namespace -> a second;
//! 3. the leader killed, the standby taking over and a replica started again -> nothing;
//! 4. both fixed -> the "open" alert's resolved notification.

use anyhow::{Context as _, Result};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Api;
use kube::api::DeleteParams;
use rampart_e2e::alerting::{Alertmanager, Notification, Receiver};
use rampart_e2e::operator::{Operator, env_dir, free_port, install, repo};
use rampart_e2e::prometheus::Prometheus;
use rampart_e2e::{Cluster, TestNamespace, apply_yaml, wait_for};
use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const NOTIFIED: Duration = Duration::from_secs(60);
/// The open alert's `for: 1m`, its `keep_firing_for: 1m`, and delivery.
const OPEN: Duration = Duration::from_secs(150);

/// A Role that reads pods, and a RoleBinding `name` granting it to anonymous users: one
/// critical RBAC015 finding per binding.
fn anonymous_grant(ns: &str, name: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: pod-reader, namespace: {ns}}}\n\
         rules: [{{apiGroups: [''], resources: [pods], verbs: [get, list]}}]\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: {name}, namespace: {ns}}}\n\
         roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}}\n\
         subjects: [{{kind: User, name: 'system:anonymous', apiGroup: rbac.authorization.k8s.io}}]\n"
    )
}

/// The example configuration with every receiver posting to `receiver` under its own name,
/// and every route's waits shortened from minutes to a second.
fn test_config(receiver: &Receiver) -> Result<String> {
    let text = std::fs::read_to_string(repo().join("manifests/monitoring/alertmanager.yaml"))?;
    let mut config: Value = serde_yaml_ng::from_str(&text)?;
    for r in config["receivers"]
        .as_sequence_mut()
        .context("the example has receivers")?
    {
        let name = r["name"].as_str().unwrap_or_default().to_owned();
        for hook in r["webhook_configs"]
            .as_sequence_mut()
            .context("each receiver is a webhook")?
        {
            hook["url"] = Value::from(receiver.url(&name));
        }
    }
    fn shorten(route: &mut Value) {
        if let Some(map) = route.as_mapping_mut() {
            for key in ["group_wait", "group_interval"] {
                if map.contains_key(key) {
                    map.insert(Value::from(key), Value::from("1s"));
                }
            }
        }
        if let Some(children) = route["routes"].as_sequence_mut() {
            children.iter_mut().for_each(shorten);
        }
    }
    shorten(&mut config["route"]);
    Ok(serde_yaml_ng::to_string(&config)?)
}

/// The alerts of `alertname` about `ns` in the notifications to `path`, with the
/// notification's status and the alert's `detected_at`.
fn notified(
    received: &[Notification],
    path: &str,
    alertname: &str,
    ns: &str,
) -> Vec<(String, String)> {
    received
        .iter()
        .filter(|n| n.path == path)
        .flat_map(|n| {
            n.alerts()
                .into_iter()
                .filter(|(_, l)| l["alertname"] == alertname && l["namespace"] == ns)
                .map(|(status, l)| {
                    let at = l["detected_at"].as_str().unwrap_or_default().to_owned();
                    (status, at)
                })
        })
        .collect()
}

/// Every process's log, for a failure's context.
fn logs(replicas: &[Operator], prom: &Prometheus, am: &Alertmanager) -> String {
    format!(
        "{}\n--- prometheus\n{}\n--- alertmanager\n{}",
        replicas
            .iter()
            .map(Operator::log)
            .collect::<Vec<_>>()
            .join("\n---\n"),
        prom.log_text(),
        am.log_text()
    )
}

#[tokio::test]
async fn new_findings_notify_once_each_and_restarts_notify_nothing() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let kubeconfig = install(&cluster).await?;
    let ns = TestNamespace::create(&cluster, "alerting").await?;
    let state = env_dir("RAMPART_E2E_DIR");
    let pid = std::process::id();
    let args = ["--lease-duration-seconds", "5"];
    let addrs: Vec<SocketAddr> = [free_port()?, free_port()?]
        .iter()
        .map(|p| format!("127.0.0.1:{p}").parse())
        .collect::<Result<_, _>>()?;
    let mut replicas = Vec::new();
    for (i, addr) in addrs.iter().enumerate() {
        let log = state.join(format!("operator-alerting-{i}.log"));
        replicas.push(Operator::start_at(&kubeconfig, log, &args, *addr)?);
    }
    for r in &replicas {
        r.wait_ready().await?;
    }
    let receiver = Receiver::start()?;
    let am = Alertmanager::start(
        &state.join(format!("alertmanager-{pid}")),
        &test_config(&receiver)?,
    )?;
    let prom = Prometheus::start_with(
        &state.join(format!("prometheus-alerting-{pid}")),
        &addrs,
        &[repo().join("manifests/monitoring/rules.yaml")],
        Some(am.addr()),
    )?;
    wait_for("Prometheus to scrape the leader", NOTIFIED, || async {
        Ok((!prom.query("rampart_posture_score")?.is_empty()).then_some(()))
    })
    .await
    .with_context(|| logs(&replicas, &prom, &am))?;

    // 1. One critical misconfiguration: one "new" notification.
    let started = Instant::now();
    apply_yaml(
        &cluster.client,
        None,
        &anonymous_grant(&ns.name, "anonymous-1"),
    )
    .await?;
    let first = wait_for("the first new-finding notification", NOTIFIED, || async {
        let got = notified(
            &receiver.received(),
            "security-new",
            "RampartNewCriticalFinding",
            &ns.name,
        );
        Ok((!got.is_empty()).then_some(got))
    })
    .await
    .with_context(|| logs(&replicas, &prom, &am))?;
    println!(
        "new finding notified {:?} after the change",
        started.elapsed()
    );
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].0, "firing");

    // 2. A second, different one of the same rule in the same namespace, detected in a
    //    later second: a second notification, for a second alert.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    apply_yaml(
        &cluster.client,
        None,
        &anonymous_grant(&ns.name, "anonymous-2"),
    )
    .await?;
    let both = wait_for("the second new-finding notification", NOTIFIED, || async {
        let got = notified(
            &receiver.received(),
            "security-new",
            "RampartNewCriticalFinding",
            &ns.name,
        );
        let moments: BTreeSet<String> = got.iter().map(|(_, at)| at.clone()).collect();
        Ok((moments.len() == 2).then_some(moments))
    })
    .await
    .with_context(|| logs(&replicas, &prom, &am))?;
    assert!(both.contains(&first[0].1), "{both:?}");

    // The open alert notifies once it has held for a minute.
    wait_for("the open-finding notification", OPEN, || async {
        let got = notified(
            &receiver.received(),
            "security-open",
            "RampartCriticalFindingsOpen",
            &ns.name,
        );
        Ok(got.iter().any(|(s, _)| s == "firing").then_some(()))
    })
    .await
    .with_context(|| logs(&replicas, &prom, &am))?;

    // 3. The leader dies, the standby takes over, a new replica starts where it was:
    //    nothing is detected again, nothing resolves, nobody is notified.
    let before = receiver.received().len();
    let leases: Api<Lease> = Api::namespaced(cluster.client.clone(), "rampart-system");
    let pids: Vec<u32> = replicas.iter().map(|r| r.child.id()).collect();
    let leader = wait_for("a leader", NOTIFIED, || async {
        let holder = leases
            .get_opt("rampart")
            .await?
            .and_then(|l| l.spec?.holder_identity)
            .unwrap_or_default();
        Ok(pids.iter().position(|p| holder.ends_with(&format!("-{p}"))))
    })
    .await?;
    let dead_addr = replicas[leader].health;
    replicas[leader].child.kill()?;
    replicas[leader].child.wait()?;
    let other = 1 - leader;
    wait_for("the standby to take over", NOTIFIED, || async {
        Ok(replicas[other]
            .log()
            .contains("became leader")
            .then_some(()))
    })
    .await
    .with_context(|| logs(&replicas, &prom, &am))?;
    replicas[leader] = Operator::start_at(
        &kubeconfig,
        state.join("operator-alerting-restarted.log"),
        &args,
        dead_addr,
    )?;
    replicas[leader].wait_ready().await?;
    tokio::time::sleep(Duration::from_secs(20)).await;
    let after: Vec<Notification> = receiver.received().into_iter().skip(before).collect();
    let about_ns: Vec<&Notification> = after
        .iter()
        .filter(|n| {
            n.alerts()
                .iter()
                .any(|(_, l)| l["namespace"] == ns.name.as_str())
        })
        .collect();
    assert!(
        about_ns.is_empty(),
        "a failover and a restart notified: {about_ns:#?}"
    );

    // 4. Both fixed: the open alert resolves, and its receiver hears so.
    let bindings: Api<RoleBinding> = Api::namespaced(cluster.client.clone(), &ns.name);
    for name in ["anonymous-1", "anonymous-2"] {
        bindings.delete(name, &DeleteParams::default()).await?;
    }
    let fixed = Instant::now();
    wait_for("the open alert's resolved notification", OPEN, || async {
        let got = notified(
            &receiver.received(),
            "security-open",
            "RampartCriticalFindingsOpen",
            &ns.name,
        );
        Ok(got.iter().any(|(s, _)| s == "resolved").then_some(()))
    })
    .await
    .with_context(|| logs(&replicas, &prom, &am))?;
    println!("resolution notified {:?} after the fix", fixed.elapsed());
    let new_resolved = notified(
        &receiver.received(),
        "security-new",
        "RampartNewCriticalFinding",
        &ns.name,
    )
    .into_iter()
    .filter(|(s, _)| s == "resolved")
    .count();
    assert_eq!(
        new_resolved, 0,
        "new-finding alerts end without a notification"
    );
    drop(prom);
    drop(am);
    drop(replicas);
    ns.delete().await
}
