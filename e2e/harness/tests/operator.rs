//! The operator on the real control plane, running as a local process under exactly the
//! RBAC that `manifests/` grants its ServiceAccount.

use anyhow::{Context as _, Result, ensure};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use rampart_crd::{ClusterPostureReport, PostureReport};
use rampart_e2e::operator::{
    Operator, WAIT, env_dir, http_status, install, repo, token_kubeconfig,
};
use rampart_e2e::{Cluster, TestNamespace, apply_yaml, wait_for};
use rampart_testkit::yaml;
use std::process::Command;
use std::time::{Duration, Instant};

/// The tests in this file each run an operator that writes the same ClusterPostureReport:
/// one at a time.
static ONE_OPERATOR: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn rule_ids(r: &rampart_crd::Report) -> Vec<String> {
    r.findings.iter().map(|f| f.rule_id.clone()).collect()
}

/// Who owns the fields of an object, and by what operation: none once a replace reset them.
fn field_owners(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Vec<(Option<&str>, Option<&str>)> {
    meta.managed_fields
        .iter()
        .flatten()
        .map(|m| (m.manager.as_deref(), m.operation.as_deref()))
        .collect()
}

/// Reasons of the events about ClusterRoleBinding `name` (cluster-scoped: in `default`).
async fn binding_event_reasons(cluster: &Cluster, name: &str) -> Result<Vec<String>> {
    let events: Api<k8s_openapi::api::events::v1::Event> =
        Api::namespaced(cluster.client.clone(), "default");
    Ok(events
        .list(&Default::default())
        .await?
        .items
        .into_iter()
        .filter(|e| {
            e.regarding.as_ref().is_some_and(|r| {
                r.kind.as_deref() == Some("ClusterRoleBinding") && r.name.as_deref() == Some(name)
            }) && e.reporting_controller.as_deref() == Some("rampart.dev/operator")
        })
        .filter_map(|e| e.reason)
        .collect())
}

async fn cluster_findings_about(cluster: &Cluster, needle: &str) -> Result<Vec<String>> {
    let api: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    Ok(match api.get_opt("cluster").await? {
        Some(r) => r
            .spec
            .report
            .findings
            .iter()
            .filter(|f| f.message.contains(needle))
            .map(|f| f.rule_id.clone())
            .collect(),
        None => Vec::new(),
    })
}

#[tokio::test]
async fn operator_reports_fixes_restarts_and_reads_only_secret_metadata() -> Result<()> {
    let _one = ONE_OPERATOR.lock().await;
    let cluster = Cluster::connect().await?;
    let kubeconfig = install(&cluster).await?;
    let state = env_dir("RAMPART_E2E_DIR");
    let mut operator = Operator::start(&kubeconfig, state.join("operator-1.log"))?;
    operator.wait_ready().await?;
    assert!(http_status(operator.health, "/healthz").is_some_and(|l| l.contains(" 200 ")));

    // 1. An insecure namespace: no Pod Security label, no NetworkPolicy, a workload, a Secret
    //    and a cluster-admin binding to one of its ServiceAccounts.
    let ns = format!("insecure-{}", std::process::id());
    let secret_value = format!("e2e-secret-value-{}", std::process::id());
    let started = Instant::now();
    apply_yaml(
        &cluster.client,
        None,
        &format!(
            r#"
apiVersion: v1
kind: Namespace
metadata: {{name: {ns}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: app, namespace: {ns}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: {ns}}}
stringData: {{password: {secret_value}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: {ns}, labels: {{app: web}}}}
spec:
  serviceAccountName: app
  containers: [{{name: web, image: registry.example/web:1.0}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {ns}-admin}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
subjects: [{{kind: ServiceAccount, name: app, namespace: {ns}}}]
"#
        ),
    )
    .await?;
    wait_for(
        "RBAC001, NS001 and NETPOL001 for the insecure namespace",
        WAIT,
        || async {
            let ids = cluster_findings_about(&cluster, &ns).await?;
            Ok(["RBAC001", "NS001", "NETPOL001"]
                .iter()
                .all(|id| ids.iter().any(|x| x == id))
                .then_some(()))
        },
    )
    .await
    .with_context(|| operator.log())?;
    println!("findings appeared {:?} after the change", started.elapsed());
    let binding = format!("{ns}-admin");
    wait_for(
        "a FindingDetected event on the cluster-admin binding",
        WAIT,
        || async {
            Ok(binding_event_reasons(&cluster, &binding)
                .await?
                .iter()
                .any(|r| r == "FindingDetected")
                .then_some(()))
        },
    )
    .await
    .with_context(|| operator.log())?;
    let reports: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &ns);
    // The default ServiceAccount appears when the controller manager gets to it.
    let report = wait_for("SA001 in the namespace's PostureReport", WAIT, || async {
        Ok(reports
            .get_opt("posture")
            .await?
            .filter(|r| rule_ids(&r.spec.report).contains(&"SA001".to_owned())))
    })
    .await
    .with_context(|| operator.log())?;

    // 3. kubectl shows the columns users read.
    let kubectl = env_dir("RAMPART_E2E_BIN").join("kubectl");
    let table = Command::new(&kubectl)
        .args([
            "--kubeconfig",
            &env_dir("RAMPART_E2E_KUBECONFIG").to_string_lossy(),
            "get",
            "posturereports",
            "-A",
        ])
        .output()?;
    let table = String::from_utf8_lossy(&table.stdout);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAMESPACE",
            "NAME",
            "SCORE",
            "CRITICAL",
            "HIGH",
            "MEDIUM",
            "LOW",
            "EXCEPTED",
            "CHANGED",
            "AGE"
        ],
        "{table}"
    );
    assert!(table.contains(&ns), "{table}");

    // The Deployment's pods pass the namespace's restricted Pod Security admission: the
    // ReplicaSet could create one (it stays Pending: this cluster has no nodes).
    let pods: Api<k8s_openapi::api::core::v1::Pod> =
        Api::namespaced(cluster.client.clone(), "rampart-system");
    wait_for(
        "a rampart pod admitted under restricted Pod Security",
        WAIT,
        || async {
            Ok(pods
                .list(&Default::default())
                .await?
                .items
                .into_iter()
                .next())
        },
    )
    .await?;

    // 7. Rampart's own namespace has nothing to report.
    let own: Api<PostureReport> = Api::namespaced(cluster.client.clone(), "rampart-system");
    let own = wait_for("rampart-system's report", WAIT, || async {
        Ok(own.get_opt("posture").await?)
    })
    .await?;
    assert!(
        own.spec.report.findings.is_empty(),
        "{:?}",
        rule_ids(&own.spec.report)
    );
    // Its ClusterRole's Secret list and watch is accepted as its own, by the identity it
    // runs as, and listed as excepted rather than left as a high finding.
    let clusters: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    let whole = clusters.get("cluster").await?.spec.report;
    let about_own_role = |r: &rampart_crd::ResourceRef| {
        r.kind == "ClusterRole" && r.name == "rampart" && r.namespace.is_none()
    };
    let open: Vec<&String> = whole
        .findings
        .iter()
        .filter(|f| about_own_role(&f.resource))
        .map(|f| &f.message)
        .collect();
    assert!(open.is_empty(), "{open:?}");
    let accepted: Vec<(&str, &str, &str, &str)> = whole
        .excepted
        .iter()
        .filter(|x| about_own_role(&x.resource))
        .map(|x| {
            (
                x.rule_id.as_str(),
                x.severity.as_str(),
                x.exception.as_str(),
                x.owner.as_str(),
            )
        })
        .collect();
    assert_eq!(
        accepted,
        [("RBAC005", "high", "rampart:own-secret-metadata", "rampart")]
    );

    // 4. Restart the operator: no firstSeen changes and no report is rewritten.
    let before = report.metadata.resource_version.clone();
    let first_seen: Vec<String> = report
        .spec
        .report
        .findings
        .iter()
        .map(|f| f.first_seen.clone())
        .collect();
    operator.stop();
    // A leader stopped by SIGTERM hands the Lease back: a successor need not wait for it
    // to lapse. Its log, written to a file, has no colour codes.
    let lease = Api::<Lease>::namespaced(cluster.client.clone(), "rampart-system")
        .get("rampart")
        .await?;
    let log = operator.log();
    assert_eq!(
        lease
            .spec
            .and_then(|s| s.holder_identity)
            .filter(|h| !h.is_empty()),
        None,
        "the Lease still has a holder after a graceful stop:\n{log}"
    );
    assert!(log.contains("released the lease"), "{log}");
    assert!(!log.contains('\x1b'), "colour codes in a log file:\n{log}");
    // A short resync: full evaluations interleave with the incremental ones and check them.
    let operator = Operator::start_with(
        &kubeconfig,
        state.join("operator-2.log"),
        &["--resync-seconds", "3"],
    )?;
    wait_for(
        "the restarted operator's first evaluation",
        WAIT,
        || async { Ok(operator.log().contains("evaluated").then_some(())) },
    )
    .await?;
    let after = reports.get("posture").await?;
    assert_eq!(
        after.metadata.resource_version, before,
        "the report was rewritten after a restart"
    );
    let first_seen_after: Vec<String> = after
        .spec
        .report
        .findings
        .iter()
        .map(|f| f.first_seen.clone())
        .collect();
    assert_eq!(first_seen_after, first_seen);
    assert!(operator.log().contains("written=0"), "{}", operator.log());

    // 6. A report deleted under the running operator is written again: the writer does
    //    not trust its memory of what it wrote.
    reports.delete("posture", &DeleteParams::default()).await?;
    wait_for("the deleted report to be written again", WAIT, || async {
        let back = reports.get_opt("posture").await?;
        Ok(back
            .filter(|r| !r.spec.report.findings.is_empty())
            .map(|_| ()))
    })
    .await
    .with_context(|| operator.log())?;
    assert!(
        operator
            .log()
            .contains("reports disappeared from the cluster"),
        "{}",
        operator.log()
    );

    // 8. A report someone labelled and annotated since Rampart wrote it keeps what they
    //    gave it when Rampart writes it again: a report written before is replaced under
    //    the resourceVersion its last write returned, which the API server refuses once
    //    someone changed it, and then under what the cluster holds now.
    let theirs = serde_json::json!({"metadata": {
        "labels": {"team": "payments"},
        "annotations": {"example.com/owner": "payments"},
    }});
    let someone = PatchParams {
        field_manager: Some("e2e-someone".to_owned()),
        ..PatchParams::default()
    };
    reports
        .patch("posture", &someone, &Patch::Merge(&theirs))
        .await?;
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(cluster.client.clone(), &ns);
    apply_yaml(
        &cluster.client,
        Some(&ns),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web2}\nspec:\n  serviceAccountName: app\n  containers: [{name: web, image: registry.example/web:1.0}]\n",
    )
    .await?;
    let names_web2 = |r: &PostureReport| {
        r.spec
            .report
            .findings
            .iter()
            .any(|f| f.resource.name == "web2")
    };
    let kept_theirs = |r: &PostureReport| {
        let m = &r.metadata;
        let label = m.labels.as_ref().and_then(|l| l.get("team"));
        let note = m
            .annotations
            .as_ref()
            .and_then(|a| a.get("example.com/owner"));
        ensure!(
            label.map(String::as_str) == Some("payments")
                && note.map(String::as_str) == Some("payments"),
            "the report lost the label or annotation someone gave it: {m:?}"
        );
        Ok(())
    };
    let replaced = wait_for("the second pod's findings in the report", WAIT, || async {
        Ok(reports.get_opt("posture").await?.filter(|r| names_web2(r)))
    })
    .await
    .with_context(|| operator.log())?;
    kept_theirs(&replaced)?;
    // Replaced with its field ownership reset: the API server keeps none for it, neither
    // the apply that created it nor the merge patch above.
    let owners = field_owners(&replaced.metadata);
    ensure!(
        owners.is_empty(),
        "the report was not replaced with its field ownership reset: {owners:?}"
    );
    // Replaced, not merged: what went from the namespace goes from the report.
    pods.delete("web2", &DeleteParams::default()).await?;
    let replaced = wait_for("the second pod's findings to go", WAIT, || async {
        Ok(reports.get_opt("posture").await?.filter(|r| !names_web2(r)))
    })
    .await
    .with_context(|| operator.log())?;
    kept_theirs(&replaced)?;

    // 5. Restart kube-apiserver under the running operator; the changes below must still
    //    reach the reports, so its watches recovered.
    cluster.restart_apiserver().await?;

    // 2. Fix everything and see the findings go; delete the namespace and see its report go.
    let started = Instant::now();
    Api::<ClusterRoleBinding>::all(cluster.client.clone())
        .delete(&format!("{ns}-admin"), &DeleteParams::default())
        .await?;
    let label = serde_json::json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}});
    Api::<Namespace>::all(cluster.client.clone())
        .patch(&ns, &PatchParams::default(), &Patch::Merge(&label))
        .await?;
    apply_yaml(&cluster.client, Some(&ns), "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n").await?;
    wait_for("the fixed findings to disappear", WAIT, || async {
        let ids = cluster_findings_about(&cluster, &ns).await?;
        Ok((!["RBAC001", "NS001", "NETPOL001"]
            .iter()
            .any(|id| ids.iter().any(|x| x == id)))
        .then_some(()))
    })
    .await
    .with_context(|| operator.log())?;
    println!(
        "fixes were reflected {:?} after the change",
        started.elapsed()
    );
    // The ClusterPostureReport, written before and again since, is replaced as a
    // namespace's report is: its field ownership reset, none kept.
    let whole = Api::<ClusterPostureReport>::all(cluster.client.clone())
        .get("cluster")
        .await?;
    let owners = field_owners(&whole.metadata);
    ensure!(
        owners.is_empty(),
        "the ClusterPostureReport was not replaced with its field ownership reset: {owners:?}"
    );
    Api::<Namespace>::all(cluster.client.clone())
        .delete(&ns, &DeleteParams::default())
        .await?;
    wait_for(
        "the deleted namespace's report to go",
        Duration::from_secs(60),
        || async { Ok(reports.get_opt("posture").await?.is_none().then_some(())) },
    )
    .await?;
    // The changes since the restart were evaluated incrementally, and every periodic full
    // evaluation, including one after the last change, agreed with them.
    let full_runs = |log: &str| log.matches("scope=all").count();
    let before = full_runs(&operator.log());
    wait_for("a periodic full evaluation", WAIT, || async {
        Ok((full_runs(&operator.log()) > before).then_some(()))
    })
    .await?;
    let log = operator.log();
    assert!(
        log.contains(" namespace(s) "),
        "no incremental evaluation:\n{log}"
    );
    assert!(
        !log.contains("incremental evaluation disagreed"),
        "incremental and full evaluations disagreed:\n{log}"
    );

    // 6. Every request the operator made for Secrets was metadata-only: list responses are
    //    PartialObjectMetadataList, and the Secret's value never reached it.
    let audit = std::fs::read_to_string(env_dir("RAMPART_E2E_AUDIT_LOG"))?;
    let mut lists = 0;
    for line in audit.lines() {
        let Ok(e) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if e["user"]["username"] != "system:serviceaccount:rampart-system:rampart"
            || e["objectRef"]["resource"] != "secrets"
        {
            continue;
        }
        assert!(
            !line.contains(&secret_value),
            "Secret data reached the operator: {line}"
        );
        if let Some(kind) = e["responseObject"]["kind"].as_str() {
            assert!(
                kind.starts_with("PartialObjectMetadata"),
                "a Secret request returned {kind}"
            );
            lists += 1;
        }
    }
    assert!(lists > 0, "no Secret list by the operator in the audit log");
    drop(operator);
    Ok(())
}

/// A forbidden list neither hangs nor crashes the operator: it evaluates what it can, names
/// what it could not in the reports, stays unready, and recovers once the grant appears.
#[tokio::test]
async fn forbidden_kind_is_reported_as_not_evaluated_until_granted() -> Result<()> {
    let _one = ONE_OPERATOR.lock().await;
    let cluster = Cluster::connect().await?;
    install(&cluster).await?;
    let sa = format!("limited-{}", std::process::id());
    // The install's ClusterRole without Secrets, and without `update` on either report kind
    // throughout (RBAC of one's own, or an install older than the operator): reports are
    // applied instead of replaced.
    let rbac = std::fs::read_to_string(repo().join("manifests/10-rbac.yaml"))?;
    let mut role = yaml::documents(&rbac)
        .into_iter()
        .find(|v| v["kind"] == "ClusterRole")
        .context("the install's ClusterRole")?;
    for rule in role["rules"].as_array_mut().context("rules")? {
        let reports = ["posturereports", "clusterposturereports"].map(serde_json::Value::from);
        if reports
            .iter()
            .any(|r| rule["resources"] == serde_json::json!([r]))
        {
            let verbs = rule["verbs"].as_array_mut().context("verbs")?;
            let before = verbs.len();
            verbs.retain(|v| v != "update");
            ensure!(verbs.len() < before, "the install grants no update: {rule}");
        }
    }
    let mut limited = role.clone();
    limited["metadata"] = serde_json::json!({"name": sa});
    for rule in limited["rules"].as_array_mut().context("rules")? {
        if let Some(res) = rule["resources"].as_array_mut() {
            res.retain(|r| r != "secrets");
        }
    }
    let yaml = format!(
        "{}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: {sa}, namespace: rampart-system}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: {sa}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {sa}}}\nsubjects: [{{kind: ServiceAccount, name: {sa}, namespace: rampart-system}}]\n",
        serde_json::to_string(&limited)?
    );
    apply_yaml(&cluster.client, None, &yaml).await?;
    let kubeconfig = token_kubeconfig("rampart-system", &sa)?;
    let state = env_dir("RAMPART_E2E_DIR");
    let operator = Operator::start_with(
        &kubeconfig,
        state.join("operator-limited.log"),
        &[
            "--initial-sync-timeout-seconds",
            "3",
            "--leader-election",
            "false",
        ],
    )?;

    let reports: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    wait_for("Secrets named as not evaluated", WAIT, || async {
        Ok(reports.get_opt("cluster").await?.filter(|r| {
            r.spec
                .report
                .could_not_evaluate
                .iter()
                .any(|x| x.starts_with("Secret:"))
        }))
    })
    .await
    .with_context(|| operator.log())?;
    assert!(
        http_status(operator.health, "/readyz").is_some_and(|l| l.contains(" 503 ")),
        "ready although a list is forbidden"
    );

    // Grant Secrets (metadata is all it asks for): the watch recovers and the note goes.
    let mut granted = limited.clone();
    granted["rules"] = role["rules"].clone();
    apply_yaml(&cluster.client, None, &serde_json::to_string(&granted)?).await?;
    wait_for(
        "the note to clear after the grant",
        Duration::from_secs(60),
        || async {
            Ok(reports
                .get_opt("cluster")
                .await?
                .filter(|r| r.spec.report.could_not_evaluate.is_empty()))
        },
    )
    .await
    .with_context(|| operator.log())?;
    wait_for("/readyz to turn 200", WAIT, || async {
        Ok(http_status(operator.health, "/readyz").filter(|l| l.contains(" 200 ")))
    })
    .await?;

    // A namespace's report, written, then written again over itself: applied, since the
    // operator may not update it, and said once.
    let ns = TestNamespace::create(&cluster, "no-update").await?;
    let posture: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &ns.name);
    let pod = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers: [{{name: web, image: registry.example/web:1.0}}]\n"
        )
    };
    for name in ["web", "web2"] {
        apply_yaml(&cluster.client, Some(&ns.name), &pod(name)).await?;
        wait_for(
            &format!("{name}'s findings in the report"),
            WAIT,
            || async {
                Ok(posture.get_opt("posture").await?.filter(|r| {
                    r.spec
                        .report
                        .findings
                        .iter()
                        .any(|f| f.resource.name == name)
                }))
            },
        )
        .await
        .with_context(|| operator.log())?;
    }
    let log = operator.log();
    for kind in ["posturereports", "clusterposturereports"] {
        ensure!(
            log.matches(&format!("may not update {kind}:")).count() == 1,
            "the missing grant on {kind} is not said once:\n{log}"
        );
    }
    ns.delete().await?;
    drop(operator);
    Api::<ClusterRoleBinding>::all(cluster.client.clone())
        .delete(&sa, &DeleteParams::default())
        .await?;
    Ok(())
}

/// Two replicas: one leads and writes; when it dies without releasing the lease, the other
/// takes over once the lease lapses and later changes still reach the reports.
#[tokio::test]
async fn standby_takes_over_when_the_leader_dies() -> Result<()> {
    let _one = ONE_OPERATOR.lock().await;
    let cluster = Cluster::connect().await?;
    let kubeconfig = install(&cluster).await?;
    let state = env_dir("RAMPART_E2E_DIR");
    let args = ["--lease-duration-seconds", "5"];
    let mut a = Operator::start_with(&kubeconfig, state.join("operator-a.log"), &args)?;
    let mut b = Operator::start_with(&kubeconfig, state.join("operator-b.log"), &args)?;
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(cluster.client.clone(), "rampart-system");
    let holder = || async {
        let lease = leases.get_opt("rampart").await?;
        Ok::<_, anyhow::Error>(lease.and_then(|l| l.spec?.holder_identity))
    };
    let pid_a = a.child.id();
    let pid_b = b.child.id();
    let leader_pid = wait_for("one of the two to hold the lease", WAIT, || async {
        Ok(holder().await?.and_then(|h| {
            [pid_a, pid_b]
                .into_iter()
                .find(|p| h.ends_with(&format!("-{p}")))
        }))
    })
    .await?;
    let (leader, standby) = if leader_pid == pid_a {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    // Death, not shutdown: the lease is not released and must lapse.
    leader.child.kill()?;
    leader.child.wait()?;
    let killed = Instant::now();
    let ns = format!("after-failover-{}", std::process::id());
    apply_yaml(&cluster.client, None, &format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: {ns}-admin}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}\nsubjects: [{{kind: User, name: mallory-{ns}, apiGroup: rbac.authorization.k8s.io}}]\n"
    )).await?;
    wait_for(
        "the standby to report the change",
        Duration::from_secs(30),
        || async {
            Ok(cluster_findings_about(&cluster, &format!("mallory-{ns}"))
                .await?
                .iter()
                .any(|r| r == "RBAC001")
                .then_some(()))
        },
    )
    .await
    .with_context(|| standby.log())?;
    println!(
        "standby took over and reported {:?} after the leader died",
        killed.elapsed()
    );
    assert!(standby.log().contains("became leader"), "{}", standby.log());
    Api::<ClusterRoleBinding>::all(cluster.client.clone())
        .delete(&format!("{ns}-admin"), &DeleteParams::default())
        .await?;
    Api::<Namespace>::all(cluster.client.clone())
        .delete(&ns, &DeleteParams::default())
        .await?;
    Ok(())
}
