//! Whether a literal value looks like a credential: a small heuristic that prefers missing
//! a credential to crying wolf. Values are judged where they are read and never kept; only
//! the reason is.
//!
//! A value is a credential when its shape says so whatever its name (an AWS access key id,
//! a PEM private key, GitHub and Slack tokens, a JSON Web Token, a URL with a password), or
//! when its name says it holds a secret (a word such as `PASSWORD`, `SECRET`, `TOKEN`,
//! `APIKEY`) and the value is not a reference, a path, a number, a boolean or too short to
//! be one.

/// Name words that say the value is secret.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
];

/// Name words that say the value points at a secret or describes one instead.
const POINTER_WORDS: &[&str] = &[
    "FILE",
    "PATH",
    "DIR",
    "NAME",
    "REF",
    "URL",
    "HOST",
    "PORT",
    "TTL",
    "TIMEOUT",
    "EXPIRY",
    "EXPIRES",
    "LENGTH",
    "ENABLED",
    "TYPE",
    "ID",
    "HEADER",
    "KIND",
    "MODE",
    "ALGORITHM",
];

/// Why `value` looks like a credential, or `None`.
pub fn looks_like_credential(name: &str, value: &str) -> Option<&'static str> {
    shape_of(value).or_else(|| named_secret(name, value))
}

fn shape_of(value: &str) -> Option<&'static str> {
    let v = value.trim();
    let alnum_upper = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    if v.len() == 20 && (v.starts_with("AKIA") || v.starts_with("ASIA")) && alnum_upper(v) {
        return Some("an AWS access key id");
    }
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    let token_chars = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"] {
        if let Some(rest) = v.strip_prefix(prefix)
            && rest.len() >= 30
            && token_chars(rest)
        {
            return Some("a GitHub token");
        }
    }
    for prefix in ["xoxb-", "xoxp-", "xoxa-", "xoxr-"] {
        if v.starts_with(prefix) && v.len() >= 20 {
            return Some("a Slack token");
        }
    }
    let jwt_part = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let parts: Vec<&str> = v.split('.').collect();
    if v.starts_with("eyJ") && parts.len() == 3 && v.len() > 40 && parts.iter().all(|p| jwt_part(p))
    {
        return Some("a JSON Web Token");
    }
    if let Some((_, rest)) = v.split_once("://")
        && let Some((userinfo, _)) = rest.split_once('@')
        && let Some((_, password)) = userinfo.split_once(':')
        && !password.is_empty()
        && !is_reference(password)
        && !userinfo.contains('/')
    {
        return Some("a URL with a password");
    }
    None
}

fn named_secret(name: &str, value: &str) -> Option<&'static str> {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    let joined = words.concat();
    let secret_word = words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || ["APIKEY", "ACCESSKEY", "PRIVATEKEY", "CLIENTSECRET"]
            .iter()
            .any(|w| joined.contains(w));
    if !secret_word || words.iter().any(|w| POINTER_WORDS.contains(&w.as_str())) {
        return None;
    }
    let v = value.trim();
    let plain = v.len() < 6
        || is_reference(v)
        || v.starts_with('/')
        || v.chars().all(|c| c.is_ascii_digit())
        || ["true", "false", "yes", "no", "none", "null"]
            .contains(&v.to_ascii_lowercase().as_str())
        || v.chars().all(|c| c == v.chars().next().unwrap_or(' '));
    (!plain).then_some("its name says it holds a secret")
}

/// `$(VAR)`, `${VAR}` or a template: the value comes from elsewhere.
fn is_reference(v: &str) -> bool {
    v.contains("$(") || v.contains("${") || v.contains("{{")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_credentials_whatever_the_name() {
        let cases = [
            (
                "AWS_ACCESS_KEY_ID",
                "AKIAIOSFODNN7EXAMPLE",
                "an AWS access key id",
            ),
            (
                "KEY",
                "-----BEGIN RSA PRIVATE KEY-----\nMIIE",
                "a private key",
            ),
            (
                "GH",
                "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                "a GitHub token",
            ),
            ("HOOK", "xoxb-1234567890-abcdefghij", "a Slack token"),
            (
                "AUTH",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc_DEF-123",
                "a JSON Web Token",
            ),
            (
                "DATABASE_URL",
                "postgres://app:s3cr3t@db:5432/app",
                "a URL with a password",
            ),
        ];
        for (name, value, why) in cases {
            assert_eq!(looks_like_credential(name, value), Some(why), "{name}");
        }
    }

    #[test]
    fn names_that_say_secret_with_literal_values_are_credentials() {
        for (name, value) in [
            ("DB_PASSWORD", "hunter22"),
            ("api-key", "0f8fad5bd9cb469f"),
            ("CLIENT_SECRET", "changeme"),
            ("GITLAB_TOKEN", "glpat-abcdefghij"),
            ("StripeApiKey", "sk_live_abcdef123456"),
        ] {
            assert_eq!(
                looks_like_credential(name, value),
                Some("its name says it holds a secret"),
                "{name}"
            );
        }
    }

    #[test]
    fn references_paths_numbers_and_other_names_are_not() {
        for (name, value) in [
            ("DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)"),
            ("DB_PASSWORD", "${PASSWORD}"),
            ("PASSWORD_FILE", "/run/secrets/db"),
            ("DB_PASSWORD", "/run/secrets/db"),
            ("TOKEN_TTL", "3600"),
            ("SECRET_NAME", "db-credentials"),
            ("TOKEN_AUDIENCE_ENABLED", "true"),
            ("DB_PASSWORD", "x"),
            ("DB_PASSWORD", "********"),
            ("LOG_LEVEL", "debug-verbose"),
            ("DATABASE_URL", "postgres://db:5432/app"),
            ("DATABASE_URL", "postgres://app:$(PW)@db/app"),
            ("AWS_REGION", "eu-west-1"),
        ] {
            assert_eq!(looks_like_credential(name, value), None, "{name}={value}");
        }
    }
}
