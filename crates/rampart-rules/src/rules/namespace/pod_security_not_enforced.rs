//! NS001 pod-security-not-enforced.

use crate::context::Context;
use crate::emit::{Draft, Emitter};
use crate::object::ObjectRef;
use crate::rule::{Category, Rule, Severity, cis, mitre, nsa};
use std::collections::BTreeMap;

pub const RULE: Rule = Rule {
    id: "NS001",
    name: "pod-security-not-enforced",
    title: "Namespace does not enforce the restricted Pod Security Standard",
    category: Category::Namespace,
    severity: Severity::High,
    rationale: "Pod Security admission only rejects pods in namespaces labelled \
        `pod-security.kubernetes.io/enforce`. Without the label (or with `privileged`), anyone who \
        may create pods there can run privileged containers, share the node's namespaces or mount \
        its filesystem, which is the short path from a pod to the node. `baseline` blocks those \
        known escalations but still allows running as root, privilege escalation and all default \
        capabilities; `restricted` is the goal. `warn` and `audit` labels only report. An invalid \
        level is evaluated as `restricted` by the admission plugin, but it is a typo to fix.",
    remediation: "Label the namespace `pod-security.kubernetes.io/enforce=restricted` (try it first \
        with `warn=restricted` and `kubectl label --dry-run=server` to see which running pods would \
        be rejected). Where a workload truly needs more, isolate it in its own namespace at \
        `baseline`, never `privileged`.",
    references: &[
        cis(
            "5.2.1",
            "Ensure that the cluster has at least one active policy control mechanism in place",
        ),
        nsa(
            "Pod security",
            "Use Pod Security admission to enforce the Pod Security Standards",
        ),
        mitre("T1611", "Escape to Host"),
    ],
    check,
};

const PREFIX: &str = "pod-security.kubernetes.io/";

fn label<'a>(labels: Option<&'a BTreeMap<String, String>>, key: &str) -> Option<&'a str> {
    labels
        .and_then(|l| l.get(&format!("{PREFIX}{key}")))
        .map(String::as_str)
}

/// What `warn`/`audit` add, for the message: they report but never reject.
fn reporting_modes(labels: Option<&BTreeMap<String, String>>) -> String {
    let modes: Vec<String> = ["warn", "audit"]
        .iter()
        .filter_map(|m| label(labels, m).map(|l| format!("{m}={l}")))
        .collect();
    if modes.is_empty() {
        String::new()
    } else {
        format!(
            " ({} only report, they reject nothing)",
            modes.join(" and ")
        )
    }
}

/// A pinned `enforce-version` older than the rules the engine knows.
fn pinned_version(labels: Option<&BTreeMap<String, String>>) -> String {
    match label(labels, "enforce-version") {
        Some(v) if v != "latest" && v != crate::bootstrap::KUBERNETES_VERSION => {
            format!("; enforce-version is pinned to {v}")
        }
        _ => String::new(),
    }
}

fn check(ctx: &Context<'_>, emit: &mut Emitter<'_>) {
    if !ctx.cluster_in_scope() {
        return;
    }
    for ns in ctx.inventory.namespaces() {
        let name = ns.metadata.name.as_deref().unwrap_or("");
        // The platform's own namespaces run privileged components by design.
        if ctx.settings.is_system_namespace(name) {
            continue;
        }
        let labels = ns.metadata.labels.as_ref();
        let (severity, state) = match label(labels, "enforce") {
            None => (
                Severity::High,
                "has no pod-security.kubernetes.io/enforce label".to_owned(),
            ),
            Some("privileged") => (
                Severity::High,
                "enforces the privileged level, which allows everything".to_owned(),
            ),
            Some("baseline") => (
                Severity::Medium,
                "enforces baseline, not restricted".to_owned(),
            ),
            Some("restricted") => continue,
            Some(other) => (
                Severity::Low,
                format!(
                    "has an invalid enforce level {other:?}, which Pod Security admission evaluates as restricted"
                ),
            ),
        };
        emit.push(
            Draft::new(
                ObjectRef::namespace(name),
                format!(
                    "Namespace {name} {state}{}{}",
                    reporting_modes(labels),
                    pinned_version(labels)
                ),
            )
            .path("metadata.labels")
            .severity(severity),
        );
    }
}
