use super::*;
use serde_json::Value;

/// Every `format` in `schema`, with the `type` beside it and where it is.
fn formats(schema: &Value, path: &str, out: &mut Vec<(String, String, String)>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(format)) = map.get("format") {
                let type_ = map.get("type").and_then(Value::as_str).unwrap_or("");
                out.push((path.to_owned(), type_.to_owned(), format.clone()));
            }
            for (key, value) in map {
                formats(value, &format!("{path}.{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, value) in items.iter().enumerate() {
                formats(value, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// kube-apiserver's rule for an unrecognized format (`GetUnrecognizedFormats`).
fn kubernetes_knows(type_: &str, format: &str) -> bool {
    match type_ {
        "integer" => matches!(format, "int32" | "int64"),
        "number" => matches!(format, "float" | "double"),
        "" | "string" => KUBERNETES_STRING_FORMATS.contains(&format.replace('-', "").as_str()),
        _ => false,
    }
}

#[test]
fn generated_schemas_use_only_formats_kubernetes_knows() {
    let mut found = Vec::new();
    for crd in crds() {
        let name = crd.metadata.name.clone().unwrap_or_default();
        for version in &crd.spec.versions {
            let schema = serde_json::to_value(&version.schema).expect("serializes");
            formats(&schema, &format!("{name}/{}", version.name), &mut found);
        }
    }
    let unknown: Vec<_> = found
        .iter()
        .filter(|(_, t, f)| !kubernetes_knows(t, f))
        .collect();
    assert!(
        unknown.is_empty(),
        "formats Kubernetes rejects: {unknown:?}"
    );
    // The counters are still typed, as integers that fit Kubernetes' int64.
    assert!(
        found
            .iter()
            .any(|(p, t, f)| p.ends_with(".critical") && t == "integer" && f == "int64"),
        "{found:?}"
    );
}

#[test]
fn unsigned_integers_keep_their_range_in_a_kubernetes_format() {
    let schema = |type_: &str, format: &str| JSONSchemaProps {
        type_: Some(type_.to_owned()),
        format: Some(format.to_owned()),
        ..Default::default()
    };
    let mut object = JSONSchemaProps {
        type_: Some("object".to_owned()),
        properties: Some(
            [
                ("score", schema("integer", "uint8")),
                ("count", schema("integer", "uint32")),
                ("huge", schema("integer", "uint64")),
                ("ratio", schema("number", "double")),
                ("half", schema("number", "float16")),
                ("at", schema("string", "date-time")),
                ("ip", schema("string", "ip")),
            ]
            .map(|(k, v)| (k.to_owned(), v))
            .into(),
        ),
        items: Some(JSONSchemaPropsOrArray::Schema(Box::new(schema(
            "integer", "uint16",
        )))),
        ..Default::default()
    };
    kubernetes_formats(&mut object);
    let format = |name: &str| object.properties.as_ref().unwrap()[name].format.clone();
    assert_eq!(format("score").as_deref(), Some("int32"));
    assert_eq!(format("count").as_deref(), Some("int64"));
    let count = &object.properties.as_ref().unwrap()["count"];
    assert_eq!(count.maximum, Some(4_294_967_295.0));
    assert_eq!(format("huge"), None);
    assert_eq!(format("ratio").as_deref(), Some("double"));
    assert_eq!(format("half"), None);
    assert_eq!(format("at").as_deref(), Some("date-time"));
    assert_eq!(format("ip"), None);
    let Some(JSONSchemaPropsOrArray::Schema(items)) = &object.items else {
        panic!("items");
    };
    assert_eq!(items.format.as_deref(), Some("int32"));
}

/// The kubelet versions are a summary whose size the schema bounds, so no writer can make
/// a large cluster's ClusterPostureReport grow with its Nodes.
#[test]
fn the_kubelet_versions_list_is_bounded_in_the_schema() {
    let crd = ClusterPostureReport::crd();
    let schema = serde_json::to_value(&crd.spec.versions[0].schema).expect("serializes");
    let kubelets = &schema["openAPIV3Schema"]["properties"]["controlPlane"]["properties"]["version"]
        ["properties"]["kubelets"]["properties"];
    assert_eq!(
        kubelets["versions"]["maxItems"], MAX_KUBELET_VERSIONS as u64,
        "{kubelets}"
    );
    assert_eq!(kubelets["nodes"]["type"], "integer");
}

#[test]
fn a_folded_entry_reads_its_fingerprints_and_objects_in_either_form() {
    let now: FoldedFindings = serde_json::from_value(serde_json::json!({
        "ruleId": "POD017", "severity": "medium", "title": "t", "count": 2,
        "resources": ["Pod shop/a, Pod shop/b"], "fingerprints": ["00aa 00bb"],
        "firstSeen": "2026-01-01T00:00:00Z"
    }))
    .expect("a folded entry");
    let before: FoldedFindings = serde_json::from_value(serde_json::json!({
        "ruleId": "POD017", "severity": "medium", "title": "t", "count": 2,
        "resources": ["Pod shop/a", "Pod shop/b"], "fingerprints": ["00aa", "00bb"],
        "firstSeen": "2026-01-01T00:00:00Z"
    }))
    .expect("a folded entry of an earlier version");
    for entry in [&now, &before] {
        assert_eq!(
            entry.every_fingerprint().collect::<Vec<_>>(),
            ["00aa", "00bb"]
        );
        assert_eq!(
            entry.named_objects().collect::<Vec<_>>(),
            ["Pod shop/a", "Pod shop/b"]
        );
    }
    // Nothing named: no empty object.
    assert_eq!(FoldedFindings::default().named_objects().count(), 0);
}

/// Every list of a report that its JSON leaves out while empty is named: the array
/// properties of the schema that an empty report's JSON lacks.
#[test]
fn the_lists_a_report_leaves_out_while_empty_are_all_named() {
    let crd = PostureReport::crd();
    let schema = serde_json::to_value(&crd.spec.versions[0].schema).expect("serializes");
    let properties = schema["openAPIV3Schema"]["properties"]["report"]["properties"]
        .as_object()
        .expect("the report's properties");
    let empty = serde_json::to_value(Report::default()).expect("serializes");
    let mut left_out: Vec<&str> = properties
        .iter()
        .filter(|(name, p)| p["type"] == "array" && empty.get(name.as_str()).is_none())
        .map(|(name, _)| name.as_str())
        .collect();
    left_out.sort_unstable();
    let mut named = Report::LISTS_LEFT_OUT_EMPTY.to_vec();
    named.sort_unstable();
    assert_eq!(left_out, named);
}
