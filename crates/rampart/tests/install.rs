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

/// The Kubernetes objects' files directly in `dir` (documents with a kind), sorted,
/// without the kustomization itself.
fn object_files(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join(dir))
        .expect("the directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "kustomization.yaml"))
        .filter(|p| {
            let text = std::fs::read_to_string(p).expect("a manifest");
            yaml::documents(&text)
                .iter()
                .any(|d| d["kind"].is_string() && d["metadata"].is_object())
        })
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
        .collect();
    files.sort();
    files
}

fn resources(kustomization: &str) -> Vec<String> {
    yaml::document(&read(kustomization))["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r.as_str().expect("a path").to_owned())
        .collect()
}

/// `kubectl apply -k` installs exactly what the directories hold: a manifest added
/// without its line in a kustomization would never be applied.
#[test]
fn kustomizations_list_every_manifest() {
    let mut install = vec!["../crds".to_owned()];
    install.extend(object_files("manifests"));
    assert_eq!(resources("manifests/kustomization.yaml"), install);
    assert_eq!(resources("crds/kustomization.yaml"), object_files("crds"));
    let mut monitoring = resources("manifests/monitoring/kustomization.yaml");
    monitoring.sort();
    assert_eq!(monitoring, object_files("manifests/monitoring"));
}
