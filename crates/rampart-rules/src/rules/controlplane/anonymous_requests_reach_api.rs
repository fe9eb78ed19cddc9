//! CP023 anonymous-requests-reach-api.

use super::{ANONYMOUS_CIS, ANONYMOUS_MITRE, ANONYMOUS_NSA, probed_anonymous};
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP023",
    name: "anonymous-requests-reach-api",
    title: "Requests without credentials read the API",
    category: Category::ControlPlane,
    severity: Severity::Critical,
    rationale: "Rampart sent requests with no credentials at all to the API server, as anyone \
        who can reach it could, and they were answered with data beyond the public-info \
        endpoints: lists of objects, discovery or metrics. Whatever authorizer allowed it (a \
        binding to `system:anonymous` or `system:unauthenticated`, AlwaysAllow, a webhook), \
        the cluster is readable by strangers and is one step from being writable. Only \
        read-only paths are probed, never Secrets.",
    remediation: "Find what authorizes anonymous requests (`rampart who-can` for RBAC, \
        `--authorization-mode` for AlwaysAllow) and remove it; then turn anonymous \
        authentication off (`--anonymous-auth=false`) or limit it to the health endpoints with \
        an AuthenticationConfiguration.",
    references: &[
        ANONYMOUS_CIS,
        ANONYMOUS_NSA,
        ANONYMOUS_MITRE,
        mitre("T1133", "External Remote Services"),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    let Some(verdict) = probed_anonymous(ctx).filter(|v| v.state == "exposed") else {
        return;
    };
    if let Some(source) = &verdict.source {
        emit.push(Draft::new(source.clone(), verdict.detail.clone()).system(false));
    }
}
