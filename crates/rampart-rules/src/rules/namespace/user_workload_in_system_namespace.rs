//! NS005 user-workload-in-system-namespace.

use crate::inventory::Workload;
use crate::model::meta::annotation::MIRROR_POD as MIRROR_ANNOTATION;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "NS005",
    name: "user-workload-in-system-namespace",
    title: "Workload that is not the platform's runs in a system namespace",
    category: Category::Namespace,
    severity: Severity::Medium,
    rationale: "kube-system holds the control plane's static pods and the add-ons that run \
        the cluster, under ServiceAccounts with broad rights and usually exempt from Pod \
        Security enforcement. A workload of one's own placed there runs next to those \
        credentials, outside the isolation, quotas and policies its own namespace would \
        have, and is easy to miss in a review: deploying into kube-system is a known way \
        to hide a foothold. The platform's own workloads (mirror pods of static pods, and \
        the add-ons the settings list in `systemWorkloads`) are not findings.",
    remediation: "Move the workload to a namespace of its own, with its own ServiceAccount, \
        Pod Security labels and NetworkPolicies. If it is a platform add-on, add its name \
        (or a prefix ending in `*`) to `systemWorkloads` in the settings.",
    references: &[
        nsa("Namespaces", "Use namespaces to isolate resources"),
        mitre("T1610", "Deploy Container"),
    ],
    cluster_wide: false,
    check,
};

/// A static pod's mirror: the kubelet creates it, owned by the Node.
fn is_mirror_pod(w: &Workload<'_>) -> bool {
    w.metadata.annotations.get(MIRROR_ANNOTATION).is_some()
        || w.metadata
            .controller
            .as_deref()
            .is_some_and(|c| c.kind == "Node")
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in ctx.namespaces() {
        if !ctx.settings.is_system_namespace(ns) {
            continue;
        }
        for w in ctx.workloads_in(ns).iter() {
            if is_mirror_pod(w) || ctx.settings.is_system_workload(&w.object.name) {
                continue;
            }
            emit.push(
                Draft::new(
                    w.object.clone(),
                    format!(
                        "{} runs in the system namespace {ns} but is not one of the platform's \
                         workloads (settings: systemWorkloads)",
                        w.object
                    ),
                )
                // About the user's object, though it sits in a platform namespace: the cap
                // for the platform's own findings does not apply.
                .system(false),
            );
        }
    }
}
