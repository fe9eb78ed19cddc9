//! What the writer remembers of the findings open in the written reports, between passes:
//! enough to carry each one's first-seen time over and to tell, after a write, what was
//! detected and what resolved. A large cluster has hundreds of thousands of open findings,
//! so each is three words: its fingerprint as a number, its rule as a number, its
//! severity, its first-seen time in seconds, and what an event says about it only when it
//! is worth an event.

mod compact;

pub use compact::{REPORT_TIME, RuleOf, Seen};
use rampart_crd::{Report, ResourceRef};
use rampart_rules::{Finding, ObjectRef, Severity};
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

/// One open finding: 16 bytes, and a fingerprint's 8 beside it in [`OpenFindings`].
#[derive(Debug, Clone, PartialEq)]
pub struct OpenFinding {
    pub rule: RuleOf,
    /// `None`: a severity this version cannot read (a report written by another version).
    pub severity: Option<Severity>,
    pub first_seen: Seen,
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

impl OpenFinding {
    /// What is remembered of an evaluated finding first seen at `first_seen`; what an
    /// event says only at or above `detail_from`.
    pub fn of(f: &Finding, first_seen: Seen, detail_from: Severity) -> OpenFinding {
        OpenFinding {
            rule: RuleOf::known(f.rule()),
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
///
/// A first-seen time that is not an RFC 3339 time (hand-edited, or another tool's) is read
/// as `read_at`: the finding is open from now on, as far as this writer knows.
pub fn read_back(report: &Report, detail_from: Severity, read_at: Seen) -> OpenFindings {
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
                first_seen: Seen::read(&f.first_seen).unwrap_or(read_at),
                detail,
            },
        ));
    }
    for g in &report.folded {
        let rule = RuleOf::named(&g.rule_id);
        let severity = g.severity.parse::<Severity>().ok();
        let first_seen = Seen::read(&g.first_seen).unwrap_or(read_at);
        for fp in g.every_fingerprint() {
            open.push((
                fingerprint_key(fp),
                OpenFinding {
                    rule,
                    severity,
                    first_seen,
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
    use k8s_openapi::jiff::Timestamp;

    fn noted(second: u32) -> OpenFinding {
        OpenFinding {
            rule: RuleOf::named("RBAC001"),
            severity: Some(Severity::High),
            first_seen: Seen::at(Timestamp::from_second(i64::from(second)).expect("a time"))
                .expect("after 1970"),
            detail: None,
        }
    }

    #[test]
    fn open_findings_are_found_by_fingerprint_and_the_last_given_is_kept() {
        let mut open: OpenFindings = [(9, noted(1)), (3, noted(2)), (9, noted(3))]
            .into_iter()
            .collect();
        assert_eq!(open.len(), 2);
        assert_eq!(open.get(&9), Some(&noted(3)));
        assert!(open.contains_key(&3) && !open.contains_key(&4));
        open.extend([(4, noted(4)), (3, noted(5))]);
        let seen: Vec<(u64, &OpenFinding)> = open.iter().map(|(k, f)| (*k, f)).collect();
        assert_eq!(seen, [(3, &noted(5)), (4, &noted(4)), (9, &noted(3))]);
    }

    #[test]
    fn an_open_finding_stays_a_few_words() {
        // A quarter of a million of them at 100k objects: each word here is 2 MB there.
        assert!(std::mem::size_of::<(u64, OpenFinding)>() <= 24);
    }

    #[test]
    fn engine_fingerprints_read_back_as_their_number_and_others_still_key() {
        assert_eq!(fingerprint_key("00000000000000ff"), 255);
        assert_eq!(fingerprint_key("ffffffffffffffff"), u64::MAX);
        let other = fingerprint_key("from-another-version");
        assert_eq!(other, fingerprint_key("from-another-version"));
        assert_ne!(other, fingerprint_key("from-another-versioN"));
    }
}
