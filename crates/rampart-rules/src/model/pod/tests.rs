use super::*;
use crate::model::object::{Decoded, Object, decode};
use serde_json::json;

fn decoded(value: serde_json::Value) -> Object {
    match decode(value) {
        Ok(Decoded::Object(o)) => *o,
        other => panic!("expected an object, got {other:?}"),
    }
}

fn pod(value: serde_json::Value) -> Pod {
    match decoded(value) {
        Object::Pod(p) => p,
        other => panic!("expected a pod, got {other:?}"),
    }
}

#[test]
fn a_container_keeps_what_the_rules_read_in_the_order_they_read_it() {
    let p = pod(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a"},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.29",
            "securityContext": {"privileged": true},
            "ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 0},
                      {"containerPort": 82, "hostPort": 8082}],
            "livenessProbe": {"tcpSocket": {"port": 1, "host": "10.0.0.1"}},
            "readinessProbe": {"httpGet": {"port": 1, "host": ""}},
            "startupProbe": {"httpGet": {"port": 1, "host": "example.com"},
                             "tcpSocket": {"port": 1, "host": "10.0.0.2"}},
            "lifecycle": {"preStop": {"httpGet": {"port": 1, "host": "hook.example"}}},
            "env": [{"name": "PLAIN", "value": "x"},
                    {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}},
                    {"name": "FIELD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            "envFrom": [{"configMapRef": {"name": "cm"}}, {"secretRef": {"name": "all"}}]}]}}));
    let spec = p.spec.expect("a spec");
    let c = &spec.containers[0];
    assert_eq!(c.name, "app");
    assert_eq!(c.image.as_deref(), Some("nginx:1.29"));
    assert_eq!(
        c.security_context.as_ref().and_then(|s| s.privileged),
        Some(true)
    );
    assert_eq!(
        *c.host_ports,
        [HostPort {
            index: 2,
            port: 8082
        }]
    );
    let hooks: Vec<String> = c
        .hook_hosts
        .iter()
        .map(|h| format!("{}.{}={}", h.field, h.handler, h.host))
        .collect();
    assert_eq!(
        hooks,
        [
            "livenessProbe.tcpSocket=10.0.0.1",
            "startupProbe.httpGet=example.com",
            "startupProbe.tcpSocket=10.0.0.2",
            "lifecycle.preStop.httpGet=hook.example",
        ]
    );
    assert_eq!(
        *c.secret_env,
        [SecretEnv {
            index: 1,
            name: "PASSWORD".to_owned(),
            secret: "db".to_owned(),
            key: "pw".to_owned()
        }]
    );
    assert_eq!(
        *c.secret_env_from,
        [SecretEnvFrom {
            index: 1,
            secret: "all".to_owned()
        }]
    );
    assert!(!format!("{c:?}").contains("PLAIN"), "{c:?}");
}

#[test]
fn volumes_keep_their_source_types_host_path_and_token_projection() {
    let p = pod(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a"},
        "spec": {"containers": [{"name": "c"}], "volumes": [
            {"name": "root", "hostPath": {"path": "/"}},
            {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
            {"name": "cm", "projected": {"sources": [{"configMap": {"name": "x"}}]}},
            {"name": "nfs", "nfs": {"server": "s", "path": "/x"}},
            {"name": "bare"}]}}));
    let spec = p.spec.expect("a spec");
    let volumes = &spec.volumes;
    let summary: Vec<(String, Vec<&str>, Option<String>, bool)> = volumes
        .iter()
        .map(|v| {
            let types = [
                VolumeType::HostPath,
                VolumeType::Projected,
                VolumeType::Nfs,
                VolumeType::EmptyDir,
            ]
            .into_iter()
            .filter(|t| v.has(*t))
            .map(VolumeType::field)
            .collect();
            (
                v.name.clone(),
                types,
                v.host_path.clone(),
                v.projects_service_account_token,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "root".to_owned(),
                vec!["hostPath"],
                Some("/".to_owned()),
                false
            ),
            ("token".to_owned(), vec!["projected"], None, true),
            ("cm".to_owned(), vec!["projected"], None, false),
            ("nfs".to_owned(), vec!["nfs"], None, false),
            ("bare".to_owned(), vec!["emptyDir"], None, false),
        ]
    );
}

#[test]
fn only_control_plane_static_pods_keep_their_command_line() {
    let with = |labels: serde_json::Value| {
        pod(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "kube-system", "labels": labels},
            "spec": {"containers": [{"name": "sidecar", "args": ["--x"]},
                {"name": "kube-apiserver", "command": ["kube-apiserver"], "args": ["--a=1"]}]}}))
    };
    let api = with(json!({"component": "kube-apiserver"}));
    let line = api.control_plane.expect("the API server's command line");
    assert_eq!(line.component, Component::ApiServer);
    assert_eq!(line.container, 1);
    assert_eq!(
        line.words().collect::<Vec<_>>(),
        ["kube-apiserver", "--a=1"]
    );
    assert_eq!(with(json!({"app": "web"})).control_plane, None);
    assert_eq!(with(json!({"component": "kube-proxy"})).control_plane, None);
    let etcd = with(json!({"component": "etcd"}))
        .control_plane
        .expect("etcd's command line");
    assert_eq!(
        (etcd.component, etcd.container),
        (Component::Etcd, 0),
        "no container is named etcd: the first one runs it"
    );
}

#[test]
fn what_no_rule_reads_is_dropped_on_the_way_in() {
    let p = pod(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"huge\": true}",
                            "container.apparmor.security.beta.kubernetes.io/c": "unconfined"},
            "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
            "uid": "0b5e7c1e-0000-4000-8000-000000000001", "generateName": "p-",
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u1", "controller": true},
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "other", "uid": "u2"}]},
        "spec": {"containers": [{"name": "c"}]},
        "status": {"phase": "Running"}}));
    assert_eq!(
        p.metadata
            .annotations
            .iter()
            .map(|(k, _)| k)
            .collect::<Vec<_>>(),
        ["container.apparmor.security.beta.kubernetes.io/c"]
    );
    let owner = p.metadata.controller.as_deref();
    assert_eq!(
        owner.map(|c| (c.kind.as_str(), &*c.name)),
        Some(("ReplicaSet", "web-1")),
        "only the controller is kept"
    );
    let role = decoded(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "r", "namespace": "a",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}}),
    );
    let Object::Role(role) = role else {
        panic!("not a role: {role:?}")
    };
    assert_eq!(
        role.metadata.annotations,
        Default::default(),
        "the last-applied copy is dropped"
    );
}

#[test]
fn controllers_keep_their_pod_template_wherever_the_kind_nests_it() {
    let template = json!({"metadata": {"labels": {"app": "web"}},
        "spec": {"serviceAccountName": "web", "containers": [{"name": "c"}]}});
    let docs = [
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "a"},
            "spec": {"selector": {}, "template": template}}),
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r", "namespace": "a"},
            "spec": {"selector": {}, "template": template}}),
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "a"},
            "spec": {"template": template}}),
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "a"},
            "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}}),
    ];
    for doc in docs {
        let o = decoded(doc);
        let kind = o.kind();
        let c = match o {
            Object::Deployment(c) | Object::ReplicaSet(c) | Object::Job(c) | Object::CronJob(c) => {
                c
            }
            other => panic!("not a controller: {other:?}"),
        };
        let t = c.template.expect(kind);
        let labels = t.metadata.map(|m| m.labels).expect(kind);
        assert_eq!(labels.get("app"), Some("web"), "{kind}");
        let spec = t.spec.expect(kind);
        assert_eq!(spec.service_account_name.as_deref(), Some("web"), "{kind}");
        assert_eq!(spec.containers.len(), 1, "{kind}");
    }
    let bare = decoded(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "r", "namespace": "a"}, "spec": {"selector": {}}}));
    assert!(matches!(
        bare,
        Object::ReplicaSet(PodController { template: None, .. })
    ));
}

#[test]
fn credentials_are_noted_by_name_and_reason_and_their_values_dropped() {
    let p = pod(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a"},
        "spec": {"containers": [{"name": "app",
            "resources": {"limits": {"memory": "64Mi"}},
            "env": [{"name": "MODE", "value": "fast"},
                    {"name": "API_TOKEN", "value": "tok-9f8e7d6c5b4a"}]}]}}));
    let spec = p.spec.expect("a spec");
    let c = &spec.containers[0];
    assert_eq!(
        *c.credential_env,
        [CredentialEnv {
            index: 1,
            name: "API_TOKEN".to_owned(),
            why: "its name says it holds a secret"
        }]
    );
    assert_eq!(
        c.limits,
        Limits {
            cpu: false,
            memory: true
        }
    );
    assert!(!format!("{c:?}").contains("tok-9f8e7d6c5b4a"), "{c:?}");
}

#[test]
fn the_deprecated_serviceaccount_field_names_the_serviceaccount_when_alone() {
    let spec_of = |spec: serde_json::Value| {
        pod(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "a"}, "spec": spec}))
        .spec
        .expect("a spec")
    };
    let alone = spec_of(json!({"containers": [], "serviceAccount": "old"}));
    assert_eq!(alone.service_account_name.as_deref(), Some("old"));
    assert_eq!(alone.deprecated_service_account.as_deref(), Some("old"));
    let both = spec_of(json!({"containers": [], "serviceAccount": "old",
        "serviceAccountName": "new"}));
    assert_eq!(both.service_account_name.as_deref(), Some("new"));
    assert_eq!(both.deprecated_service_account.as_deref(), Some("old"));
    let current = spec_of(json!({"containers": [], "serviceAccountName": "new"}));
    assert_eq!(current.deprecated_service_account, None);
    // What the API server returns for every stored pod.
    let echoed = spec_of(json!({"containers": [], "serviceAccount": "new",
        "serviceAccountName": "new"}));
    assert_eq!(echoed.deprecated_service_account, None);
}

#[test]
fn pods_with_the_same_containers_share_them_and_keep_their_own_metadata() {
    let replica = |name: &str, image: &str| {
        pod(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "a", "labels": {"app": "web"}},
            "spec": {"securityContext": {"runAsNonRoot": true},
                     "containers": [{"name": "app", "image": image,
                                     "securityContext": {"privileged": true}}]}}))
    };
    let (a, b, other) = (
        replica("web-1", "web:1"),
        replica("web-2", "web:1"),
        replica("web-3", "web:2"),
    );
    let spec = |p: &Pod| p.spec.clone().expect("spec");
    let (sa, sb, so) = (spec(&a), spec(&b), spec(&other));
    assert!(Arc::ptr_eq(&sa.containers, &sb.containers));
    assert!(!Arc::ptr_eq(&sa.containers, &so.containers));
    assert_eq!(so.containers[0].image.as_deref(), Some("web:2"));
    let context = |s: &PodSpec| s.security_context.clone().expect("context");
    assert!(Arc::ptr_eq(&context(&sa), &context(&so)));
    // The whole spec and the labels too, where they are the same.
    assert!(Arc::ptr_eq(&sa, &sb));
    assert!(!Arc::ptr_eq(&sa, &so));
    assert_eq!((&*a.metadata.name, &*b.metadata.name), ("web-1", "web-2"));
}
