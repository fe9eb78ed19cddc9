//! Secrets where they do not belong: credentials written into pod specs and ConfigMaps,
//! and Secret values committed with manifests. Values are never kept or printed; findings name where the
//! value is and why it looks like a credential (`model::credentials`).

use crate::rules::prelude::*;

mod credential_in_configmap;
mod literal_credential_in_environment_variable;
mod secret_data_in_manifest;

pub const RULES: &[Rule] = &[
    literal_credential_in_environment_variable::RULE,
    secret_data_in_manifest::RULE,
    credential_in_configmap::RULE,
];
