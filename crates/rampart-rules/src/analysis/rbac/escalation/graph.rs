//! Building the graph: identities are expanded breadth-first from those bindings name, each
//! once; a subject key's steps are found once and shared by every identity with the key.
//! Steps are stored with their objects interned.

use super::action::Edge;
use super::grants::Held;
use super::targets::{Targets, targets};
use super::{Escalations, Limits, NO_TARGET, Node, Step, StoredStep, Via};
use crate::analysis::rbac::permissions::{Permissions, SubjectKey, UserInfo};
use crate::inventory::Inventory;
use crate::model::identity::{ObjectRef, Subject};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;

/// The relation of the object a step acts on (a ServiceAccount, its token Secret, a
/// workload): one per step, so it is kept apart from the objects steps share.
const TARGET: &str = "target";

/// Which part of an identity's grants a list of steps comes from.
#[derive(Debug, Clone, Copy)]
enum Part<'s> {
    Key(&'s SubjectKey),
    Own(&'s Subject),
}

impl Part<'_> {
    /// Who asks for this part, and the key that stands for it as a target.
    fn asker(self) -> (UserInfo, SubjectKey) {
        match self {
            Part::Key(k) => {
                let info = match k {
                    SubjectKey::User(u) => UserInfo::new(u.clone(), &[]),
                    SubjectKey::Group(g) => UserInfo::new(String::new(), &[g.as_str()]),
                };
                (info, k.clone())
            }
            Part::Own(s) => (UserInfo::for_subject(s), SubjectKey::from_subject(s)),
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
        let mut queue = e.add_starts(perms, extra);
        let mut expanded: HashSet<usize> = HashSet::new();
        while let Some(i) = queue.pop_front() {
            if i == admin || !expanded.insert(i) {
                continue;
            }
            let Node::Identity(subject) = e.nodes[i].clone() else {
                continue;
            };
            e.node_lists[i] = e.edge_lists_of(perms, &targets, &subject, &mut queue);
        }
        e.shortest_to_admin(admin);
        e.forget_build_caches();
        e
    }

    /// Drops what only building needed: the graph is held as long as its inventory is
    /// unchanged, and these lookups would double its size.
    fn forget_build_caches(&mut self) {
        self.object_ids = HashMap::new();
        self.via_ids = HashMap::new();
        self.caps = HashMap::new();
        self.role_caps = HashMap::new();
    }

    /// The identities bindings name, and `extra`, as the first nodes to expand.
    fn add_starts(&mut self, perms: &Permissions, extra: &[Subject]) -> VecDeque<usize> {
        let mut queue = VecDeque::new();
        let mut starts: Vec<Subject> = perms.subjects().map(SubjectKey::to_subject).collect();
        starts.extend(extra.iter().cloned());
        starts.sort();
        starts.dedup();
        for s in starts {
            let i = self.node(Node::Identity(s));
            self.starts.push(i);
            queue.push_back(i);
        }
        queue
    }

    /// The edge lists of one identity: its subject keys' (found once per key) and its own.
    fn edge_lists_of(
        &mut self,
        perms: &Permissions,
        targets: &Targets,
        subject: &Subject,
        queue: &mut VecDeque<usize>,
    ) -> Vec<usize> {
        let mut lists = Vec::new();
        for key in UserInfo::for_subject(subject).keys() {
            if !perms.is_bound(&key) {
                continue;
            }
            let id = match self.key_lists.get(&key) {
                Some(&id) => id,
                None => {
                    let out = self.expand(perms, targets, Part::Key(&key));
                    let id = self.add_list(out, queue);
                    self.key_lists.insert(key, id);
                    id
                }
            };
            lists.push(id);
        }
        let own = self.expand(perms, targets, Part::Own(subject));
        lists.push(self.add_list(own, queue));
        lists
    }

    /// The steps one part of an identity enables: a subject key's own bindings, or (for
    /// `Part::Own`) what needs the identity's grants together.
    fn expand(&mut self, perms: &Permissions, t: &Targets, part: Part<'_>) -> Vec<(Node, Edge)> {
        let own = matches!(part, Part::Own(_));
        let (info, me) = part.asker();
        let user = Held::of(perms, info);
        if own && let Some((node, step)) = self.holds_everything(perms, &user) {
            return vec![(node, step.into())];
        }
        let verbs = verbs_held(perms, &user);
        if verbs.is_empty() {
            return Vec::new();
        }
        let may = |v: &str| verbs.contains("*") || verbs.contains(v);
        let mut out = Vec::new();
        if own {
            out.extend(
                self.admin_edges(perms, &user, &may)
                    .into_iter()
                    .map(|(n, s)| (n, s.into())),
            );
        }
        out.extend(self.namespace_edges(perms, t, &user, &me, own, &may));
        if !own && may("impersonate") {
            out.extend(
                self.impersonate_users_and_groups(perms, t, &user, &me)
                    .into_iter()
                    .map(|(n, s)| (n, s.into())),
            );
        }
        if !own && (may("get") || may("create")) {
            out.extend(self.kubelet(perms, t, &user, &me));
        }
        out
    }

    fn add_list(&mut self, out: Vec<(Node, Edge)>, queue: &mut VecDeque<usize>) -> usize {
        let mut edges = Vec::with_capacity(out.len());
        for (node, step) in out {
            let known = self.index.contains_key(&node);
            let j = self.node(node);
            if !known {
                queue.push_back(j);
            }
            let mut via: Vec<(&'static str, u32)> = step
                .via
                .into_iter()
                .map(|(relation, object)| (relation, self.object_id(object)))
                .collect();
            let target = match via.last() {
                Some(&(TARGET, object)) => {
                    via.pop();
                    object
                }
                _ => NO_TARGET,
            };
            edges.push(StoredStep {
                action: step.action,
                to: u32::try_from(j).unwrap_or(u32::MAX),
                via: self.via_id(via.into_boxed_slice()),
                target,
                cited: step.cited.and_then(|i| u8::try_from(i).ok()),
                direct: step.direct,
            });
        }
        self.lists.push(edges.into_boxed_slice());
        self.lists.len() - 1
    }

    fn via_id(&mut self, via: Via) -> u32 {
        intern(&mut self.vias, &mut self.via_ids, via)
    }

    fn object_id(&mut self, o: ObjectRef) -> u32 {
        intern(&mut self.objects, &mut self.object_ids, o)
    }

    /// A stored step leading to node `to`, in words.
    pub(super) fn step(&self, to: usize, s: &StoredStep) -> Step {
        let shared = self.vias.get(s.via as usize).map_or(&[][..], |v| &v[..]);
        let via: Vec<(&'static str, &ObjectRef)> = shared
            .iter()
            .copied()
            .chain((s.target != NO_TARGET).then_some((TARGET, s.target)))
            .filter_map(|(rel, i)| Some((rel, self.objects.get(i as usize)?)))
            .collect();
        let action = match self.nodes.get(to) {
            Some(node) => s.action.render(node, &via, s.cited.map(usize::from)),
            None => String::new(),
        };
        Step {
            action,
            via: via.into_iter().map(|(rel, o)| (rel, o.clone())).collect(),
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
        self.lists.iter().map(|l| l.len()).sum()
    }
}

/// The index of `item` in `items`, added once: `ids` finds it again.
fn intern<T: Clone + Eq + Hash>(items: &mut Vec<T>, ids: &mut HashMap<T, u32>, item: T) -> u32 {
    if let Some(&i) = ids.get(&item) {
        return i;
    }
    let i = u32::try_from(items.len()).unwrap_or(u32::MAX);
    items.push(item.clone());
    ids.insert(item, i);
    i
}

/// Every verb some rule held grants: a part without `bind`, say, is not asked about binding.
fn verbs_held<'p>(perms: &'p Permissions, user: &Held<'p>) -> HashSet<&'p str> {
    user.bindings
        .iter()
        .filter_map(|(_, role, _)| perms.role_rules(role))
        .flatten()
        .flat_map(|r| r.verbs.iter().map(String::as_str))
        .collect()
}
