//! Exec through the kubelet API: `nodes/proxy` reaches every pod, so every bound
//! ServiceAccount a workload runs as.

use super::action::{Action, Edge};
use super::grants::{Held, cited, req, via};
use super::targets::Targets;
use super::{Escalations, Node};
use crate::analysis::rbac::matching::ResourceRequest;
use crate::analysis::rbac::permissions::{Permissions, SubjectKey};
use crate::model::identity::Subject;

impl Escalations {
    pub(super) fn kubelet(
        &mut self,
        perms: &Permissions,
        t: &Targets,
        user: &Held<'_>,
        me: &SubjectKey,
    ) -> Vec<(Node, Edge)> {
        let mut out = Vec::new();
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
            return out;
        };
        if t.workloads.len() > self.limits.max_targets {
            self.truncated = true;
        }
        for ((ns, sa), workload) in t.workloads.iter().take(self.limits.max_targets) {
            if me.is_service_account(ns, sa) {
                continue;
            }
            let mut v = via(&reason);
            v.push(("target", workload.clone()));
            out.push((
                Node::Identity(Subject::ServiceAccount {
                    namespace: ns.clone(),
                    name: sa.clone(),
                }),
                Edge {
                    action: Action::KubeletExec,
                    via: v,
                    cited: cited(&reason, 0),
                    direct: false,
                },
            ));
        }
        out
    }
}
