//! NS001 pod-security-not-enforced.

use crate::model::identity::ObjectRef;
use crate::model::meta::Pairs;
use crate::rules::prelude::*;

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
    cluster_wide: false,
    check,
};

const PREFIX: &str = "pod-security.kubernetes.io/";

fn label<'a>(labels: &'a Pairs, key: &str) -> Option<&'a str> {
    labels.get(&format!("{PREFIX}{key}"))
}

/// What `warn`/`audit` add, for the message: they report but never reject. An invalid
/// level there fails open: the admission plugin evaluates it as `privileged`.
fn reporting_modes(labels: &Pairs) -> String {
    let modes: Vec<String> = ["warn", "audit"]
        .iter()
        .filter_map(|m| {
            label(labels, m).map(|l| match l {
                "privileged" | "baseline" | "restricted" => format!("{m}={l}"),
                _ => format!("{m}={l:?} (invalid, evaluated as privileged)"),
            })
        })
        .collect();
    match modes.as_slice() {
        [] => String::new(),
        [one] => format!(" ({one} only reports, it rejects nothing)"),
        many => format!(" ({} only report, they reject nothing)", many.join(" and ")),
    }
}

/// The minor number of a Pod Security version label, which must be `latest` or `v1.N`.
fn minor_version(v: &str) -> Option<u32> {
    let n = v.strip_prefix("v1.")?;
    // `v1.05` is invalid to the admission plugin; so is anything but digits.
    if n.is_empty() || (n.len() > 1 && n.starts_with('0')) || !n.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    n.parse().ok()
}

/// A pinned `enforce-version` older than the Kubernetes version the engine knows (checks added
/// since are not applied), or an invalid one (the admission plugin evaluates it as `latest`).
fn pinned_version(labels: &Pairs) -> String {
    let Some(v) = label(labels, "enforce-version") else {
        return String::new();
    };
    if v == "latest" {
        return String::new();
    }
    let current = minor_version(crate::model::bootstrap::KUBERNETES_VERSION);
    match minor_version(v) {
        None => format!("; enforce-version {v:?} is invalid and evaluated as latest"),
        Some(pinned) if current.is_some_and(|c| pinned < c) => {
            format!(
                "; enforce-version is pinned to the older {v}, so checks added since do not apply"
            )
        }
        Some(_) => String::new(),
    }
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in ctx.inventory.namespaces() {
        let name = &*ns.metadata.name;
        if !ctx.namespace_in_scope(name) {
            continue;
        }
        // The platform's own namespaces run privileged components by design.
        if ctx.settings.is_system_namespace(name) {
            continue;
        }
        let labels = &ns.metadata.labels;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Pairs {
        pairs
            .iter()
            .map(|(k, v)| (format!("{PREFIX}{k}"), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn reads_only_well_formed_versions() {
        assert_eq!(minor_version("v1.25"), Some(25));
        assert_eq!(minor_version("v1.0"), Some(0));
        assert_eq!(minor_version("v1.05"), None);
        assert_eq!(minor_version("1.25"), None);
        assert_eq!(minor_version("v1."), None);
        assert_eq!(minor_version("v2.1"), None);
        assert_eq!(minor_version("v1.2x"), None);
    }

    #[test]
    fn mentions_old_or_invalid_pins_only() {
        let pin = |v: &str| pinned_version(&labels(&[("enforce-version", v)]));
        assert!(pin("v1.25").contains("pinned to the older v1.25"));
        assert!(pin("1.25").contains("invalid and evaluated as latest"));
        assert_eq!(pin("latest"), "");
        assert_eq!(pin(crate::model::bootstrap::KUBERNETES_VERSION), "");
        assert_eq!(pin("v1.99"), "");
        assert_eq!(pinned_version(&Pairs::default()), "");
    }

    #[test]
    fn names_reporting_modes_and_their_fail_open_typos() {
        let l = labels(&[("warn", "restricted"), ("audit", "restrcted")]);
        let text = reporting_modes(&l);
        assert!(text.contains(
            "warn=restricted and audit=\"restrcted\" (invalid, evaluated as privileged)"
        ));
        assert!(text.contains("they reject nothing"));
        let one = labels(&[("audit", "restricted")]);
        assert_eq!(
            reporting_modes(&one),
            " (audit=restricted only reports, it rejects nothing)"
        );
        assert_eq!(reporting_modes(&Pairs::default()), "");
    }

    fn message(yaml: &str) -> String {
        let inv =
            crate::Inventory::from_manifest("test.yaml", yaml).expect("the test manifest reads");
        let eval = crate::evaluate_rules(&inv, &crate::Settings::default(), &[RULE]);
        eval.findings
            .into_iter()
            .map(|f| f.message)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn warn_only_namespace_says_nothing_is_enforced() {
        let m = message(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: \
             {pod-security.kubernetes.io/warn: restricted, pod-security.kubernetes.io/audit: restricted}\n",
        );
        assert_eq!(
            m,
            "Namespace shop has no pod-security.kubernetes.io/enforce label \
             (warn=restricted and audit=restricted only report, they reject nothing)"
        );
    }

    #[test]
    fn baseline_namespace_mentions_an_old_pin() {
        let m = message(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: \
             {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: v1.25}\n",
        );
        assert_eq!(
            m,
            "Namespace shop enforces baseline, not restricted; enforce-version is pinned to \
             the older v1.25, so checks added since do not apply"
        );
    }
}
