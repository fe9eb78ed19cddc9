//! CP023 anonymous-requests-reach-api.

use crate::analysis::control_plane::Evidence;
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
        cis(
            "1.2.1",
            "Ensure that the --anonymous-auth argument is set to false",
        ),
        nsa(
            "Authentication and authorization",
            "Disable anonymous requests to the API server",
        ),
        mitre("T1078.001", "Valid Accounts: Default Accounts"),
        mitre("T1133", "External Remote Services"),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    if !ctx.cluster_in_scope() {
        return;
    }
    let verdict = &ctx.control_plane().anonymous;
    if verdict.evidence != Evidence::Probe || verdict.state != "exposed" {
        return;
    }
    if let Some(source) = &verdict.source {
        emit.push(Draft::new(source.clone(), verdict.detail.clone()).system(false));
    }
}
