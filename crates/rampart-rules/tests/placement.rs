//! Objects that name no namespace are judged where `kubectl apply --namespace` would put
//! them: for every fixture and every namespace in it, taking `metadata.namespace` off that
//! namespace's objects and placing them with that namespace gives the same findings, by
//! content, as the fixture as written.

use rampart_rules::manifest::{self, Parsed};
use rampart_rules::{Finding, Inventory, Settings, evaluate};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

fn findings(parsed: Parsed) -> Vec<String> {
    let mut inv = Inventory::new();
    for (o, s) in parsed.objects {
        inv.insert(o, Some(s));
    }
    inv.reindex();
    let shown = |f: &Finding| {
        format!(
            "{} {} {} {:?} {}",
            f.rule_id(),
            f.resource,
            f.message,
            f.path,
            f.fingerprint
        )
    };
    let mut out: Vec<String> = evaluate(&inv, &Settings::default())
        .findings
        .iter()
        .map(shown)
        .collect();
    out.sort();
    out
}

/// The namespaces the fixture's namespaced objects name.
fn namespaces(parsed: &Parsed) -> BTreeSet<String> {
    parsed
        .objects
        .iter()
        .filter_map(|(o, _)| Some(o.metadata()?.namespace()?.to_owned()))
        .collect()
}

#[test]
fn dropping_a_namespace_and_placing_into_it_changes_no_finding() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("fixtures dir")
        .flatten()
        .flat_map(|d| fs::read_dir(d.path()).expect("rule dir").flatten())
        .map(|f| f.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let (mut compared, mut with_findings) = (0, 0);
    for path in &files {
        let name = path.file_name().expect("name").to_string_lossy();
        let text = fs::read_to_string(path).expect("fixture");
        let mut as_written = manifest::parse(&name, &text);
        as_written.place(manifest::DEFAULT_NAMESPACE);
        let namespaces = namespaces(&as_written);
        let expected = findings(as_written);
        for ns in namespaces {
            let mut stripped = manifest::parse(&name, &text);
            stripped.place(manifest::DEFAULT_NAMESPACE);
            for (o, _) in &mut stripped.objects {
                if let Some(meta) = o.metadata_mut()
                    && meta.namespace() == Some(ns.as_str())
                {
                    meta.set_namespace(None);
                }
            }
            let placement = stripped.place(&ns);
            assert!(
                placement.defaulted > 0,
                "{}: nothing in {ns}",
                path.display()
            );
            assert_eq!(
                findings(stripped),
                expected,
                "{}: namespace {ns} given by placement, not by the manifest",
                path.display()
            );
            compared += 1;
            let judged_there = expected
                .iter()
                .any(|f| f.contains(&format!(" {ns}/")) || f.contains(&format!("Namespace {ns} ")));
            with_findings += usize::from(judged_there);
        }
    }
    // Most pairs must have findings about objects in the namespace moved, or the
    // comparison would prove little.
    assert!(
        compared > 100 && with_findings * 2 > compared,
        "{compared} compared, {with_findings} with findings"
    );
    println!(
        "{compared} (fixture, namespace) pairs agree; {with_findings} of them have findings in that namespace"
    );
}
