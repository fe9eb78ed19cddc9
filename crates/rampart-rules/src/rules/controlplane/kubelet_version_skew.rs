//! CP022 kubelet-version-skew.

use super::PATCHING;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP022",
    name: "kubelet-version-skew",
    title: "A kubelet's version is outside the skew Kubernetes supports",
    category: Category::ControlPlane,
    severity: Severity::High,
    rationale: "Kubernetes supports kubelets up to three minor releases older than the API \
        server, and none newer. Outside that window the pair is untested: security features \
        the API server relies on (bound ServiceAccount tokens, NodeRestriction's checks, \
        credential projection) may be missing or behave differently on the node, and a \
        node that old is usually far behind on patches too.",
    remediation: "Upgrade the kubelet to the API server's minor (or at most three behind); \
        never upgrade kubelets before the control plane.",
    references: &[PATCHING],
    cluster_wide: true,
    check,
};

/// How many minors a kubelet may trail the API server.
const MAX_BEHIND: u32 = 3;

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    if !ctx.cluster_in_scope() {
        return;
    }
    let v = &ctx.control_plane().version;
    let Some(api) = &v.apiserver else {
        return;
    };
    for k in &v.kubelets {
        if k.version.major != api.version.major {
            continue;
        }
        let problem = if k.version.minor > api.version.minor {
            format!("newer than the API server's {}", api.version)
        } else if api.version.minor - k.version.minor > MAX_BEHIND {
            format!(
                "{} minor releases behind the API server's {} (at most {MAX_BEHIND} are supported)",
                api.version.minor - k.version.minor,
                api.version
            )
        } else {
            continue;
        };
        emit.push(
            Draft::new(
                k.object.clone(),
                format!("{} runs {}, {problem}", v.whose(k), k.version),
            )
            .system(false),
        );
    }
}
