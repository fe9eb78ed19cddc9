//! Every request the operator makes, as the RBAC verbs it needs. The install grants exactly
//! these and no more: a test holds the ClusterRole and the leader-election Role in
//! `manifests/` to this list, and the e2e tests run the operator under them, so a verb
//! missing here fails there with 403 and a verb granted but unused fails here.
//!
//! Server-side apply is a `patch`, and also needs `create` for the report it writes first;
//! a report written before is replaced (`update`).

use crate::watched::{KindVisitor, Watched, visit_kinds};
use kube::Resource;
use rampart_crd::{ClusterPostureException, ClusterPostureReport, PostureException, PostureReport};

/// Verbs on one resource, and where in the code they are used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub group: String,
    pub resource: String,
    pub verbs: &'static [&'static str],
    /// Cluster-wide (the ClusterRole) or in the operator's own namespace (the Role).
    pub cluster_wide: bool,
    pub used_by: &'static str,
}

fn access<K: Resource<DynamicType = ()>>(
    verbs: &'static [&'static str],
    cluster_wide: bool,
    used_by: &'static str,
) -> Access {
    Access {
        group: K::group(&()).into_owned(),
        resource: K::plural(&()).into_owned(),
        verbs,
        cluster_wide,
        used_by,
    }
}

/// Server-side apply of a kind's status subresource: a `patch` of `<plural>/status`.
fn status_of<K: Resource<DynamicType = ()>>(used_by: &'static str) -> Access {
    let mut a = access::<K>(&["patch"], true, used_by);
    a.resource.push_str("/status");
    a
}

struct Watches(Vec<Access>);

impl KindVisitor for Watches {
    fn visit<K: Watched>(&mut self) {
        self.0.push(access::<K>(
            &["list", "watch"],
            true,
            "collect: one watcher per kind (Secrets metadata-only)",
        ));
    }
}

/// What the operator requests, resource by resource.
pub fn required() -> Vec<Access> {
    let mut watches = Watches(Vec::new());
    visit_kinds(&mut watches);
    let mut all = watches.0;
    all.extend([
        access::<PostureReport>(
            &["get", "list", "watch", "create", "update", "patch"],
            true,
            "apply: Writer::load lists, server-side apply writes a new report; replace: \
             updates one written before, gets its metadata when someone changed it; \
             written: watches deletions",
        ),
        access::<ClusterPostureReport>(
            &["get", "list", "watch", "create", "update", "patch"],
            true,
            "apply: Writer::load gets, server-side apply writes the first; replace: updates \
             it after, gets its metadata when someone changed it; written: watches deletions",
        ),
        access::<PostureException>(
            &["list", "watch"],
            true,
            "declared: watches the exceptions teams declare",
        ),
        access::<ClusterPostureException>(
            &["list", "watch"],
            true,
            "declared: watches the exceptions declared cluster-wide",
        ),
        status_of::<PostureException>("exception_status: what Rampart made of each exception"),
        status_of::<ClusterPostureException>(
            "exception_status: what Rampart made of each exception",
        ),
        access::<k8s_openapi::api::events::v1::Event>(
            &["create"],
            true,
            "events: one event per finding change, or one summary",
        ),
        access::<k8s_openapi::api::coordination::v1::Lease>(
            &["get", "create", "patch"],
            false,
            "leader election (kube-lease-manager reads, creates and patches its Lease)",
        ),
    ]);
    all
}

/// What `--openreports` adds: the OpenReports copies of the reports, written as the
/// reports are (granted apart, by `manifests/optional/openreports-rbac.yaml`).
pub fn openreports() -> Vec<Access> {
    use crate::openreports::{OpenClusterReport, OpenReport};
    let used_by = "export: lists and watches the copies (labelled), server-side apply writes";
    vec![
        access::<OpenReport>(&["list", "watch", "create", "patch"], true, used_by),
        access::<OpenClusterReport>(&["list", "watch", "create", "patch"], true, used_by),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::rbac::v1::PolicyRule;
    use rampart_rules::Inventory;
    use std::collections::BTreeSet;

    type Grant = (bool, String, String, String);

    fn expand(cluster_wide: bool, rules: &[PolicyRule]) -> BTreeSet<Grant> {
        let mut out = BTreeSet::new();
        for rule in rules {
            assert!(
                rule.resource_names.is_none() && rule.non_resource_urls.is_none(),
                "{rule:?}"
            );
            for group in rule.api_groups.iter().flatten() {
                for resource in rule.resources.iter().flatten() {
                    for verb in &rule.verbs {
                        out.insert((cluster_wide, group.clone(), resource.clone(), verb.clone()));
                    }
                }
            }
        }
        out
    }

    /// The install's manifests, whatever their file names.
    fn install() -> Inventory {
        manifests_in("manifests")
    }

    /// The manifests of one directory of the repository.
    fn manifests_in(dir: &str) -> Inventory {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir);
        let mut text = String::new();
        for entry in std::fs::read_dir(&dir).expect("manifests/") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                text.push_str(&std::fs::read_to_string(&path).expect("a manifest"));
                text.push_str("\n---\n");
            }
        }
        Inventory::from_manifest("manifests/", &text).expect("the manifests read")
    }

    fn needed(all: Vec<Access>) -> BTreeSet<Grant> {
        let mut needed = BTreeSet::new();
        for a in all {
            for verb in a.verbs {
                needed.insert((
                    a.cluster_wide,
                    a.group.clone(),
                    a.resource.clone(),
                    (*verb).to_owned(),
                ));
            }
        }
        needed
    }

    #[test]
    fn the_openreports_grant_is_exactly_what_the_copies_use() {
        let inventory = manifests_in("manifests/optional");
        let role = inventory
            .cluster_role("rampart-openreports")
            .expect("the rampart-openreports ClusterRole");
        let granted = expand(true, &role.rules);
        assert_eq!(granted, needed(openreports()));
        assert!(
            inventory
                .cluster_role_bindings()
                .any(|b| b.role_ref.name == "rampart-openreports"),
            "the grant is bound"
        );
    }

    #[test]
    fn the_install_grants_exactly_the_verbs_the_operator_uses() {
        let inventory = install();
        let role = inventory
            .cluster_role("rampart")
            .expect("the rampart ClusterRole");
        let lease = inventory
            .role("rampart-system", "rampart-leader-election")
            .expect("the leader-election Role");
        let mut granted = expand(true, &role.rules);
        granted.extend(expand(false, &lease.rules));
        let needed = needed(required());
        let unused: Vec<_> = granted.difference(&needed).collect();
        let missing: Vec<_> = needed.difference(&granted).collect();
        assert!(unused.is_empty(), "granted but never used: {unused:?}");
        assert!(missing.is_empty(), "used but not granted: {missing:?}");
    }

    #[test]
    fn every_watched_kind_is_listed_and_watched_never_got() {
        let all = required();
        let secrets = all
            .iter()
            .find(|a| a.resource == "secrets")
            .expect("Secrets are watched");
        assert_eq!(secrets.group, "");
        assert_eq!(secrets.verbs, ["list", "watch"]);
        let served = rampart_rules::KINDS.iter().filter(|k| k.served()).count();
        // Every kind the engine reads, and the two exception kinds.
        assert_eq!(
            all.iter().filter(|a| a.verbs == ["list", "watch"]).count(),
            served + 2
        );
        assert!(
            all.iter()
                .filter(|a| a.group == "rampart.dev" && a.resource.ends_with("exceptions"))
                .all(|a| a.verbs == ["list", "watch"]),
            "an exception's spec is the team's: Rampart only reads it"
        );
    }
}
