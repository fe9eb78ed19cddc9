//! Rampart's reports as OpenReports (`openreports.io/v1alpha1`), the policy-report API
//! Policy Reporter and Kyverno read: a `Report` per namespace beside its PostureReport, a
//! `ClusterReport` beside the ClusterPostureReport. Pure: what each says is made from the
//! report Rampart built, so it carries the same findings, folds and size.
//!
//! A finding is a `fail` result (policy: the rule's name; rule: its id); findings folded
//! to keep the report within its share are one `fail` result per rule and severity that
//! says how many it stands for; excepted findings are `skip` results naming their
//! exception; a kind that could not be read is an `error` result. The summary counts
//! every finding, folded or not, as the PostureReport's summary does.

use kube::Resource;
use kube::core::{ClusterResourceScope, NamespaceResourceScope, ObjectMeta};
use rampart_crd::{
    ExceptedFinding, FoldedFindings, OBJECT_SEPARATOR, Report, ReportFinding, ResourceRef,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::borrow::Cow;

pub const GROUP: &str = "openreports.io";
pub const VERSION: &str = "v1alpha1";
pub const API_VERSION: &str = "openreports.io/v1alpha1";
/// The name of Rampart's `Report` in each namespace and of its `ClusterReport`.
pub const NAME: &str = "rampart";
/// What `source` says, on the report and so for every result.
pub const SOURCE: &str = "rampart";
/// Rampart's reports carry this label, so its watches and lists see only its own.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "rampart");

/// The label selector of Rampart's own copies.
pub fn selector() -> String {
    format!("{}={}", MANAGED_BY.0, MANAGED_BY.1)
}

/// An OpenReports kind as Rampart reads it: metadata alone (what it wrote is in its own
/// report; it only needs to know which exist and what hash they carry).
macro_rules! openreports_kind {
    ($name:ident, $kind:literal, $plural:literal, $scope:ty) => {
        #[derive(Debug, Clone, Default, Serialize, Deserialize)]
        pub struct $name {
            pub metadata: ObjectMeta,
        }

        impl Resource for $name {
            type DynamicType = ();
            type Scope = $scope;

            fn kind(_: &()) -> Cow<'_, str> {
                $kind.into()
            }
            fn group(_: &()) -> Cow<'_, str> {
                GROUP.into()
            }
            fn version(_: &()) -> Cow<'_, str> {
                VERSION.into()
            }
            fn plural(_: &()) -> Cow<'_, str> {
                $plural.into()
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

openreports_kind!(OpenReport, "Report", "reports", NamespaceResourceScope);
openreports_kind!(
    OpenClusterReport,
    "ClusterReport",
    "clusterreports",
    ClusterResourceScope
);

/// The object to apply for a report: a `Report` in `namespace`, or the `ClusterReport`
/// for `None`; `hash` is the built report's content hash, kept as an annotation so a
/// restart does not rewrite what is already there.
pub fn body(namespace: Option<&str>, report: &Report, hash: &str, hash_annotation: &str) -> Value {
    let mut metadata = json!({
        "name": NAME,
        "labels": {MANAGED_BY.0: MANAGED_BY.1},
        "annotations": {hash_annotation: hash},
    });
    let mut object = json!({"apiVersion": API_VERSION, "source": SOURCE});
    match namespace {
        Some(ns) => {
            metadata["namespace"] = ns.into();
            object["kind"] = "Report".into();
            object["scope"] = json!({"apiVersion": "v1", "kind": "Namespace", "name": ns});
        }
        None => object["kind"] = "ClusterReport".into(),
    }
    object["metadata"] = metadata;
    object["summary"] = summary(report);
    object["results"] = Value::Array(results(report));
    object
}

/// Every finding is a failure, folded ones included; excepted ones are skipped; a kind
/// not evaluated is an error.
fn summary(report: &Report) -> Value {
    let s = &report.summary;
    let fail = s.critical + s.high + s.medium + s.low + s.info;
    json!({
        "pass": 0,
        "fail": fail,
        "warn": 0,
        "error": report.could_not_evaluate.len(),
        "skip": report.excepted_count,
    })
}

fn results(report: &Report) -> Vec<Value> {
    let mut out = Vec::with_capacity(
        report.findings.len()
            + report.folded.len()
            + report.excepted.len()
            + report.could_not_evaluate.len(),
    );
    out.extend(report.could_not_evaluate.iter().map(|line| {
        json!({
            "policy": "rampart",
            "result": "error",
            "message": format!("not evaluated: {line}"),
            "source": SOURCE,
        })
    }));
    out.extend(report.findings.iter().map(finding));
    out.extend(report.folded.iter().map(folded));
    out.extend(report.excepted.iter().map(excepted));
    out
}

/// The rule's kebab-case name as the policy; its id if the catalogue no longer knows it
/// (a report written by another version).
fn policy(rule_id: &str) -> &str {
    rampart_rules::registry::by_id(rule_id).map_or(rule_id, |r| r.name)
}

fn resource(r: &ResourceRef) -> Value {
    let mut o = json!({"apiVersion": r.api_version, "kind": r.kind, "name": r.name});
    if let Some(ns) = &r.namespace {
        o["namespace"] = ns.as_str().into();
    }
    o
}

/// OpenReports' severities are Rampart's, word for word; anything else reads as info.
fn severity(s: &str) -> &str {
    match s {
        "critical" | "high" | "medium" | "low" => s,
        _ => "info",
    }
}

/// When the finding was first seen, as OpenReports' timestamp; `None` for a time that
/// does not parse (never written by Rampart).
fn timestamp(rfc3339: &str) -> Option<Value> {
    let t: k8s_openapi::jiff::Timestamp = rfc3339.parse().ok()?;
    Some(json!({"seconds": t.as_second(), "nanos": t.subsec_nanosecond()}))
}

fn result(
    rule_id: &str,
    sev: &str,
    category: Option<&str>,
    result: &str,
    message: String,
) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("message".into(), message.into());
    o.insert("policy".into(), policy(rule_id).into());
    o.insert("rule".into(), rule_id.into());
    o.insert("result".into(), result.into());
    o.insert("severity".into(), severity(sev).into());
    o.insert("scored".into(), true.into());
    o.insert("source".into(), SOURCE.into());
    if let Some(c) = category {
        o.insert("category".into(), c.into());
    }
    o
}

fn finding(f: &ReportFinding) -> Value {
    let mut o = result(
        &f.rule_id,
        &f.severity,
        Some(&f.category),
        "fail",
        f.message.clone(),
    );
    o.insert("resources".into(), json!([resource(&f.resource)]));
    if let Some(t) = timestamp(&f.first_seen) {
        o.insert("timestamp".into(), t);
    }
    let mut props =
        json!({"fingerprint": f.fingerprint, "firstSeen": f.first_seen, "title": f.title});
    if let Some(path) = &f.path {
        props["path"] = path.as_str().into();
    }
    // Each object in the chain of evidence under its relation: `related.binding` says
    // `RoleBinding shop/deployers`.
    for r in &f.related {
        let key = format!("related.{}", r.relation);
        let named = format!("{} {}", r.object.kind, named_of(&r.object));
        props[key] = named.into();
    }
    o.insert("properties".into(), props);
    Value::Object(o)
}

fn named_of(r: &ResourceRef) -> String {
    match &r.namespace {
        Some(ns) => format!("{ns}/{}", r.name),
        None => r.name.clone(),
    }
}

fn folded(f: &FoldedFindings) -> Value {
    let message = format!(
        "{} findings of {} ({}) folded to keep the report within its size; the PostureReport lists their fingerprints",
        f.count, f.rule_id, f.title
    );
    let mut o = result(&f.rule_id, &f.severity, None, "fail", message);
    if let Some(t) = timestamp(&f.first_seen) {
        o.insert("timestamp".into(), t);
    }
    o.insert(
        "properties".into(),
        json!({
            "folded": f.count.to_string(),
            "firstSeen": f.first_seen,
            "title": f.title,
            "objects": f.named_objects().collect::<Vec<_>>().join(OBJECT_SEPARATOR),
        }),
    );
    Value::Object(o)
}

fn excepted(e: &ExceptedFinding) -> Value {
    let message = format!(
        "accepted by exception {} (owner {}) until {}",
        e.exception, e.owner, e.expires
    );
    let mut o = result(&e.rule_id, &e.severity, None, "skip", message);
    o.insert("resources".into(), json!([resource(&e.resource)]));
    o.insert(
        "properties".into(),
        json!({
            "fingerprint": e.fingerprint,
            "exception": e.exception,
            "owner": e.owner,
            "expires": e.expires,
        }),
    );
    Value::Object(o)
}

#[cfg(test)]
mod tests;
