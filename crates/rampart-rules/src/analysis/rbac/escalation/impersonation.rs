//! Becoming an identity by impersonating it: a user or group some binding names, or a
//! ServiceAccount of a namespace.

use super::grants::{Grant, Held, granted_by, req, via};
use super::targets::Targets;
use super::{Escalations, Node, Step};
use crate::analysis::rbac::matching::ResourceRequest;
use crate::analysis::rbac::permissions::{Permissions, SubjectKey};
use crate::model::shared::Shared;

impl Escalations {
    /// Impersonate the users and groups bindings name, at most the target limit in all.
    pub(super) fn impersonate_users_and_groups(
        &mut self,
        perms: &Permissions,
        t: &Targets,
        user: &Held<'_>,
        me: &SubjectKey,
    ) -> Vec<(Node, Step)> {
        let mut out = Vec::new();
        let limit = self.limits.max_targets;
        let mut n = 0;
        for (resource, names) in [("users", &t.users), ("groups", &t.groups)] {
            // Users and groups have no namespace: only cluster-wide grants count.
            let grant = match self
                .possible(perms, user, &[req("impersonate", "", resource)])
                .all
            {
                None => continue,
                Some(Some(always)) => Grant::Always(always),
                Some(None) => Grant::Check,
            };
            for name in names {
                let key = if resource == "users" {
                    SubjectKey::User(Shared::new(name))
                } else {
                    SubjectKey::Group(Shared::new(name))
                };
                if key == *me {
                    continue;
                }
                if n >= limit {
                    self.truncated = true;
                    return out;
                }
                let r = ResourceRequest {
                    name,
                    ..req("impersonate", "", resource)
                };
                if let Some(reason) = self.decide(perms, user, &grant, &r) {
                    n += 1;
                    out.push((
                        Node::Identity(key.to_subject()),
                        Step {
                            action: format!("impersonate {} ({})", key, granted_by(&reason)),
                            via: via(&reason),
                            direct: false,
                        },
                    ));
                }
            }
        }
        out
    }
}
