//! Rampart's authorizer agrees with the API server's, question for question.
//!
//! A seeded generator writes a random RBAC configuration (Roles and ClusterRoles with random
//! verbs, groups, resources, subresources, `resourceNames`, wildcards and non-resource URLs;
//! aggregated ClusterRoles with label selectors; bindings of users, groups and
//! ServiceAccounts to them and to the built-in admin/edit/view across a few namespaces),
//! applies it, waits until the authorizer and the aggregation controller have seen it, then
//! asks thousands of random SubjectAccessReviews and compares every answer with
//! `Permissions::allowed` over the cluster's RBAC objects as listed. A disagreement fails
//! with the question and only the rules that decide it.
//!
//! `RAMPART_E2E_SEED` replays a run; the seed is printed either way.

use anyhow::{Context as _, Result, bail};
use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::rbac::v1::{
    AggregationRule, ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef,
    Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, Client};
use rampart_e2e::{Cluster, TestNamespace, wait_for};
use rampart_rules::RoleKey;
use rampart_rules::rbac::{Permissions, Reason, UserInfo};
use rampart_rules::rbac::{ResourceRequest, rule_allows, rule_allows_non_resource};
use rampart_testkit::{Rng, seed_from_env};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::{Duration, Instant};

const QUESTIONS: usize = 10_000;
const PARALLEL: usize = 16;
const WAIT: Duration = Duration::from_secs(60);

const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "bind",
    "escalate",
    "impersonate",
];
const GROUPS: &[&str] = &["", "apps", "batch", "rbac.authorization.k8s.io"];
/// (group, resource, subresource) asked about.
const RESOURCES: &[(&str, &str, &str)] = &[
    ("", "pods", ""),
    ("", "pods", "log"),
    ("", "pods", "exec"),
    ("", "pods", "status"),
    ("", "secrets", ""),
    ("", "configmaps", ""),
    ("", "serviceaccounts", "token"),
    ("apps", "deployments", ""),
    ("apps", "deployments", "scale"),
    ("apps", "deployments", "status"),
    ("batch", "jobs", ""),
    ("rbac.authorization.k8s.io", "roles", ""),
    ("rbac.authorization.k8s.io", "clusterroles", ""),
    ("", "nodes", ""),
    ("", "namespaces", ""),
];
/// Resource names as rules write them: plain, `resource/subresource`, `*/subresource`, `*`.
const RULE_RESOURCES: &[&str] = &[
    "pods",
    "pods/log",
    "pods/exec",
    "*/status",
    "*/scale",
    "secrets",
    "configmaps",
    "serviceaccounts/token",
    "deployments",
    "deployments/*",
    "jobs",
    "roles",
    "clusterroles",
    "nodes",
    "namespaces",
    "*",
];
const NAMES: &[&str] = &["a", "b"];
const RULE_URLS: &[&str] = &[
    "/healthz",
    "/healthz/*",
    "/metrics",
    "/logs/*",
    "/api*",
    "*",
];
const URLS: &[&str] = &[
    "/healthz",
    "/healthz/etcd",
    "/metrics",
    "/logs/kube.log",
    "/api",
    "/apis/apps",
    "/version",
    "/openapi/v2",
];
const BUILTIN: &[&str] = &["admin", "edit", "view"];

fn resource_rule(rng: &mut Rng) -> PolicyRule {
    let mut verbs = rng.several_distinct(VERBS, 3);
    if rng.chance(8) {
        verbs = vec!["*".into()];
    }
    let mut groups = rng.several_distinct(GROUPS, 2);
    if rng.chance(8) {
        groups.push("*".into());
    }
    PolicyRule {
        verbs,
        api_groups: Some(groups),
        resources: Some(rng.several_distinct(RULE_RESOURCES, 3)),
        resource_names: rng.chance(25).then(|| rng.several_distinct(NAMES, 2)),
        non_resource_urls: None,
    }
}

fn url_rule(rng: &mut Rng) -> PolicyRule {
    PolicyRule {
        verbs: rng.several_distinct(&["get", "post", "*"], 2),
        non_resource_urls: Some(rng.several_distinct(RULE_URLS, 2)),
        ..PolicyRule::default()
    }
}

fn meta(namespace: Option<&str>, name: &str) -> ObjectMeta {
    ObjectMeta {
        namespace: namespace.map(str::to_owned),
        name: Some(name.to_owned()),
        ..ObjectMeta::default()
    }
}

/// Names of everything one run creates: cluster-scoped objects and identities carry `prefix`
/// so that other tests sharing the cluster never see them.
struct World {
    prefix: String,
    namespaces: Vec<String>,
    label: String,
}

impl World {
    fn users(&self) -> Vec<String> {
        (0..4).map(|i| format!("{}-u{i}", self.prefix)).collect()
    }
    fn groups(&self) -> Vec<String> {
        (0..3).map(|i| format!("{}-g{i}", self.prefix)).collect()
    }
    fn service_accounts(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for ns in &self.namespaces {
            for sa in ["s0", "s1"] {
                out.push((ns.clone(), sa.to_owned()));
            }
        }
        out
    }
    fn cluster_role(&self, i: usize) -> String {
        format!("{}-cr{i}", self.prefix)
    }
}

struct Config {
    roles: Vec<Role>,
    cluster_roles: Vec<ClusterRole>,
    role_bindings: Vec<RoleBinding>,
    cluster_role_bindings: Vec<ClusterRoleBinding>,
}

const PLAIN_CLUSTER_ROLES: usize = 6;
const AGGREGATED_CLUSTER_ROLES: usize = 2;

fn subjects(rng: &mut Rng, world: &World, namespace: Option<&str>) -> Vec<Subject> {
    (0..1 + rng.below(3))
        .map(|_| match rng.below(4) {
            0 => Subject {
                kind: "User".into(),
                name: rng.pick(&world.users()).clone(),
                api_group: Some("rbac.authorization.k8s.io".into()),
                namespace: None,
            },
            1 => Subject {
                kind: "Group".into(),
                name: rng.pick(&world.groups()).clone(),
                api_group: Some("rbac.authorization.k8s.io".into()),
                namespace: None,
            },
            2 if namespace.is_some() && rng.chance(30) => Subject {
                kind: "Group".into(),
                name: format!("system:serviceaccounts:{}", rng.pick(&world.namespaces)),
                api_group: Some("rbac.authorization.k8s.io".into()),
                namespace: None,
            },
            _ => {
                let (ns, name) = rng.pick(&world.service_accounts()).clone();
                // A RoleBinding's ServiceAccount may leave the namespace out (its own).
                let namespace = match namespace {
                    Some(b) if b == ns && rng.chance(50) => None,
                    _ => Some(ns),
                };
                Subject {
                    kind: "ServiceAccount".into(),
                    name,
                    api_group: None,
                    namespace,
                }
            }
        })
        .collect()
}

fn generate(rng: &mut Rng, world: &World) -> Config {
    let mut cluster_roles = Vec::new();
    for i in 0..PLAIN_CLUSTER_ROLES {
        let mut m = meta(None, &world.cluster_role(i));
        if rng.chance(60) {
            let v = *rng.pick(&["x", "y"]);
            m.labels = Some(BTreeMap::from([(world.label.clone(), v.to_owned())]));
        }
        let mut rules: Vec<PolicyRule> =
            (0..1 + rng.below(3)).map(|_| resource_rule(rng)).collect();
        if rng.chance(40) {
            rules.push(url_rule(rng));
        }
        cluster_roles.push(ClusterRole {
            metadata: m,
            rules: Some(rules),
            aggregation_rule: None,
        });
    }
    for i in 0..AGGREGATED_CLUSTER_ROLES {
        let mut m = meta(None, &world.cluster_role(PLAIN_CLUSTER_ROLES + i));
        // The second aggregated role is itself selected by the first: nested aggregation.
        if i == 1 {
            m.labels = Some(BTreeMap::from([(world.label.clone(), "x".to_owned())]));
        }
        let value = if i == 0 { "x" } else { "y" };
        cluster_roles.push(ClusterRole {
            metadata: m,
            rules: None,
            aggregation_rule: Some(AggregationRule {
                cluster_role_selectors: Some(vec![LabelSelector {
                    match_labels: Some(BTreeMap::from([(world.label.clone(), value.to_owned())])),
                    match_expressions: None,
                }]),
            }),
        });
    }
    let all_cluster_roles: Vec<String> = (0..PLAIN_CLUSTER_ROLES + AGGREGATED_CLUSTER_ROLES)
        .map(|i| world.cluster_role(i))
        .collect();
    let mut roles = Vec::new();
    let mut role_bindings = Vec::new();
    for ns in &world.namespaces {
        for i in 0..2 {
            roles.push(Role {
                metadata: meta(Some(ns), &format!("r{i}")),
                rules: Some((0..1 + rng.below(3)).map(|_| resource_rule(rng)).collect()),
            });
        }
        for i in 0..4 {
            let (kind, name) = match rng.below(3) {
                0 => ("Role", format!("r{}", rng.below(2))),
                1 => ("ClusterRole", rng.pick(&all_cluster_roles).clone()),
                _ => ("ClusterRole", rng.pick(BUILTIN).to_string()),
            };
            role_bindings.push(RoleBinding {
                metadata: meta(Some(ns), &format!("rb{i}")),
                role_ref: RoleRef {
                    api_group: Some("rbac.authorization.k8s.io".into()),
                    kind: kind.into(),
                    name,
                },
                subjects: Some(subjects(rng, world, Some(ns))),
            });
        }
    }
    let cluster_role_bindings = (0..4)
        .map(|i| {
            let name = if rng.chance(80) {
                rng.pick(&all_cluster_roles).clone()
            } else {
                "view".to_owned()
            };
            ClusterRoleBinding {
                metadata: meta(None, &format!("{}-crb{i}", world.prefix)),
                role_ref: RoleRef {
                    api_group: Some("rbac.authorization.k8s.io".into()),
                    kind: "ClusterRole".into(),
                    name,
                },
                subjects: Some(subjects(rng, world, None)),
            }
        })
        .collect();
    Config {
        roles,
        cluster_roles,
        role_bindings,
        cluster_role_bindings,
    }
}

/// One question, and how to ask it.
#[derive(Debug, Clone)]
struct Question {
    user: UserInfo,
    verb: String,
    kind: Asked,
}

#[derive(Debug, Clone)]
enum Asked {
    Resource {
        group: String,
        resource: String,
        subresource: String,
        namespace: String,
        name: String,
    },
    NonResource {
        path: String,
    },
}

impl Question {
    fn request(&self) -> Option<ResourceRequest<'_>> {
        match &self.kind {
            Asked::Resource {
                group,
                resource,
                subresource,
                namespace,
                name,
            } => Some(ResourceRequest {
                verb: &self.verb,
                group,
                resource,
                subresource,
                namespace,
                name,
            }),
            Asked::NonResource { .. } => None,
        }
    }

    fn review(&self) -> SubjectAccessReview {
        let (resource_attributes, non_resource_attributes) = match &self.kind {
            Asked::Resource {
                group,
                resource,
                subresource,
                namespace,
                name,
            } => (
                Some(ResourceAttributes {
                    verb: Some(self.verb.clone()),
                    group: Some(group.clone()),
                    resource: Some(resource.clone()),
                    subresource: Some(subresource.clone()),
                    namespace: Some(namespace.clone()),
                    name: Some(name.clone()),
                    ..ResourceAttributes::default()
                }),
                None,
            ),
            Asked::NonResource { path } => (
                None,
                Some(NonResourceAttributes {
                    verb: Some(self.verb.clone()),
                    path: Some(path.clone()),
                }),
            ),
        };
        SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: Some(self.user.name.clone()),
                groups: Some(self.user.groups.clone()),
                resource_attributes,
                non_resource_attributes,
                ..SubjectAccessReviewSpec::default()
            },
            ..SubjectAccessReview::default()
        }
    }
}

fn identity(rng: &mut Rng, world: &World) -> UserInfo {
    match rng.below(3) {
        0 => {
            let (ns, name) = rng.pick(&world.service_accounts()).clone();
            UserInfo::service_account(&ns, &name)
        }
        1 => {
            let groups = world.groups();
            let mut g: Vec<&str> = groups
                .iter()
                .map(String::as_str)
                .filter(|_| rng.chance(35))
                .collect();
            if rng.chance(50) {
                g.push("system:authenticated");
            }
            UserInfo::new(rng.pick(&world.users()), &g)
        }
        // A member of one group and nothing else: what the group itself grants.
        _ => UserInfo::new(
            format!("{}-nobody", world.prefix),
            &[rng.pick(&world.groups()).as_str()],
        ),
    }
}

fn question(rng: &mut Rng, world: &World) -> Question {
    let user = identity(rng, world);
    if rng.chance(12) {
        return Question {
            user,
            verb: rng.pick(&["get", "post", "put"]).to_string(),
            kind: Asked::NonResource {
                path: rng.pick(URLS).to_string(),
            },
        };
    }
    let (group, resource, subresource) = *rng.pick(RESOURCES);
    let namespace = if rng.chance(15) {
        String::new()
    } else {
        rng.pick(&world.namespaces).clone()
    };
    let name = if rng.chance(40) {
        String::new()
    } else {
        rng.pick(&["a", "b", "c"]).to_string()
    };
    Question {
        user,
        verb: rng.pick(VERBS).to_string(),
        kind: Asked::Resource {
            group: group.to_owned(),
            resource: resource.to_owned(),
            subresource: subresource.to_owned(),
            namespace,
            name,
        },
    }
}

/// A question aimed at one rule of one binding, from one of the binding's subjects: it
/// probes the edges of what the rule allows (its subresource forms, names, wildcards, the
/// binding's namespace against another), where a random question rarely lands.
fn near_question(rng: &mut Rng, world: &World, config: &Config) -> Option<Question> {
    let (namespace, role_ref, subjects) = if rng.chance(70) {
        let b = &config.role_bindings[rng.below(config.role_bindings.len())];
        (
            b.metadata.namespace.clone(),
            &b.role_ref,
            b.subjects.as_deref()?,
        )
    } else {
        let b = &config.cluster_role_bindings[rng.below(config.cluster_role_bindings.len())];
        (None, &b.role_ref, b.subjects.as_deref()?)
    };
    let rules = if role_ref.kind == "Role" {
        let ns = namespace.as_deref()?;
        config
            .roles
            .iter()
            .find(|r| {
                r.metadata.namespace.as_deref() == Some(ns)
                    && r.metadata.name.as_deref() == Some(role_ref.name.as_str())
            })?
            .rules
            .clone()?
    } else {
        config
            .cluster_roles
            .iter()
            .find(|r| r.metadata.name.as_deref() == Some(role_ref.name.as_str()))?
            .rules
            .clone()?
    };
    let rule = rules.get(rng.below(rules.len()))?.clone();
    let s = &subjects[rng.below(subjects.len())];
    let user = match s.kind.as_str() {
        "User" => UserInfo::new(s.name.clone(), &[]),
        "Group" => UserInfo::new(format!("{}-nobody", world.prefix), &[s.name.as_str()]),
        _ => {
            let ns = s.namespace.clone().or(namespace.clone())?;
            UserInfo::service_account(&ns, &s.name)
        }
    };
    let verb = match rng.pick(&rule.verbs).clone() {
        v if v != "*" && rng.chance(75) => v,
        _ => rng.pick(VERBS).to_string(),
    };
    if let Some(urls) = &rule.non_resource_urls {
        let url = rng.pick(urls);
        let path = match url.strip_suffix('*') {
            Some(prefix) if rng.chance(60) => format!("{prefix}{}", rng.pick(&["", "x", "/y"])),
            _ => rng.pick(URLS).to_string(),
        };
        return Some(Question {
            user,
            verb,
            kind: Asked::NonResource { path },
        });
    }
    let group = match rng.pick(rule.api_groups.as_deref()?).clone() {
        g if g != "*" && rng.chance(80) => g,
        _ => rng.pick(GROUPS).to_string(),
    };
    let subresources = ["log", "exec", "status", "scale", "token"];
    let (resource, subresource) = match rng.pick(rule.resources.as_deref()?).clone() {
        r if r == "*" => {
            let (_, r, s) = *rng.pick(RESOURCES);
            (r.to_owned(), s.to_owned())
        }
        r => match r.split_once('/') {
            Some(("*", sub)) => {
                let (_, r, _) = *rng.pick(RESOURCES);
                (r.to_owned(), sub.to_owned())
            }
            Some((res, "*")) => (res.to_owned(), rng.pick(&subresources).to_string()),
            Some((res, sub)) if rng.chance(70) => (res.to_owned(), sub.to_owned()),
            Some((res, _)) => (res.to_owned(), String::new()),
            None if rng.chance(20) => (r, rng.pick(&subresources).to_string()),
            None => (r, String::new()),
        },
    };
    let name = match &rule.resource_names {
        Some(names) if rng.chance(60) => rng.pick(names).clone(),
        _ => rng.pick(&["", "a", "c"]).to_string(),
    };
    let namespace = match namespace {
        Some(ns) if rng.chance(75) => ns,
        _ if rng.chance(25) => String::new(),
        _ => rng.pick(&world.namespaces).clone(),
    };
    Some(Question {
        user,
        verb,
        kind: Asked::Resource {
            group,
            resource,
            subresource,
            namespace,
            name,
        },
    })
}

async fn ask(client: &Client, q: &Question) -> Result<(bool, String)> {
    let answer = Api::<SubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &q.review())
        .await
        .context("creating a SubjectAccessReview")?;
    let status = answer.status.unwrap_or_default();
    Ok((status.allowed, status.reason.unwrap_or_default()))
}

/// Rampart's view of the cluster, read the way `rampart who-can --cluster` reads it: one
/// snapshot of every kind, then effective permissions from its RBAC objects.
async fn live_permissions(client: &Client) -> Result<Permissions> {
    let snap = rampart_operator::snapshot::take(client).await;
    if !snap.skipped.is_empty() {
        bail!("the snapshot could not list {:?}", snap.skipped);
    }
    Ok(Permissions::from_inventory(&snap.inventory))
}

/// Whether every aggregated ClusterRole as stored holds the same rules (as a set) as Rampart
/// computes from its selectors: the aggregation controller has caught up.
async fn aggregation_settled(client: &Client, perms: &Permissions) -> Result<bool> {
    let crs = Api::<ClusterRole>::all(client.clone())
        .list(&ListParams::default())
        .await?
        .items;
    for cr in crs.iter().filter(|c| c.aggregation_rule.is_some()) {
        let name = cr.metadata.name.clone().unwrap_or_default();
        let live = cr.rules.clone().unwrap_or_default();
        let ours = perms
            .role_rules(&RoleKey::ClusterRole(name.into()))
            .unwrap_or(&[]);
        let same = live.len() == ours.len() && live.iter().all(|r| ours.contains(r));
        if !same {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The question and only the rules that decide it: on our side the rule we say allows it,
/// on the server's the binding its reason names, with that role's rules that match.
fn shrink(q: &Question, perms: &Permissions, server: bool, reason: &str) -> String {
    let mut out = format!(
        "user {:?} groups {:?} verb {:?} {:?}\n  API server: {} ({reason})\n  Rampart: {}",
        q.user.name, q.user.groups, q.verb, q.kind, server, !server
    );
    let ours = match q.request() {
        Some(req) => perms.authorize(&q.user, &req),
        None => match &q.kind {
            Asked::NonResource { path } => perms.authorize_non_resource(&q.user, &q.verb, path),
            Asked::Resource { .. } => None,
        },
    };
    if let Some(Reason::Rule {
        binding,
        role,
        rule_index,
        ..
    }) = ours
        && let Some(rule) = perms.role_rules(&role).and_then(|r| r.get(rule_index))
    {
        out.push_str(&format!(
            "\n  Rampart allows by {} -> {:?} rule {rule_index}: {}",
            binding.to_ref(),
            role,
            serde_json::to_string(rule).unwrap_or_default()
        ));
    }
    // Rules of the identity in the request's namespace that the authorizer's matcher would
    // accept: the candidates the server may have used.
    let namespace = match &q.kind {
        Asked::Resource { namespace, .. } => namespace.as_str(),
        Asked::NonResource { .. } => "",
    };
    for h in perms.held_in(&q.user, namespace) {
        let matches = match (&q.kind, q.request()) {
            (_, Some(req)) => rule_allows(h.rule, &req),
            (Asked::NonResource { path }, None) => rule_allows_non_resource(h.rule, &q.verb, path),
            _ => false,
        };
        let named = reason.contains(h.binding.name());
        if matches || named {
            out.push_str(&format!(
                "\n  held: {} -> {:?} rule {}: {}",
                h.binding.to_ref(),
                h.role,
                h.rule_index,
                serde_json::to_string(h.rule).unwrap_or_default()
            ));
        }
    }
    out
}

async fn cleanup(client: &Client, config: &Config) {
    let dp = DeleteParams::default();
    for c in &config.cluster_role_bindings {
        let name = c.metadata.name.clone().unwrap_or_default();
        let _ = Api::<ClusterRoleBinding>::all(client.clone())
            .delete(&name, &dp)
            .await;
    }
    for c in &config.cluster_roles {
        let name = c.metadata.name.clone().unwrap_or_default();
        let _ = Api::<ClusterRole>::all(client.clone())
            .delete(&name, &dp)
            .await;
    }
}

#[tokio::test]
async fn rampart_allowed_agrees_with_subject_access_reviews() -> Result<()> {
    let cluster = Cluster::connect().await?;
    // The whole configuration and every question follow from the seed.
    let seed = seed_from_env("RAMPART_E2E_SEED");
    println!("rbac_authorizer: seed {seed} (RAMPART_E2E_SEED={seed} replays it)");
    let mut rng = Rng::new(seed);
    let mut namespaces = Vec::new();
    for _ in 0..3 {
        namespaces.push(TestNamespace::create(&cluster, "rbac-authz").await?);
    }
    let prefix = format!("rampart-authz-{}-{:x}", std::process::id(), seed % 0xffffff);
    let world = World {
        label: format!("e2e.rampart.dev/{prefix}"),
        prefix,
        namespaces: namespaces.iter().map(|n| n.name.clone()).collect(),
    };
    let config = generate(&mut rng, &world);
    let result = run(&cluster.client, &world, &config, &mut rng, seed).await;
    cleanup(&cluster.client, &config).await;
    for ns in namespaces {
        ns.delete().await?;
    }
    result
}

async fn run(
    client: &Client,
    world: &World,
    config: &Config,
    rng: &mut Rng,
    seed: u64,
) -> Result<()> {
    let pp = PostParams::default();
    for r in &config.cluster_roles {
        Api::<ClusterRole>::all(client.clone())
            .create(&pp, r)
            .await?;
    }
    for r in &config.roles {
        let ns = r.metadata.namespace.clone().unwrap_or_default();
        Api::<Role>::namespaced(client.clone(), &ns)
            .create(&pp, r)
            .await?;
    }
    for b in &config.role_bindings {
        let ns = b.metadata.namespace.clone().unwrap_or_default();
        Api::<RoleBinding>::namespaced(client.clone(), &ns)
            .create(&pp, b)
            .await?;
    }
    for b in &config.cluster_role_bindings {
        Api::<ClusterRoleBinding>::all(client.clone())
            .create(&pp, b)
            .await?;
    }
    settle(client, world).await?;
    let perms = live_permissions(client).await?;

    let questions: Vec<Question> = (0..QUESTIONS)
        .map(|_| {
            let near = rng
                .chance(50)
                .then(|| near_question(rng, world, config))
                .flatten();
            near.unwrap_or_else(|| question(rng, world))
        })
        .collect();
    let started = Instant::now();
    let mut answers: Vec<(bool, String)> = Vec::with_capacity(questions.len());
    for chunk in questions.chunks(PARALLEL) {
        let mut set = tokio::task::JoinSet::new();
        for (i, q) in chunk.iter().enumerate() {
            let client = client.clone();
            let q = q.clone();
            set.spawn(async move { (i, ask(&client, &q).await) });
        }
        let mut got: Vec<(usize, (bool, String))> = Vec::with_capacity(chunk.len());
        while let Some(r) = set.join_next().await {
            let (i, answer) = r?;
            got.push((i, answer?));
        }
        got.sort_by_key(|(i, _)| *i);
        answers.extend(got.into_iter().map(|(_, a)| a));
    }
    let mut disagreements = Vec::new();
    let mut allowed = 0;
    for (q, (server, reason)) in questions.iter().zip(&answers) {
        let ours = match (&q.kind, q.request()) {
            (_, Some(req)) => perms.allowed(&q.user, &req),
            (Asked::NonResource { path }, None) => {
                perms.allowed_non_resource(&q.user, &q.verb, path)
            }
            _ => false,
        };
        allowed += usize::from(*server);
        if ours != *server {
            disagreements.push(shrink(q, &perms, *server, reason));
        }
    }
    // Straight to stderr, past the test harness's capture: the count belongs in every log.
    let _ = writeln!(
        std::io::stderr(),
        "rbac_authorizer: seed {seed}: asked {} SubjectAccessReviews in {:.1?} ({allowed} allowed, {} denied), {} disagreements",
        questions.len(),
        started.elapsed(),
        questions.len() - allowed,
        disagreements.len()
    );
    if !disagreements.is_empty() {
        bail!(
            "Rampart and the API server disagree on {} of {} questions; first ones:\n{}",
            disagreements.len(),
            questions.len(),
            disagreements
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // A comparison where everything is denied (or allowed) would prove little.
    if !(QUESTIONS / 20..=QUESTIONS * 19 / 20).contains(&allowed) {
        bail!("only {allowed} of {QUESTIONS} questions were allowed: the generator is degenerate");
    }
    Ok(())
}

/// Waits until the authorizer's informers have every object and the aggregation controller
/// has filled the aggregated roles. Informers are ordered per kind, so a probe Role and
/// RoleBinding created after the others, and a probe ClusterRole and ClusterRoleBinding,
/// are seen only after everything before them. Aggregation rewrites ClusterRoles later, so
/// once the stored roles agree with Rampart's, a second ClusterRole probe makes sure the
/// authorizer has read those rewrites too.
async fn settle(client: &Client, world: &World) -> Result<()> {
    let pp = PostParams::default();
    let probe_user = format!("{}-probe", world.prefix);
    let ns = &world.namespaces[0];
    let probe_rule = |name: &str| PolicyRule {
        verbs: vec!["get".into()],
        api_groups: Some(vec![String::new()]),
        resources: Some(vec!["configmaps".into()]),
        resource_names: Some(vec![name.to_owned()]),
        non_resource_urls: None,
    };
    let subject = Subject {
        kind: "User".into(),
        name: probe_user.clone(),
        api_group: Some("rbac.authorization.k8s.io".into()),
        namespace: None,
    };
    Api::<Role>::namespaced(client.clone(), ns)
        .create(
            &pp,
            &Role {
                metadata: meta(Some(ns), "probe"),
                rules: Some(vec![probe_rule("probe-ns")]),
            },
        )
        .await?;
    Api::<RoleBinding>::namespaced(client.clone(), ns)
        .create(
            &pp,
            &RoleBinding {
                metadata: meta(Some(ns), "probe"),
                role_ref: RoleRef {
                    api_group: Some("rbac.authorization.k8s.io".into()),
                    kind: "Role".into(),
                    name: "probe".into(),
                },
                subjects: Some(vec![subject.clone()]),
            },
        )
        .await?;
    let probe_cr = format!("{}-probe", world.prefix);
    let crs: Api<ClusterRole> = Api::all(client.clone());
    crs.create(
        &pp,
        &ClusterRole {
            metadata: meta(None, &probe_cr),
            rules: Some(vec![probe_rule("probe-1")]),
            aggregation_rule: None,
        },
    )
    .await?;
    Api::<ClusterRoleBinding>::all(client.clone())
        .create(
            &pp,
            &ClusterRoleBinding {
                metadata: meta(None, &probe_cr),
                role_ref: RoleRef {
                    api_group: Some("rbac.authorization.k8s.io".into()),
                    kind: "ClusterRole".into(),
                    name: probe_cr.clone(),
                },
                subjects: Some(vec![subject]),
            },
        )
        .await?;
    let probe = |name: &str, namespace: &str| Question {
        user: UserInfo::new(probe_user.clone(), &[]),
        verb: "get".into(),
        kind: Asked::Resource {
            group: String::new(),
            resource: "configmaps".into(),
            subresource: String::new(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        },
    };
    for (name, namespace) in [("probe-ns", ns.as_str()), ("probe-1", "")] {
        let q = probe(name, namespace);
        wait_for(
            &format!("the authorizer to allow probe {name}"),
            WAIT,
            || async { Ok(ask(client, &q).await?.0.then_some(())) },
        )
        .await?;
    }
    wait_for("the aggregation controller", WAIT, || async {
        let perms = live_permissions(client).await?;
        Ok(aggregation_settled(client, &perms).await?.then_some(()))
    })
    .await?;
    let mut cr = crs.get(&probe_cr).await?;
    cr.rules = Some(vec![probe_rule("probe-2")]);
    crs.replace(&probe_cr, &pp, &cr).await?;
    let q = probe("probe-2", "");
    wait_for(
        "the authorizer to read the aggregated roles",
        WAIT,
        || async { Ok(ask(client, &q).await?.0.then_some(())) },
    )
    .await?;
    Ok(())
}
