//! `rampart who-can` and `rampart can`: questions to the authorizer Rampart computes,
//! answered from manifests, the demo, or a live cluster.

use crate::cli::{CanArgs, Format, KubeArgs, WhoCanArgs};
use crate::source;
use anyhow::{Result, bail};
use k8s_openapi::api::rbac::v1::PolicyRule;
use rampart_rules::rbac::ResourceRequest;
use rampart_rules::rbac::{Escalations, Limits, Path};
use rampart_rules::rbac::{PRIVILEGED_GROUP, Permissions, SubjectKey, UserInfo};
use rampart_rules::{ObjectRef, Subject};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

/// What `who-can` asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Resource {
        group: String,
        resource: String,
        subresource: String,
    },
    Url(String),
}

/// API groups of well-known resources, so that `deployments` means `deployments.apps` as it
/// does for kubectl; anything else without a group is in the core group.
const KNOWN_GROUPS: &[(&str, &str)] = &[
    ("deployments", "apps"),
    ("statefulsets", "apps"),
    ("daemonsets", "apps"),
    ("replicasets", "apps"),
    ("controllerrevisions", "apps"),
    ("jobs", "batch"),
    ("cronjobs", "batch"),
    ("roles", "rbac.authorization.k8s.io"),
    ("rolebindings", "rbac.authorization.k8s.io"),
    ("clusterroles", "rbac.authorization.k8s.io"),
    ("clusterrolebindings", "rbac.authorization.k8s.io"),
    ("networkpolicies", "networking.k8s.io"),
    ("ingresses", "networking.k8s.io"),
    ("certificatesigningrequests", "certificates.k8s.io"),
    (
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
    ),
    (
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
    ),
    ("customresourcedefinitions", "apiextensions.k8s.io"),
];

/// Reads `pods`, `pods/exec`, `deployments.apps`, `deployments.apps/scale` or `/metrics`.
pub fn parse_target(s: &str) -> Result<Target> {
    if s.starts_with('/') {
        return Ok(Target::Url(s.to_owned()));
    }
    let (head, subresource) = match s.split_once('/') {
        Some((h, sub)) => (h, sub),
        None => (s, ""),
    };
    if head.is_empty() || subresource.contains('/') {
        bail!("cannot read resource {s:?}: expected RESOURCE[.GROUP][/SUBRESOURCE] or /URL");
    }
    let (resource, group) = match head.split_once('.') {
        Some((r, g)) => (r.to_owned(), g.to_owned()),
        None => {
            let g = KNOWN_GROUPS
                .iter()
                .find(|(r, _)| *r == head)
                .map_or("", |(_, g)| g);
            (head.to_owned(), g.to_owned())
        }
    };
    Ok(Target::Resource {
        group,
        resource,
        subresource: subresource.to_owned(),
    })
}

/// Reads `sa:NAMESPACE/NAME`, `user:NAME` or `group:NAME`.
pub fn parse_subject(s: &str) -> Result<Subject> {
    let Some((kind, rest)) = s.split_once(':') else {
        bail!("cannot read subject {s:?}: expected sa:NAMESPACE/NAME, user:NAME or group:NAME");
    };
    match kind {
        "sa" | "serviceaccount" => match rest.split_once('/') {
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() => Ok(Subject::ServiceAccount {
                namespace: ns.to_owned(),
                name: name.to_owned(),
            }),
            _ => bail!("cannot read subject {s:?}: a ServiceAccount is sa:NAMESPACE/NAME"),
        },
        "user" if !rest.is_empty() => Ok(Subject::User(rest.to_owned())),
        "group" if !rest.is_empty() => Ok(Subject::Group(rest.to_owned())),
        _ => {
            bail!("cannot read subject {s:?}: expected sa:NAMESPACE/NAME, user:NAME or group:NAME")
        }
    }
}

fn describe_target(t: &Target) -> String {
    match t {
        Target::Url(u) => u.clone(),
        Target::Resource {
            group,
            resource,
            subresource,
        } => {
            let mut s = resource.clone();
            if !group.is_empty() {
                s = format!("{s}.{group}");
            }
            if !subresource.is_empty() {
                s = format!("{s}/{subresource}");
            }
            s
        }
    }
}

pub fn who_can(args: &WhoCanArgs, kube: &KubeArgs) -> Result<ExitCode> {
    let target = parse_target(&args.resource)?;
    let inv = source::inventory(&args.source, kube, args.max_file_size)?;
    let perms = Permissions::from_inventory(&inv);
    let namespace = args.namespace.clone().unwrap_or_default();
    let name = args.name.clone().unwrap_or_default();
    let found = match &target {
        Target::Url(path) => perms.who_can_non_resource(&args.verb, path),
        Target::Resource {
            group,
            resource,
            subresource,
        } => perms.who_can(&ResourceRequest {
            verb: &args.verb,
            group,
            resource,
            subresource,
            namespace: &namespace,
            name: &name,
        }),
    };
    // One row per subject and binding, sorted by subject.
    let mut rows: Vec<(SubjectKey, ObjectRef, ObjectRef)> = Vec::new();
    for (binding, role, _, subjects) in &found {
        for s in subjects {
            rows.push((s.clone(), binding.to_ref(), role.to_ref()));
        }
    }
    rows.sort();
    let scope = match (&target, namespace.as_str()) {
        (Target::Url(_), _) => String::new(),
        (_, "") => " cluster-wide".to_owned(),
        (_, ns) => format!(" in namespace {ns}"),
    };
    let named = if name.is_empty() {
        String::new()
    } else {
        format!(" named {name}")
    };
    let question = format!("{} {}{named}{scope}", args.verb, describe_target(&target));
    let text = match args.format {
        Format::Json => {
            let allowed: Vec<_> = rows
                .iter()
                .map(|(s, b, r)| json!({"subject": s.to_subject().to_ref(), "binding": b, "role": r}))
                .collect();
            let mut v = serde_json::to_string_pretty(&json!({
                "question": question,
                "privilegedGroup": PRIVILEGED_GROUP,
                "allowed": allowed,
            }))?;
            v.push('\n');
            v
        }
        Format::Table | Format::Sarif => {
            let mut t = format!("Who can {question}:\n");
            let width = rows
                .iter()
                .map(|(s, _, _)| s.to_string().len())
                .max()
                .unwrap_or(0)
                .max(7);
            let bwidth = rows
                .iter()
                .map(|(_, b, _)| b.to_string().len())
                .max()
                .unwrap_or(0)
                .max(7);
            let _ = writeln!(t, "{:width$}  {:bwidth$}  ROLE", "SUBJECT", "BINDING");
            for (s, b, r) in &rows {
                let _ = writeln!(
                    t,
                    "{:width$}  {:bwidth$}  {r}",
                    s.to_string(),
                    b.to_string()
                );
            }
            let _ = writeln!(
                t,
                "{:width$}  (always allowed, by the privileged-group authorizer)",
                format!("Group {PRIVILEGED_GROUP}")
            );
            t
        }
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// A PolicyRule as people read it: `get, list on pods, pods/log (core) [a, b]`.
fn describe_rule(r: &PolicyRule) -> String {
    let verbs = r.verbs.join(", ");
    if let Some(urls) = r.non_resource_urls.as_ref().filter(|u| !u.is_empty()) {
        return format!("{verbs} on {}", urls.join(", "));
    }
    let resources = r.resources.as_deref().unwrap_or(&[]).join(", ");
    let groups: Vec<&str> = r
        .api_groups
        .iter()
        .flatten()
        .map(|g| if g.is_empty() { "core" } else { g.as_str() })
        .collect();
    let mut s = format!("{verbs} on {resources} ({})", groups.join(", "));
    if let Some(names) = r.resource_names.as_ref().filter(|n| !n.is_empty()) {
        let _ = write!(s, " only {}", names.join(", "));
    }
    s
}

fn path_json(p: &Path) -> serde_json::Value {
    let steps: Vec<_> = p
        .steps
        .iter()
        .map(|(step, to)| {
            let via: Vec<_> = step
                .via
                .iter()
                .map(|(rel, o)| json!({"relation": rel, "object": o}))
                .collect();
            json!({"action": step.action, "to": to.to_string(), "via": via})
        })
        .collect();
    json!(steps)
}

/// One binding's grant to the subject: its role, the key it names, the rules.
type Grants<'a> = (ObjectRef, SubjectKey, Vec<&'a PolicyRule>);

pub fn can(args: &CanArgs, kube: &KubeArgs) -> Result<ExitCode> {
    let subject = parse_subject(&args.subject)?;
    let inv = source::inventory(&args.source, kube, args.max_file_size)?;
    let perms = Permissions::from_inventory(&inv);
    let user = UserInfo::for_subject(&subject);
    // Grouped by where the grant applies (cluster first), then by binding.
    let mut groups: BTreeMap<(Option<String>, ObjectRef), Grants<'_>> = BTreeMap::new();
    for h in perms.held(&user) {
        let entry = groups
            .entry((h.namespace.map(str::to_owned), h.binding.to_ref()))
            .or_insert_with(|| (h.role.to_ref(), h.subject.clone(), Vec::new()));
        entry.2.push(h.rule);
    }
    let esc = Escalations::build_with(
        &inv,
        &perms,
        Limits::default(),
        std::slice::from_ref(&subject),
    );
    let admin = esc.path_to_cluster_admin(&subject);
    let (reachable, more) = esc.reachable(&subject, 256);
    let text = match args.format {
        Format::Json => {
            let grants: Vec<_> = groups
                .iter()
                .map(|((ns, b), (r, as_key, rules))| {
                    json!({
                        "namespace": ns, "binding": b, "role": r,
                        "as": as_key.to_subject().to_ref(), "rules": rules,
                    })
                })
                .collect();
            let reach: Vec<_> = reachable
                .iter()
                .map(|(s, p)| json!({"subject": s.to_ref(), "path": path_json(p)}))
                .collect();
            let mut v = serde_json::to_string_pretty(&json!({
                "subject": subject.to_ref(),
                "user": user.name,
                "groups": user.groups,
                "grants": grants,
                "clusterAdminPath": admin.as_ref().map(path_json),
                "reachable": reach,
                "searchTruncated": esc.truncated || more,
            }))?;
            v.push('\n');
            v
        }
        Format::Table | Format::Sarif => {
            let mut t = format!(
                "{subject} (authenticates as {:?} in groups {})\n",
                user.name,
                user.groups.join(", ")
            );
            if groups.is_empty() {
                t.push_str("\nNo binding grants it anything.\n");
            }
            let mut last_scope: Option<Option<String>> = None;
            for ((ns, b), (r, as_key, rules)) in &groups {
                if last_scope.as_ref() != Some(ns) {
                    match ns {
                        None => t.push_str("\nCluster-wide:\n"),
                        Some(n) => {
                            let _ = writeln!(t, "\nNamespace {n}:");
                        }
                    }
                    last_scope = Some(ns.clone());
                }
                let _ = writeln!(t, "  {b} -> {r} (as {as_key})");
                for rule in rules {
                    let _ = writeln!(t, "    {}", describe_rule(rule));
                }
            }
            t.push_str("\nEscalation:\n");
            match &admin {
                Some(p) if p.steps.len() == 1 && p.steps[0].0.direct => {
                    let _ = writeln!(t, "  is cluster-admin: {}", p.describe());
                }
                Some(p) => {
                    let _ = writeln!(t, "  can make itself cluster-admin: {}", p.describe());
                }
                None => t.push_str("  no path to cluster-admin found\n"),
            }
            for (s, p) in &reachable {
                let _ = writeln!(t, "  can act as {s}: {}", p.describe());
            }
            if esc.truncated || more {
                t.push_str("  (the search hit its work bound: there may be more paths)\n");
            }
            t
        }
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_like_kubectl() {
        assert_eq!(
            parse_target("pods/exec").ok(),
            Some(Target::Resource {
                group: String::new(),
                resource: "pods".into(),
                subresource: "exec".into()
            })
        );
        assert_eq!(
            parse_target("deployments").ok(),
            parse_target("deployments.apps").ok()
        );
        assert_eq!(
            parse_target("/metrics").ok(),
            Some(Target::Url("/metrics".into()))
        );
        assert!(parse_target("a/b/c").is_err());
        assert!(parse_target("/x").is_ok());
    }

    #[test]
    fn subjects_read_with_their_kind() {
        assert!(matches!(
            parse_subject("sa:ci/deployer"),
            Ok(Subject::ServiceAccount { .. })
        ));
        assert!(matches!(parse_subject("user:alice"), Ok(Subject::User(_))));
        assert!(matches!(parse_subject("group:dev"), Ok(Subject::Group(_))));
        assert!(parse_subject("sa:nonamespace").is_err());
        assert!(parse_subject("alice").is_err());
        assert!(parse_subject("user:").is_err());
    }
}
