//! What the writer remembers of the findings open in the written reports, between passes:
//! enough to carry each one's first-seen time over and to tell, after a write, what was
//! detected and what resolved. A large cluster has hundreds of thousands of open findings,
//! so each is a few words: its fingerprint as a number, its rule by reference, its
//! severity, a first-seen time shared with every finding first seen in the same pass, and
//! what an event says about it only when it is worth an event.

use rampart_crd::{Report, ResourceRef};
use rampart_rules::{Finding, ObjectRef, Rule, Severity, Shared, registry};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

/// The findings open in one report, sorted by fingerprint: built once per write and then
/// only looked up, so a sorted list does what a hash table did without its spare room
/// (a third again, on average, for a table that grew by doubling). Shared, not copied,
/// between the reports a pass built and what the writer remembers of them: a full pass
/// would otherwise hold every open finding twice until its reports are written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenFindings(Arc<[(u64, OpenFinding)]>);

impl OpenFindings {
    pub fn get(&self, fingerprint: &u64) -> Option<&OpenFinding> {
        let i = self.0.binary_search_by_key(fingerprint, |(k, _)| *k).ok()?;
        Some(&self.0[i].1)
    }

    pub fn contains_key(&self, fingerprint: &u64) -> bool {
        self.get(fingerprint).is_some()
    }

    /// Every open finding, by fingerprint in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (&u64, &OpenFinding)> {
        self.into_iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// As a map's `collect`: a fingerprint given twice keeps its last finding.
impl FromIterator<(u64, OpenFinding)> for OpenFindings {
    fn from_iter<I: IntoIterator<Item = (u64, OpenFinding)>>(items: I) -> OpenFindings {
        let mut v: Vec<(u64, OpenFinding)> = items.into_iter().collect();
        // Stable: of equal fingerprints the last given stays last, and is the one kept.
        v.sort_by_key(|(k, _)| *k);
        let mut kept: Vec<(u64, OpenFinding)> = Vec::with_capacity(v.len());
        for item in v {
            match kept.last_mut() {
                Some(last) if last.0 == item.0 => *last = item,
                _ => kept.push(item),
            }
        }
        OpenFindings(kept.into())
    }
}

/// As a map's `extend`: a fingerprint given again keeps its last finding.
impl Extend<(u64, OpenFinding)> for OpenFindings {
    fn extend<I: IntoIterator<Item = (u64, OpenFinding)>>(&mut self, items: I) {
        let had = std::mem::take(&mut self.0);
        *self = had.iter().cloned().chain(items).collect();
    }
}

/// By value: the findings are copied out, as other holders may share them.
impl IntoIterator for OpenFindings {
    type Item = (u64, OpenFinding);
    type IntoIter = std::vec::IntoIter<(u64, OpenFinding)>;

    fn into_iter(self) -> Self::IntoIter {
        Vec::from(&*self.0).into_iter()
    }
}

type Pair<'a> = (&'a u64, &'a OpenFinding);

impl<'a> IntoIterator for &'a OpenFindings {
    type Item = Pair<'a>;
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (u64, OpenFinding)>,
        fn(&'a (u64, OpenFinding)) -> Pair<'a>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// The findings open in each report, by the writer's key (see
/// [`crate::placement::report_key`]).
pub type Open = HashMap<String, OpenFindings>;

/// One open finding.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenFinding {
    pub rule: RuleOf,
    /// `None`: a severity this version cannot read (a report written by another version).
    pub severity: Option<Severity>,
    /// Shared with every finding first seen in the same pass.
    pub first_seen: Shared,
    /// What an event about it says; kept for findings at or above the events' threshold
    /// only, as no other is announced one by one.
    pub detail: Option<Box<Detail>>,
}

/// What an event about a finding names. The object is kept with shared strings: a large
/// cluster's writer holds tens of thousands, whose kinds, API versions and namespaces
/// repeat.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub message: Box<str>,
    pub resource: ObjectRef,
}

/// The rule of an open finding: one of this version's, or an id only (a report written
/// by another version can name a rule this one does not have).
#[derive(Debug, Clone)]
pub enum RuleOf {
    Known(&'static Rule),
    Unknown(Shared),
}

/// Rules are the same when their ids are.
impl PartialEq for RuleOf {
    fn eq(&self, other: &RuleOf) -> bool {
        self.id() == other.id()
    }
}

impl RuleOf {
    fn named(id: &str) -> RuleOf {
        registry::by_id(id).map_or_else(|| RuleOf::Unknown(Shared::new(id)), RuleOf::Known)
    }

    pub fn id(&self) -> &str {
        match self {
            RuleOf::Known(r) => r.id,
            RuleOf::Unknown(id) => id,
        }
    }

    /// The rule's title; an unknown rule's is its id.
    pub fn title(&self) -> &str {
        match self {
            RuleOf::Known(r) => r.title,
            RuleOf::Unknown(id) => id,
        }
    }

    /// The rule's category; an unknown rule's is empty.
    pub fn category(&self) -> &str {
        match self {
            RuleOf::Known(r) => r.category.as_str(),
            RuleOf::Unknown(_) => "",
        }
    }
}

impl OpenFinding {
    /// What is remembered of an evaluated finding first seen at `first_seen`; what an
    /// event says only at or above `detail_from`.
    pub fn of(f: &Finding, first_seen: Shared, detail_from: Severity) -> OpenFinding {
        OpenFinding {
            rule: RuleOf::Known(f.rule()),
            severity: Some(f.severity),
            first_seen,
            detail: (f.severity >= detail_from).then(|| {
                Box::new(Detail {
                    message: f.message.clone(),
                    resource: f.resource.clone(),
                })
            }),
        }
    }

    /// Whether its severity is known and at or above `min`.
    pub fn at_least(&self, min: Severity) -> bool {
        self.severity.is_some_and(|s| s >= min)
    }

    /// Its severity's name; empty when this version cannot read it.
    pub fn severity_name(&self) -> &'static str {
        self.severity.map_or("", Severity::as_str)
    }
}

/// A finding's object as a report names it.
pub fn resource_ref(r: &ObjectRef) -> ResourceRef {
    ResourceRef {
        api_version: r.api_version.to_string(),
        kind: r.kind.to_string(),
        namespace: r.namespace.as_deref().map(str::to_owned),
        name: r.name.clone(),
    }
}

/// A report's object as the engine names one.
fn object_ref(r: &ResourceRef) -> ObjectRef {
    ObjectRef::new(&r.api_version, &r.kind, r.namespace.as_deref(), &r.name)
}

/// A fingerprint as written in a report, as a number: the engine writes 16 hex digits;
/// anything else (written by another version) is hashed, which is stable within a process,
/// all the writer's memory needs.
pub fn fingerprint_key(written: &str) -> u64 {
    if written.len() == 16
        && let Ok(n) = u64::from_str_radix(written, 16)
    {
        return n;
    }
    let mut h = DefaultHasher::new();
    written.hash(&mut h);
    h.finish()
}

/// What a written report says is open: its whole findings (with what an event about them
/// says, at or above `detail_from`) and each folded finding by its entry's rule, severity
/// and first-seen time.
pub fn read_back(report: &Report, detail_from: Severity) -> OpenFindings {
    let mut open = Vec::with_capacity(report.findings.len());
    for f in &report.findings {
        let severity = f.severity.parse::<Severity>().ok();
        let detail = severity.is_some_and(|s| s >= detail_from).then(|| {
            Box::new(Detail {
                message: f.message.as_str().into(),
                resource: object_ref(&f.resource),
            })
        });
        open.push((
            fingerprint_key(&f.fingerprint),
            OpenFinding {
                rule: RuleOf::named(&f.rule_id),
                severity,
                first_seen: Shared::new(&f.first_seen),
                detail,
            },
        ));
    }
    for g in &report.folded {
        let rule = RuleOf::named(&g.rule_id);
        let severity = g.severity.parse::<Severity>().ok();
        let first_seen = Shared::new(&g.first_seen);
        for fp in &g.fingerprints {
            open.push((
                fingerprint_key(fp),
                OpenFinding {
                    rule: rule.clone(),
                    severity,
                    first_seen: first_seen.clone(),
                    detail: None,
                },
            ));
        }
    }
    open.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noted(first_seen: &str) -> OpenFinding {
        OpenFinding {
            rule: RuleOf::named("RBAC001"),
            severity: Some(Severity::High),
            first_seen: Shared::new(first_seen),
            detail: None,
        }
    }

    #[test]
    fn open_findings_are_found_by_fingerprint_and_the_last_given_is_kept() {
        let mut open: OpenFindings = [(9, noted("a")), (3, noted("b")), (9, noted("c"))]
            .into_iter()
            .collect();
        assert_eq!(open.len(), 2);
        assert_eq!(open.get(&9).map(|f| &*f.first_seen), Some("c"));
        assert!(open.contains_key(&3) && !open.contains_key(&4));
        open.extend([(4, noted("d")), (3, noted("e"))]);
        let seen: Vec<(u64, &str)> = open.iter().map(|(k, f)| (*k, &*f.first_seen)).collect();
        assert_eq!(seen, [(3, "e"), (4, "d"), (9, "c")]);
    }

    #[test]
    fn engine_fingerprints_read_back_as_their_number_and_others_still_key() {
        assert_eq!(fingerprint_key("00000000000000ff"), 255);
        assert_eq!(fingerprint_key("ffffffffffffffff"), u64::MAX);
        let other = fingerprint_key("from-another-version");
        assert_eq!(other, fingerprint_key("from-another-version"));
        assert_ne!(other, fingerprint_key("from-another-versioN"));
    }

    #[test]
    fn rules_this_version_lacks_keep_their_id() {
        let r = RuleOf::named("XYZ999");
        assert_eq!((r.id(), r.title(), r.category()), ("XYZ999", "XYZ999", ""));
        let known = RuleOf::named("RBAC001");
        assert_eq!(known.category(), "rbac");
        assert!(!known.title().is_empty() && known.title() != "RBAC001");
    }
}
