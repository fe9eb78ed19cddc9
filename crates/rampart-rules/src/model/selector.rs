//! Label selectors with full `matchLabels` + `matchExpressions` semantics.

use crate::model::meta::Pairs;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use std::collections::BTreeMap;

/// Labels a selector reads, as `k8s-openapi` or [`Pairs`] keep them.
pub trait Labels {
    fn label(&self, key: &str) -> Option<&str>;
}

impl Labels for BTreeMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl Labels for Pairs {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key)
    }
}

/// Whether `selector` selects an object with `labels`. An empty selector selects everything;
/// an unknown operator selects nothing (the API server would have rejected it).
pub fn matches<L: Labels + ?Sized>(selector: &LabelSelector, labels: Option<&L>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.label(k));
    let labels_ok = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| get(k) == Some(v.as_str()));
    labels_ok
        && selector.match_expressions.iter().flatten().all(|e| {
            let values = e.values.as_deref().unwrap_or(&[]);
            match e.operator.as_str() {
                "In" => get(&e.key).is_some_and(|v| values.iter().any(|x| x == v)),
                "NotIn" => get(&e.key).is_none_or(|v| values.iter().all(|x| x != v)),
                "Exists" => get(&e.key).is_some(),
                "DoesNotExist" => get(&e.key).is_none(),
                _ => false,
            }
        })
}

/// Whether a selector is empty, i.e. selects everything.
pub fn is_empty(selector: &LabelSelector) -> bool {
    selector
        .match_labels
        .as_ref()
        .is_none_or(BTreeMap::is_empty)
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(Vec::is_empty)
}

/// A selector as `kubectl get -l` writes one: `app=web,tier in (a,b),!legacy`.
pub fn describe(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in selector.match_expressions.iter().flatten() {
        let values = e.values.as_deref().unwrap_or(&[]).join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            other => format!("{} {other} ({values})", e.key),
        });
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| (*v).into()).collect()),
        }
    }

    #[test]
    fn empty_selects_all() {
        assert!(matches::<Pairs>(&LabelSelector::default(), None));
        assert!(is_empty(&LabelSelector::default()));
    }

    #[test]
    fn expressions() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        let sel = |e| LabelSelector {
            match_expressions: Some(vec![e]),
            ..Default::default()
        };
        assert!(matches(&sel(expr("app", "In", &["web", "api"])), Some(&l)));
        assert!(!matches(&sel(expr("app", "NotIn", &["web"])), Some(&l)));
        assert!(matches(&sel(expr("zone", "NotIn", &["a"])), Some(&l)));
        assert!(matches(&sel(expr("tier", "Exists", &[])), Some(&l)));
        assert!(!matches(&sel(expr("tier", "DoesNotExist", &[])), Some(&l)));
        assert!(!matches(&sel(expr("tier", "Bogus", &[])), Some(&l)));
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let l = labels(&[("app", "web")]);
        let s = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![expr("tier", "Exists", &[])]),
        };
        assert!(!matches(&s, Some(&l)));
    }
}
