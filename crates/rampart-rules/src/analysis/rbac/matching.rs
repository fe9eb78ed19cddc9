//! RBAC semantics, as the API server's RBAC authorizer applies them.
//!
//! ```text
//! Subject --(RoleBinding | ClusterRoleBinding)--> Role | ClusterRole --> [PolicyRule]
//! ```
//! A RoleBinding may reference a ClusterRole; its grant is then limited to the binding's namespace.

use k8s_openapi::api::rbac::v1::PolicyRule;

/// `*` in verbs, apiGroups, resources or nonResourceURLs means everything.
pub const ALL: &str = "*";

fn has(list: &[String], value: &str) -> bool {
    list.iter().any(|v| v == ALL || v == value)
}

pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    has(&rule.verbs, verb)
}

pub fn group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.as_deref().is_some_and(|g| has(g, group))
}

/// Resource match with subresources: `pods/exec` matches `pods/exec`, `*/exec` and `*`
/// (and nothing else: `pods` alone, or `pods/*`, does not grant `pods/exec`).
pub fn resource_matches(rule: &PolicyRule, resource: &str, subresource: Option<&str>) -> bool {
    let Some(resources) = rule.resources.as_deref() else {
        return false;
    };
    resources.iter().any(|r| {
        if r == ALL {
            return true;
        }
        match subresource {
            None => r == resource,
            Some(sub) => {
                r.strip_prefix(resource)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|rest| rest == sub)
                    || r.strip_prefix("*/").is_some_and(|rest| rest == sub)
            }
        }
    })
}

/// A name match: an empty `resourceNames` allows every name.
pub fn name_matches(rule: &PolicyRule, name: Option<&str>) -> bool {
    match rule.resource_names.as_deref() {
        None | Some([]) => true,
        Some(names) => name.is_some_and(|n| names.iter().any(|x| x == n)),
    }
}

/// Non-resource URL match: exact, `*`, or a prefix ending in `*`. The authorizer strips every
/// trailing `*`, so `/api**` is the prefix `/api`.
pub fn non_resource_url_matches(rule: &PolicyRule, url: &str) -> bool {
    rule.non_resource_urls.as_deref().is_some_and(|urls| {
        urls.iter().any(|u| {
            u == ALL || u == url || (u.ends_with('*') && url.starts_with(u.trim_end_matches('*')))
        })
    })
}

/// One request to a resource, as the authorizer is asked about it. Empty strings mean
/// "none": the core group, no subresource, a cluster-scoped request, no object name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ResourceRequest<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
}

/// Whether one PolicyRule allows a resource request, exactly as the RBAC authorizer decides:
/// the rule's resource must equal `resource` or `resource/subresource`, or be `*`, or be
/// `*/subresource` when a subresource is asked for; a non-empty `resourceNames` needs the
/// request's name among them (so it never allows a request without a name, such as `list`).
pub fn rule_allows(rule: &PolicyRule, req: &ResourceRequest<'_>) -> bool {
    if !has(&rule.verbs, req.verb) || !group_matches(rule, req.group) {
        return false;
    }
    let resources = rule.resources.as_deref().unwrap_or(&[]);
    let resource_ok = resources.iter().any(|r| {
        if r == ALL {
            return true;
        }
        if req.subresource.is_empty() {
            return r == req.resource;
        }
        let combined = r
            .strip_prefix(req.resource)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| rest == req.subresource);
        combined
            || r.strip_prefix("*/")
                .is_some_and(|rest| rest == req.subresource)
    });
    resource_ok
        && match rule.resource_names.as_deref() {
            None | Some([]) => true,
            Some(names) => names.iter().any(|n| n == req.name),
        }
}

/// Whether one PolicyRule allows a request to a non-resource URL such as `/healthz`.
pub fn rule_allows_non_resource(rule: &PolicyRule, verb: &str, path: &str) -> bool {
    has(&rule.verbs, verb) && non_resource_url_matches(rule, path)
}

/// A resource permission asked about by a rule.
#[derive(Debug, Clone, Copy)]
pub struct Permission<'a> {
    pub verbs: &'a [&'a str],
    pub group: &'a str,
    pub resource: &'a str,
    pub subresource: Option<&'a str>,
}

/// How one PolicyRule grants a permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The verbs of the permission that this rule allows.
    pub verbs: Vec<String>,
    /// `resourceNames` narrows the grant to some objects.
    pub names: Vec<String>,
}

impl Grant {
    pub fn is_narrowed(&self) -> bool {
        !self.names.is_empty()
    }
}

/// Whether `rule` grants any verb of `perm`, and how.
pub fn grants(rule: &PolicyRule, perm: &Permission<'_>) -> Option<Grant> {
    if !group_matches(rule, perm.group) || !resource_matches(rule, perm.resource, perm.subresource)
    {
        return None;
    }
    let verbs: Vec<String> = perm
        .verbs
        .iter()
        .filter(|v| verb_matches(rule, v))
        .map(|v| (*v).to_owned())
        .collect();
    if verbs.is_empty() {
        return None;
    }
    Some(Grant {
        verbs,
        names: rule.resource_names.clone().unwrap_or_default(),
    })
}

/// The union of grants of `perm` over `rules`: un-narrowed wins over narrowed.
pub fn grants_any(rules: &[PolicyRule], perm: &Permission<'_>) -> Option<Grant> {
    let mut acc: Option<Grant> = None;
    for g in rules.iter().filter_map(|r| grants(r, perm)) {
        acc = Some(match acc {
            None => g,
            Some(mut a) => {
                for v in g.verbs {
                    if !a.verbs.contains(&v) {
                        a.verbs.push(v);
                    }
                }
                if a.names.is_empty() || g.names.is_empty() {
                    a.names.clear();
                } else {
                    a.names.extend(g.names);
                }
                a
            }
        });
    }
    if let Some(a) = &mut acc {
        a.verbs.sort();
        a.names.sort();
        a.names.dedup();
    }
    acc
}

/// Whether a rule is `*` verbs on `*` resources in `*` groups: cluster-admin's shape.
pub fn is_full_wildcard(rule: &PolicyRule) -> bool {
    has_wildcard(&rule.verbs)
        && rule.api_groups.as_deref().is_some_and(has_wildcard)
        && rule.resources.as_deref().is_some_and(has_wildcard)
        && name_matches(rule, None)
}

pub fn has_wildcard(list: &[String]) -> bool {
    list.iter().any(|v| v == ALL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
        let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        PolicyRule {
            verbs: v(verbs),
            api_groups: Some(v(groups)),
            resources: Some(v(resources)),
            resource_names: (!names.is_empty()).then(|| v(names)),
            non_resource_urls: None,
        }
    }

    #[test]
    fn subresource_forms() {
        let exec = rule(&["create"], &[""], &["pods/exec"], &[]);
        assert!(resource_matches(&exec, "pods", Some("exec")));
        assert!(!resource_matches(&exec, "pods", None));
        let star_sub = rule(&["create"], &[""], &["*/exec"], &[]);
        assert!(resource_matches(&star_sub, "pods", Some("exec")));
        let pods_star = rule(&["create"], &[""], &["pods/*"], &[]);
        assert!(!resource_matches(&pods_star, "pods", Some("exec")));
        let pods = rule(&["create"], &[""], &["pods"], &[]);
        assert!(!resource_matches(&pods, "pods", Some("exec")));
    }

    #[test]
    fn narrowed_and_unnarrowed_union_is_unnarrowed() {
        let rules = [
            rule(&["get"], &[""], &["secrets"], &["a"]),
            rule(&["list"], &[""], &["secrets"], &[]),
        ];
        let perm = Permission {
            verbs: &["get", "list"],
            group: "",
            resource: "secrets",
            subresource: None,
        };
        let g = grants_any(&rules, &perm).expect("granted");
        assert_eq!(g.verbs, vec!["get", "list"]);
        assert!(!g.is_narrowed());
    }

    #[test]
    fn group_must_match() {
        let r = rule(&["*"], &["apps"], &["*"], &[]);
        let perm = Permission {
            verbs: &["get"],
            group: "",
            resource: "secrets",
            subresource: None,
        };
        assert!(grants(&r, &perm).is_none());
    }

    #[test]
    fn non_resource_prefix() {
        let r = PolicyRule {
            verbs: vec!["get".into()],
            non_resource_urls: Some(vec!["/healthz/*".into()]),
            ..PolicyRule::default()
        };
        assert!(non_resource_url_matches(&r, "/healthz/etcd"));
        assert!(!non_resource_url_matches(&r, "/metrics"));
        let stars = PolicyRule {
            verbs: vec!["get".into()],
            non_resource_urls: Some(vec!["/api**".into()]),
            ..PolicyRule::default()
        };
        assert!(non_resource_url_matches(&stars, "/apis/apps"));
    }

    #[test]
    fn request_matching_follows_the_authorizer() {
        let req = |resource, subresource, name| ResourceRequest {
            verb: "get",
            group: "",
            resource,
            subresource,
            namespace: "ns",
            name,
        };
        let named = rule(&["get"], &[""], &["secrets"], &["a"]);
        assert!(rule_allows(&named, &req("secrets", "", "a")));
        assert!(!rule_allows(&named, &req("secrets", "", "")));
        assert!(!rule_allows(&named, &req("secrets", "", "b")));
        let star_sub = rule(&["get"], &[""], &["*/log"], &[]);
        assert!(rule_allows(&star_sub, &req("pods", "log", "")));
        assert!(!rule_allows(&star_sub, &req("pods", "", "")));
        let pods = rule(&["get"], &[""], &["pods"], &[]);
        assert!(!rule_allows(&pods, &req("pods", "log", "")));
        let other_group = rule(&["get"], &["apps"], &["*"], &[]);
        assert!(!rule_allows(&other_group, &req("pods", "", "")));
    }
}
