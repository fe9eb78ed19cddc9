//! Effective permissions: what every identity may do, decided as the API server's RBAC
//! authorizer decides it, and kept up to date one object at a time.
//!
//! ```text
//! ClusterRole definitions --aggregation--> rules per role  (RoleKey -> [PolicyRule])
//!                                               ^
//! bindings (BindingId -> scope, role, subject keys) -----+
//!        |
//!        +--> by subject: subject key -> bindings naming it, cluster-wide and per namespace
//!
//! UserInfo { name, groups } + request --allowed--> the binding, role and rule that allow it
//! ```
//!
//! The authorizer knows identities only by user name and groups. A ServiceAccount subject
//! is the user `system:serviceaccount:<ns>:<name>`, so it and a `User` subject of that name
//! are one key here; a ServiceAccount authenticates with the groups `system:serviceaccounts`,
//! `system:serviceaccounts:<ns>` and `system:authenticated`. The `system:masters` group is
//! allowed everything by the privileged-group authorizer that runs before RBAC.
//!
//! Incremental updates: a binding change touches only the entries of the subjects it names
//! (before and after); a Role change only its own rules; a ClusterRole change its own rules
//! and those of the aggregated ClusterRoles that select it, transitively. Bindings refer to
//! roles by key, so no subject needs recomputing when a role's rules change. The state is
//! plain ordered data, so a test can compare an incrementally updated state with a fresh
//! build ([`Permissions::from_objects`]) for equality.
//!
//! Bootstrap ClusterRoles (the embedded policy) are present unless the input defines a role
//! of the same name; removing such an input role brings the bootstrap one back, as the API
//! server does on its next start. Bootstrap bindings are not added: offline input describes
//! its own bindings, and a live cluster lists the real ones.
//!
//! `identities` holds who is asking, `index` the state and its updates, `queries` the
//! questions asked of it, `reach` where a change to an RBAC object or identity is read.

mod identities;
mod index;
mod queries;
mod reach;

pub use crate::model::identity::{BindingId, SubjectKey};
pub use identities::{PRIVILEGED_GROUP, UserInfo};
pub use index::{Permissions, RbacObject};
pub use queries::Reason;

#[cfg(test)]
mod tests;
