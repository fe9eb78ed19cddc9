//! How the Pod Security rules report: one finding per workload and rule, at the level the
//! workload fails, with what the namespace's Pod Security labels make of it.
//!
//! A restricted control that replaces a baseline one (seccomp, capabilities, volume types,
//! procMount) reports only what the baseline rule does not already report, so that one
//! pod with `seccompProfile: Unconfined` is one high finding, not a high and a medium one.

use crate::analysis::pod_security::{Control, Level, Violation};
use crate::inventory::{Inventory, Workload};
use crate::rules::prelude::*;

const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

/// What a Pod Security rule reports.
pub struct PssRule {
    /// The controls the rule stands for, most severe level first; the first one the
    /// workload fails is reported.
    pub controls: &'static [Control],
    /// Leaves out a violation another rule reports (e.g. the baseline half of a pair).
    pub skip: for<'a> fn(&Context<'a>, &Workload<'a>, &Violation) -> bool,
    /// A severity other than the level's, e.g. critical for a hostPath of `/`.
    pub severity: fn(&Workload<'_>, &Violation) -> Option<Severity>,
    /// The pod-relative path of the field to fix, when it is not the first field the
    /// control names (e.g. the hostPath that makes the finding critical).
    pub path: fn(&Workload<'_>, &Violation) -> Option<String>,
}

pub fn never(_: &Context<'_>, _: &Workload<'_>, _: &Violation) -> bool {
    false
}

pub fn by_level(_: &Workload<'_>, _: &Violation) -> Option<Severity> {
    None
}

pub fn at_violation(_: &Workload<'_>, _: &Violation) -> Option<String> {
    None
}

/// Whether the workload also fails `control`: a restricted rule leaves such a workload to
/// the baseline rule of the same pair.
pub fn fails<'a>(ctx: &Context<'a>, w: &Workload<'a>, control: Control) -> bool {
    ctx.violation(control, w).is_some()
}

pub fn report(ctx: &Context<'_>, emit: &mut Emitter, rule: &PssRule) {
    let inv = ctx.inventory;
    for ns in ctx.namespaces() {
        let enforced = enforced_level(inv, ns);
        // Within a namespace, what its labels make of a failure varies with the level
        // failed and whether the workload is a pod: said once for each, not per finding.
        let mut said: [[Option<String>; 2]; 2] = Default::default();
        for w in ctx.workloads_in(ns).iter() {
            let found = rule.controls.iter().find_map(|c| ctx.violation(*c, w));
            let Some(v) = found else { continue };
            if (rule.skip)(ctx, w, &v) {
                continue;
            }
            let level = v.level();
            let severity = (rule.severity)(w, &v).unwrap_or(match level {
                Level::Baseline => Severity::High,
                Level::Restricted => Severity::Medium,
            });
            let pod = w.object.kind == "Pod";
            let consequence = said[usize::from(level == Level::Restricted)][usize::from(pod)]
                .get_or_insert_with(|| consequence(ns, pod, enforced, level));
            let message = message_about(&w.object, &[": ", &v.detail, "; ", consequence]);
            let path = match (rule.path)(w, &v) {
                Some(path) => object_path(w, &path),
                None => object_path(w, &v.path),
            };
            emit.push(
                Draft::new(w.object.clone(), message)
                    .path(path)
                    .severity(severity),
            );
        }
    }
}

/// The level a namespace enforces; `None` for none or `privileged`. An unknown level is
/// enforced as `restricted` by the admission plugin.
pub fn enforced_level(inv: &Inventory, ns: &str) -> Option<Level> {
    let label = inv.namespace(ns)?.metadata.labels.get(ENFORCE_LABEL)?;
    match label {
        "privileged" => None,
        "baseline" => Some(Level::Baseline),
        _ => Some(Level::Restricted),
    }
}

/// What the labels of namespace `ns`, which enforces `enforced`, mean for a workload that
/// fails `level`; `pod`: the workload is a pod, not a controller of pods.
pub fn consequence(ns: &str, pod: bool, enforced: Option<Level>, level: Level) -> String {
    match enforced {
        Some(e) if e >= level && pod => {
            format!("running although namespace {ns} enforces {e} (admitted before the label)")
        }
        Some(e) if e >= level => {
            format!("namespace {ns} enforces {e}, so the API server rejects the pods it creates")
        }
        _ => format!("would be rejected if enforce={level} were set on namespace {ns}"),
    }
}

/// A pod-relative path (`spec.…`, `metadata.…`) as a path in the workload's object.
pub fn object_path(w: &Workload<'_>, pod_path: &str) -> String {
    let spec_prefix = w.spec_path;
    if let Some(rest) = pod_path.strip_prefix("spec") {
        return [spec_prefix, rest].concat();
    }
    if let Some(rest) = pod_path.strip_prefix("metadata") {
        let outer = spec_prefix.strip_suffix("spec").unwrap_or("");
        return [outer, "metadata", rest].concat();
    }
    pod_path.to_owned()
}

#[cfg(test)]
mod tests {
    use crate::{Inventory, Settings, evaluate_rules, registry};

    fn messages(yaml: &str, rule: &str) -> Vec<(String, Option<String>)> {
        let inv = Inventory::from_manifest("test.yaml", yaml).expect("the test manifest reads");
        let rule = registry::find(rule).expect("rule");
        evaluate_rules(&inv, &Settings::default(), std::slice::from_ref(rule))
            .findings
            .into_iter()
            .map(|f| (f.message.into(), f.path.map(String::from)))
            .collect()
    }

    const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n---\n";

    #[test]
    fn running_pod_in_an_enforcing_namespace_was_admitted_before_the_label() {
        let yaml = format!(
            "{NAMESPACE}apiVersion: v1\nkind: Pod\nmetadata: {{name: old, namespace: shop}}\n\
             spec:\n  hostPID: true\n  containers: [{{name: c, image: x}}]\n"
        );
        let m = messages(&yaml, "POD002");
        assert_eq!(m.len(), 1);
        assert!(
            m[0].0.ends_with(
                "running although namespace shop enforces baseline (admitted before the label)"
            ),
            "{}",
            m[0].0
        );
        assert_eq!(m[0].1.as_deref(), Some("spec.hostPID"));
    }

    #[test]
    fn pods_sharing_a_spec_are_judged_by_their_own_annotations() {
        // The two pods' specs are equal, so the inventory holds one copy and the verdicts
        // of spec-only controls are reached once; AppArmor reads the annotations too.
        let pod = |name: &str, annotations: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop{annotations}}}\n\
                 spec:\n  containers: [{{name: app, image: x, securityContext: {{privileged: true}}}}]\n---\n"
            )
        };
        let yaml = format!(
            "{NAMESPACE}{}{}",
            pod(
                "plain",
                ", annotations: {container.apparmor.security.beta.kubernetes.io/app: runtime/default}"
            ),
            pod(
                "unconfined",
                ", annotations: {container.apparmor.security.beta.kubernetes.io/app: unconfined}"
            ),
        );
        let apparmor = messages(&yaml, "POD008");
        assert_eq!(apparmor.len(), 1, "{apparmor:?}");
        assert!(
            apparmor[0].0.starts_with("Pod shop/unconfined:"),
            "{apparmor:?}"
        );
        let privileged = messages(&yaml, "POD003");
        let objects: Vec<&str> = privileged
            .iter()
            .map(|(m, _)| m.split(':').next().unwrap_or(""))
            .collect();
        assert_eq!(objects, ["Pod shop/plain", "Pod shop/unconfined"]);
    }

    #[test]
    fn controller_in_an_enforcing_namespace_cannot_create_its_pods() {
        let yaml = format!(
            "{NAMESPACE}apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: shop}}\n\
             spec:\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n\
             \x20   spec:\n      containers: [{{name: c, image: x, securityContext: {{privileged: true}}}}]\n"
        );
        let m = messages(&yaml, "POD003");
        assert!(
            m[0].0.ends_with(
                "namespace shop enforces baseline, so the API server rejects the pods it creates"
            ),
            "{}",
            m[0].0
        );
        assert_eq!(
            m[0].1.as_deref(),
            Some("spec.template.spec.containers[0].securityContext.privileged")
        );
    }

    #[test]
    fn restricted_only_violation_names_the_level_that_would_reject_it() {
        let yaml = format!(
            "{NAMESPACE}apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: nightly, namespace: shop}}\n\
             spec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n\
             \x20         restartPolicy: Never\n          securityContext: {{runAsUser: 0}}\n\
             \x20         containers: [{{name: c, image: x}}]\n"
        );
        let m = messages(&yaml, "POD016");
        assert!(
            m[0].0
                .ends_with("would be rejected if enforce=restricted were set on namespace shop"),
            "{}",
            m[0].0
        );
        assert_eq!(
            m[0].1.as_deref(),
            Some("spec.jobTemplate.spec.template.spec.securityContext.runAsUser")
        );
    }
}
