//! The control plane judged from live evidence by the operator: its probe of the API server
//! (anonymous requests, /version), kube-apiserver's own /metrics (audit logging), Node
//! objects (kubelet versions) and mirror-pod-style static pods (flags). The shared cluster
//! runs with today's secure flags and an audit policy; one more control plane is started
//! here with anonymous requests allowed to list pods and no audit policy.

use anyhow::{Context as _, Result};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use rampart_crd::{ClusterPostureReport, ControlPlaneStatus, ReportFinding};
use rampart_e2e::operator::{Operator, http_get, scan_cluster, start_reading_apiserver};
use rampart_e2e::{Cluster, ExtraCluster, apply_yaml, wait_for};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(40);

/// The operator with the /metrics grant, reading /metrics and probing every 2 s.
async fn start(cluster: &Cluster, name: &str) -> Result<Operator> {
    start_reading_apiserver(cluster, true, name).await
}

/// Waits until the ClusterPostureReport's findings satisfy `want`; returns them.
async fn wait_findings(
    cluster: &Cluster,
    operator: &Operator,
    what: &str,
    want: impl Fn(&[ReportFinding]) -> bool,
) -> Result<Vec<ReportFinding>> {
    let api: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    let last = std::sync::Mutex::new(Vec::new());
    let found = wait_for(what, WAIT, || async {
        let findings = api
            .get_opt("cluster")
            .await?
            .map(|r| r.spec.report.findings)
            .unwrap_or_default();
        let ok = want(&findings);
        if let Ok(mut l) = last.lock() {
            l.clone_from(&findings);
        }
        Ok(ok.then_some(findings))
    })
    .await;
    found.with_context(|| {
        let ids: Vec<String> = last
            .lock()
            .map(|l| {
                l.iter()
                    .map(|f| format!("{} {} {}", f.rule_id, f.resource.name, f.message))
                    .collect()
            })
            .unwrap_or_default();
        format!(
            "last control-plane findings: {:#?}\noperator log:\n{}",
            ids.iter()
                .filter(|i| i.starts_with("CP"))
                .collect::<Vec<_>>(),
            operator.log()
        )
    })
}

/// The ClusterPostureReport's control-plane verdicts once `want` holds.
async fn wait_verdicts(
    cluster: &Cluster,
    operator: &Operator,
    what: &str,
    want: impl Fn(&ControlPlaneStatus) -> bool,
) -> Result<ControlPlaneStatus> {
    let api: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    let last = std::sync::Mutex::new(None);
    let found = wait_for(what, WAIT, || async {
        let status = api
            .get_opt("cluster")
            .await?
            .and_then(|r| r.spec.control_plane);
        if let Ok(mut l) = last.lock() {
            l.clone_from(&status);
        }
        Ok(status.filter(|s| want(s)))
    })
    .await;
    found.with_context(|| {
        format!(
            "last verdicts: {:#?}\noperator log:\n{}",
            last.lock().ok().and_then(|l| l.clone()),
            operator.log()
        )
    })
}

/// Waits until the operator's /metrics set each state-set series of `want` (metric,
/// state) to 1: the report may still be an earlier operator's.
async fn wait_states(operator: &Operator, want: &[(&str, &str)]) -> Result<()> {
    let last = std::sync::Mutex::new(String::new());
    let found = wait_for("the operator's state-set metrics", WAIT, || async {
        let (_, metrics) = http_get(operator.health, "/metrics")?;
        let set = |(name, state): &(&str, &str)| {
            let series = format!("{name}{{state=\"{state}\"}} 1");
            metrics.lines().any(|l| l == series)
        };
        let ok = want.iter().all(set);
        if let Ok(mut l) = last.lock() {
            *l = metrics;
        }
        Ok(ok.then_some(()))
    })
    .await;
    found.with_context(|| {
        format!(
            "last /metrics:\n{}",
            last.lock().map(|l| l.clone()).unwrap_or_default()
        )
    })
}

fn of<'a>(findings: &'a [ReportFinding], rule: &str) -> Vec<&'a ReportFinding> {
    findings.iter().filter(|f| f.rule_id == rule).collect()
}

fn on(findings: &[ReportFinding], rule: &str, name: &str) -> bool {
    findings
        .iter()
        .any(|f| f.rule_id == rule && f.resource.name == name)
}

/// A Node as a kubelet would register it, then its reported versions, which only the
/// status subresource takes.
async fn node(cluster: &Cluster, name: &str, kubelet: &str) -> Result<()> {
    apply_yaml(
        &cluster.client,
        None,
        &format!("apiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {{rampart-e2e: control-plane}}}}\n"),
    )
    .await?;
    let nodes: Api<Node> = Api::all(cluster.client.clone());
    let status = serde_json::json!({"status": {"nodeInfo": {
        "kubeletVersion": kubelet, "kubeProxyVersion": "", "containerRuntimeVersion": "containerd://2.1.4",
        "kernelVersion": "6.12.48", "osImage": "Debian GNU/Linux 13", "operatingSystem": "linux",
        "architecture": "amd64", "machineID": name, "systemUUID": name, "bootID": name}}});
    nodes
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .with_context(|| format!("setting the kubelet version of Node {name}"))?;
    Ok(())
}

/// A kube-apiserver mirror-pod-style Pod in kube-system with `flags`.
fn apiserver_pod(name: &str, flags: &[&str]) -> String {
    // Quoted: a flow sequence would split `--authorization-mode=Node,RBAC` at its comma.
    let flags: String = flags.iter().map(|f| format!(", {f:?}")).collect();
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {{component: kube-apiserver, tier: control-plane}}}}\n\
         spec:\n  automountServiceAccountToken: false\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.37.2\n    command: [kube-apiserver{flags}]\n"
    )
}

/// The flags of a kubeadm control plane that Rampart's flag rules accept.
const SECURE: &[&str] = &[
    "--anonymous-auth=false",
    "--authorization-mode=Node,RBAC",
    "--enable-admission-plugins=NodeRestriction",
    "--profiling=false",
    "--audit-policy-file=/etc/kubernetes/audit-policy.yaml",
    "--audit-log-path=/var/log/kubernetes/audit/audit.log",
    "--audit-log-maxage=30",
    "--audit-log-maxbackup=10",
    "--audit-log-maxsize=100",
    "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
    "--etcd-servers=https://127.0.0.1:2379",
    "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
    "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
    "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
    "--encryption-provider-config=/etc/kubernetes/enc.yaml",
];

#[tokio::test]
async fn shared_control_plane_is_judged_from_live_evidence() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let operator = start(&cluster, "control-plane").await?;
    operator.wait_ready().await?;
    // This operator's own verdicts first: the report may still be an earlier one's.
    wait_states(
        &operator,
        &[
            ("rampart_audit_logging", "on"),
            ("rampart_anonymous_access", "public-info-only"),
        ],
    )
    .await?;

    // 1. The probe: anonymous authentication is on (the binary's default) but reaches only
    //    the public-info endpoints: an info finding, nothing above. Audit logging is on (the
    //    shared cluster has a policy), seen in the API server's own metrics. /version says
    //    v1.37.2, the newest patch the table knows: no version finding.
    let findings = wait_findings(&cluster, &operator, "the probe's verdict", |f| {
        on(f, "CP001", "apiserver")
    })
    .await?;
    let cp001 = of(&findings, "CP001");
    assert_eq!(cp001.len(), 1, "{cp001:#?}");
    assert_eq!(cp001[0].severity, "info", "{cp001:#?}");
    assert_eq!(cp001[0].resource.kind, "ApiServerProbe");
    assert!(
        cp001[0]
            .message
            .contains("reach only the public-info endpoints"),
        "{cp001:#?}"
    );
    for absent in ["CP009", "CP020", "CP021", "CP022", "CP023"] {
        assert!(of(&findings, absent).is_empty(), "{absent}: {findings:#?}");
    }
    // The report's verdicts say the same, each with the evidence that decided it.
    let verdicts = wait_verdicts(&cluster, &operator, "the live verdicts", |v| {
        v.audit_logging.evidence == "apiserver-metrics" && v.version.api_server.evidence == "probe"
    })
    .await?;
    assert_eq!(
        (
            verdicts.anonymous.state.as_str(),
            verdicts.anonymous.evidence.as_str()
        ),
        ("public-info-only", "probe"),
        "{verdicts:#?}"
    );
    assert_eq!(verdicts.audit_logging.state, "on", "{verdicts:#?}");
    assert_eq!(
        verdicts.version.api_server.version.as_deref(),
        Some("v1.37.2"),
        "{verdicts:#?}"
    );
    assert_eq!(
        verdicts.version.api_server.state, "current",
        "{verdicts:#?}"
    );
    wait_states(
        &operator,
        &[
            ("rampart_audit_logging", "on"),
            ("rampart_anonymous_access", "public-info-only"),
        ],
    )
    .await?;

    // 2. Nodes registered through the API with old and too-new kubelets: end of life and
    //    skew, judged against the API server's /version.
    node(&cluster, "rampart-e2e-old", "v1.30.2").await?;
    node(&cluster, "rampart-e2e-ahead", "v1.38.0").await?;
    node(&cluster, "rampart-e2e-current", "v1.37.2").await?;
    let findings = wait_findings(&cluster, &operator, "the kubelet findings", |f| {
        on(f, "CP020", "rampart-e2e-old")
            && on(f, "CP022", "rampart-e2e-old")
            && on(f, "CP022", "rampart-e2e-ahead")
    })
    .await?;
    let eol = of(&findings, "CP020");
    assert_eq!(eol.len(), 1, "only the old kubelet: {eol:#?}");
    assert!(
        eol[0]
            .message
            .contains("runs Kubernetes v1.30.2: release 1.30 reached end of life on 2025-07-15"),
        "{eol:#?}"
    );
    let skew: Vec<&str> = of(&findings, "CP022")
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(skew.len(), 2, "{skew:#?}");
    assert!(
        skew.iter()
            .any(|m| m.contains("v1.38.0, newer than the API server's v1.37.2")),
        "{skew:#?}"
    );
    assert!(
        skew.iter().any(|m| m.contains("7 minor releases behind")),
        "{skew:#?}"
    );
    assert!(!on(&findings, "CP021", "rampart-e2e-current"));
    let nodes: Api<Node> = Api::all(cluster.client.clone());
    for name in [
        "rampart-e2e-old",
        "rampart-e2e-ahead",
        "rampart-e2e-current",
    ] {
        nodes.delete(name, &DeleteParams::default()).await?;
    }
    wait_findings(&cluster, &operator, "the kubelet findings to go", |f| {
        of(f, "CP020").is_empty() && of(f, "CP022").is_empty()
    })
    .await?;

    // 3. A mirror-pod-style kube-apiserver with insecure flags: the flag findings, at the
    //    arguments; the same pod with kubeadm's secure flags: none.
    let mirror = "kube-apiserver-rampart-e2e-cp";
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "kube-system");
    let now = DeleteParams {
        grace_period_seconds: Some(0),
        ..DeleteParams::default()
    };
    // A pod left by an interrupted run would refuse the new spec.
    if pods.get_opt(mirror).await?.is_some() {
        pods.delete(mirror, &now).await?;
        wait_for("a leftover mirror pod to go", WAIT, || async {
            Ok(pods.get_opt(mirror).await?.is_none().then_some(()))
        })
        .await?;
    }
    apply_yaml(
        &cluster.client,
        Some("kube-system"),
        &apiserver_pod(
            mirror,
            &[
                "--authorization-mode=AlwaysAllow",
                "--token-auth-file=/etc/kubernetes/tokens.csv",
                "--service-account-lookup=false",
                "--etcd-servers=http://127.0.0.1:2379",
            ],
        ),
    )
    .await?;
    let expected = [
        "CP002", "CP003", "CP006", "CP008", "CP011", "CP012", "CP013",
    ];
    let findings = wait_findings(&cluster, &operator, "the flag findings", |f| {
        expected.iter().all(|id| on(f, id, mirror))
    })
    .await?;
    let cp003 = of(&findings, "CP003");
    assert_eq!(
        cp003[0].path.as_deref(),
        Some("spec.containers[0].command[1]")
    );
    assert_eq!(cp003[0].severity, "critical");
    // The probe outranks the pod for anonymous access, and the metrics for audit logging.
    assert!(!on(&findings, "CP001", mirror), "{findings:#?}");
    assert!(!on(&findings, "CP009", mirror), "{findings:#?}");
    pods.delete(mirror, &now).await?;
    wait_for("the insecure mirror pod to go", WAIT, || async {
        Ok(pods.get_opt(mirror).await?.is_none().then_some(()))
    })
    .await?;
    apply_yaml(
        &cluster.client,
        Some("kube-system"),
        &apiserver_pod(mirror, SECURE),
    )
    .await?;
    let pod_api: Api<Pod> = Api::namespaced(cluster.client.clone(), "kube-system");
    wait_for("the secure mirror pod", WAIT, || async {
        Ok(pod_api.get_opt(mirror).await?)
    })
    .await?;
    let findings = wait_findings(&cluster, &operator, "no flag finding", |f| {
        !f.iter()
            .any(|x| x.rule_id.starts_with("CP") && x.resource.name == mirror)
    })
    .await?;
    assert!(
        on(&findings, "CP001", "apiserver"),
        "the probe's finding stays"
    );
    pods.delete(mirror, &now).await?;
    Ok(())
}

#[tokio::test]
async fn anonymous_reads_and_audit_off_are_reported_from_the_live_api_server() -> Result<()> {
    // A control plane without an audit policy, whose anonymous callers may list pods.
    let extra = ExtraCluster::start_with(
        "insecure",
        &["--no-audit", "--apiserver-flag", "--anonymous-auth=true"],
    )
    .await?;
    let cluster = &extra.cluster;
    apply_yaml(
        &cluster.client,
        None,
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: anonymous-pod-reader}\n\
         rules:\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [list]\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: anonymous-pod-reader}\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: anonymous-pod-reader}\n\
         subjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:anonymous}\n",
    )
    .await?;
    let operator = start(cluster, "control-plane-insecure").await?;
    let findings = wait_findings(
        cluster,
        &operator,
        "the probe's and the metrics' verdicts",
        |f| on(f, "CP023", "apiserver") && on(f, "CP009", "apiserver"),
    )
    .await?;
    let reach = of(&findings, "CP023");
    assert_eq!(reach[0].severity, "critical");
    assert_eq!(reach[0].resource.kind, "ApiServerProbe");
    assert!(
        reach[0].message.contains("/api/v1/pods?limit=1"),
        "{reach:#?}"
    );
    assert!(
        !reach[0].message.contains("/api/v1/nodes"),
        "only what the binding allows: {reach:#?}"
    );
    let audit = of(&findings, "CP009");
    assert_eq!(audit[0].resource.kind, "ApiServerMetrics");
    assert!(
        audit[0]
            .message
            .contains("produces no audit event and loads no audit policy"),
        "{audit:#?}"
    );
    let verdicts = wait_verdicts(cluster, &operator, "the insecure verdicts", |v| {
        v.anonymous.state == "exposed" && v.audit_logging.state == "off"
    })
    .await?;
    assert_eq!(verdicts.anonymous.evidence, "probe", "{verdicts:#?}");
    assert_eq!(
        verdicts.audit_logging.evidence, "apiserver-metrics",
        "{verdicts:#?}"
    );
    wait_states(
        &operator,
        &[
            ("rampart_audit_logging", "off"),
            ("rampart_anonymous_access", "exposed"),
        ],
    )
    .await?;
    // `rampart scan --cluster` probes the same way, as the admin.
    let scanned = scan_cluster(&cluster.kubeconfig)?;
    let ids: Vec<&str> = scanned["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["ruleId"].as_str())
        .collect();
    assert!(ids.contains(&"CP023") && ids.contains(&"CP009"), "{ids:?}");
    assert_eq!(
        scanned["controlPlane"]["anonymous"]["state"], "exposed",
        "{scanned}"
    );
    // The RBAC rule sees the binding that explains it.
    assert!(
        findings
            .iter()
            .any(|f| f.resource.name == "anonymous-pod-reader" && f.severity == "critical"),
        "{findings:#?}"
    );
    Ok(())
}
