//! The shared shape of "dangerous permission" rules: find where a permission is granted
//! and report it where it can be fixed.
//!
//! - A custom Role or ClusterRole that grants it is reported on the role, with the
//!   bindings and subjects that use it as related objects; an unbound role is at most `low`.
//! - A built-in ClusterRole (bootstrap policy, or one filled by aggregation) cannot be
//!   fixed; a binding that gives it to a subject other than the platform's own is
//!   reported on the binding instead.
//! - Cluster-scoped permissions (nodes, PersistentVolumes, webhook configurations, CSR
//!   approval, impersonating users and groups) can only be granted by a ClusterRoleBinding:
//!   rules for them judge ClusterRoles through their ClusterRoleBindings and ignore Roles
//!   and RoleBindings, which cannot grant them.
//! - A role that allows everything (`*` verbs, resources and groups) is left to RBAC001
//!   and the wildcard rules: listing each dangerous permission it implies would bury the
//!   one finding that matters under a dozen that say the same.

use crate::analysis::rbac::matching::{Permission, is_full_wildcard};
use crate::inventory::Binding;
use crate::model::identity::RoleKey;
use crate::model::identity::{ObjectRef, Subject};
use crate::model::meta::Meta;
use crate::model::shared::Shared;
use crate::rules::prelude::*;
use k8s_openapi::api::rbac::v1::PolicyRule;
use std::collections::HashMap;

/// What a rule's matcher found in a list of PolicyRules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// Human wording of the grant, e.g. `list, watch on secrets`.
    pub what: String,
    /// Index of the PolicyRule that grants it (the first, when several do).
    pub rule_index: usize,
    /// A severity other than the rule's default (e.g. narrowed by `resourceNames`).
    pub severity: Option<Severity>,
}

/// Most subjects a message names before it says "and N more".
const MAX_NAMED: usize = 3;

/// Whether an object carries the label the API server puts on the bootstrap policy.
pub fn bootstrap_labelled(meta: &Meta) -> bool {
    let (k, v) = crate::model::bootstrap::BOOTSTRAP_LABEL;
    meta.labels.get(k) == Some(v)
}

/// Whether a ClusterRole is the platform's, not the user's: bootstrap-labelled, known only from
/// the embedded bootstrap policy, or filled by aggregation (its constituents are judged instead).
pub fn is_builtin_cluster_role(ctx: &Context<'_>, name: &str) -> bool {
    let inv = ctx.inventory;
    match inv.cluster_role(name) {
        Some(r) => bootstrap_labelled(&r.metadata) || r.aggregation_rule.is_some(),
        None => inv.is_bootstrap_only(name),
    }
}

/// Subjects named in a message: the first few, then a count.
pub fn describe_subjects(subjects: &[Subject]) -> String {
    if subjects.is_empty() {
        return "no subject".to_owned();
    }
    let mut s: Vec<String> = subjects
        .iter()
        .take(MAX_NAMED)
        .map(|x| x.to_string())
        .collect();
    if subjects.len() > MAX_NAMED {
        s.push(format!("{} more", subjects.len() - MAX_NAMED));
    }
    s.join(", ")
}

/// Runs `matcher` over every role and binding in scope and reports as the module doc says.
pub fn report_grants(
    ctx: &Context<'_>,
    emit: &mut Emitter,
    matcher: &dyn Fn(&[PolicyRule]) -> Option<Matched>,
) {
    report(
        ctx,
        emit,
        matcher,
        Mode {
            builtin_bindings: true,
            cluster_scoped: false,
        },
    );
}

/// Like [`report_grants`], for permissions on cluster-scoped resources.
pub fn report_cluster_grants(
    ctx: &Context<'_>,
    emit: &mut Emitter,
    matcher: &dyn Fn(&[PolicyRule]) -> Option<Matched>,
) {
    report(
        ctx,
        emit,
        matcher,
        Mode {
            builtin_bindings: true,
            cluster_scoped: true,
        },
    );
}

/// Like [`report_grants`], for rules about how a role is written rather than what it
/// grants: built-in roles are written by the platform and their bindings are left alone.
pub fn report_custom_roles(
    ctx: &Context<'_>,
    emit: &mut Emitter,
    matcher: &dyn Fn(&[PolicyRule]) -> Option<Matched>,
) {
    report(
        ctx,
        emit,
        matcher,
        Mode {
            builtin_bindings: false,
            cluster_scoped: false,
        },
    );
}

#[derive(Clone, Copy)]
struct Mode {
    /// Also report bindings of built-in roles (permission rules, not style rules).
    builtin_bindings: bool,
    /// The permission is on cluster-scoped resources: only ClusterRoleBindings grant it.
    cluster_scoped: bool,
}

/// A matcher's verdict on each list of PolicyRules, reached once per list: the Roles a
/// chart installs in every namespace share one list (the inventory holds equal lists
/// once), and every binding of a built-in ClusterRole reads that role's.
struct Memo<'a, 'm> {
    matcher: &'m dyn Fn(&[PolicyRule]) -> Option<Matched>,
    /// By the list's address and length: lists borrowed from the inventory for `'a`
    /// cannot move or be freed while this lives.
    seen: HashMap<(*const PolicyRule, usize), Option<Matched>>,
    lists: std::marker::PhantomData<&'a [PolicyRule]>,
}

impl<'a, 'm> Memo<'a, 'm> {
    fn new(matcher: &'m dyn Fn(&[PolicyRule]) -> Option<Matched>) -> Self {
        Memo {
            matcher,
            seen: HashMap::new(),
            lists: std::marker::PhantomData,
        }
    }

    fn matched(&mut self, rules: &'a [PolicyRule]) -> Option<Matched> {
        let matcher = self.matcher;
        self.seen
            .entry((rules.as_ptr(), rules.len()))
            .or_insert_with(|| matcher(rules))
            .clone()
    }
}

fn report(
    ctx: &Context<'_>,
    emit: &mut Emitter,
    matcher: &dyn Fn(&[PolicyRule]) -> Option<Matched>,
    mode: Mode,
) {
    let inv = ctx.inventory;
    let matcher = &mut Memo::new(matcher);
    let builtin_bindings = mode.builtin_bindings;
    let namespaces: Box<dyn Iterator<Item = &str>> = if mode.cluster_scoped {
        Box::new(std::iter::empty())
    } else {
        ctx.namespaces()
    };
    for ns in namespaces {
        for role in inv.roles_in(ns) {
            let name = &*role.metadata.name;
            let key = RoleKey::Role {
                namespace: Shared::new(ns),
                name: Shared::new(name),
            };
            let rules = &role.rules[..];
            if builtin_bindings && rules.iter().any(is_full_wildcard) {
                continue;
            }
            report_role(ctx, emit, &key, &role.metadata, rules, matcher, false);
        }
        if builtin_bindings {
            for b in inv.role_bindings_in(ns) {
                report_builtin_binding(ctx, emit, &b, matcher);
            }
        }
    }
    if ctx.cluster_in_scope() {
        for role in inv.cluster_roles() {
            let name = &*role.metadata.name;
            if is_builtin_cluster_role(ctx, name) {
                continue;
            }
            let key = RoleKey::ClusterRole(Shared::new(name));
            let rules = &role.rules[..];
            if builtin_bindings && rules.iter().any(is_full_wildcard) {
                continue;
            }
            report_role(
                ctx,
                emit,
                &key,
                &role.metadata,
                rules,
                matcher,
                mode.cluster_scoped,
            );
        }
        if builtin_bindings {
            for b in inv.cluster_role_bindings() {
                report_builtin_binding(ctx, emit, &b, matcher);
            }
        }
    }
}

fn report_role<'a>(
    ctx: &Context<'a>,
    emit: &mut Emitter,
    key: &RoleKey,
    meta: &Meta,
    rules: &'a [PolicyRule],
    matcher: &mut Memo<'a, '_>,
    cluster_scoped: bool,
) {
    let Some(m) = matcher.matched(rules) else {
        return;
    };
    let role = key.to_ref();
    let mut draft =
        Draft::new(role.clone(), String::new()).path(format!("rules[{}]", m.rule_index));
    let mut subjects: Vec<Subject> = Vec::new();
    let mut namespaced_only = false;
    for b in ctx.bindings_to(key) {
        if cluster_scoped && b.namespace.is_some() {
            namespaced_only = true;
            continue;
        }
        draft = draft.related("binding", b.to_ref());
        for s in b.subjects() {
            if !subjects.contains(&s) {
                subjects.push(s);
            }
        }
    }
    subjects.sort();
    for s in &subjects {
        draft = draft.related("subject", s.to_ref());
    }
    let mut severity = m.severity.unwrap_or(emit.default_severity());
    let message = if subjects.is_empty() {
        severity = severity.min(Severity::Low);
        let state = if namespaced_only {
            "it is bound only by RoleBindings, which cannot grant cluster-scoped resources"
        } else {
            "it is not bound to any subject yet"
        };
        format!("{role} grants {}; {state}", m.what)
    } else {
        format!(
            "{role} grants {} to {}",
            m.what,
            describe_subjects(&subjects)
        )
    };
    let all_system =
        !subjects.is_empty() && subjects.iter().all(|s| ctx.settings.is_system_subject(s));
    let mut draft = draft.message(message).severity(severity);
    if all_system || bootstrap_labelled(meta) {
        draft = draft.system(true);
    } else if !subjects.is_empty() {
        // Granted to users or their workloads: not the platform's own, even when the role
        // lives in kube-system.
        draft = draft.system(false);
    }
    emit.push(draft);
}

fn report_builtin_binding<'a>(
    ctx: &Context<'a>,
    emit: &mut Emitter,
    b: &Binding<'_>,
    matcher: &mut Memo<'a, '_>,
) {
    let Some(RoleKey::ClusterRole(role_name)) = b.role_key() else {
        return;
    };
    if !is_builtin_cluster_role(ctx, &role_name) {
        return;
    }
    let Some(rules) = ctx.role_rules(&RoleKey::ClusterRole(role_name.clone())) else {
        return;
    };
    if rules.iter().any(is_full_wildcard) {
        return;
    }
    let Some(m) = matcher.matched(rules) else {
        return;
    };
    let subjects: Vec<Subject> = b
        .subjects()
        .filter(|s| !ctx.settings.is_system_subject(s))
        .collect();
    if subjects.is_empty() {
        return;
    }
    let scope = match b.namespace {
        Some(ns) => format!(" in namespace {ns}"),
        None => String::new(),
    };
    let mut draft = Draft::new(
        b.to_ref(),
        format!(
            "{} grants {}{scope} to {} through built-in ClusterRole {role_name}",
            b.to_ref(),
            m.what,
            describe_subjects(&subjects)
        ),
    )
    .path("roleRef")
    .related("role", ObjectRef::cluster_role(&role_name))
    // The subjects are not the platform's (they were filtered above), even in kube-system.
    .system(false);
    for s in &subjects {
        draft = draft.related("subject", s.to_ref());
    }
    if let Some(sev) = m.severity {
        draft = draft.severity(sev);
    }
    emit.push(draft);
}

/// Names a permission as users read it: `create on pods/exec`.
pub fn describe(verbs: &[String], perm: &Permission<'_>) -> String {
    format!("{} on {}", verbs.join(", "), resource_of(perm))
}

/// The resource a permission is on, with its subresource and API group:
/// `pods/exec`, `deployments (apps)`.
fn resource_of(perm: &Permission<'_>) -> String {
    let resource = match perm.subresource {
        Some(sub) => format!("{}/{sub}", perm.resource),
        None => perm.resource.to_owned(),
    };
    if perm.group.is_empty() {
        resource
    } else {
        format!("{resource} ({})", perm.group)
    }
}

/// The first PolicyRule that grants any of `perms`, as a [`Matched`] at the rule's default
/// severity; a grant narrowed by `resourceNames` is one step less severe than `base`.
pub fn first_match(
    rules: &[PolicyRule],
    perms: &[Permission<'_>],
    base: Severity,
) -> Option<Matched> {
    for (i, r) in rules.iter().enumerate() {
        for perm in perms {
            if let Some(g) = crate::analysis::rbac::matching::grants(r, perm) {
                let mut what = describe(&g.verbs, perm);
                let mut severity = base;
                if g.is_narrowed() {
                    what.push_str(&format!(" (only {})", g.names.join(", ")));
                    severity = base.lowered();
                }
                return Some(Matched {
                    what,
                    rule_index: i,
                    severity: Some(severity),
                });
            }
        }
    }
    None
}

/// Every one of `perms` that `rules` grant, named together and grouped by verbs ("delete
/// on secrets, namespaces; deletecollection on pods"), at the first PolicyRule that grants
/// one. One step less severe than `base` when every grant is narrowed by `resourceNames`.
pub fn every_match(
    rules: &[PolicyRule],
    perms: &[Permission<'_>],
    base: Severity,
) -> Option<Matched> {
    // (verbs, resources) in the order first seen.
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    let mut first: Option<usize> = None;
    let mut all_narrowed = true;
    for perm in perms {
        let hit = rules
            .iter()
            .enumerate()
            .find_map(|(i, r)| crate::analysis::rbac::matching::grants(r, perm).map(|g| (i, g)));
        let Some((i, g)) = hit else { continue };
        let mut resource = resource_of(perm);
        if g.is_narrowed() {
            resource.push_str(&format!(" (only {})", g.names.join(", ")));
        } else {
            all_narrowed = false;
        }
        let verbs = g.verbs.join(", ");
        match found.iter_mut().find(|(v, _)| *v == verbs) {
            Some((_, resources)) => resources.push(resource),
            None => found.push((verbs, vec![resource])),
        }
        first = Some(first.map_or(i, |f| f.min(i)));
    }
    let rule_index = first?;
    let what: Vec<String> = found
        .iter()
        .map(|(verbs, resources)| format!("{verbs} on {}", resources.join(", ")))
        .collect();
    Some(Matched {
        what: what.join("; "),
        rule_index,
        severity: Some(if all_narrowed { base.lowered() } else { base }),
    })
}

/// Calls `f` for every binding in scope: ClusterRoleBindings when the cluster is in scope,
/// RoleBindings of the namespaces in scope.
pub fn for_each_binding<'a>(ctx: &Context<'a>, mut f: impl FnMut(&Binding<'a>)) {
    if ctx.cluster_in_scope() {
        for b in ctx.inventory.cluster_role_bindings() {
            f(&b);
        }
    }
    for ns in ctx.namespaces() {
        for b in ctx.inventory.role_bindings_in(ns) {
            f(&b);
        }
    }
}

/// The first PolicyRule with `*` in the list `field` picks (verbs, resources or apiGroups),
/// described in full so the message shows what the wildcard covers.
pub fn first_wildcard(
    rules: &[PolicyRule],
    field: fn(&PolicyRule) -> &[String],
) -> Option<Matched> {
    let (i, r) = rules
        .iter()
        .enumerate()
        .find(|(_, r)| crate::analysis::rbac::matching::has_wildcard(field(r)))?;
    let list = |x: Option<&Vec<String>>| x.map(|v| v.join(", ")).unwrap_or_default();
    let target = match r.non_resource_urls.as_ref().filter(|u| !u.is_empty()) {
        Some(urls) => format!("non-resource URLs {}", urls.join(", ")),
        None => format!(
            "resources [{}] in API groups [{}]",
            list(r.resources.as_ref()),
            list(r.api_groups.as_ref())
        ),
    };
    Some(Matched {
        what: format!("verbs [{}] on {target}", r.verbs.join(", ")),
        rule_index: i,
        severity: None,
    })
}

/// A finding on a binding about one of its subjects, with the subject and role related.
pub fn subject_draft(b: &Binding<'_>, subject: &Subject, message: String) -> Draft {
    // The entry to remove or change; a subject listed twice is fixed at its first entry.
    let entry = b
        .subjects
        .iter()
        .position(|s| Subject::from_rbac(s, b.namespace).as_ref() == Some(subject));
    let path = entry.map_or_else(|| "subjects".to_owned(), |i| format!("subjects[{i}]"));
    let mut d = Draft::new(b.to_ref(), message)
        .path(path)
        .discriminator(subject.user_name())
        .related("subject", subject.to_ref());
    if let Some(k) = b.role_key() {
        d = d.related("role", k.to_ref());
    }
    d
}
