//! RBAC as the API server's authorizer decides it: how one PolicyRule matches a request
//! ([`matching`]), every identity's effective permissions ([`permissions`], the one RBAC
//! index), and the escalation paths those permissions open ([`escalation`]).

pub mod escalation;
pub mod matching;
pub mod permissions;
