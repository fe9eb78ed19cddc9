//! Escalation paths: how one identity's grants let it become another identity, or
//! cluster-admin, step by step, each step naming the objects that enable it.
//!
//! ```text
//!  identity --(step: what it does, via binding -> role, on which object)--> identity | cluster-admin
//! ```
//! Nodes are the identities bindings name (users, groups, ServiceAccounts) and one terminal,
//! cluster-admin. Edges, each decided by [`Permissions::authorize`]:
//! - run as a ServiceAccount: create pods or a pod controller in its namespace;
//! - act as a ServiceAccount: create `serviceaccounts/token` for it, or read a legacy token
//!   Secret of it (`get` that Secret, or `list` Secrets in the namespace);
//! - become an identity: impersonate that user, group or ServiceAccount;
//! - exec through the kubelet API (`nodes/proxy`) into a pod, which runs as its ServiceAccount;
//! - create RoleBindings in a namespace and `bind` cluster-admin there: everything in that
//!   namespace, including running pods as its ServiceAccounts;
//! - cluster-admin: hold `*` on `*` cluster-wide; impersonate the group `system:masters`;
//!   create ClusterRoleBindings and `bind` cluster-admin; `escalate` and update a ClusterRole
//!   one is bound to cluster-wide; create and approve CSRs for the kube-apiserver-client
//!   signer (a client certificate in `system:masters`); write MutatingWebhookConfigurations
//!   (every object written, RoleBindings included, can be rewritten).
//!
//! Validating webhooks see objects but cannot change them; their grant is RBAC011's finding
//! and no edge here. Only identities that some binding names are targets: a ServiceAccount
//! without grants of its own gives nothing its namespace's group does not already give.
//!
//! The graph is built once per evaluation, within a budget of authorizer checks; paths are
//! searched to a bounded depth. Either bound being hit is recorded, and findings say so.

mod holdings;
mod targets;

pub use holdings::Holdings;

use crate::analysis::rbac::matching::ResourceRequest;
use crate::analysis::rbac::permissions::{BindingId, Permissions, Reason, SubjectKey, UserInfo};
use crate::inventory::Inventory;
use crate::model::identity::RoleKey;
use crate::model::identity::{ObjectRef, Subject};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use targets::{Targets, targets};

/// How far and how hard the search goes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most steps in a path.
    pub max_depth: usize,
    /// Most authorizer checks while building the graph.
    pub max_checks: usize,
    /// Most edges of one kind out of one identity.
    pub max_targets: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 4,
            max_checks: 2_000_000,
            max_targets: 256,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Identity(Subject),
    ClusterAdmin,
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Identity(s) => s.fmt(f),
            Node::ClusterAdmin => f.write_str("cluster-admin"),
        }
    }
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What the identity does, in words: `create pods in namespace ci`.
    pub action: String,
    /// The objects that make the step possible: the grant's binding and role, the target.
    pub via: Vec<(&'static str, ObjectRef)>,
    /// The identity already holds every permission: no escalation, just possession.
    pub direct: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// Each step and the node it leads to.
    pub steps: Vec<(Step, Node)>,
}

impl Path {
    pub fn describe(&self) -> String {
        self.steps
            .iter()
            .enumerate()
            .map(|(i, (s, n))| format!("({}) {} -> {n}", i + 1, s.action))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The escalation graph of one inventory.
#[derive(Debug, Default)]
pub struct Escalations {
    nodes: Vec<Node>,
    index: HashMap<Node, usize>,
    /// Edge lists: one per subject key (what its own bindings allow, shared by every
    /// identity that has the key, so a group's steps are found once) and one per identity
    /// (steps that need its grants together, such as creating a RoleBinding and `bind`).
    lists: Vec<Vec<(usize, StoredStep)>>,
    key_lists: HashMap<SubjectKey, usize>,
    /// Objects steps name, each stored once: many steps share a binding, role or target.
    objects: Vec<ObjectRef>,
    object_ids: HashMap<ObjectRef, u32>,
    /// The edge lists of each node.
    node_lists: Vec<Vec<usize>>,
    /// Steps to cluster-admin, and the edge (list, index) to take, per node.
    to_admin: Vec<Option<(usize, (usize, usize))>>,
    /// Identities some binding names: where paths start.
    starts: Vec<usize>,
    checks: usize,
    /// Capabilities asked about, by (verb, group, resource, subresource).
    caps: HashMap<(String, String, String, String), usize>,
    /// Per role and capability: indexes of the rules that allow it, whatever the name.
    role_caps: HashMap<RoleKey, Vec<Option<Vec<usize>>>>,
    /// A work bound was hit while building: some edges may be missing.
    pub truncated: bool,
    limits: Limits,
}

/// One identity while its edges are computed: who it is and the bindings that reach it.
struct Held<'p> {
    info: UserInfo,
    bindings: Vec<(&'p BindingId, &'p RoleKey, &'p SubjectKey)>,
}

/// A step as the graph keeps it: its objects by index into `Escalations::objects`.
#[derive(Debug)]
struct StoredStep {
    action: Box<str>,
    via: Box<[(&'static str, u32)]>,
    direct: bool,
}

/// Which part of an identity's grants a list of steps comes from.
#[derive(Debug, Clone, Copy)]
enum Part<'s> {
    Key(&'s SubjectKey),
    Own(&'s Subject),
}

/// A grant that holds for every name: the resource asked about and why it is allowed.
type Always = (String, Reason);

/// Where a kind of step is possible for one identity: cluster-wide (`all`) and per
/// namespace, each with the grant that holds for every name when there is one, so that a
/// namespace's targets need no question each.
#[derive(Debug, Clone, Default)]
struct Scope {
    all: Option<Option<Always>>,
    namespaces: BTreeMap<String, Option<Always>>,
}

/// How to decide one kind of step in one namespace.
#[derive(Debug, Clone)]
enum Grant {
    No,
    /// Allowed for every target, by this grant.
    Always(Always),
    /// Allowed for some names only: ask per target.
    Check,
}

impl Grant {
    fn active(&self) -> bool {
        !matches!(self, Grant::No)
    }
}

impl Scope {
    fn nowhere() -> Scope {
        Scope::default()
    }

    fn grant(&self, ns: &str) -> Grant {
        let here = self.namespaces.get(ns);
        match (&self.all, here) {
            (Some(Some(a)), _) | (_, Some(Some(a))) => Grant::Always(a.clone()),
            (Some(None), _) | (_, Some(None)) => Grant::Check,
            (None, None) => Grant::No,
        }
    }
}

/// The namespaced kinds of step, each with where it is possible.
struct Families {
    creators: Scope,
    bind: Scope,
    token: Scope,
    secrets: Scope,
    impersonate: Scope,
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
    fn all(&self) -> [&Scope; 5] {
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

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const CLUSTER_ADMIN: &str = "cluster-admin";
const CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client";

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

fn req<'a>(verb: &'a str, group: &'a str, resource: &'a str) -> ResourceRequest<'a> {
    ResourceRequest {
        verb,
        group,
        resource,
        ..ResourceRequest::default()
    }
}

fn via(reason: &Reason) -> Vec<(&'static str, ObjectRef)> {
    match reason {
        Reason::PrivilegedGroup => Vec::new(),
        Reason::Rule { binding, role, .. } => {
            vec![("binding", binding.to_ref()), ("role", role.to_ref())]
        }
    }
}

fn granted_by(reason: &Reason) -> String {
    match reason {
        Reason::PrivilegedGroup => "as a member of system:masters".to_owned(),
        Reason::Rule { binding, role, .. } => {
            format!("granted by {} -> {}", binding.to_ref(), role.to_ref())
        }
    }
}

impl Escalations {
    pub fn build(inv: &Inventory, perms: &Permissions, limits: Limits) -> Escalations {
        Escalations::build_with(inv, perms, limits, &[])
    }

    /// Like [`Escalations::build`], also starting from identities no binding names (a user
    /// who holds grants only through `system:authenticated`, say).
    pub fn build_with(
        inv: &Inventory,
        perms: &Permissions,
        limits: Limits,
        extra: &[Subject],
    ) -> Escalations {
        let targets = targets(inv, perms);
        let mut e = Escalations {
            limits,
            ..Escalations::default()
        };
        let admin = e.node(Node::ClusterAdmin);
        let mut queue: VecDeque<usize> = VecDeque::new();
        let mut starts: Vec<Subject> = perms.subjects().map(SubjectKey::to_subject).collect();
        starts.extend(extra.iter().cloned());
        starts.sort();
        starts.dedup();
        for s in starts {
            let i = e.node(Node::Identity(s));
            e.starts.push(i);
            queue.push_back(i);
        }
        let mut expanded: HashSet<usize> = HashSet::new();
        while let Some(i) = queue.pop_front() {
            if i == admin || !expanded.insert(i) {
                continue;
            }
            let Node::Identity(subject) = e.nodes[i].clone() else {
                continue;
            };
            let mut lists = Vec::new();
            for key in UserInfo::for_subject(&subject).keys() {
                if !perms.is_bound(&key) {
                    continue;
                }
                let id = match e.key_lists.get(&key) {
                    Some(&id) => id,
                    None => {
                        let out = e.expand(perms, &targets, Part::Key(&key));
                        let id = e.add_list(out, &mut queue);
                        e.key_lists.insert(key, id);
                        id
                    }
                };
                lists.push(id);
            }
            let own = e.expand(perms, &targets, Part::Own(&subject));
            lists.push(e.add_list(own, &mut queue));
            e.node_lists[i] = lists;
        }
        e.shortest_to_admin(admin);
        e
    }

    fn add_list(&mut self, out: Vec<(Node, Step)>, queue: &mut VecDeque<usize>) -> usize {
        let mut edges = Vec::with_capacity(out.len());
        for (node, step) in out {
            let known = self.index.contains_key(&node);
            let j = self.node(node);
            if !known {
                queue.push_back(j);
            }
            let via = step
                .via
                .into_iter()
                .map(|(relation, object)| (relation, self.object_id(object)))
                .collect();
            edges.push((
                j,
                StoredStep {
                    action: step.action.into_boxed_str(),
                    via,
                    direct: step.direct,
                },
            ));
        }
        self.lists.push(edges);
        self.lists.len() - 1
    }

    fn object_id(&mut self, o: ObjectRef) -> u32 {
        if let Some(&i) = self.object_ids.get(&o) {
            return i;
        }
        let i = u32::try_from(self.objects.len()).unwrap_or(u32::MAX);
        self.objects.push(o.clone());
        self.object_ids.insert(o, i);
        i
    }

    fn step(&self, s: &StoredStep) -> Step {
        Step {
            action: s.action.to_string(),
            via: s
                .via
                .iter()
                .filter_map(|(rel, i)| Some((*rel, self.objects.get(*i as usize)?.clone())))
                .collect(),
            direct: s.direct,
        }
    }

    fn node(&mut self, n: Node) -> usize {
        if let Some(&i) = self.index.get(&n) {
            return i;
        }
        let i = self.nodes.len();
        self.index.insert(n.clone(), i);
        self.nodes.push(n);
        self.node_lists.push(Vec::new());
        i
    }

    /// The rules of `role` that allow `r` whatever its name, cached per role and
    /// (verb, group, resource, subresource).
    fn role_matches(
        &mut self,
        perms: &Permissions,
        role: &RoleKey,
        r: &ResourceRequest<'_>,
    ) -> Vec<usize> {
        let Some(rules) = perms.role_rules(role) else {
            return Vec::new();
        };
        let next = self.caps.len();
        let cap = *self
            .caps
            .entry((
                r.verb.to_owned(),
                r.group.to_owned(),
                r.resource.to_owned(),
                r.subresource.to_owned(),
            ))
            .or_insert(next);
        let slots = self.role_caps.entry(role.clone()).or_default();
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
                        crate::analysis::rbac::matching::rule_allows(
                            rule,
                            &ResourceRequest { name, ..*r },
                        )
                    })
                    .map(|(i, _)| i)
                    .collect()
            })
            .clone()
    }

    /// The authorizer's answer for one identity, from the per-role caches: each question
    /// only filters a role's matching rules by the binding's namespace and the name.
    fn check(
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
            for i in self.role_matches(perms, role, r) {
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
    fn possible(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
        rs: &[ResourceRequest<'_>],
    ) -> Scope {
        let mut scope = Scope::nowhere();
        for (binding, role, subject) in &user.bindings {
            let rules = perms.role_rules(role).unwrap_or(&[]);
            let mut matched = false;
            let mut always: Option<Always> = None;
            for r in rs {
                let idx = self.role_matches(perms, role, r);
                matched |= !idx.is_empty();
                let unnamed = idx.into_iter().find(|&i| {
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
    fn check_any(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
        rs: &[ResourceRequest<'_>],
    ) -> Option<Reason> {
        rs.iter().find_map(|r| self.check(perms, user, r))
    }

    /// The steps one part of an identity enables: a subject key's own bindings, or (for
    /// `Part::Own`) what needs the identity's grants together.
    fn expand(&mut self, perms: &Permissions, t: &Targets, part: Part<'_>) -> Vec<(Node, Step)> {
        let (info, me, own) = match part {
            Part::Key(k) => {
                let info = match k {
                    SubjectKey::User(u) => UserInfo::new(u.clone(), &[]),
                    SubjectKey::Group(g) => UserInfo::new(String::new(), &[g.as_str()]),
                };
                (info, k.clone(), false)
            }
            Part::Own(s) => (UserInfo::for_subject(s), SubjectKey::from_subject(s), true),
        };
        let user = Held {
            bindings: perms.bindings_for(&info),
            info,
        };
        let mut out = Vec::new();
        if own {
            let all = ResourceRequest {
                verb: "*",
                group: "*",
                resource: "*",
                ..ResourceRequest::default()
            };
            let privileged = perms
                .authorize(&user.info, &all)
                .filter(|r| *r == Reason::PrivilegedGroup);
            if let Some(r) = privileged.or_else(|| self.check(perms, &user, &all)) {
                out.push((
                    Node::ClusterAdmin,
                    Step {
                        action: format!("holds every permission cluster-wide, {}", granted_by(&r)),
                        via: via(&r),
                        direct: true,
                    },
                ));
                return out;
            }
        }
        let verbs: HashSet<&str> = user
            .bindings
            .iter()
            .filter_map(|(_, role, _)| perms.role_rules(role))
            .flatten()
            .flat_map(|r| r.verbs.iter().map(String::as_str))
            .collect();
        if verbs.is_empty() {
            return out;
        }
        let may = |v: &str| verbs.contains("*") || verbs.contains(v);
        if own {
            self.admin_edges(perms, &user, &may, &mut out);
        }
        // Where each kind of namespaced step is possible at all, so that only those
        // namespaces are asked about.
        let creators: Vec<ResourceRequest<'_>> = POD_CREATORS
            .iter()
            .map(|(g, r)| req("create", g, r))
            .collect();
        // Each kind of step is found once: single-grant kinds per subject key, the kind that
        // needs two grants (a RoleBinding and `bind`) per identity.
        let token = [ResourceRequest {
            subresource: "token",
            ..req("create", "", "serviceaccounts")
        }];
        let secrets = [req("get", "", "secrets"), req("list", "", "secrets")];
        let scopes = if own {
            Families {
                creators: Scope::nowhere(),
                bind: self.possible(perms, &user, &[req("create", RBAC_GROUP, "rolebindings")]),
                token: Scope::nowhere(),
                secrets: Scope::nowhere(),
                impersonate: Scope::nowhere(),
            }
        } else {
            Families {
                creators: self.possible(perms, &user, &creators),
                bind: Scope::nowhere(),
                token: self.possible(perms, &user, &token),
                secrets: self.possible(perms, &user, &secrets),
                impersonate: self.possible(
                    perms,
                    &user,
                    &[req("impersonate", "", "serviceaccounts")],
                ),
            }
        };
        let namespaces: Vec<String> = if scopes.any_everywhere() {
            t.service_accounts.keys().cloned().collect()
        } else {
            scopes
                .namespaces()
                .into_iter()
                .filter(|n| t.service_accounts.contains_key(n))
                .collect()
        };
        for ns in &namespaces {
            let active = scopes.active(ns);
            self.in_namespace(perms, t, &user, &me, ns, &active, &may, &mut out);
        }
        if !own && may("impersonate") {
            self.impersonation(perms, t, &user, &me, &mut out);
        }
        if !own && (may("get") || may("create")) {
            self.kubelet(perms, t, &user, &me, &mut out);
        }
        out
    }

    fn admin_edges(
        &mut self,
        perms: &Permissions,
        user: &Held<'_>,
        may: &dyn Fn(&str) -> bool,
        out: &mut Vec<(Node, Step)>,
    ) {
        let mut push = |action: String, via: Vec<(&'static str, ObjectRef)>| {
            out.push((
                Node::ClusterAdmin,
                Step {
                    action,
                    via,
                    direct: false,
                },
            ));
        };
        if may("impersonate") {
            let r = ResourceRequest {
                name: "system:masters",
                ..req("impersonate", "", "groups")
            };
            if let Some(reason) = self.check(perms, user, &r) {
                push(
                    format!(
                        "impersonate the group system:masters, {}",
                        granted_by(&reason)
                    ),
                    via(&reason),
                );
            }
        }
        if may("bind") && may("create") {
            let create = self.check(
                perms,
                user,
                &req("create", RBAC_GROUP, "clusterrolebindings"),
            );
            let bind = ResourceRequest {
                name: CLUSTER_ADMIN,
                ..req("bind", RBAC_GROUP, "clusterroles")
            };
            if let Some(c) = create
                && let Some(b) = self.check(perms, user, &bind)
            {
                let mut v = via(&c);
                v.extend(via(&b));
                push(
                    format!(
                        "create a ClusterRoleBinding ({}) to ClusterRole cluster-admin, which it may bind ({})",
                        granted_by(&c),
                        granted_by(&b)
                    ),
                    v,
                );
            }
        }
        if may("escalate") {
            let held: Vec<String> = perms
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
                    push(
                        format!(
                            "add any rule to ClusterRole {role}, which it is bound to cluster-wide (escalate and update, {})",
                            granted_by(&e)
                        ),
                        v,
                    );
                    break;
                }
            }
        }
        if may("approve") {
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
            if let Some(c) = create
                && let Some(a) = self.check(perms, user, &approval)
                && let Some(s) = self.check_any(perms, user, &signer)
            {
                let mut v = via(&c);
                v.extend(via(&a));
                v.extend(via(&s));
                push(
                    format!(
                        "create and approve a CSR for the {CLIENT_SIGNER} signer: a client certificate in group system:masters ({})",
                        granted_by(&s)
                    ),
                    v,
                );
            }
        }
        if may("create") || may("update") || may("patch") {
            let group = "admissionregistration.k8s.io";
            let res = "mutatingwebhookconfigurations";
            let writes = [
                req("create", group, res),
                req("update", group, res),
                req("patch", group, res),
            ];
            if let Some(r) = self.check_any(perms, user, &writes) {
                push(
                    format!(
                        "register a mutating admission webhook that rewrites any object written, RoleBindings included ({})",
                        granted_by(&r)
                    ),
                    via(&r),
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn in_namespace(
        &mut self,
        perms: &Permissions,
        t: &Targets,
        user: &Held<'_>,
        me: &SubjectKey,
        ns: &str,
        active: &Active,
        may: &dyn Fn(&str) -> bool,
        out: &mut Vec<(Node, Step)>,
    ) {
        let Some(sas) = t.service_accounts.get(ns) else {
            return;
        };
        let others: Vec<&String> = sas
            .iter()
            .filter(|sa| SubjectKey::User(format!("system:serviceaccount:{ns}:{sa}")) != *me)
            .collect();
        if others.is_empty() {
            return;
        }
        let limit = self.limits.max_targets;
        if others.len() > limit {
            self.truncated = true;
        }
        let sa_node = |sa: &str| {
            Node::Identity(Subject::ServiceAccount {
                namespace: ns.to_owned(),
                name: sa.to_owned(),
            })
        };
        let found = match &active.creators {
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
        if let Some((resource, reason)) = found {
            for sa in others.iter().take(limit) {
                let mut v = via(&reason);
                v.push(("target", ObjectRef::service_account(ns, sa)));
                out.push((
                    sa_node(sa),
                    Step {
                        action: format!(
                            "create {resource} in namespace {ns} that run as ServiceAccount {ns}/{sa} ({})",
                            granted_by(&reason)
                        ),
                        via: v,
                        direct: false,
                    },
                ));
            }
            // Running as every ServiceAccount here already: nothing below adds a target.
            return;
        }
        if active.bind.active() && may("bind") {
            let rb = ResourceRequest {
                namespace: ns,
                ..req("create", RBAC_GROUP, "rolebindings")
            };
            let bind = ResourceRequest {
                namespace: ns,
                name: CLUSTER_ADMIN,
                ..req("bind", RBAC_GROUP, "clusterroles")
            };
            if let Some(c) = self.decide(perms, user, &active.bind, &rb)
                && let Some(b) = self.check(perms, user, &bind)
            {
                for sa in others.iter().take(limit) {
                    let mut v = via(&c);
                    v.extend(via(&b));
                    v.push(("target", ObjectRef::service_account(ns, sa)));
                    out.push((
                        sa_node(sa),
                        Step {
                            action: format!(
                                "bind ClusterRole cluster-admin to itself in namespace {ns} ({}), then run pods as ServiceAccount {ns}/{sa}",
                                granted_by(&b)
                            ),
                            via: v,
                            direct: false,
                        },
                    ));
                }
                return;
            }
        }
        if active.token.active() {
            for sa in others.iter().take(limit) {
                let r = ResourceRequest {
                    namespace: ns,
                    name: sa,
                    subresource: "token",
                    ..req("create", "", "serviceaccounts")
                };
                if let Some(reason) = self.decide(perms, user, &active.token, &r) {
                    let mut v = via(&reason);
                    v.push(("target", ObjectRef::service_account(ns, sa)));
                    out.push((
                        sa_node(sa),
                        Step {
                            action: format!(
                                "request a token for ServiceAccount {ns}/{sa} ({})",
                                granted_by(&reason)
                            ),
                            via: v,
                            direct: false,
                        },
                    ));
                }
            }
        }
        if active.secrets.active() {
            let list = ResourceRequest {
                namespace: ns,
                ..req("list", "", "secrets")
            };
            let listed = match &active.secrets {
                Grant::Always((_, reason)) => Some(reason.clone()),
                _ => self.check(perms, user, &list),
            };
            for (sns, secret, sa) in t.token_secrets.iter().filter(|(n, _, _)| n == ns) {
                if !others.contains(&sa) {
                    continue;
                }
                let get = ResourceRequest {
                    namespace: sns,
                    name: secret,
                    ..req("get", "", "secrets")
                };
                let reason = listed.clone().or_else(|| self.check(perms, user, &get));
                if let Some(reason) = reason {
                    let mut v = via(&reason);
                    v.push(("target", ObjectRef::new("v1", "Secret", Some(ns), secret)));
                    out.push((
                        sa_node(sa),
                        Step {
                            action: format!(
                                "read the legacy token Secret {ns}/{secret} of ServiceAccount {ns}/{sa} ({})",
                                granted_by(&reason)
                            ),
                            via: v,
                            direct: false,
                        },
                    ));
                }
            }
        }
        if active.impersonate.active() {
            for sa in others.iter().take(limit) {
                let r = ResourceRequest {
                    namespace: ns,
                    name: sa,
                    ..req("impersonate", "", "serviceaccounts")
                };
                if let Some(reason) = self.decide(perms, user, &active.impersonate, &r) {
                    let mut v = via(&reason);
                    v.push(("target", ObjectRef::service_account(ns, sa)));
                    out.push((
                        sa_node(sa),
                        Step {
                            action: format!(
                                "impersonate ServiceAccount {ns}/{sa} ({})",
                                granted_by(&reason)
                            ),
                            via: v,
                            direct: false,
                        },
                    ));
                }
            }
        }
    }

    /// A step's grant for one target: known for every name, or asked.
    fn decide(
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

    fn impersonation(
        &mut self,
        perms: &Permissions,
        t: &Targets,
        user: &Held<'_>,
        me: &SubjectKey,
        out: &mut Vec<(Node, Step)>,
    ) {
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
                    SubjectKey::User(name.clone())
                } else {
                    SubjectKey::Group(name.clone())
                };
                if key == *me {
                    continue;
                }
                if n >= limit {
                    self.truncated = true;
                    return;
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
    }

    fn kubelet(
        &mut self,
        perms: &Permissions,
        t: &Targets,
        user: &Held<'_>,
        me: &SubjectKey,
        out: &mut Vec<(Node, Step)>,
    ) {
        let proxy = [
            ResourceRequest {
                subresource: "proxy",
                ..req("create", "", "nodes")
            },
            ResourceRequest {
                subresource: "proxy",
                ..req("get", "", "nodes")
            },
        ];
        let Some(reason) = self.check_any(perms, user, &proxy) else {
            return;
        };
        if t.workloads.len() > self.limits.max_targets {
            self.truncated = true;
        }
        for ((ns, sa), workload) in t.workloads.iter().take(self.limits.max_targets) {
            if SubjectKey::User(format!("system:serviceaccount:{ns}:{sa}")) == *me {
                continue;
            }
            let mut v = via(&reason);
            v.push(("target", workload.clone()));
            out.push((
                Node::Identity(Subject::ServiceAccount {
                    namespace: ns.clone(),
                    name: sa.clone(),
                }),
                Step {
                    action: format!(
                        "exec through the kubelet API (nodes/proxy, {}) into {workload}, which runs as ServiceAccount {ns}/{sa}",
                        granted_by(&reason)
                    ),
                    via: v,
                    direct: false,
                },
            ));
        }
    }

    /// Every node's shortest way to cluster-admin, by relaxing edge lists once per step of
    /// the depth bound: a list's best target is computed once however many nodes share it.
    fn shortest_to_admin(&mut self, admin: usize) {
        let n = self.nodes.len();
        let mut dist: Vec<Option<usize>> = vec![None; n];
        let mut next: Vec<Option<(usize, (usize, usize))>> = vec![None; n];
        dist[admin] = Some(0);
        for _ in 0..self.limits.max_depth {
            let best: Vec<Option<(usize, usize)>> = self
                .lists
                .iter()
                .map(|edges| {
                    edges
                        .iter()
                        .enumerate()
                        .filter_map(|(k, (to, _))| dist[*to].map(|d| (d, k)))
                        .min()
                })
                .collect();
            let mut changed = false;
            for node in 0..n {
                if node == admin {
                    continue;
                }
                let candidate = self.node_lists[node]
                    .iter()
                    .filter_map(|&l| best[l].map(|(d, k)| (d + 1, (l, k))))
                    .min();
                if let Some((d, edge)) = candidate
                    && dist[node].is_none_or(|cur| d < cur)
                {
                    dist[node] = Some(d);
                    next[node] = Some((d, edge));
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        self.to_admin = next;
    }

    fn edge(&self, (list, k): (usize, usize)) -> Option<&(usize, StoredStep)> {
        self.lists.get(list)?.get(k)
    }

    fn index_of(&self, s: &Subject) -> Option<usize> {
        self.index.get(&Node::Identity(s.clone())).copied()
    }

    /// The shortest path from `s` to cluster-admin within the depth bound.
    pub fn path_to_cluster_admin(&self, s: &Subject) -> Option<Path> {
        let mut i = self.index_of(s)?;
        let mut steps = Vec::new();
        while let Some(Some((_, edge))) = self.to_admin.get(i) {
            let (to, step) = self.edge(*edge)?;
            steps.push((self.step(step), self.nodes[*to].clone()));
            i = *to;
            if steps.len() > self.limits.max_depth {
                return None;
            }
        }
        (!steps.is_empty()).then_some(Path { steps })
    }

    /// Identities `s` can become within the depth bound, each with its shortest path, at
    /// most `limit` of them (the flag says whether there were more).
    pub fn reachable(&self, s: &Subject, limit: usize) -> (Vec<(Subject, Path)>, bool) {
        let Some(start) = self.index_of(s) else {
            return (Vec::new(), false);
        };
        let mut parent: HashMap<usize, usize> = HashMap::new();
        let mut depth: HashMap<usize, usize> = HashMap::from([(start, 0)]);
        let mut queue = VecDeque::from([start]);
        let mut order = Vec::new();
        let mut more = false;
        'search: while let Some(i) = queue.pop_front() {
            let d = depth[&i];
            if d >= self.limits.max_depth {
                continue;
            }
            for &l in &self.node_lists[i] {
                for (k, (to, _)) in self.lists[l].iter().enumerate() {
                    if depth.contains_key(to) || self.nodes[*to] == Node::ClusterAdmin {
                        continue;
                    }
                    if order.len() >= limit {
                        more = true;
                        break 'search;
                    }
                    depth.insert(*to, d + 1);
                    parent.insert(*to, i);
                    order.push((*to, (l, k)));
                    queue.push_back(*to);
                }
            }
        }
        let via: HashMap<usize, (usize, (usize, usize))> = order
            .iter()
            .filter_map(|(to, edge)| Some((*to, (*parent.get(to)?, *edge))))
            .collect();
        let found = order
            .iter()
            .filter_map(|(t, _)| {
                let Node::Identity(subject) = &self.nodes[*t] else {
                    return None;
                };
                let mut steps = Vec::new();
                let mut cur = *t;
                while let Some(&(p, edge)) = via.get(&cur) {
                    let (to, step) = self.edge(edge)?;
                    steps.push((self.step(step), self.nodes[*to].clone()));
                    cur = p;
                }
                steps.reverse();
                Some((subject.clone(), Path { steps }))
            })
            .collect();
        (found, more)
    }

    /// Identities named by some binding, in order: where findings start.
    pub fn subjects(&self) -> impl Iterator<Item = &Subject> {
        self.starts.iter().filter_map(|&i| match &self.nodes[i] {
            Node::Identity(s) => Some(s),
            Node::ClusterAdmin => None,
        })
    }

    /// Authorizer checks spent building the graph.
    pub fn checks(&self) -> usize {
        self.checks
    }

    /// Edges in the graph (a subject key's steps count once, however many share the key).
    pub fn edge_count(&self) -> usize {
        self.lists.iter().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests;
