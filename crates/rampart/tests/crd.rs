//! The committed CRDs are what the Rust types generate, and every field is documented.

mod common;

use common::*;
use rampart_testkit::{repo, yaml};

#[test]
fn committed_crds_are_current() {
    let generated = stdout(&rampart(&["crd"]));
    repo::assert_current(
        "crds/rampart.yaml",
        &generated,
        "cargo run -p rampart -- crd --output crds/rampart.yaml",
    );
}

fn undocumented(schema: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    if let Some(props) = schema.get("properties").and_then(|p| p.as_object()) {
        for (name, prop) in props {
            let here = format!("{path}.{name}");
            // Kubernetes documents metadata, apiVersion and kind itself.
            let standard =
                path.is_empty() && matches!(name.as_str(), "metadata" | "apiVersion" | "kind");
            if !standard && prop.get("description").is_none() {
                out.push(here.clone());
            }
            undocumented(prop, &here, out);
        }
    }
    if let Some(items) = schema.get("items") {
        undocumented(items, &format!("{path}[]"), out);
    }
}

#[test]
fn every_schema_field_has_a_description() {
    let text = stdout(&rampart(&["crd"]));
    let mut missing = Vec::new();
    let mut crds = 0;
    for v in yaml::documents(&text) {
        crds += 1;
        let kind = v["spec"]["names"]["kind"]
            .as_str()
            .unwrap_or("?")
            .to_owned();
        assert!(
            v["spec"]["names"]["categories"]
                .as_array()
                .is_some_and(|c| c.iter().any(|x| x == "rampart"))
        );
        let schema = &v["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        undocumented(schema, &kind, &mut missing);
        let columns: Vec<&str> = v["spec"]["versions"][0]["additionalPrinterColumns"]
            .as_array()
            .expect("printer columns")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        let expected = if kind.ends_with("Exception") {
            vec!["Rules", "Owner", "Expires", "Matched", "State", "Age"]
        } else {
            let mut report = vec!["Score", "Critical", "High", "Medium", "Low", "Excepted"];
            // The cluster report also says whether Secrets are encrypted at rest, and how
            // the cluster's Kubernetes versions stand.
            if kind == "ClusterPostureReport" {
                report.extend(["Encryption", "Kubernetes"]);
            }
            report.extend(["Changed", "Age"]);
            report
        };
        assert_eq!(columns, expected, "{kind}");
    }
    assert_eq!(crds, 4);
    assert!(
        missing.is_empty(),
        "fields without description: {missing:?}"
    );
}
