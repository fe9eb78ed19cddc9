//! CP001 anonymous-auth-enabled.

use super::{ANONYMOUS_CIS, ANONYMOUS_MITRE, ANONYMOUS_NSA, probed_anonymous};
use super::{on_flag, pods, shown};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

const FLAG: &str = "anonymous-auth";

pub const RULE: Rule = Rule {
    id: "CP001",
    name: "anonymous-auth-enabled",
    title: "kube-apiserver serves requests without credentials",
    category: Category::ControlPlane,
    severity: Severity::Low,
    rationale: "With anonymous authentication on (the default), every request that carries no \
        credentials is served as `system:anonymous` in group `system:unauthenticated`; only \
        authorization stands between it and the API. A single binding to those subjects, or an \
        authorizer that allows by default, opens the cluster to anyone who can reach the API \
        server. Load balancers' health checks need only `/healthz`, `/livez` and `/readyz`, \
        which an authenticated probe or the `--authentication-config` anonymous section can \
        serve.",
    remediation: "Start kube-apiserver with `--anonymous-auth=false`, or (1.32 and later) use an \
        AuthenticationConfiguration whose `anonymous` section allows only the health endpoints. \
        Keep no RoleBinding or ClusterRoleBinding to `system:anonymous` or \
        `system:unauthenticated`.",
    references: &[ANONYMOUS_CIS, ANONYMOUS_NSA, ANONYMOUS_MITRE],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    if !ctx.cluster_in_scope() {
        return;
    }
    // What an anonymous request actually got outranks how the pod looks.
    if let Some(verdict) = probed_anonymous(ctx) {
        if let Some(source) = verdict
            .source
            .clone()
            .filter(|_| verdict.state != "disabled")
        {
            // Reaching only the public-info endpoints is how most clusters run: worth
            // knowing, nothing to fix urgently. Reaching more is CP023's.
            let draft = Draft::new(source, verdict.detail.clone()).system(false);
            emit.push(if verdict.state == "public-info-only" {
                draft.severity(Severity::Info)
            } else {
                draft.message(
                    "Anonymous authentication is on: requests without credentials are served as system:anonymous",
                )
            });
        }
        return;
    }
    for api in pods(ctx, Component::ApiServer) {
        // An authentication configuration file decides anonymous access itself (and the flag
        // may not be set beside its anonymous section): the flags cannot tell.
        if api.flag(FLAG).is_none() && api.flag("authentication-config").is_some() {
            continue;
        }
        if api.bool_flag(FLAG, true) != Some(true) {
            continue;
        }
        emit.push(on_flag(
            api,
            FLAG,
            format!(
                "starts kube-apiserver with {}: requests without credentials are served as system:anonymous",
                shown(api, FLAG, "true")
            ),
        ));
    }
}
