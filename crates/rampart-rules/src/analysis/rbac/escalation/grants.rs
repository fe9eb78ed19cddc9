//! What a grant decides: the authorizer's answer for one identity, from per-role caches;
//! where a kind of step is possible at all (`Extent`) and how it is decided for one target
//! (`Grant`); and how a step cites the grant that allows it.

use super::Escalations;
use crate::analysis::rbac::matching::{ResourceRequest, rule_allows};
use crate::analysis::rbac::permissions::{BindingId, Permissions, Reason, SubjectKey, UserInfo};
use crate::model::identity::{ObjectRef, RoleKey};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(super) const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
pub(super) const CLUSTER_ADMIN: &str = "cluster-admin";

/// One identity while its edges are computed: who it is and the bindings that reach it.
pub(super) struct Held<'p> {
    pub(super) info: UserInfo,
    pub(super) bindings: Vec<(&'p BindingId, &'p RoleKey, &'p SubjectKey)>,
}

impl<'p> Held<'p> {
    pub(super) fn of(perms: &'p Permissions, info: UserInfo) -> Held<'p> {
        Held {
            bindings: perms.bindings_for(&info),
            info,
        }
    }
}

/// A grant that holds for every name: the resource asked about and why it is allowed.
pub(super) type Always = (String, Reason);

/// Where a kind of step is possible for one identity: cluster-wide (`all`) and per
/// namespace, each with the grant that holds for every name when there is one, so that a
/// namespace's targets need no question each.
#[derive(Debug, Clone, Default)]
pub(super) struct Extent {
    pub(super) all: Option<Option<Always>>,
    pub(super) namespaces: BTreeMap<String, Option<Always>>,
}

/// How to decide one kind of step in one namespace.
#[derive(Debug, Clone)]
pub(super) enum Grant {
    No,
    /// Allowed for every target, by this grant.
    Always(Always),
    /// Allowed for some names only: ask per target.
    Check,
}

impl Grant {
    pub(super) fn active(&self) -> bool {
        !matches!(self, Grant::No)
    }
}

impl Extent {
    pub(super) fn nowhere() -> Extent {
        Extent::default()
    }

    pub(super) fn grant(&self, ns: &str) -> Grant {
        let here = self.namespaces.get(ns);
        match (&self.all, here) {
            (Some(Some(a)), _) | (_, Some(Some(a))) => Grant::Always(a.clone()),
            (Some(None), _) | (_, Some(None)) => Grant::Check,
            (None, None) => Grant::No,
        }
    }
}

pub(super) fn req<'a>(verb: &'a str, group: &'a str, resource: &'a str) -> ResourceRequest<'a> {
    ResourceRequest {
        verb,
        group,
        resource,
        ..ResourceRequest::default()
    }
}

/// Where a step's words find the grant `reason` cites, when its objects start at `at` of
/// the step's `via`: `None` for membership of `system:masters`, which names no object.
pub(super) fn cited(reason: &Reason, at: usize) -> Option<usize> {
    match reason {
        Reason::PrivilegedGroup => None,
        Reason::Rule { .. } => Some(at),
    }
}

pub(super) fn via(reason: &Reason) -> Vec<(&'static str, ObjectRef)> {
    match reason {
        Reason::PrivilegedGroup => Vec::new(),
        Reason::Rule { binding, role, .. } => {
            vec![("binding", binding.to_ref()), ("role", role.to_ref())]
        }
    }
}

pub(super) fn granted_by(reason: &Reason) -> String {
    match reason {
        Reason::PrivilegedGroup => grant_words(None),
        Reason::Rule { binding, role, .. } => {
            grant_words(Some((&binding.to_ref(), &role.to_ref())))
        }
    }
}

/// How a step's words cite its grant: the binding and its role, or (`None`) membership
/// of `system:masters`.
pub(super) fn grant_words(grant: Option<(&ObjectRef, &ObjectRef)>) -> String {
    match grant {
        Some((binding, role)) => format!("granted by {binding} -> {role}"),
        None => "as a member of system:masters".to_owned(),
    }
}

impl Escalations {
    /// The rules of `role` that allow `r` whatever its name, cached per role and
    /// (verb, group, resource, subresource).
    fn role_matches(
        &mut self,
        perms: &Permissions,
        role: &RoleKey,
        r: &ResourceRequest<'_>,
    ) -> Arc<[usize]> {
        let Some(rules) = perms.role_rules(role) else {
            return Arc::from([]);
        };
        // The key is put together in a buffer kept across calls: thousands of identities ask
        // the same few capabilities of the same roles.
        let mut key = std::mem::take(&mut self.cap_key);
        key.clear();
        for (i, part) in [r.verb, r.group, r.resource, r.subresource]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                key.push('\0');
            }
            key.push_str(part);
        }
        let cap = match self.caps.get(key.as_str()) {
            Some(cap) => *cap,
            None => {
                let next = self.caps.len();
                self.caps.insert(key.as_str().into(), next);
                next
            }
        };
        self.cap_key = key;
        // Looked up before inserting: most calls find the role, and need no key of their own.
        if !self.role_caps.contains_key(role) {
            self.role_caps.insert(role.clone(), Vec::new());
        }
        let Some(slots) = self.role_caps.get_mut(role) else {
            return Arc::from([]);
        };
        if slots.len() <= cap {
            slots.resize(cap + 1, None);
        }
        slots[cap]
            .get_or_insert_with(|| {
                rules
                    .iter()
                    .enumerate()
                    .filter(|(_, rule)| {
                        // Any name the rule lists will do here; names are checked by callers.
                        let name = rule
                            .resource_names
                            .as_deref()
                            .and_then(<[String]>::first)
                            .map_or("", String::as_str);
                        rule_allows(rule, &ResourceRequest { name, ..*r })
                    })
                    .map(|(i, _)| i)
                    .collect()
            })
            .clone()
    }

    /// The authorizer's answer for one identity, from the per-role caches: each question
    /// only filters a role's matching rules by the binding's namespace and the name.
    pub(super) fn check(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
        r: &ResourceRequest<'_>,
    ) -> Option<Reason> {
        if self.checks >= self.limits.max_checks {
            self.truncated = true;
            return None;
        }
        self.checks += 1;
        for (binding, role, subject) in &user.bindings {
            if binding.namespace().is_some_and(|ns| ns != r.namespace) {
                continue;
            }
            let rules = perms.role_rules(role).unwrap_or(&[]);
            for &i in self.role_matches(perms, role, r).iter() {
                let names_ok = match rules.get(i).and_then(|x| x.resource_names.as_deref()) {
                    None | Some([]) => true,
                    Some(names) => names.iter().any(|n| n == r.name),
                };
                if names_ok {
                    return Some(Reason::Rule {
                        binding: (*binding).clone(),
                        role: (*role).clone(),
                        rule_index: i,
                        subject: (*subject).clone(),
                    });
                }
            }
        }
        None
    }

    /// Where any of `rs` could be allowed for some name: everywhere, or in some namespaces.
    pub(super) fn possible(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
        rs: &[ResourceRequest<'_>],
    ) -> Extent {
        let mut scope = Extent::nowhere();
        for (binding, role, subject) in &user.bindings {
            let rules = perms.role_rules(role).unwrap_or(&[]);
            let mut matched = false;
            let mut always: Option<Always> = None;
            for r in rs {
                let idx = self.role_matches(perms, role, r);
                matched |= !idx.is_empty();
                let unnamed = idx.iter().copied().find(|&i| {
                    rules.get(i).is_some_and(|x| {
                        x.resource_names.as_deref().is_none_or(<[String]>::is_empty)
                    })
                });
                if let Some(i) = unnamed {
                    always = Some((
                        r.resource.to_owned(),
                        Reason::Rule {
                            binding: (*binding).clone(),
                            role: (*role).clone(),
                            rule_index: i,
                            subject: (*subject).clone(),
                        },
                    ));
                    break;
                }
            }
            if !matched {
                continue;
            }
            let slot = match binding.namespace() {
                None => scope.all.get_or_insert(None),
                Some(ns) => scope.namespaces.entry(ns.to_owned()).or_insert(None),
            };
            if slot.is_none() {
                *slot = always;
            }
        }
        scope
    }

    /// The first of several requests that is allowed.
    pub(super) fn check_any(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
        rs: &[ResourceRequest<'_>],
    ) -> Option<Reason> {
        rs.iter().find_map(|r| self.check(perms, user, r))
    }

    /// A step's grant for one target: known for every name, or asked.
    pub(super) fn decide(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
        grant: &Grant,
        r: &ResourceRequest<'_>,
    ) -> Option<Reason> {
        match grant {
            Grant::No => None,
            Grant::Always((_, reason)) => Some(reason.clone()),
            Grant::Check => self.check(perms, user, r),
        }
    }
}
