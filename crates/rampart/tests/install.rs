//! The install artefacts agree with the binary: the image runs the `rampart` binary as a
//! non-root user, is labelled and built per platform as the workspace says, and the
//! Deployment runs the operator as that user with restricted settings.

mod common;

use common::{TempDir, json, rampart};
use rampart_testkit::repo::{read, root};
use rampart_testkit::yaml;
use std::collections::BTreeMap;
use std::process::Command;

/// The Dockerfile's instructions, continuation lines joined, comments and blank lines left out.
fn instructions(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let line = line.trim();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head.trim_end());
                current.push(' ');
            }
            None => {
                current.push_str(line);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

/// `key = "value"` from a Cargo.toml, the first one.
fn toml_string(text: &str, key: &str) -> String {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .unwrap_or_else(|| panic!("no {key} in {text}"))
}

#[test]
fn dockerfile_builds_and_runs_this_binary_as_non_root() {
    let d = read("Dockerfile");
    assert!(d.contains("-p rampart"), "builds the rampart package");
    assert!(d.contains("COPY --from=build /rampart /usr/local/bin/rampart"));
    assert!(d.contains("ENTRYPOINT [\"/usr/local/bin/rampart\"]"));
    assert!(
        d.lines().any(|l| l.trim() == "USER 65532:65532"),
        "non-root user"
    );
    assert!(d.contains("CMD [\"operator\"]"));
}

/// The OCI labels of the final image name what the workspace declares: its licence, its
/// repository, the binary's description, and the crate version unless the build passes one.
#[test]
fn image_labels_follow_the_workspace() {
    let workspace = read("Cargo.toml");
    let crate_toml = read("crates/rampart/Cargo.toml");
    let all = instructions(&read("Dockerfile"));
    let last_from = all
        .iter()
        .rposition(|i| i.starts_with("FROM "))
        .expect("a FROM");
    let image = &all[last_from..];
    let version_arg = image
        .iter()
        .position(|i| i.starts_with("ARG VERSION="))
        .expect("ARG VERSION in the final stage");
    assert_eq!(
        image[version_arg],
        format!("ARG VERSION={}", toml_string(&workspace, "version"))
    );
    let label = image
        .iter()
        .position(|i| i.starts_with("LABEL "))
        .expect("a LABEL in the final stage");
    assert!(
        version_arg < label,
        "the version is declared before it is used"
    );
    let mut labels = BTreeMap::new();
    let mut rest = image[label].trim_start_matches("LABEL ").trim();
    while let Some((key, after)) = rest.split_once("=\"") {
        let (value, after) = after.split_once('"').expect("a closing quote");
        labels.insert(key.trim().to_owned(), value.to_owned());
        rest = after.trim();
    }
    assert!(rest.is_empty(), "every label is key=\"value\": {rest}");
    let oci = |k: &str| format!("org.opencontainers.image.{k}");
    let want = BTreeMap::from([
        (oci("description"), toml_string(&crate_toml, "description")),
        (oci("licenses"), toml_string(&workspace, "license")),
        (oci("source"), toml_string(&workspace, "repository")),
        (oci("title"), "rampart".to_owned()),
        (oci("version"), "${VERSION}".to_owned()),
    ]);
    assert_eq!(labels, want);
}

/// The build stage compiles for the platform buildx builds: the Dockerfile's own mapping,
/// run here, turns each `TARGETARCH` into its Rust musl target and refuses the others.
#[test]
fn dockerfile_compiles_for_the_target_architecture() {
    let all = instructions(&read("Dockerfile"));
    assert!(all.iter().any(|i| i == "ARG TARGETARCH"), "{all:#?}");
    let mapping = all
        .iter()
        .find(|i| i.starts_with("RUN ") && i.contains("> /rust-target"))
        .expect("the RUN that names the Rust target");
    let dir = TempDir::new("targetarch");
    let file = dir.0.join("rust-target");
    let script = mapping
        .trim_start_matches("RUN ")
        .replace("/rust-target", file.to_str().expect("path"));
    let target = |arch: &str| {
        let out = Command::new("sh")
            .args(["-c", &script])
            .env("TARGETARCH", arch)
            .output()
            .expect("run sh");
        out.status.success().then(|| {
            std::fs::read_to_string(&file)
                .expect("the target")
                .trim()
                .to_owned()
        })
    };
    assert_eq!(
        target("amd64").as_deref(),
        Some("x86_64-unknown-linux-musl")
    );
    assert_eq!(
        target("arm64").as_deref(),
        Some("aarch64-unknown-linux-musl")
    );
    assert_eq!(
        target("riscv64"),
        None,
        "an architecture without a target fails the build"
    );
    // The target named there is the one installed, built and copied out.
    let uses = |prefix: &str, needle: &str| {
        all.iter()
            .any(|i| i.starts_with(prefix) && i.contains(needle))
    };
    assert!(uses("RUN rustup target add", "\"$(cat /rust-target)\""));
    assert!(uses(
        "RUN target=\"$(cat /rust-target)\"",
        "--target \"$target\""
    ));
    assert!(uses(
        "RUN target=",
        "cp \"target/$target/release/rampart\" /rampart"
    ));
    assert!(
        !all.iter()
            .any(|i| i.contains("x86_64") && !i.contains("amd64)")),
        "x86_64 is named only in the mapping"
    );
}

/// `just image` prints a buildx command for both platforms with the crate version; where
/// `just` is not installed, the recipe's text says the same.
#[test]
fn just_image_renders_a_build_for_both_platforms() {
    let version = toml_string(&read("Cargo.toml"), "version");
    let platforms = "--platform linux/amd64,linux/arm64";
    let just = Command::new("just")
        .arg("--justfile")
        .arg(root().join("justfile"))
        .arg("--working-directory")
        .arg(root())
        .arg("image")
        .output();
    match just {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let command = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            assert_eq!(
                command,
                format!(
                    "docker buildx build {platforms} --build-arg VERSION={version} -t rampart:{version} ."
                )
            );
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let justfile = read("justfile");
            let recipe: String = justfile
                .split("\n\n")
                .find(|block| block.lines().any(|l| l.starts_with("image ")))
                .expect("an image recipe")
                .to_owned();
            assert!(
                recipe.contains(&format!("echo docker buildx build {platforms} ")),
                "{recipe}"
            );
            assert!(
                recipe.contains("--build-arg \"VERSION=$version\""),
                "{recipe}"
            );
            assert!(
                recipe.contains("sed -n 's/^version = \"\\(.*\\)\"$/\\1/p' Cargo.toml"),
                "{recipe}"
            );
        }
        Err(e) => panic!("run just: {e}"),
    }
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

/// Rampart's install, optional grants included, yields no finding on its own objects but
/// the one documented acceptance of its Secret list and watch.
#[test]
fn own_install_yields_only_its_documented_acceptance() {
    let manifests = root().join("manifests");
    let optional = manifests.join("optional");
    let mut args = vec!["scan".to_owned()];
    for f in object_files("manifests") {
        args.push(manifests.join(f).to_string_lossy().into_owned());
    }
    args.push(optional.to_string_lossy().into_owned());
    args.extend(["--format", "json"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = json(&rampart(&args));
    let open: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        // The one cluster-wide verdict the install cannot decide offline.
        .filter(|f| f["ruleId"] != "ENC005")
        .collect();
    assert!(open.is_empty(), "{open:#?}");
    let excepted: Vec<(String, String, String, String)> = v["excepted"]
        .as_array()
        .expect("excepted")
        .iter()
        .map(|x| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
            (
                s(&x["ruleId"]),
                format!(
                    "{} {}",
                    s(&x["resource"]["kind"]),
                    s(&x["resource"]["name"])
                ),
                s(&x["exception"]),
                s(&x["owner"]),
            )
        })
        .collect();
    assert_eq!(
        excepted,
        [(
            "RBAC005".to_owned(),
            "ClusterRole rampart".to_owned(),
            "rampart:own-secret-metadata".to_owned(),
            "rampart".to_owned()
        )]
    );
    let docs = std::fs::read_to_string(root().join("docs/exceptions.md")).expect("docs");
    assert!(
        docs.contains("## Rampart's own Secret grant"),
        "the acceptance is documented where its reason points"
    );
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
