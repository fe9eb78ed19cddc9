//! Steps straight to cluster-admin: holding everything already, or one grant (or pair of
//! grants) that yields it: impersonating `system:masters`, binding cluster-admin
//! cluster-wide, escalating a role one holds, a client certificate from an approved CSR, a
//! mutating webhook.

use super::grants::{CLUSTER_ADMIN, Held, RBAC_GROUP, granted_by, req, via};
use super::{Escalations, Node, Step};
use crate::analysis::rbac::matching::ResourceRequest;
use crate::analysis::rbac::permissions::{Permissions, Reason};
use crate::model::identity::{ObjectRef, RoleKey};
use crate::model::shared::Shared;

const CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client";

/// A step to cluster-admin that needs the grant first used: an escalation.
fn to_admin(action: String, via: Vec<(&'static str, ObjectRef)>) -> (Node, Step) {
    (
        Node::ClusterAdmin,
        Step {
            action,
            via,
            direct: false,
        },
    )
}

impl Escalations {
    /// The step of an identity that holds `*` on `*` cluster-wide, or is in `system:masters`.
    pub(super) fn holds_everything(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
    ) -> Option<(Node, Step)> {
        let all = ResourceRequest {
            verb: "*",
            group: "*",
            resource: "*",
            ..ResourceRequest::default()
        };
        let privileged = perms
            .authorize(&user.info, &all)
            .filter(|r| *r == Reason::PrivilegedGroup);
        let r = privileged.or_else(|| self.check(perms, user, &all))?;
        Some((
            Node::ClusterAdmin,
            Step {
                action: format!("holds every permission cluster-wide, {}", granted_by(&r)),
                via: via(&r),
                direct: true,
            },
        ))
    }

    /// The steps to cluster-admin that need an identity's grants together; `may` says which
    /// verbs it holds at all, so that the rest is not asked about.
    pub(super) fn admin_edges(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
        may: &dyn Fn(&str) -> bool,
    ) -> Vec<(Node, Step)> {
        let mut out = Vec::new();
        if may("impersonate") {
            out.extend(self.impersonate_masters(perms, user));
        }
        if may("bind") && may("create") {
            out.extend(self.bind_cluster_admin(perms, user));
        }
        if may("escalate") {
            out.extend(self.escalate_held_role(perms, user));
        }
        if may("approve") {
            out.extend(self.approve_client_certificate(perms, user));
        }
        if may("create") || may("update") || may("patch") {
            out.extend(self.mutating_webhook(perms, user));
        }
        out
    }

    fn impersonate_masters(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
    ) -> Option<(Node, Step)> {
        let r = ResourceRequest {
            name: "system:masters",
            ..req("impersonate", "", "groups")
        };
        let reason = self.check(perms, user, &r)?;
        Some(to_admin(
            format!(
                "impersonate the group system:masters, {}",
                granted_by(&reason)
            ),
            via(&reason),
        ))
    }

    fn bind_cluster_admin(&mut self, perms: &Permissions, user: &Held<'_>) -> Option<(Node, Step)> {
        let create = self.check(
            perms,
            user,
            &req("create", RBAC_GROUP, "clusterrolebindings"),
        );
        let bind = ResourceRequest {
            name: CLUSTER_ADMIN,
            ..req("bind", RBAC_GROUP, "clusterroles")
        };
        let c = create?;
        let b = self.check(perms, user, &bind)?;
        let mut v = via(&c);
        v.extend(via(&b));
        Some(to_admin(
            format!(
                "create a ClusterRoleBinding ({}) to ClusterRole cluster-admin, which it may bind ({})",
                granted_by(&c),
                granted_by(&b)
            ),
            v,
        ))
    }

    /// `escalate` and update on a ClusterRole bound cluster-wide: the first such role.
    fn escalate_held_role(&mut self, perms: &Permissions, user: &Held<'_>) -> Option<(Node, Step)> {
        let held: Vec<Shared> = perms
            .roles_held(&user.info)
            .into_iter()
            .filter_map(|(ns, r)| match (ns, r) {
                (None, RoleKey::ClusterRole(n)) => Some(n),
                _ => None,
            })
            .collect();
        for role in held {
            let esc = ResourceRequest {
                name: &role,
                ..req("escalate", RBAC_GROUP, "clusterroles")
            };
            let upd = [
                ResourceRequest {
                    name: &role,
                    ..req("update", RBAC_GROUP, "clusterroles")
                },
                ResourceRequest {
                    name: &role,
                    ..req("patch", RBAC_GROUP, "clusterroles")
                },
            ];
            if let Some(e) = self.check(perms, user, &esc)
                && let Some(u) = self.check_any(perms, user, &upd)
            {
                let mut v = via(&e);
                v.extend(via(&u));
                v.push(("target", ObjectRef::cluster_role(&role)));
                return Some(to_admin(
                    format!(
                        "add any rule to ClusterRole {role}, which it is bound to cluster-wide (escalate and update, {})",
                        granted_by(&e)
                    ),
                    v,
                ));
            }
        }
        None
    }

    fn approve_client_certificate(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
    ) -> Option<(Node, Step)> {
        let csr = "certificatesigningrequests";
        let create = self.check(perms, user, &req("create", "certificates.k8s.io", csr));
        let approval = ResourceRequest {
            subresource: "approval",
            ..req("update", "certificates.k8s.io", csr)
        };
        let signer = [
            ResourceRequest {
                name: CLIENT_SIGNER,
                ..req("approve", "certificates.k8s.io", "signers")
            },
            ResourceRequest {
                name: "kubernetes.io/*",
                ..req("approve", "certificates.k8s.io", "signers")
            },
        ];
        let c = create?;
        let a = self.check(perms, user, &approval)?;
        let s = self.check_any(perms, user, &signer)?;
        let mut v = via(&c);
        v.extend(via(&a));
        v.extend(via(&s));
        Some(to_admin(
            format!(
                "create and approve a CSR for the {CLIENT_SIGNER} signer: a client certificate in group system:masters ({})",
                granted_by(&s)
            ),
            v,
        ))
    }

    fn mutating_webhook(&mut self, perms: &Permissions, user: &Held<'_>) -> Option<(Node, Step)> {
        let group = "admissionregistration.k8s.io";
        let res = "mutatingwebhookconfigurations";
        let writes = [
            req("create", group, res),
            req("update", group, res),
            req("patch", group, res),
        ];
        let r = self.check_any(perms, user, &writes)?;
        Some(to_admin(
            format!(
                "register a mutating admission webhook that rewrites any object written, RoleBindings included ({})",
                granted_by(&r)
            ),
            via(&r),
        ))
    }
}
