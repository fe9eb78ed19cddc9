//! Searching the built graph: every identity's shortest way to cluster-admin, and the
//! identities one can become, each within the depth bound.

use super::{Escalations, Node, Path, StoredStep};
use crate::model::identity::Subject;
use std::collections::{HashMap, VecDeque};

impl Escalations {
    /// Every node's shortest way to cluster-admin, by relaxing edge lists once per step of
    /// the depth bound: a list's best target is computed once however many nodes share it.
    pub(super) fn shortest_to_admin(&mut self, admin: usize) {
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
                        .filter_map(|(k, step)| dist[step.to as usize].map(|d| (d, k)))
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

    /// The node an edge leads to, and its step.
    fn edge(&self, (list, k): (usize, usize)) -> Option<(usize, &StoredStep)> {
        let step = self.lists.get(list)?.get(k)?;
        Some((step.to as usize, step))
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
            steps.push((self.step(to, step), self.nodes[to].clone()));
            i = to;
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
                for (k, step) in self.lists[l].iter().enumerate() {
                    let to = step.to as usize;
                    if depth.contains_key(&to) || self.nodes[to] == Node::ClusterAdmin {
                        continue;
                    }
                    if order.len() >= limit {
                        more = true;
                        break 'search;
                    }
                    depth.insert(to, d + 1);
                    parent.insert(to, i);
                    order.push((to, (l, k)));
                    queue.push_back(to);
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
                    steps.push((self.step(to, step), self.nodes[to].clone()));
                    cur = p;
                }
                steps.reverse();
                Some((subject.clone(), Path { steps }))
            })
            .collect();
        (found, more)
    }
}
