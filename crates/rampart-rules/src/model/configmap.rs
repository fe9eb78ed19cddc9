//! ConfigMaps as the engine keeps them: metadata, and where a credential seems to be
//! written into one. Values are judged on arrival by the same heuristic as environment
//! variables ([`super::credentials`]) and then dropped; only the key, the line, the name of
//! the setting and the reason are kept.

use crate::model::credentials::looks_like_credential;
use crate::model::meta::Meta;
use k8s_openapi::api::core::v1::ConfigMap;

/// Most credentials kept per ConfigMap: enough to act on, and a bound on memory.
const MAX_KEPT: usize = 8;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigMapMeta {
    pub metadata: Meta,
    /// Credentials found in `data`, in key order, at most [`MAX_KEPT`].
    pub credentials: Box<[ConfiguredCredential]>,
    /// How many were found in all, kept or not.
    pub credential_count: usize,
}

/// Where a credential seems to be written in a ConfigMap, without its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredCredential {
    /// The `data` key.
    pub key: String,
    /// The line within a multi-line value (a configuration file), from 1.
    pub line: Option<usize>,
    /// The setting's name: the key itself, or the name on that line.
    pub name: String,
    pub why: &'static str,
}

impl From<ConfigMap> for ConfigMapMeta {
    fn from(c: ConfigMap) -> ConfigMapMeta {
        let mut found = Vec::new();
        for (key, value) in c.data.iter().flatten() {
            find_in(key, value, &mut found);
        }
        let credential_count = found.len();
        found.truncate(MAX_KEPT);
        ConfigMapMeta {
            metadata: c.metadata.into(),
            credentials: found.into(),
            credential_count,
        }
    }
}

/// The credentials in one `data` entry: the value as a whole when it is one line, else
/// its shape (a private key) and then each `name = value` or `name: value` line.
fn find_in(key: &str, value: &str, out: &mut Vec<ConfiguredCredential>) {
    let found = |line, name: &str, why| ConfiguredCredential {
        key: key.to_owned(),
        line,
        name: name.to_owned(),
        why,
    };
    if !value.trim_end().contains('\n') {
        if let Some(why) = looks_like_credential(key, value) {
            out.push(found(None, key, why));
        }
        return;
    }
    // A name of "" lets only the value's shape speak.
    if let Some(why) = looks_like_credential("", value) {
        out.push(found(None, key, why));
        return;
    }
    for (i, line) in value.lines().enumerate() {
        let Some((name, v)) = setting(line) else {
            continue;
        };
        if let Some(why) = looks_like_credential(name, v) {
            out.push(found(Some(i + 1), name, why));
        }
    }
}

/// `name` and `value` of a configuration line (`name=value`, `name: value`, `export
/// NAME="value"`, `"name": "value",`); `None` for comments and anything else.
fn setting(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    if line.is_empty() || ["#", "//", ";", "--"].iter().any(|c| line.starts_with(c)) {
        return None;
    }
    let line = line.strip_prefix("export ").unwrap_or(line);
    let at = line.find(['=', ':'])?;
    let quotes: &[char] = &['"', '\''];
    let name = line[..at]
        .trim()
        .trim_matches(quotes)
        .trim_start_matches("- ");
    let value = line[at + 1..]
        .trim()
        .trim_end_matches(',')
        .trim()
        .trim_matches(quotes);
    let plain_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    (plain_name && !value.is_empty()).then_some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config_map(data: &[(&str, &str)]) -> ConfigMapMeta {
        let data: BTreeMap<String, String> = data
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ConfigMap {
            data: Some(data),
            ..ConfigMap::default()
        }
        .into()
    }

    #[test]
    fn finds_credentials_in_keys_and_in_configuration_files() {
        let c = config_map(&[
            ("DB_PASSWORD", "hunter2-prod"),
            ("LOG_LEVEL", "debug"),
            (
                "application.properties",
                "# database\ndb.url=jdbc:postgresql://db:5432/shop\ndb.password=s3cr3t-value\n",
            ),
            (
                "settings.yaml",
                "api:\n  token: \"${API_TOKEN}\"\n  secret: 'pl41n-t3xt'\n",
            ),
            (
                "tls.key",
                "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
            ),
        ]);
        let found: Vec<(&str, Option<usize>, &str)> = c
            .credentials
            .iter()
            .map(|f| (f.key.as_str(), f.line, f.name.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("DB_PASSWORD", None, "DB_PASSWORD"),
                ("application.properties", Some(3), "db.password"),
                ("settings.yaml", Some(3), "secret"),
                ("tls.key", None, "tls.key"),
            ]
        );
        assert_eq!(c.credential_count, 4);
        assert!(!format!("{c:?}").contains("s3cr3t-value"), "{c:?}");
    }

    #[test]
    fn keeps_a_bounded_number() {
        let keys: Vec<String> = (0..20).map(|i| format!("TOKEN_{i:02}")).collect();
        let data: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "abcdef123456")).collect();
        let c = config_map(&data);
        assert_eq!(c.credentials.len(), MAX_KEPT);
        assert_eq!(c.credential_count, 20);
    }
}
