use super::*;

fn inventory(text: &str) -> Inventory {
    Inventory::from_manifest("cp.yaml", text).expect("the test manifest reads")
}

fn metrics(text: &str) -> String {
    let body: String = text.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "apiVersion: rampart.dev/v1alpha1\nkind: ApiServerMetrics\nmetadata: {{name: apiserver}}\ntext: |\n{body}"
    )
}

fn probe(body: &str) -> String {
    format!(
        "apiVersion: rampart.dev/v1alpha1\nkind: ApiServerProbe\nmetadata: {{name: apiserver}}\n{body}\n"
    )
}

fn apiserver(image: &str, flags: &[&str]) -> String {
    let flags: String = flags.iter().map(|f| format!(", {f:?}")).collect();
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: kube-apiserver-cp1, namespace: kube-system, labels: {{component: kube-apiserver}}}}\n\
         spec:\n  containers:\n  - name: kube-apiserver\n    image: {image}\n    command: [kube-apiserver{flags}]\n"
    )
}

fn node(name: &str, kubelet: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nstatus:\n  nodeInfo: {{kubeletVersion: {kubelet}}}\n"
    )
}

const GKE: &str = "GKE";

fn declared(audit: Option<bool>, anonymous: Option<bool>) -> DeclaredControlPlane {
    DeclaredControlPlane {
        platform: GKE.to_owned(),
        audit_logging: audit,
        anonymous_auth: anonymous,
    }
}

#[test]
fn audit_is_decided_by_metrics_then_flags_then_the_settings() {
    let on = assess(
        &inventory(&metrics(
            "apiserver_audit_event_total 5\napiserver_audit_level_total{level=\"Metadata\"} 5",
        )),
        None,
        Some(&declared(Some(false), None)),
    );
    assert_eq!(
        (on.audit.state, on.audit.evidence),
        ("on", Evidence::ApiServerMetrics)
    );
    let off = assess(
        &inventory(&metrics("apiserver_audit_event_total 0")),
        None,
        None,
    );
    assert_eq!(
        (off.audit.state, off.audit.evidence),
        ("off", Evidence::ApiServerMetrics)
    );
    // A scrape cut to other series says nothing; the pod's flags decide.
    let text = format!(
        "{}---\n{}",
        metrics("apiserver_storage_transformation_operations_total{resource=\"secrets\"} 1"),
        apiserver("kas:v1.37.2", &["--audit-log-path=/var/log/audit.log"])
    );
    let flags = assess(&inventory(&text), None, None);
    assert_eq!(
        (flags.audit.state, flags.audit.evidence),
        ("off", Evidence::ApiServerFlags)
    );
    // Nothing observed: the settings' declaration, shown as such.
    let nothing = assess(&Inventory::new(), None, None);
    assert_eq!(
        (nothing.audit.state, nothing.audit.evidence),
        ("unknown", Evidence::None)
    );
    let decl = assess(&Inventory::new(), None, Some(&declared(Some(true), None)));
    assert_eq!(
        (decl.audit.state, decl.audit.evidence),
        ("on", Evidence::Declared)
    );
    assert!(
        decl.audit.detail.contains("Declared by the settings (GKE)"),
        "{:?}",
        decl.audit
    );
}

#[test]
fn a_policy_that_recorded_nothing_yet_is_not_called_off() {
    let silent = assess(
        &inventory(&metrics(
            "apiserver_audit_event_total 0\napiserver_audit_level_total{level=\"None\"} 40",
        )),
        None,
        None,
    );
    assert_eq!(silent.audit.state, "unknown", "{:?}", silent.audit);
}

#[test]
fn anonymous_access_is_decided_by_the_probe_before_the_flags() {
    let both = format!(
        "{}---\n{}",
        probe("anonymous: {\"/version\": 401, \"/api\": 401}"),
        apiserver("kas:v1.37.2", &[])
    );
    let v = assess(&inventory(&both), None, None);
    assert_eq!(
        (v.anonymous.state, v.anonymous.evidence),
        ("disabled", Evidence::Probe)
    );
    let flags = assess(&inventory(&apiserver("kas:v1.37.2", &[])), None, None);
    assert_eq!(
        (flags.anonymous.state, flags.anonymous.evidence),
        ("enabled", Evidence::ApiServerFlags)
    );
    let exposed = assess(
        &inventory(&probe(
            "anonymous: {\"/version\": 200, \"/api/v1/pods?limit=1\": 200}",
        )),
        None,
        None,
    );
    assert_eq!(exposed.anonymous.state, "exposed");
    assert!(exposed.anonymous.detail.contains("/api/v1/pods?limit=1"));
    let decl = assess(&Inventory::new(), None, Some(&declared(None, Some(false))));
    assert_eq!(
        (decl.anonymous.state, decl.anonymous.evidence),
        ("disabled", Evidence::Declared)
    );
}

#[test]
fn the_api_server_version_comes_from_the_probe_before_the_image() {
    let text = format!(
        "{}---\n{}---\n{}---\n{}",
        probe("version: v1.37.1"),
        apiserver("registry.k8s.io/kube-apiserver:v1.30.2", &[]),
        node("a", "v1.37.2"),
        node("b", "v1.30.0")
    );
    let day = "2026-12-01".parse().ok();
    let v = assess(&inventory(&text), day, None).version;
    let api = v.apiserver.as_ref().expect("a version");
    assert_eq!(api.version.to_string(), "v1.37.1");
    assert_eq!(v.apiserver_evidence, Evidence::Probe);
    assert_eq!(v.whose(api), "The API server (read from /version)");
    assert_eq!(v.state("apiserver"), "patch-behind");
    assert_eq!(
        v.state("kubelet"),
        "end-of-life",
        "the worst kubelet counts"
    );
    assert_eq!(v.kubelets.len(), 2);
    let image_only = assess(
        &inventory(&apiserver(
            "registry.k8s.io/kube-apiserver:v1.37.2@sha256:ab",
            &[],
        )),
        day,
        None,
    );
    assert_eq!(
        image_only.version.apiserver_evidence,
        Evidence::ApiServerImage
    );
    assert_eq!(image_only.version.state("apiserver"), "current");
    assert_eq!(image_only.version.state("kubelet"), "unknown");
    let untagged = assess(
        &inventory(&apiserver("localhost:5000/kube-apiserver", &[])),
        day,
        None,
    );
    assert_eq!(
        untagged.version.apiserver_evidence,
        Evidence::None,
        "a port is not a tag"
    );
}

#[test]
fn end_of_life_follows_the_day_it_is_judged_on() {
    let text = probe("version: v1.37.2");
    let early = assess(&inventory(&text), "2027-10-27".parse().ok(), None);
    assert_eq!(early.version.state("apiserver"), "current");
    let late = assess(&inventory(&text), "2027-10-28".parse().ok(), None);
    assert_eq!(late.version.state("apiserver"), "end-of-life");
}

#[test]
fn declared_settings_read_from_yaml_and_refuse_unknown_keys() {
    let d: DeclaredControlPlane =
        serde_yaml_ng::from_str("platform: EKS\nauditLogging: true\n").expect("reads");
    assert_eq!(d.audit_logging, Some(true));
    assert!(
        serde_yaml_ng::from_str::<DeclaredControlPlane>("platform: EKS\naudit: true\n").is_err()
    );
}
