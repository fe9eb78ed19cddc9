use super::*;
use crate::model::pod::Volume;
use k8s_openapi::api::core::v1 as api;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};

/// A pod spec as the engine keeps it, from its JSON.
fn spec(v: Value) -> PodSpec {
    let s: api::PodSpec = serde_json::from_value(v).expect("pod spec");
    PodSpec::from(s)
}

fn controls(level: Level, meta: Option<&Meta>, s: &PodSpec) -> Vec<Control> {
    check(level, meta, s)
        .into_iter()
        .map(|v| v.control)
        .collect()
}

/// A pod that passes restricted: the baseline for the cases below.
fn restricted_pod() -> Value {
    json!({
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "app", "securityContext": {
            "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]
    })
}

#[test]
fn restricted_pod_passes_both_levels() {
    let s = spec(restricted_pod());
    assert!(check(Level::Baseline, None, &s).is_empty());
    assert!(check(Level::Restricted, None, &s).is_empty());
    assert_eq!(admitted_level(None, &s), Some(Level::Restricted));
}

#[test]
fn bare_pod_is_baseline_but_fails_four_restricted_controls() {
    let s = spec(json!({"containers": [{"name": "app", "image": "app"}]}));
    assert!(check(Level::Baseline, None, &s).is_empty());
    assert_eq!(
        controls(Level::Restricted, None, &s),
        vec![
            Control::AllowPrivilegeEscalation,
            Control::RunAsNonRoot,
            Control::SeccompRestricted,
            Control::CapabilitiesRestricted
        ]
    );
    assert_eq!(admitted_level(None, &s), Some(Level::Baseline));
}

#[test]
fn init_containers_are_checked_and_come_first_in_paths() {
    let mut v = restricted_pod();
    v["initContainers"] = json!([{"name": "setup", "image": "x",
        "securityContext": {"privileged": true, "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]}}}]);
    v["containers"][0]["securityContext"]["privileged"] = json!(true);
    let s = spec(v);
    let b = check(Level::Baseline, None, &s);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].control, Control::Privileged);
    assert_eq!(
        b[0].path,
        "spec.initContainers[0].securityContext.privileged"
    );
    assert_eq!(b[0].containers, vec!["setup", "app"]);
    assert!(
        b[0].detail.contains(r#"containers "setup", "app""#),
        "{}",
        b[0].detail
    );
    assert_eq!(admitted_level(None, &s), None);
}

#[test]
fn ephemeral_containers_are_checked() {
    let mut v = restricted_pod();
    v["ephemeralContainers"] = json!([{"name": "debug", "image": "busybox",
        "securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}}}]);
    let s = spec(v);
    let b = check(Level::Baseline, None, &s);
    assert_eq!(b[0].control, Control::CapabilitiesBaseline);
    assert_eq!(
        b[0].path,
        "spec.ephemeralContainers[0].securityContext.capabilities.add"
    );
    // At restricted the capability control replaces the baseline one, and the ephemeral
    // container also lacks the other restricted settings.
    let r = controls(Level::Restricted, None, &s);
    assert!(r.contains(&Control::CapabilitiesRestricted));
    assert!(!r.contains(&Control::CapabilitiesBaseline));
    assert!(r.contains(&Control::AllowPrivilegeEscalation));
}

#[test]
fn seccomp_at_pod_level_covers_containers_and_container_level_overrides() {
    // Pod unset, one container sets it: the other container is implicitly unconfined.
    let s = spec(json!({
        "securityContext": {"runAsNonRoot": true},
        "containers": [
            {"name": "a", "image": "a", "securityContext": {"allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}},
            {"name": "b", "image": "b", "securityContext": {"allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]}}}]
    }));
    let r = check(Level::Restricted, None, &s);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].control, Control::SeccompRestricted);
    assert_eq!(r[0].containers, vec!["b"]);
    assert!(check(Level::Baseline, None, &s).is_empty());

    // Pod RuntimeDefault, a container explicitly Unconfined: baseline fails too.
    let mut v = restricted_pod();
    v["containers"][0]["securityContext"]["seccompProfile"] = json!({"type": "Unconfined"});
    let s = spec(v);
    assert_eq!(
        controls(Level::Baseline, None, &s),
        vec![Control::SeccompBaseline]
    );
    assert_eq!(
        controls(Level::Restricted, None, &s),
        vec![Control::SeccompRestricted]
    );

    // Pod Unconfined: every container inherits it.
    let mut v = restricted_pod();
    v["securityContext"]["seccompProfile"] = json!({"type": "Unconfined"});
    let b = check(Level::Baseline, None, &spec(v));
    assert_eq!(b[0].path, "spec.securityContext.seccompProfile.type");
}

#[test]
fn run_as_non_root_is_inherited_from_the_pod_and_overridden_by_containers() {
    let mut v = restricted_pod();
    v["initContainers"] = json!([{"name": "init", "image": "i", "securityContext": {
        "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]);
    assert!(check(Level::Restricted, None, &spec(v.clone())).is_empty());

    v["securityContext"]["runAsNonRoot"] = Value::Null;
    v["containers"][0]["securityContext"]["runAsNonRoot"] = json!(true);
    let r = check(Level::Restricted, None, &spec(v.clone()));
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].control, Control::RunAsNonRoot);
    assert_eq!(r[0].containers, vec!["init"]);

    v["securityContext"]["runAsNonRoot"] = json!(true);
    v["containers"][0]["securityContext"]["runAsNonRoot"] = json!(false);
    let r = check(Level::Restricted, None, &spec(v));
    assert_eq!(r[0].path, "spec.containers[0].securityContext.runAsNonRoot");
    assert!(r[0].detail.contains("runAsNonRoot=false"));
}

#[test]
fn user_namespaces_relax_root_and_proc_mount_but_not_at_restricted() {
    let mut v = restricted_pod();
    v["hostUsers"] = json!(false);
    v["securityContext"]["runAsNonRoot"] = json!(false);
    v["securityContext"]["runAsUser"] = json!(0);
    v["containers"][0]["securityContext"]["procMount"] = json!("Unmasked");
    let s = spec(v);
    assert!(check(Level::Baseline, None, &s).is_empty());
    assert_eq!(
        controls(Level::Restricted, None, &s),
        vec![Control::ProcMountRestricted]
    );
}

#[test]
fn windows_pods_skip_linux_only_restricted_controls() {
    let s = spec(json!({
        "os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "app", "image": "app"}]
    }));
    assert!(check(Level::Restricted, None, &s).is_empty());
    let s = spec(json!({
        "os": {"name": "windows"},
        "hostNetwork": true,
        "securityContext": {"windowsOptions": {"hostProcess": true}},
        "containers": [{"name": "app", "image": "app"}]
    }));
    let b = check(Level::Baseline, None, &s);
    assert_eq!(
        b.iter().map(|v| v.control).collect::<Vec<_>>(),
        vec![Control::WindowsHostProcess, Control::HostNamespaces]
    );
    assert_eq!(b[0].path, "spec.securityContext.windowsOptions.hostProcess");
    // Without os: windows, the Linux-only controls apply to a Windows-looking pod.
    let s = spec(json!({"securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "app", "image": "app"}]}));
    assert!(!check(Level::Restricted, None, &s).is_empty());
}

#[test]
fn apparmor_annotations_and_fields() {
    let meta: ObjectMeta = serde_json::from_value(json!({"annotations": {
        "container.apparmor.security.beta.kubernetes.io/app": "unconfined",
        "container.apparmor.security.beta.kubernetes.io/other": "localhost/custom"}}))
    .expect("meta");
    let meta = Meta::from(meta);
    let s = spec(restricted_pod());
    let b = check(Level::Baseline, Some(&meta), &s);
    assert_eq!(b.len(), 1);
    assert_eq!(
        b[0].path,
        "metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]"
    );
    let mut v = restricted_pod();
    v["securityContext"]["appArmorProfile"] = json!({"type": "Unconfined"});
    let b = check(Level::Baseline, None, &spec(v));
    assert_eq!(b[0].control, Control::AppArmorProfile);
    let mut v = restricted_pod();
    v["securityContext"]["appArmorProfile"] = json!({"type": "Localhost", "localhostProfile": "p"});
    assert!(check(Level::Baseline, None, &spec(v)).is_empty());
}

#[test]
fn host_paths_ports_probes_sysctls_and_selinux() {
    let mut v = restricted_pod();
    v["volumes"] = json!([{"name": "cfg", "configMap": {"name": "c"}},
        {"name": "root", "hostPath": {"path": "/"}}, {"name": "share", "nfs": {"server": "s", "path": "/x"}}]);
    v["containers"][0]["ports"] =
        json!([{"containerPort": 80}, {"containerPort": 443, "hostPort": 443}]);
    v["containers"][0]["readinessProbe"] = json!({"httpGet": {"port": 80, "host": "10.0.0.1"}});
    v["securityContext"]["sysctls"] = json!([{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"},
        {"name": "kernel.msgmax", "value": "1"}]);
    v["containers"][0]["securityContext"]["seLinuxOptions"] = json!({"type": "container_engine_t"});
    v["securityContext"]["seLinuxOptions"] = json!({"user": "system_u"});
    let s = spec(v);
    let b = check(Level::Baseline, None, &s);
    let paths: Vec<(&str, Control)> = b.iter().map(|v| (v.path.as_str(), v.control)).collect();
    assert_eq!(
        paths,
        vec![
            ("spec.volumes[1].hostPath", Control::HostPathVolumes),
            ("spec.containers[0].ports[1].hostPort", Control::HostPorts),
            (
                "spec.containers[0].readinessProbe.httpGet.host",
                Control::HostProbesAndLifecycle
            ),
            (
                "spec.securityContext.seLinuxOptions",
                Control::SeLinuxOptions
            ),
            ("spec.securityContext.sysctls[1]", Control::Sysctls),
        ]
    );
    let r = check(Level::Restricted, None, &s);
    let vols = r
        .iter()
        .find(|v| v.control == Control::RestrictedVolumes)
        .expect("restricted volumes");
    assert_eq!(vols.path, "spec.volumes[1]");
    assert!(vols.detail.contains(r#""share" (nfs)"#), "{}", vols.detail);
    assert!(!r.iter().any(|v| v.control == Control::HostPathVolumes));
}

#[test]
fn volume_without_a_source_is_an_allowed_empty_dir() {
    // The API server defaults it to emptyDir before admission.
    let v: api::Volume = serde_json::from_value(json!({"name": "bare"})).expect("volume");
    let v = Volume::from(v);
    assert_eq!(restricted_volume_type(&v), None);
}

#[test]
fn capabilities_restricted_allows_only_net_bind_service() {
    let mut v = restricted_pod();
    v["containers"][0]["securityContext"]["capabilities"] =
        json!({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]});
    assert!(check(Level::Restricted, None, &spec(v.clone())).is_empty());
    v["containers"][0]["securityContext"]["capabilities"] =
        json!({"drop": ["ALL"], "add": ["CHOWN"]});
    let s = spec(v);
    assert!(check(Level::Baseline, None, &s).is_empty());
    assert_eq!(
        controls(Level::Restricted, None, &s),
        vec![Control::CapabilitiesRestricted]
    );
}

#[test]
fn admission_reasons_map_back_to_controls_per_level() {
    for level in [Level::Baseline, Level::Restricted] {
        for c in Control::at(level) {
            assert_eq!(
                Control::from_admission_reason(c.admission_reason(), level),
                Some(c)
            );
        }
    }
    assert_eq!(
        Control::from_admission_reason("forbidden AppArmor profiles", Level::Baseline),
        Some(Control::AppArmorProfile)
    );
    assert_eq!(
        Control::from_admission_reason("seccompProfile", Level::Restricted),
        Some(Control::SeccompRestricted)
    );
    assert_eq!(Control::at(Level::Restricted).len(), 15);
}
