//! What the assessments read of kube-apiserver's `/metrics`. Its counters run on with every
//! request the API server serves, so two scrapes a minute apart are never equal, while the
//! encryption and control-plane verdicts read only whether a counter moved at all and which
//! provider counted most. [`MetricsView`] is that much of a set of scrapes: a scrape whose
//! view equals the held one's changes no verdict, no finding and no report, and the
//! operator leaves it out of the inventory instead of judging kube-system and the cluster
//! again every minute.

use crate::analysis::encryption::{busiest, summed};
use crate::model::apiserver_metrics::{ApiServerMetrics, Transformations};
use std::collections::{BTreeMap, BTreeSet};

/// What the verdicts read of one API server's scrape and of all of them together.
#[derive(Debug, PartialEq, Eq)]
pub struct MetricsView {
    servers: Vec<ServerView>,
    /// The provider named as Secrets' writer, and failing that as their reader: chosen by
    /// counts summed over the servers, so it can change while each server's order does not.
    busiest_writer: Option<String>,
    busiest_reader: Option<String>,
    /// Plaintext operations summed over the servers: a count that is not a number or below
    /// zero on one server lets the sum's sign change while each server's does not.
    plaintext_writes: Count,
    plaintext_reads: Count,
}

/// Whether a count is above zero, zero, or neither (negative or not a number, which the
/// verdicts' comparisons treat as neither).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Count {
    None,
    Zero,
    Some,
}

impl From<f64> for Count {
    fn from(n: f64) -> Count {
        if n > 0.0 {
            Count::Some
        } else if n == 0.0 {
            Count::Zero
        } else {
            Count::None
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct ServerView {
    name: String,
    unavailable: Option<String>,
    per_resource: bool,
    config_loaded: bool,
    reload_failures: Count,
    /// A provider counted at all names it (the busiest of a map holding only zeros).
    encrypted_writes: BTreeMap<String, Count>,
    encrypted_reads: BTreeMap<String, Count>,
    plaintext_writes: Count,
    plaintext_reads: Count,
    audit_events: Option<Count>,
    audit_policy_loaded: bool,
    admission_plugins: BTreeSet<String>,
}

fn counts(by_provider: &BTreeMap<String, f64>) -> BTreeMap<String, Count> {
    by_provider
        .iter()
        .map(|(p, n)| (p.clone(), Count::from(*n)))
        .collect()
}

impl ServerView {
    fn of(m: &ApiServerMetrics) -> ServerView {
        let Transformations {
            encrypted_writes,
            plaintext_writes,
            encrypted_reads,
            plaintext_reads,
            failures: _,
        } = &m.secrets;
        ServerView {
            name: m.name.clone(),
            unavailable: m.unavailable.clone(),
            per_resource: m.per_resource,
            config_loaded: m.config_loaded,
            reload_failures: m.config_reload_failures.into(),
            encrypted_writes: counts(encrypted_writes),
            encrypted_reads: counts(encrypted_reads),
            plaintext_writes: (*plaintext_writes).into(),
            plaintext_reads: (*plaintext_reads).into(),
            audit_events: m.audit_events.map(Count::from),
            audit_policy_loaded: m.audit_policy_loaded,
            admission_plugins: m.admission_plugins.clone(),
        }
    }
}

impl MetricsView {
    /// The view of the scrapes the inventory would hold, in its order (by name).
    pub fn of<'a>(scrapes: impl IntoIterator<Item = &'a ApiServerMetrics>) -> MetricsView {
        let mut all: Vec<&ApiServerMetrics> = scrapes.into_iter().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        let sum = summed(all.iter().copied());
        MetricsView {
            servers: all.into_iter().map(ServerView::of).collect(),
            busiest_writer: busiest(&sum.encrypted_writes),
            busiest_reader: busiest(&sum.encrypted_reads),
            plaintext_writes: sum.plaintext_writes.into(),
            plaintext_reads: sum.plaintext_reads.into(),
        }
    }
}
