//! POD022 writable-root-filesystem.

use super::per_container::{Offence, report_per_container};
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD022",
    name: "writable-root-filesystem",
    title: "Container can write to its root filesystem",
    category: Category::Workload,
    severity: Severity::Low,
    rationale: "A writable root filesystem lets an attacker who gets code execution in the \
        container download tools, change binaries and configuration, and persist until the \
        container is replaced. Most applications write only to a few known directories, \
        which can be volumes. The Pod Security Standards do not require it, so admission \
        does not catch it.",
    remediation: "Set `securityContext.readOnlyRootFilesystem: true` on every container and \
        mount an `emptyDir` volume where the application must write (`/tmp`, caches).",
    references: &[
        nsa("Pod security", "Use immutable container file systems"),
        mitre("T1105", "Ingress Tool Transfer"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_per_container(
        ctx,
        emit,
        |w, c| {
            // Windows containers cannot have a read-only root filesystem.
            let windows = w.spec.os.as_deref() == Some("windows");
            let read_only = c
                .security_context()
                .and_then(|s| s.read_only_root_filesystem)
                == Some(true);
            if windows || read_only {
                return Vec::new();
            }
            vec![Offence {
                detail: format!("{:?}", c.name()),
                field: "securityContext.readOnlyRootFilesystem".to_owned(),
            }]
        },
        |w, names| {
            message_about(
                &w.object,
                &[
                    ": container(s) ",
                    &names.join(", "),
                    " can write to their root filesystem \
                     (securityContext.readOnlyRootFilesystem is not true)",
                ],
            )
        },
    );
}
