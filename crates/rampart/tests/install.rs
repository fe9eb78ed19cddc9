//! The install artefacts agree with the binary: the image runs the `rampart` binary as a
//! non-root user, and the Deployment runs the operator as that user with restricted settings.

mod common;

use common::{json, rampart};
use rampart_testkit::repo::{read, root};
use rampart_testkit::yaml;

#[test]
fn dockerfile_builds_and_runs_this_binary_as_non_root() {
    let d = read("Dockerfile");
    assert!(d.contains("-p rampart"), "builds the rampart package");
    assert!(d.contains("release/rampart /usr/local/bin/rampart"));
    assert!(d.contains("ENTRYPOINT [\"/usr/local/bin/rampart\"]"));
    assert!(
        d.lines().any(|l| l.trim() == "USER 65532:65532"),
        "non-root user"
    );
    assert!(d.contains("CMD [\"operator\"]"));
}

#[test]
fn deployment_runs_the_operator_non_root_read_only() {
    let y = yaml::document(&read("manifests/30-deployment.yaml"));
    let pod = &y["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["runAsUser"], 65532);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let c = &pod["containers"][0];
    assert_eq!(c["args"][0], "operator");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["securityContext"]["capabilities"]["drop"][0], "ALL");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert!(c["resources"]["limits"]["memory"].is_string());
    // The token goes only where in-cluster clients read it, through an explicit projection.
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(
        c["volumeMounts"][0]["mountPath"],
        "/var/run/secrets/kubernetes.io/serviceaccount"
    );
    let sources = &pod["volumes"][0]["projected"]["sources"];
    assert_eq!(sources[0]["serviceAccountToken"]["path"], "token");
    assert_eq!(sources[1]["configMap"]["name"], "kube-root-ca.crt");
}

#[test]
fn own_manifests_pass_every_workload_rule() {
    let manifests = root().join("manifests");
    let out = rampart(&[
        "scan",
        manifests.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    let v = json(&out);
    assert!(v["scanned"]["Deployment"].as_u64() > Some(0), "{v}");
    let workload: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["category"] == "workload")
        .collect();
    assert!(workload.is_empty(), "{workload:#?}");
}
