//! Identities' holdings compared role by role: whether one identity holds something another
//! does not, without asking the authorizer rule by rule.

use crate::analysis::rbac::permissions::{Permissions, UserInfo};
use crate::model::identity::RoleKey;
use k8s_openapi::api::rbac::v1::PolicyRule;
use std::collections::HashSet;

/// What one identity holds, prepared for comparing with others.
pub struct Holdings<'p> {
    perms: &'p Permissions,
    roles: HashSet<(Option<&'p str>, &'p RoleKey)>,
    rules: Vec<(Option<&'p str>, &'p PolicyRule)>,
}

impl<'p> Holdings<'p> {
    pub fn of(perms: &'p Permissions, user: &UserInfo) -> Holdings<'p> {
        let bindings = perms.bindings_for(user);
        let roles = bindings
            .iter()
            .map(|(b, r, _)| (b.namespace(), *r))
            .collect();
        let rules = bindings
            .iter()
            .flat_map(|(b, r, _)| {
                perms
                    .role_rules(r)
                    .unwrap_or(&[])
                    .iter()
                    .map(move |rule| (b.namespace(), rule))
            })
            .collect();
        Holdings {
            perms,
            roles,
            rules,
        }
    }

    /// Whether `target` holds a rule that no single rule held here covers at the same or a
    /// broader scope. Roles held here at that scope are skipped whole, so identities that
    /// share most of their grants through common groups compare quickly. Coverage is judged
    /// rule by rule: a rule covered only by the union of several counts as more, so the
    /// answer errs towards reporting.
    pub fn lacks_some_of(&self, target: &UserInfo) -> bool {
        self.perms
            .bindings_for(target)
            .into_iter()
            .any(|(binding, role, _)| {
                let ns = binding.namespace();
                if self.roles.contains(&(None, role)) || self.roles.contains(&(ns, role)) {
                    return false;
                }
                self.perms.role_rules(role).unwrap_or(&[]).iter().any(|t| {
                    !self
                        .rules
                        .iter()
                        .any(|(sns, s)| (sns.is_none() || *sns == ns) && covers(s, t))
                })
            })
    }
}

fn covers(s: &PolicyRule, t: &PolicyRule) -> bool {
    let list = |a: Option<&Vec<String>>, b: Option<&Vec<String>>| {
        let a = a.map(Vec::as_slice).unwrap_or(&[]);
        let b = b.map(Vec::as_slice).unwrap_or(&[]);
        a.iter().any(|x| x == "*") || b.iter().all(|x| a.contains(x))
    };
    let names_ok = match (s.resource_names.as_deref(), t.resource_names.as_deref()) {
        (None | Some([]), _) => true,
        (Some(_), None | Some([])) => false,
        (Some(a), Some(b)) => b.iter().all(|x| a.contains(x)),
    };
    let urls_ok = {
        let a = s.non_resource_urls.as_deref().unwrap_or(&[]);
        t.non_resource_urls.iter().flatten().all(|u| {
            a.iter().any(|x| {
                x == "*" || x == u || (x.ends_with('*') && u.starts_with(x.trim_end_matches('*')))
            })
        })
    };
    list(Some(&s.verbs), Some(&t.verbs))
        && list(s.api_groups.as_ref(), t.api_groups.as_ref())
        && list(s.resources.as_ref(), t.resources.as_ref())
        && names_ok
        && urls_ok
}
