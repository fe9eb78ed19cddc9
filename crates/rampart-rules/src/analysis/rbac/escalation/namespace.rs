//! Steps into a namespace's ServiceAccounts: run pods as them (create pods or a pod
//! controller), bind cluster-admin in the namespace, request their tokens, read their legacy
//! token Secrets; impersonating them is in `impersonation`. Only namespaces where some kind
//! of step is possible at all are visited.

use super::action::{Action, Edge};
use super::grants::{CLUSTER_ADMIN, Extent, Grant, Held, RBAC_GROUP, cited, req, via};
use super::targets::Targets;
use super::{Escalations, Node};
use crate::analysis::rbac::matching::ResourceRequest;
use crate::analysis::rbac::permissions::{Permissions, Reason, SubjectKey};
use crate::model::identity::{ObjectRef, Subject};
use crate::model::shared::Shared;
use std::collections::BTreeSet;

/// What creates pods that run as a ServiceAccount of the namespace.
const POD_CREATORS: &[(&str, &str)] = &[
    ("", "pods"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("", "replicationcontrollers"),
];

/// The namespaced kinds of step, each with where it is possible.
struct Families {
    creators: Extent,
    bind: Extent,
    token: Extent,
    secrets: Extent,
    impersonate: Extent,
}

/// How to decide each kind of step in one namespace.
struct Active {
    creators: Grant,
    bind: Grant,
    token: Grant,
    secrets: Grant,
    impersonate: Grant,
}

impl Families {
    fn all(&self) -> [&Extent; 5] {
        [
            &self.creators,
            &self.bind,
            &self.token,
            &self.secrets,
            &self.impersonate,
        ]
    }

    fn any_everywhere(&self) -> bool {
        self.all().iter().any(|s| s.all.is_some())
    }

    fn namespaces(&self) -> BTreeSet<String> {
        self.all()
            .iter()
            .flat_map(|s| s.namespaces.keys().cloned())
            .collect()
    }

    fn active(&self, ns: &str) -> Active {
        Active {
            creators: self.creators.grant(ns),
            bind: self.bind.grant(ns),
            token: self.token.grant(ns),
            secrets: self.secrets.grant(ns),
            impersonate: self.impersonate.grant(ns),
        }
    }
}

/// One namespace as an identity that gets in sees it: the bound ServiceAccounts there other
/// than itself.
pub(super) struct Namespace<'a> {
    pub(super) name: &'a str,
    others: Vec<&'a String>,
    limit: usize,
}

impl<'a> Namespace<'a> {
    /// The ServiceAccounts steps lead to, at most the target limit.
    pub(super) fn service_accounts(&self) -> impl Iterator<Item = &'a String> + '_ {
        self.others.iter().take(self.limit).copied()
    }

    fn is_other(&self, sa: &String) -> bool {
        self.others.contains(&sa)
    }

    /// A step to one of its ServiceAccounts, citing the grant (the binding at `cited` in
    /// `via`) and then the object acted on (`target`: the ServiceAccount itself, or the
    /// Secret that holds its token).
    pub(super) fn step_to(
        &self,
        sa: &str,
        action: Action,
        (mut via, cited): (Vec<(&'static str, ObjectRef)>, Option<usize>),
        target: ObjectRef,
    ) -> (Node, Edge) {
        via.push(("target", target));
        (
            Node::Identity(Subject::ServiceAccount {
                namespace: self.name.to_owned(),
                name: sa.to_owned(),
            }),
            Edge {
                action,
                via,
                cited,
                direct: false,
            },
        )
    }
}

impl Escalations {
    /// The namespaced steps of one part of an identity. Each kind of step is found once:
    /// single-grant kinds per subject key, the kind that needs two grants (a RoleBinding and
    /// `bind`) per identity (`own`).
    pub(super) fn namespace_edges(
        &mut self,
        perms: &Permissions,
        t: &Targets,
        user: &Held<'_>,
        me: &SubjectKey,
        own: bool,
        may: &dyn Fn(&str) -> bool,
    ) -> Vec<(Node, Edge)> {
        let scopes = self.families(perms, user, own);
        let namespaces: Vec<String> = if scopes.any_everywhere() {
            t.service_accounts.keys().cloned().collect()
        } else {
            scopes
                .namespaces()
                .into_iter()
                .filter(|n| t.service_accounts.contains_key(n))
                .collect()
        };
        let mut out = Vec::new();
        for ns in &namespaces {
            let active = scopes.active(ns);
            let Some(there) = self.namespace(t, me, ns) else {
                continue;
            };
            out.extend(self.in_namespace(perms, t, user, &there, &active, may));
        }
        out
    }

    /// Where each kind of namespaced step is possible at all, so that only those
    /// namespaces are asked about.
    fn families(&mut self, perms: &Permissions, user: &Held<'_>, own: bool) -> Families {
        if own {
            return Families {
                creators: Extent::nowhere(),
                bind: self.possible(perms, user, &[req("create", RBAC_GROUP, "rolebindings")]),
                token: Extent::nowhere(),
                secrets: Extent::nowhere(),
                impersonate: Extent::nowhere(),
            };
        }
        let creators: Vec<ResourceRequest<'_>> = POD_CREATORS
            .iter()
            .map(|(g, r)| req("create", g, r))
            .collect();
        let token = [ResourceRequest {
            subresource: "token",
            ..req("create", "", "serviceaccounts")
        }];
        let secrets = [req("get", "", "secrets"), req("list", "", "secrets")];
        Families {
            creators: self.possible(perms, user, &creators),
            bind: Extent::nowhere(),
            token: self.possible(perms, user, &token),
            secrets: self.possible(perms, user, &secrets),
            impersonate: self.possible(perms, user, &[req("impersonate", "", "serviceaccounts")]),
        }
    }

    /// `ns` as `me` sees it, or `None` when it has no other bound ServiceAccount.
    fn namespace<'t>(
        &mut self,
        t: &'t Targets,
        me: &SubjectKey,
        ns: &'t str,
    ) -> Option<Namespace<'t>> {
        let sas = t.service_accounts.get(ns)?;
        let others: Vec<&String> = sas
            .iter()
            .filter(|sa| !me.is_service_account(ns, sa))
            .collect();
        if others.is_empty() {
            return None;
        }
        let limit = self.limits.max_targets;
        if others.len() > limit {
            self.truncated = true;
        }
        Some(Namespace {
            name: ns,
            others,
            limit,
        })
    }

    /// The steps into one namespace. Running pods as every ServiceAccount there, by either
    /// way, is all any other kind of step would give, so the others are then not asked.
    fn in_namespace(
        &mut self,
        perms: &Permissions,
        t: &Targets,
        user: &Held<'_>,
        there: &Namespace<'_>,
        active: &Active,
        may: &dyn Fn(&str) -> bool,
    ) -> Vec<(Node, Edge)> {
        let mut out = Vec::new();
        if self.run_pods(perms, user, there, &active.creators, &mut out) {
            return out;
        }
        if active.bind.active()
            && may("bind")
            && self.bind_cluster_admin_here(perms, user, there, &active.bind, &mut out)
        {
            return out;
        }
        if active.token.active() {
            let token = ("create", "token", "request a token for");
            self.act_on_service_accounts(perms, user, there, &active.token, token, &mut out);
        }
        if active.secrets.active() {
            self.read_token_secrets(perms, t, user, there, &active.secrets, &mut out);
        }
        if active.impersonate.active() {
            let impersonate = ("impersonate", "", "impersonate");
            self.act_on_service_accounts(
                perms,
                user,
                there,
                &active.impersonate,
                impersonate,
                &mut out,
            );
        }
        out
    }

    /// Create pods, or a pod controller, that run as each ServiceAccount. Whether any step
    /// was found.
    fn run_pods(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
        there: &Namespace<'_>,
        grant: &Grant,
        out: &mut Vec<(Node, Edge)>,
    ) -> bool {
        let ns = there.name;
        let found = match grant {
            Grant::No => None,
            Grant::Always((resource, reason)) => Some((resource.clone(), reason.clone())),
            Grant::Check => {
                let creators: Vec<ResourceRequest<'_>> = POD_CREATORS
                    .iter()
                    .map(|(g, r)| ResourceRequest {
                        namespace: ns,
                        ..req("create", g, r)
                    })
                    .collect();
                creators.iter().find_map(|r| {
                    self.check(perms, user, r)
                        .map(|reason| (r.resource.to_owned(), reason))
                })
            }
        };
        let Some((resource, reason)) = found else {
            return false;
        };
        for sa in there.service_accounts() {
            out.push(there.step_to(
                sa,
                Action::RunAs {
                    resource: Shared::new(&resource),
                },
                (via(&reason), cited(&reason, 0)),
                ObjectRef::service_account(ns, sa),
            ));
        }
        true
    }

    /// Create a RoleBinding to cluster-admin in the namespace, then run pods as each
    /// ServiceAccount. Whether any step was found.
    fn bind_cluster_admin_here(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
        there: &Namespace<'_>,
        grant: &Grant,
        out: &mut Vec<(Node, Edge)>,
    ) -> bool {
        let ns = there.name;
        let rb = ResourceRequest {
            namespace: ns,
            ..req("create", RBAC_GROUP, "rolebindings")
        };
        let bind = ResourceRequest {
            namespace: ns,
            name: CLUSTER_ADMIN,
            ..req("bind", RBAC_GROUP, "clusterroles")
        };
        let Some(c) = self.decide(perms, user, grant, &rb) else {
            return false;
        };
        let Some(b) = self.check(perms, user, &bind) else {
            return false;
        };
        for sa in there.service_accounts() {
            let mut v = via(&c);
            let at = cited(&b, v.len());
            v.extend(via(&b));
            out.push(there.step_to(
                sa,
                Action::BindClusterAdmin,
                (v, at),
                ObjectRef::service_account(ns, sa),
            ));
        }
        true
    }

    /// One step to each ServiceAccount of the namespace that `verb` on it (or on its
    /// `subresource`) reaches: "`action` ServiceAccount ns/name".
    pub(super) fn act_on_service_accounts(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
        there: &Namespace<'_>,
        grant: &Grant,
        (verb, subresource, action): (&str, &str, &'static str),
        out: &mut Vec<(Node, Edge)>,
    ) {
        let ns = there.name;
        for sa in there.service_accounts() {
            let r = ResourceRequest {
                namespace: ns,
                name: sa,
                subresource,
                ..req(verb, "", "serviceaccounts")
            };
            if let Some(reason) = self.decide(perms, user, grant, &r) {
                out.push(there.step_to(
                    sa,
                    Action::ActOn(action),
                    (via(&reason), cited(&reason, 0)),
                    ObjectRef::service_account(ns, sa),
                ));
            }
        }
    }

    /// Read the legacy token Secrets of the ServiceAccounts: `list` in the namespace reads
    /// them all, `get` one by name.
    fn read_token_secrets(
        &mut self,
        perms: &Permissions,
        t: &Targets,
        user: &Held<'_>,
        there: &Namespace<'_>,
        grant: &Grant,
        out: &mut Vec<(Node, Edge)>,
    ) {
        let ns = there.name;
        let list = ResourceRequest {
            namespace: ns,
            ..req("list", "", "secrets")
        };
        let listed: Option<Reason> = match grant {
            Grant::Always((_, reason)) => Some(reason.clone()),
            _ => self.check(perms, user, &list),
        };
        for (sns, secret, sa) in t.token_secrets.iter().filter(|(n, _, _)| n == ns) {
            if !there.is_other(sa) {
                continue;
            }
            let get = ResourceRequest {
                namespace: sns,
                name: secret,
                ..req("get", "", "secrets")
            };
            let reason = listed.clone().or_else(|| self.check(perms, user, &get));
            if let Some(reason) = reason {
                out.push(there.step_to(
                    sa,
                    Action::ReadTokenSecret,
                    (via(&reason), cited(&reason, 0)),
                    ObjectRef::new("v1", "Secret", Some(ns), secret),
                ));
            }
        }
    }
}
