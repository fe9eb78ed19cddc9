//! Exceptions on the real control plane, with the operator running under exactly the RBAC
//! `manifests/` grants: the CRDs refuse malformed exceptions with their messages; an
//! exception accepts a finding within seconds and its status counts it; it cannot reach
//! another namespace; at its expiry the finding comes back as new (an Event and the
//! detected counter say so); the documented editor role lets a team write exceptions in
//! its namespace only, and never their status; an expiry too far ahead is refused by
//! Rampart, in the status.

use anyhow::{Context as _, Result, ensure};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Api;
use kube::api::{Patch, PatchParams};
use rampart_crd::{PostureException, PostureReport};
use rampart_e2e::operator::{
    Operator, WAIT, env_dir, install, metric_sum_where, repo, scan_cluster,
};
use rampart_e2e::{Cluster, TestNamespace, apply_yaml, wait_for};
use std::time::{Duration, Instant};

fn privileged_pod(ns: &str, name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {{app: cni}}}}\n\
         spec: {{containers: [{{name: c, image: registry.example/cni:1.0, securityContext: {{privileged: true}}}}]}}\n"
    )
}

fn exception(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "apiVersion: rampart.dev/v1alpha1\nkind: PostureException\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}"
    )
}

fn spec(resources: &str, reason: &str, owner: &str, expires: Timestamp) -> String {
    format!(
        "  rules: [POD003]\n  resources: {resources}\n  reason: {reason}\n  owner: {owner}\n  expires: '{expires}'\n"
    )
}

/// The rule ids of a namespace's report findings, and how many it says are excepted.
async fn report_of(cluster: &Cluster, ns: &str) -> Result<Option<(Vec<String>, u32)>> {
    let api: Api<PostureReport> = Api::namespaced(cluster.client.clone(), ns);
    Ok(api.get_opt("posture").await?.map(|r| {
        let ids = r
            .spec
            .report
            .findings
            .iter()
            .map(|f| f.rule_id.clone())
            .collect();
        (ids, r.spec.report.excepted_count)
    }))
}

/// Reasons of Rampart's events about Pod `ns/name`.
async fn pod_event_reasons(cluster: &Cluster, ns: &str, name: &str) -> Result<Vec<String>> {
    let events: Api<Event> = Api::namespaced(cluster.client.clone(), ns);
    let mut listed: Vec<(Option<Timestamp>, String)> = events
        .list(&Default::default())
        .await?
        .items
        .into_iter()
        .filter(|e| {
            e.regarding
                .as_ref()
                .is_some_and(|r| r.name.as_deref() == Some(name))
                && e.reporting_controller.as_deref() == Some("rampart.dev/operator")
        })
        .filter_map(|e| Some((e.event_time.map(|t| t.0), e.reason?)))
        .collect();
    listed.sort();
    Ok(listed.into_iter().map(|(_, r)| r).collect())
}

#[tokio::test]
async fn an_exception_accepts_a_finding_in_its_namespace_until_it_expires() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let kubeconfig = install(&cluster).await?;
    let a = TestNamespace::create(&cluster, "exc-a").await?;
    let b = TestNamespace::create(&cluster, "exc-b").await?;
    let state = env_dir("RAMPART_E2E_DIR");
    let operator = Operator::start_with(
        &kubeconfig,
        state.join("operator-exceptions.log"),
        &["--leader-election", "false"],
    )?;
    operator.wait_ready().await?;
    let pods = format!(
        "{}---\n{}",
        privileged_pod(&a.name, "cni-a"),
        privileged_pod(&b.name, "cni-b")
    );
    apply_yaml(&cluster.client, None, &pods).await?;
    for ns in [&a.name, &b.name] {
        wait_for("POD003 in both namespaces' reports", WAIT, || async {
            Ok(report_of(&cluster, ns)
                .await?
                .filter(|(ids, _)| ids.iter().any(|i| i == "POD003")))
        })
        .await
        .with_context(|| operator.log())?;
    }

    // The API server refuses malformed exceptions, each with its message.
    let later = Timestamp::now() + SignedDuration::from_hours(24);
    let malformed = [
        (
            spec("[{kind: Pod}]", "reviewed", "' '", later),
            "spec.owner must name who accepted the findings",
        ),
        (
            spec("[{kind: Pod}]", "''", "platform", later),
            "spec.reason must say why the findings are accepted",
        ),
        (
            spec("[]", "reviewed", "platform", later),
            "spec.resources must name at least one kind, name or selector",
        ),
        (
            spec(
                &format!("[{{kind: Pod, namespace: {}}}]", b.name),
                "reviewed",
                "platform",
                later,
            ),
            "a PostureException covers objects in its own namespace only",
        ),
        (
            spec("[{kind: Pod}]", "reviewed", "platform", later).replace("[POD003]", "[]"),
            "spec.rules must name at least one rule id or name",
        ),
    ];
    for (bad, message) in malformed {
        let err = apply_yaml(&cluster.client, None, &exception(&a.name, "bad", &bad))
            .await
            .expect_err("a malformed exception is refused");
        ensure!(
            format!("{err:#}").contains(message),
            "expected {message:?} in: {err:#}"
        );
    }
    let missing_owner = spec("[{kind: Pod}]", "reviewed", "x", later).replace("  owner: x\n", "");
    let err = apply_yaml(
        &cluster.client,
        None,
        &exception(&a.name, "bad", &missing_owner),
    )
    .await
    .expect_err("an exception without an owner is refused");
    ensure!(
        format!("{err:#}").contains("spec.owner: Required value"),
        "{err:#}"
    );

    // An exception in `a` for every pod there, expiring in 40 seconds.
    let detected = || {
        metric_sum_where(
            operator.health,
            "rampart_findings_detected_total",
            "rule=\"POD003\"",
        )
    };
    let detected_before = detected()?;
    let expires = Timestamp::now() + SignedDuration::from_secs(40);
    let accepted = Instant::now();
    apply_yaml(
        &cluster.client,
        None,
        &exception(
            &a.name,
            "cni-privileged",
            &spec(
                "[{kind: Pod, name: '*'}]",
                "CNI configures host networking",
                "platform-team",
                expires,
            ),
        ),
    )
    .await?;
    wait_for("the finding in a to be excepted", WAIT, || async {
        Ok(report_of(&cluster, &a.name)
            .await?
            .filter(|(ids, n)| *n == 1 && !ids.iter().any(|i| i == "POD003")))
    })
    .await
    .with_context(|| operator.log())?;
    eprintln!(
        "excepted {:?} after the exception was applied",
        accepted.elapsed()
    );
    let (b_ids, b_excepted) = report_of(&cluster, &b.name).await?.unwrap_or_default();
    assert!(
        b_ids.iter().any(|i| i == "POD003") && b_excepted == 0,
        "an exception in {} reaches nothing in {}: {b_ids:?}",
        a.name,
        b.name
    );
    let exceptions: Api<PostureException> = Api::namespaced(cluster.client.clone(), &a.name);
    let status = wait_for("the exception's status", WAIT, || async {
        Ok(exceptions
            .get("cni-privileged")
            .await?
            .status
            .filter(|s| s.state == "Active"))
    })
    .await
    .with_context(|| operator.log())?;
    assert_eq!(status.matched, 1);
    assert_eq!(status.observed_generation, Some(1));
    wait_for("a FindingExcepted event", WAIT, || async {
        let reasons = pod_event_reasons(&cluster, &a.name, "cni-a").await?;
        Ok((reasons.last().map(String::as_str) == Some("FindingExcepted")).then_some(()))
    })
    .await
    .with_context(|| operator.log())?;
    assert_eq!(
        detected()?,
        detected_before,
        "accepting a finding detects nothing"
    );
    // The accepted finding is counted in its own series, in its namespace only.
    let excepted_in = |ns: &str| {
        metric_sum_where(
            operator.health,
            "rampart_excepted_findings",
            &format!("namespace=\"{ns}\",rule=\"POD003\""),
        )
    };
    assert_eq!(excepted_in(&a.name)?, 1.0);
    assert_eq!(excepted_in(&b.name)?, 0.0);
    // `rampart scan --cluster` reads the same exception and agrees.
    let scanned = scan_cluster(&kubeconfig)?;
    let excepted: Vec<(&str, &str)> = scanned["excepted"]
        .as_array()
        .context("an excepted list")?
        .iter()
        .filter(|x| x["ruleId"] == "POD003")
        .filter_map(|x| Some((x["resource"]["name"].as_str()?, x["exception"].as_str()?)))
        .collect();
    let id = format!("{}/cni-privileged", a.name);
    assert_eq!(excepted, [("cni-a", id.as_str())], "{scanned}");

    // At its expiry the finding is open again, and announced as new.
    let until_expiry =
        Duration::try_from(expires.duration_since(Timestamp::now())).unwrap_or(Duration::ZERO);
    tokio::time::sleep(until_expiry).await;
    let expired = Instant::now();
    wait_for("the finding in a to be open again", WAIT, || async {
        Ok(report_of(&cluster, &a.name)
            .await?
            .filter(|(ids, n)| *n == 0 && ids.iter().any(|i| i == "POD003")))
    })
    .await
    .with_context(|| operator.log())?;
    eprintln!("open again {:?} after the expiry", expired.elapsed());
    assert!(
        expired.elapsed() < Duration::from_secs(5),
        "the operator evaluates at the expiry, not at the next resync: {:?}",
        expired.elapsed()
    );
    assert_eq!(detected()?, detected_before + 1.0);
    assert_eq!(
        excepted_in(&a.name)?,
        0.0,
        "an expired exception accepts nothing"
    );
    wait_for("a second FindingDetected event", WAIT, || async {
        let reasons = pod_event_reasons(&cluster, &a.name, "cni-a").await?;
        Ok((reasons.last().map(String::as_str) == Some("FindingDetected")).then_some(reasons))
    })
    .await
    .with_context(|| operator.log())?;
    let status = wait_for("the status to say expired", WAIT, || async {
        Ok(exceptions
            .get("cni-privileged")
            .await?
            .status
            .filter(|s| s.state == "Expired"))
    })
    .await?;
    assert_eq!(status.matched, 0);

    // The documented editor role, bound in `a`, lets a team write exceptions there, not in
    // `b`, and not their status.
    let example =
        std::fs::read_to_string(repo().join("manifests/optional/exception-editor-rbac.yaml"))?;
    let role = example.split("\n---\n").next().unwrap_or_default();
    apply_yaml(&cluster.client, None, role).await?;
    apply_yaml(
        &cluster.client,
        None,
        &format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: team, namespace: {ns}}}\n---\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: team-exceptions, namespace: {ns}}}\n\
             roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: rampart-exception-editor}}\n\
             subjects: [{{kind: ServiceAccount, name: team, namespace: {ns}}}]\n",
            ns = a.name
        ),
    )
    .await?;
    let team = cluster.service_account_client(&a.name, "team").await?;
    let quiet_spec = spec("[{kind: Pod, name: none}]", "reviewed", "team", later);
    let own = wait_for("the team's RoleBinding to take effect", WAIT, || async {
        Ok(
            apply_yaml(&team, None, &exception(&a.name, "team-own", &quiet_spec))
                .await
                .ok(),
        )
    })
    .await?;
    assert_eq!(own.len(), 1);
    let elsewhere = apply_yaml(
        &team,
        None,
        &exception(&b.name, "team-elsewhere", &quiet_spec),
    )
    .await
    .expect_err("the team cannot write exceptions in another namespace");
    ensure!(
        format!("{elsewhere:#}").contains("forbidden"),
        "{elsewhere:#}"
    );
    let team_exceptions: Api<PostureException> = Api::namespaced(team.clone(), &a.name);
    let status_patch = serde_json::json!({
        "apiVersion": "rampart.dev/v1alpha1",
        "kind": "PostureException",
        "status": {"state": "Active", "matched": 99, "lastEvaluated": "2026-01-01T00:00:00Z"}
    });
    let forged = team_exceptions
        .patch_status(
            "team-own",
            &PatchParams::apply("team").force(),
            &Patch::Apply(&status_patch),
        )
        .await
        .expect_err("the team cannot write an exception's status");
    ensure!(format!("{forged}").contains("forbidden"), "{forged}");

    // An expiry further ahead than the settings allow is refused by Rampart, which says why.
    let exceptions_in = |state: &str| {
        metric_sum_where(
            operator.health,
            "rampart_exceptions",
            &format!("state=\"{state}\""),
        )
    };
    let invalid_before = exceptions_in("invalid")?;
    let too_far = Timestamp::now() + SignedDuration::from_hours(200 * 24);
    apply_yaml(
        &cluster.client,
        None,
        &exception(
            &a.name,
            "forever",
            &spec("[{kind: Pod}]", "reviewed", "platform-team", too_far),
        ),
    )
    .await?;
    let status = wait_for("the far exception's status", WAIT, || async {
        Ok(exceptions.get("forever").await?.status)
    })
    .await
    .with_context(|| operator.log())?;
    assert_eq!(status.state, "Invalid");
    let message = status.message.unwrap_or_default();
    assert!(message.contains("more than 180 days ahead"), "{message}");
    let (ids, excepted) = report_of(&cluster, &a.name).await?.unwrap_or_default();
    assert!(
        ids.iter().any(|i| i == "POD003") && excepted == 0,
        "{ids:?}"
    );
    assert_eq!(exceptions_in("invalid")?, invalid_before + 1.0);
    assert!(exceptions_in("expired")? >= 1.0);

    drop(operator);
    a.delete().await?;
    b.delete().await
}
