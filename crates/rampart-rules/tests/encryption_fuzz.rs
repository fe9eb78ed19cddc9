//! Arbitrary input never panics the encryption evidence parsers: the EncryptionConfiguration
//! decoder (through the manifest reader, as a user's file reaches it) and the API server
//! metrics parser. Inputs are random JSON trees built from the configuration's vocabulary,
//! random edits of valid configurations, and random metric lines (seeded, printed).

use rampart_rules::encryption::ApiServerMetrics;
use rampart_rules::encryption::EncryptionConfiguration;
use rampart_rules::manifest;
use rampart_testkit::Rng;
use serde_json::{Value, json};

const WORDS: &[&str] = &[
    "apiVersion",
    "kind",
    "resources",
    "providers",
    "aescbc",
    "aesgcm",
    "secretbox",
    "kms",
    "identity",
    "keys",
    "name",
    "secret",
    "endpoint",
    "cachesize",
    "timeout",
    "secrets",
    "*.*",
    "*.",
    "secrets.",
    "configmaps",
    "v1",
    "v2",
    "EncryptionConfiguration",
    "apiserver.config.k8s.io/v1",
    "",
    "\u{0}",
    "ü",
    "-1",
    "1e400",
];

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    let word = |rng: &mut Rng| WORDS[rng.below(WORDS.len())].to_owned();
    match if depth > 4 {
        rng.below(4)
    } else {
        rng.below(7)
    } {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => json!(rng.next_u64() as i64),
        3 => Value::String(word(rng)),
        4 | 5 => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.below(5) {
                m.insert(word(rng), random_value(rng, depth + 1));
            }
            Value::Object(m)
        }
        _ => Value::Array(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
    }
}

fn valid_config() -> Value {
    json!({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
        "resources": [{"resources": ["secrets", "*.*"], "providers": [
            {"kms": {"apiVersion": "v2", "name": "vault", "endpoint": "unix:///k.sock"}},
            {"aescbc": {"keys": [{"name": "k1", "secret": "c2VjcmV0"}]}},
            {"identity": {}}]}]})
}

/// Replaces one random node of `v` with a random value.
fn mutate(v: &mut Value, rng: &mut Rng, depth: usize) {
    if depth == 0 || rng.below(4) == 0 {
        *v = random_value(rng, 2);
        return;
    }
    match v {
        Value::Object(m) if !m.is_empty() => {
            let k = m
                .keys()
                .nth(rng.below(m.len()))
                .cloned()
                .unwrap_or_default();
            if let Some(n) = m.get_mut(&k) {
                mutate(n, rng, depth - 1);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let i = rng.below(a.len());
            mutate(&mut a[i], rng, depth - 1);
        }
        _ => *v = random_value(rng, 2),
    }
}

#[test]
fn encryption_configuration_decoder_never_panics() {
    let mut rng = Rng::new(0x00c0_ffee_1234_5678);
    assert!(EncryptionConfiguration::from_value(valid_config()).is_ok());
    let mut decoded = 0;
    for i in 0..20_000 {
        let v = if i % 2 == 0 {
            let mut v = valid_config();
            mutate(&mut v, &mut rng, 6);
            v
        } else {
            let mut v = random_value(&mut rng, 0);
            if let Value::Object(m) = &mut v {
                m.insert("apiVersion".into(), "apiserver.config.k8s.io/v1".into());
                m.insert("kind".into(), "EncryptionConfiguration".into());
            }
            v
        };
        if EncryptionConfiguration::from_value(v.clone()).is_ok() {
            decoded += 1;
        }
        // The same document as a user's file: YAML text through the manifest reader.
        let text = serde_yaml_ng::to_string(&v).unwrap_or_default();
        let parsed = manifest::parse("fuzz.yaml", &text);
        assert!(parsed.objects.len() <= 1);
    }
    // Most edits of a valid configuration must still be told apart from garbage.
    assert!(decoded > 100, "only {decoded} inputs decoded");
    println!("20000 inputs, {decoded} decoded as configurations");
}

#[test]
fn metrics_parser_never_panics() {
    let mut rng = Rng::new(0x0bad_cafe_0000_0001);
    let pieces = [
        "apiserver_storage_transformation_operations_total",
        "{",
        "}",
        "=",
        "\"",
        "\\",
        ",",
        "resource",
        "secrets",
        "transformer_prefix",
        "k8s:enc:",
        "kms:",
        "to_storage",
        " ",
        "1",
        "NaN",
        "+Inf",
        "-1e9",
        "#",
        "\n",
        "ü",
        "\u{0}",
    ];
    for _ in 0..20_000 {
        let line: String = (0..rng.below(24))
            .map(|_| pieces[rng.below(pieces.len())])
            .collect();
        let m = ApiServerMetrics::parse("fuzz", &line);
        assert!(m.secrets.plaintext_writes >= 0.0);
    }
}
