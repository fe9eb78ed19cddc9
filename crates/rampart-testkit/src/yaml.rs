//! YAML text in: documents as JSON values, or an indexed inventory.

use rampart_rules::Inventory;
use serde_json::Value;

/// The documents of a (multi-document) YAML text as JSON values, empty documents left out.
/// Through YAML's own value first, so that keys JSON would not take (numbers, booleans)
/// become strings instead of failing.
///
/// # Panics
/// On text that is not YAML: test inputs are written to be.
pub fn documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .enumerate()
        .filter_map(|(i, doc)| {
            let yaml = <serde_yaml_ng::Value as serde::Deserialize>::deserialize(doc)
                .unwrap_or_else(|e| panic!("YAML document {i} does not parse: {e}"));
            let json = serde_json::to_value(yaml)
                .unwrap_or_else(|e| panic!("YAML document {i} has no JSON form: {e}"));
            (!json.is_null()).then_some(json)
        })
        .collect()
}

/// The one document in `text`, as a JSON value.
///
/// # Panics
/// On text that is not exactly one YAML document.
pub fn document(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("not one YAML document: {e}"))
}

/// An indexed inventory of the objects in `yaml`, read as the CLI reads a file.
///
/// # Panics
/// When the manifest reader reports an error: a test's input should read cleanly.
pub fn inventory(yaml: &str) -> Inventory {
    match Inventory::from_manifest("test.yaml", yaml) {
        Ok(inventory) => inventory,
        Err(errors) => panic!("the test manifest does not read: {errors:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_skips_empty_ones_and_stringifies_keys() {
        let docs = documents("---\na: 1\n---\n---\n1: x\n");
        assert_eq!(
            docs,
            vec![serde_json::json!({"a": 1}), serde_json::json!({"1": "x"})]
        );
    }

    #[test]
    fn document_reads_one() {
        assert_eq!(document("a: [1]\n"), serde_json::json!({"a": [1]}));
    }

    #[test]
    fn inventory_holds_the_objects() {
        let inv = inventory("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
        assert_eq!(inv.namespaces().count(), 1);
    }
}
