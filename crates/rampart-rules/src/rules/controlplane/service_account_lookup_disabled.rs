//! CP012 service-account-lookup-disabled.

use super::{on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

const FLAG: &str = "service-account-lookup";

pub const RULE: Rule = Rule {
    id: "CP012",
    name: "service-account-lookup-disabled",
    title: "kube-apiserver accepts tokens of deleted ServiceAccounts",
    category: Category::ControlPlane,
    severity: Severity::Medium,
    rationale: "With `--service-account-lookup=false` the API server trusts a ServiceAccount \
        token's signature alone and does not check that the ServiceAccount (or the Secret or \
        pod the token is bound to) still exists. Deleting a ServiceAccount then no longer \
        revokes its tokens: a stolen one keeps working until it expires, or forever for a \
        legacy token.",
    remediation: "Remove `--service-account-lookup=false` (the default is true).",
    references: &[
        cis(
            "1.2.21",
            "Ensure that the --service-account-lookup argument is set to true",
        ),
        nsa(
            "Authentication and authorization",
            "Use strong authentication methods for the API server",
        ),
        mitre("T1528", "Steal Application Access Token"),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for api in pods(ctx, Component::ApiServer) {
        if api.bool_flag(FLAG, true) != Some(false) {
            continue;
        }
        emit.push(on_flag(
            api,
            FLAG,
            format!("starts kube-apiserver with --{FLAG}=false: tokens of deleted ServiceAccounts stay valid"),
        ));
    }
}
