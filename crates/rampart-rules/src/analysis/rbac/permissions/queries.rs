//! Questions to the index: whether an identity may make a request and which rule allows it
//! ([`Permissions::authorize`]), who can ([`Permissions::who_can`]), and what an identity
//! holds ([`Permissions::held`], [`Permissions::roles_held`], ...).

use super::identities::UserInfo;
use super::index::{BindingEntry, Permissions};
use crate::analysis::rbac::matching::{ResourceRequest, rule_allows, rule_allows_non_resource};
use crate::model::identity::{BindingId, RoleKey, SubjectKey};
use crate::model::shared::Shared;
use k8s_openapi::api::rbac::v1::PolicyRule;
use std::collections::BTreeSet;

/// Why a request is allowed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The identity is in `system:masters`.
    PrivilegedGroup,
    /// A rule of a role that a binding gives to one of the identity's keys.
    Rule {
        binding: BindingId,
        role: RoleKey,
        rule_index: usize,
        subject: SubjectKey,
    },
}

/// One rule an identity holds, with where it applies and where it comes from.
#[derive(Debug, Clone, Copy)]
pub struct HeldRule<'a> {
    /// The namespace a RoleBinding limits it to; `None` cluster-wide.
    pub namespace: Option<&'a str>,
    pub binding: &'a BindingId,
    pub role: &'a RoleKey,
    pub subject: &'a SubjectKey,
    pub rule_index: usize,
    pub rule: &'a PolicyRule,
}

impl Permissions {
    /// Whether `user` may make the resource request, and which rule allows it: the first one
    /// in the authorizer's order (ClusterRoleBindings, then RoleBindings of the namespace).
    pub fn authorize(&self, user: &UserInfo, req: &ResourceRequest<'_>) -> Option<Reason> {
        if user.is_privileged() {
            return Some(Reason::PrivilegedGroup);
        }
        self.held_in(user, req.namespace)
            .find(|h| rule_allows(h.rule, req))
            .map(HeldRule::reason)
    }

    pub fn allowed(&self, user: &UserInfo, req: &ResourceRequest<'_>) -> bool {
        self.authorize(user, req).is_some()
    }

    /// Whether `user` may use `verb` on a non-resource URL such as `/metrics`. Only
    /// ClusterRoleBindings grant these.
    pub fn authorize_non_resource(
        &self,
        user: &UserInfo,
        verb: &str,
        path: &str,
    ) -> Option<Reason> {
        if user.is_privileged() {
            return Some(Reason::PrivilegedGroup);
        }
        self.held_in(user, "")
            .find(|h| rule_allows_non_resource(h.rule, verb, path))
            .map(HeldRule::reason)
    }

    pub fn allowed_non_resource(&self, user: &UserInfo, verb: &str, path: &str) -> bool {
        self.authorize_non_resource(user, verb, path).is_some()
    }

    /// The rules that apply to `user` for a request in `namespace` (`""` for cluster-scoped
    /// requests), in the authorizer's order.
    pub fn held_in<'a>(
        &'a self,
        user: &'a UserInfo,
        namespace: &'a str,
    ) -> impl Iterator<Item = HeldRule<'a>> + 'a {
        let keys: Vec<SubjectKey> = user.keys().collect();
        let mut found: Vec<(BindingId, SubjectKey)> = Vec::new();
        for k in keys {
            let Some(of_subject) = self.by_subject.get(&k) else {
                continue;
            };
            for id in of_subject.cluster() {
                found.push((id.clone(), k.clone()));
            }
            if namespace.is_empty() {
                continue;
            }
            for id in of_subject.in_namespace(namespace) {
                found.push((id.clone(), k.clone()));
            }
        }
        // ClusterRoleBindings sort first, as the authorizer visits them first.
        found.sort();
        found.dedup_by(|a, b| a.0 == b.0);
        found
            .into_iter()
            .filter_map(move |(id, k)| {
                let (bid, entry) = self.bindings.get_key_value(&id)?;
                let subject = entry.subject(&k)?;
                Some((bid, entry, subject))
            })
            .flat_map(move |(bid, entry, subject)| self.binding_rules(bid, entry, subject))
    }

    /// Every rule `user` holds anywhere, cluster-wide grants first.
    pub fn held<'a>(&'a self, user: &'a UserInfo) -> impl Iterator<Item = HeldRule<'a>> + 'a {
        let mut found: Vec<(&BindingId, &BindingEntry, &SubjectKey)> = Vec::new();
        for k in user.keys() {
            let Some((key, of_subject)) = self.by_subject.get_key_value(&k) else {
                continue;
            };
            for id in of_subject.ids() {
                if let Some((bid, e)) = self.bindings.get_key_value(id) {
                    found.push((bid, e, key));
                }
            }
        }
        found.sort_by(|a, b| a.0.cmp(b.0));
        found.dedup_by(|a, b| a.0 == b.0);
        found
            .into_iter()
            .flat_map(move |(bid, entry, subject)| self.binding_rules(bid, entry, subject))
    }

    /// The roles `user` holds and where: (namespace of a RoleBinding or `None`, role).
    pub fn roles_held(&self, user: &UserInfo) -> BTreeSet<(Option<String>, RoleKey)> {
        let mut out = BTreeSet::new();
        for k in user.keys() {
            let Some(of_subject) = self.by_subject.get(&k) else {
                continue;
            };
            for id in of_subject.ids() {
                if let Some(role) = self.role_of(id) {
                    out.insert((id.namespace().map(str::to_owned), role.clone()));
                }
            }
        }
        out
    }

    /// The bindings that reach `user`, with their roles and the key they name it by:
    /// ClusterRoleBindings first, as the authorizer visits them.
    pub fn bindings_for(&self, user: &UserInfo) -> Vec<(&BindingId, &RoleKey, &SubjectKey)> {
        let mut out = Vec::new();
        for k in user.keys() {
            let Some((key, of_subject)) = self.by_subject.get_key_value(&k) else {
                continue;
            };
            for id in of_subject.ids() {
                if let Some((bid, e)) = self.bindings.get_key_value(id)
                    && let Some(role) = &e.role
                {
                    out.push((bid, role, key));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(b.0));
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }

    /// Namespaces where `user` holds something through a RoleBinding.
    pub fn namespaces_held(&self, user: &UserInfo) -> BTreeSet<String> {
        user.keys()
            .filter_map(|k| self.by_subject.get(&k))
            .flat_map(|b| b.namespaces().map(str::to_owned))
            .collect()
    }

    fn role_of(&self, id: &BindingId) -> Option<&RoleKey> {
        self.bindings.get(id).and_then(|e| e.role.as_ref())
    }

    fn binding_rules<'a>(
        &'a self,
        binding: &'a BindingId,
        entry: &'a BindingEntry,
        subject: &'a SubjectKey,
    ) -> impl Iterator<Item = HeldRule<'a>> + 'a {
        let role = entry.role.as_ref();
        let rules = role.and_then(|r| self.rules.get(r).map(|rules| (r, rules)));
        rules.into_iter().flat_map(move |(role, rules)| {
            rules
                .iter()
                .enumerate()
                .map(move |(rule_index, rule)| HeldRule {
                    namespace: binding.namespace(),
                    binding,
                    role,
                    subject,
                    rule_index,
                    rule,
                })
        })
    }

    /// Every binding that allows a resource request, with the subjects it names: who can.
    /// `system:masters` is always allowed and is not listed.
    pub fn who_can(
        &self,
        req: &ResourceRequest<'_>,
    ) -> Vec<(BindingId, RoleKey, usize, Vec<SubjectKey>)> {
        self.who_can_by(req.namespace, |r| rule_allows(r, req))
    }

    /// Like [`Permissions::who_can`], for a non-resource URL.
    pub fn who_can_non_resource(
        &self,
        verb: &str,
        path: &str,
    ) -> Vec<(BindingId, RoleKey, usize, Vec<SubjectKey>)> {
        self.who_can_by("", |r| rule_allows_non_resource(r, verb, path))
    }

    /// The bindings visible in `namespace` whose role has a rule that `allows`, each with
    /// the first such rule and the subjects it names.
    fn who_can_by(
        &self,
        namespace: &str,
        allows: impl Fn(&PolicyRule) -> bool,
    ) -> Vec<(BindingId, RoleKey, usize, Vec<SubjectKey>)> {
        self.bindings_in(namespace)
            .filter_map(|(id, e)| {
                let role = e.role.as_ref()?;
                let i = self.rules.get(role)?.iter().position(&allows)?;
                Some((id.clone(), role.clone(), i, e.subjects.to_vec()))
            })
            .collect()
    }

    /// ClusterRoleBindings, then the RoleBindings of `namespace` (none for `""`).
    fn bindings_in<'a>(
        &'a self,
        namespace: &'a str,
    ) -> impl Iterator<Item = (&'a BindingId, &'a BindingEntry)> + 'a {
        let cluster = self
            .bindings
            .iter()
            .take_while(|(id, _)| matches!(id, BindingId::Cluster(_)));
        let start = BindingId::Namespaced {
            namespace: Shared::new(namespace),
            name: Shared::default(),
        };
        let namespaced = self
            .bindings
            .range(start..)
            .take_while(move |(id, _)| !namespace.is_empty() && id.namespace() == Some(namespace));
        cluster.chain(namespaced)
    }

    /// Effective rules of a role (aggregation resolved); `None` if it does not exist.
    pub fn role_rules(&self, role: &RoleKey) -> Option<&[PolicyRule]> {
        self.rules.get(role).map(|r| &r[..])
    }

    /// The role a binding refers to and the subjects it names.
    pub fn binding(
        &self,
        id: &BindingId,
    ) -> Option<(Option<&RoleKey>, impl Iterator<Item = &SubjectKey>)> {
        self.bindings
            .get(id)
            .map(|e| (e.role.as_ref(), e.subjects.iter()))
    }

    /// Bindings that refer to a role.
    pub fn bindings_to<'s>(
        &'s self,
        role: &RoleKey,
    ) -> impl Iterator<Item = &'s BindingId> + use<'s> {
        self.by_role.get(role).into_iter().flatten()
    }

    /// Bindings that name a subject key: ClusterRoleBindings, then RoleBindings by
    /// namespace and name.
    pub fn bindings_naming<'s>(
        &'s self,
        key: &SubjectKey,
    ) -> impl Iterator<Item = BindingId> + use<'s> {
        self.by_subject
            .get(key)
            .into_iter()
            .flat_map(|b| b.ids().cloned())
    }

    /// Every subject key some binding names.
    pub fn subjects(&self) -> impl Iterator<Item = &SubjectKey> {
        self.by_subject.keys()
    }

    /// Whether some binding names this key.
    pub fn is_bound(&self, key: &SubjectKey) -> bool {
        self.by_subject.contains_key(key)
    }

    /// How many bindings are known (for benchmarks and logs).
    pub fn binding_count(&self) -> usize {
        self.bindings.len()
    }
}

impl HeldRule<'_> {
    fn reason(self) -> Reason {
        Reason::Rule {
            binding: self.binding.clone(),
            role: self.role.clone(),
            rule_index: self.rule_index,
            subject: self.subject.clone(),
        }
    }
}
