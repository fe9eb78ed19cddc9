//! Identities as the authorizer knows them: the keys bindings name ([`SubjectKey`]) and who
//! is asking ([`UserInfo`]), with the groups each kind of identity authenticates with.

use crate::model::identity::Subject;
use std::fmt;

/// The group the privileged-group authorizer allows everything.
pub const PRIVILEGED_GROUP: &str = "system:masters";
pub const AUTHENTICATED: &str = "system:authenticated";
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";
pub(super) const SA_USER_PREFIX: &str = "system:serviceaccount:";

/// An identity as the authorizer matches it: bindings name users and groups.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectKey {
    User(String),
    Group(String),
}

impl SubjectKey {
    /// A ServiceAccount's user name, split back, or `None` for other users and groups.
    pub fn service_account(&self) -> Option<(&str, &str)> {
        match self {
            SubjectKey::User(u) => u.strip_prefix(SA_USER_PREFIX)?.split_once(':'),
            SubjectKey::Group(_) => None,
        }
    }

    /// The subject as findings and the CLI name it.
    pub fn to_subject(&self) -> Subject {
        if let Some((namespace, name)) = self.service_account() {
            return Subject::ServiceAccount {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            };
        }
        match self {
            SubjectKey::User(u) => Subject::User(u.clone()),
            SubjectKey::Group(g) => Subject::Group(g.clone()),
        }
    }

    pub fn from_subject(s: &Subject) -> SubjectKey {
        match s {
            Subject::Group(g) => SubjectKey::Group(g.clone()),
            other => SubjectKey::User(other.user_name()),
        }
    }
}

impl fmt::Display for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_subject().fmt(f)
    }
}

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
            name: format!("{SA_USER_PREFIX}{namespace}:{name}"),
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
        let user = (!self.name.is_empty()).then(|| SubjectKey::User(self.name.clone()));
        user.into_iter()
            .chain(self.groups.iter().map(|g| SubjectKey::Group(g.clone())))
    }

    pub(super) fn is_privileged(&self) -> bool {
        self.groups.iter().any(|g| g == PRIVILEGED_GROUP)
    }
}
