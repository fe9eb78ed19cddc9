//! CP010 audit-log-retention-short.

use super::{on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP010",
    name: "audit-log-retention-short",
    title: "kube-apiserver deletes its audit log early",
    category: Category::ControlPlane,
    severity: Severity::Low,
    rationale: "Intrusions are often found weeks later. An audit log rotated away after a few \
        days, a few files or a few megabytes is gone by the time someone looks. Left at 0 \
        (the default) these limits keep files forever, which is not early deletion, so only \
        limits set below 30 days, 10 files or 100 MB are reported.",
    remediation: "Set `--audit-log-maxage=30`, `--audit-log-maxbackup=10` and \
        `--audit-log-maxsize=100` or more, or ship the log off the node (an audit webhook or a \
        log collector) and keep it there.",
    references: &[
        cis(
            "1.2.17",
            "Ensure that the --audit-log-maxage argument is set to 30 or as appropriate",
        ),
        cis(
            "1.2.18",
            "Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate",
        ),
        cis(
            "1.2.19",
            "Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate",
        ),
        nsa(
            "Audit logging and threat detection",
            "Enable Kubernetes audit logging",
        ),
    ],
    cluster_wide: true,
    check,
};

/// (flag, minimum, unit) of each limit.
const LIMITS: [(&str, u64, &str); 3] = [
    ("audit-log-maxage", 30, "days"),
    ("audit-log-maxbackup", 10, "files"),
    ("audit-log-maxsize", 100, "MB"),
];

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for api in pods(ctx, Component::ApiServer) {
        // Only a log file rotates; `-` writes to standard output.
        if api
            .flag("audit-log-path")
            .is_none_or(|p| p.is_empty() || p == "-")
        {
            continue;
        }
        for (flag, minimum, unit) in LIMITS {
            let Some(value) = api.flag(flag).and_then(|v| v.parse::<u64>().ok()) else {
                continue;
            };
            if value == 0 || value >= minimum {
                continue;
            }
            emit.push(
                on_flag(
                    api,
                    flag,
                    format!("starts kube-apiserver with --{flag}={value}: audit logs are deleted after {value} {unit} (keep at least {minimum})"),
                )
                .discriminator(flag),
            );
        }
    }
}
