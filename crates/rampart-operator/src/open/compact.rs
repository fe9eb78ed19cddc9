//! The two fields every open finding has, in a few bytes: its rule as a number and its
//! first-seen time as seconds. A large cluster's writer holds a quarter of a million open
//! findings; as a rule reference with room for an unknown rule's id and a shared string
//! of the time, these two took 32 bytes of each.

use k8s_openapi::jiff::Timestamp;
use rampart_rules::{Rule, registry};
use std::fmt;
use std::sync::{LazyLock, Mutex};

/// The rule of an open finding: one of this version's, or an id only (a report written
/// by another version can name a rule this one does not have).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RuleOf(u16);

/// Ids of rules this version does not have, numbered after its own rules. Read from
/// reports, so they are few (another version's rules); each is kept for the process's life.
static UNKNOWN: LazyLock<Mutex<Vec<&'static str>>> = LazyLock::new(|| Mutex::new(Vec::new()));

/// Stands for every unknown id past the numbers a `u16` leaves: such a finding is still
/// counted and resolved by its fingerprint, and named by this.
const TOO_MANY: &str = "unknown-rule";

impl RuleOf {
    pub fn known(rule: &'static Rule) -> RuleOf {
        RuleOf::named(rule.id)
    }

    pub fn named(id: &str) -> RuleOf {
        let rules = registry::rules();
        if let Some(i) = registry::position(id) {
            return RuleOf(number(i));
        }
        // A poisoned table still holds valid ids.
        let mut unknown = UNKNOWN.lock().unwrap_or_else(|e| e.into_inner());
        let at = match unknown.iter().position(|u| *u == id) {
            Some(at) => at,
            None if rules.len() + unknown.len() < usize::from(u16::MAX) => {
                unknown.push(Box::leak(id.into()));
                unknown.len() - 1
            }
            None => return RuleOf(u16::MAX),
        };
        RuleOf(number(rules.len() + at))
    }

    fn rule(self) -> Result<&'static Rule, &'static str> {
        let rules = registry::rules();
        let i = usize::from(self.0);
        if let Some(rule) = rules.get(i) {
            return Ok(rule);
        }
        let unknown = UNKNOWN.lock().unwrap_or_else(|e| e.into_inner());
        Err(unknown.get(i - rules.len()).copied().unwrap_or(TOO_MANY))
    }

    pub fn id(self) -> &'static str {
        self.rule().map_or_else(|id| id, |r| r.id)
    }

    /// The rule's title; an unknown rule's is its id.
    pub fn title(self) -> &'static str {
        self.rule().map_or_else(|id| id, |r| r.title)
    }

    /// The rule's category; an unknown rule's is empty.
    pub fn category(self) -> &'static str {
        self.rule().map_or("", |r| r.category.as_str())
    }
}

/// A rule's place in a table no larger than `u16` numbers (checked by the callers).
fn number(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

impl fmt::Debug for RuleOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// When a finding was first seen, to the second, in seconds since 1970 (until 2106).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seen(u32);

impl Seen {
    /// `None` before 1970 or after 2106.
    pub fn at(t: Timestamp) -> Option<Seen> {
        u32::try_from(t.as_second()).ok().map(Seen)
    }

    pub fn now() -> Seen {
        // The clock is past 1970; should it be past 2106, the last second stands.
        Seen::at(Timestamp::now()).unwrap_or(Seen(u32::MAX))
    }

    /// A time as a report writes it (RFC 3339); the fraction of a second is dropped.
    pub fn read(text: &str) -> Option<Seen> {
        Seen::at(text.parse().ok()?)
    }
}

/// How reports write a moment: RFC 3339, to the second, in UTC.
pub const REPORT_TIME: &str = "%Y-%m-%dT%H:%M:%SZ";

/// As reports write it ([`REPORT_TIME`]).
impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Timestamp::from_second(i64::from(self.0)) {
            Ok(t) => write!(f, "{}", t.strftime(REPORT_TIME)),
            Err(_) => Err(fmt::Error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_seen_time_reads_back_as_written() {
        for text in [
            "2026-12-02T04:31:07Z",
            "1970-01-01T00:00:00Z",
            "2106-02-07T06:28:15Z",
        ] {
            let seen = Seen::read(text).expect("an RFC 3339 time");
            assert_eq!(seen.to_string(), text);
        }
        let fraction = Seen::read("2026-12-02T04:31:07.512+01:00").expect("reads");
        assert_eq!(fraction.to_string(), "2026-12-02T03:31:07Z");
        assert!(Seen::read("yesterday").is_none());
        assert!(Seen::read("1969-12-31T23:59:59Z").is_none());
        assert!(Seen::read("2106-02-07T06:28:16Z").is_none());
        let earlier = Seen::read("2026-01-01T00:00:00Z");
        assert!(earlier < Seen::read("2026-01-01T00:00:01Z"));
    }

    #[test]
    fn rules_this_version_lacks_keep_their_id() {
        let r = RuleOf::named("XYZ999");
        assert_eq!((r.id(), r.title(), r.category()), ("XYZ999", "XYZ999", ""));
        assert_eq!(RuleOf::named("XYZ999"), r);
        assert_ne!(RuleOf::named("XYZ998"), r);
        let known = RuleOf::named("RBAC001");
        assert_eq!(known.id(), "RBAC001");
        assert_eq!(known.category(), "rbac");
        assert!(!known.title().is_empty() && known.title() != "RBAC001");
        let rule = registry::by_id("POD003").expect("a rule of this version");
        assert_eq!(RuleOf::known(rule).id(), "POD003");
        assert_eq!(format!("{:?}", RuleOf::known(rule)), "POD003");
    }
}
