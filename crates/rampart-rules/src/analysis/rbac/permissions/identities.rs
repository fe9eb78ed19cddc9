//! Who is asking ([`UserInfo`]), with the groups each kind of identity authenticates with;
//! the keys bindings name it by are `model::identity::SubjectKey`.

use crate::model::identity::{Subject, SubjectKey, service_account_user};
use crate::model::shared::Shared;

/// The group the privileged-group authorizer allows everything.
pub const PRIVILEGED_GROUP: &str = "system:masters";
pub const AUTHENTICATED: &str = "system:authenticated";
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";

/// Who is asking: a user name and the groups the authenticator gave it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    /// A user with exactly these groups (a SubjectAccessReview adds none).
    pub fn new(name: impl Into<String>, groups: &[&str]) -> Self {
        UserInfo {
            name: name.into(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        }
    }

    /// A ServiceAccount with the groups its token authenticates with.
    pub fn service_account(namespace: &str, name: &str) -> Self {
        UserInfo {
            name: service_account_user(namespace, name),
            groups: vec![
                ALL_SERVICE_ACCOUNTS.to_owned(),
                format!("{ALL_SERVICE_ACCOUNTS}:{namespace}"),
                AUTHENTICATED.to_owned(),
            ],
        }
    }

    /// How a binding's subject acts: a user is at least `system:authenticated`, a
    /// ServiceAccount has its groups, and a group stands for a member with no other grant.
    pub fn for_subject(s: &Subject) -> Self {
        match s {
            Subject::User(u) => UserInfo::new(u.clone(), &[AUTHENTICATED]),
            Subject::Group(g) => UserInfo::new(String::new(), &[g.as_str()]),
            Subject::ServiceAccount { namespace, name } => {
                UserInfo::service_account(namespace, name)
            }
        }
    }

    /// The keys bindings may name this identity by.
    pub fn keys(&self) -> impl Iterator<Item = SubjectKey> + '_ {
        let user = (!self.name.is_empty()).then(|| SubjectKey::User(Shared::new(&self.name)));
        user.into_iter().chain(
            self.groups
                .iter()
                .map(|g| SubjectKey::Group(Shared::new(g))),
        )
    }

    pub(super) fn is_privileged(&self) -> bool {
        self.groups.iter().any(|g| g == PRIVILEGED_GROUP)
    }
}
