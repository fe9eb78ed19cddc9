//! Watches the reports Rampart writes, so that one that disappears is written again.
//!
//! The writer skips a report whose content hash it already wrote. That memory goes stale
//! when someone deletes a report, or deletes and re-creates the CRDs (an upgrade, a GitOps
//! tool re-syncing): the cluster no longer holds what the writer remembers. Metadata-only
//! watches of both report kinds say what went: a deletion names its report, and a relist
//! (after the CRDs came back, or a watch expired) says which reports exist. The writer
//! then forgets those hashes and the next pass writes the reports again.

use crate::openreports::{OpenClusterReport, OpenReport, selector};
use crate::placement::report_key;
use crate::watch_state::{is_expired, status_code};
use futures::{StreamExt, future};
use kube::core::PartialObjectMeta;
use kube::runtime::watcher::Event;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use rampart_crd::{ClusterPostureReport, PostureReport};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Which reports a kind's relist found, by the writer's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Whether the relist was of the ClusterPostureReport (else of PostureReports).
    pub cluster: bool,
    pub present: BTreeSet<String>,
}

/// What one copy's watches saw go: Rampart's reports, or their OpenReports copies.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Gone {
    /// Reports deleted, by the writer's keys.
    pub deleted: BTreeSet<String>,
    /// The latest complete list of each report kind.
    pub listed: Vec<Listed>,
}

/// What the report watches saw since the writer last looked.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Vanished {
    pub reports: Gone,
    /// The OpenReports copies (with `--openreports`).
    pub exported: Gone,
}

/// Which of the watched kinds an event is of.
#[derive(Debug, Clone, Copy, Default)]
struct WatchedKind {
    cluster: bool,
    exported: bool,
}

/// One report kind's watch, folding its events into [`Vanished`].
#[derive(Debug, Default)]
struct Tracker {
    cluster: bool,
    /// The relist in progress.
    listing: Option<BTreeSet<String>>,
}

impl Tracker {
    /// Notes one event; whether it is worth a pass.
    fn note<K: Resource>(&mut self, event: Event<K>, out: &mut Gone) -> bool {
        let key = |o: &K| report_key(o.meta().namespace.as_deref());
        match event {
            Event::Delete(o) => {
                out.deleted.insert(key(&o));
                true
            }
            // A report being written or already there: nothing to do.
            Event::Apply(_) => false,
            Event::Init => {
                self.listing = Some(BTreeSet::new());
                false
            }
            Event::InitApply(o) => {
                self.listing.get_or_insert_default().insert(key(&o));
                false
            }
            Event::InitDone => {
                let present = self.listing.take().unwrap_or_default();
                out.listed.retain(|l| l.cluster != self.cluster);
                out.listed.push(Listed {
                    cluster: self.cluster,
                    present,
                });
                true
            }
        }
    }
}

fn watch_kind<K>(
    client: &Client,
    which: WatchedKind,
    vanished: Arc<Mutex<Vanished>>,
    changed: mpsc::Sender<()>,
) -> impl Future<Output = ()> + Send + 'static
where
    PartialObjectMeta<K>: Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + 'static,
{
    let api: Api<PartialObjectMeta<K>> = Api::all(client.clone());
    let config = if which.exported {
        watcher::Config::default().labels(&selector())
    } else {
        watcher::Config::default()
    };
    let mut events = watcher(api, config).default_backoff().boxed();
    let cluster = which.cluster;
    let mut tracker = Tracker {
        cluster,
        listing: None,
    };
    async move {
        while let Some(result) = events.next().await {
            match result {
                Ok(event) => {
                    let worth_a_pass = vanished
                        .lock()
                        .map(|mut v| {
                            let gone = if which.exported {
                                &mut v.exported
                            } else {
                                &mut v.reports
                            };
                            tracker.note(event, gone)
                        })
                        .unwrap_or(false);
                    if worth_a_pass {
                        // A full channel already holds a pending change; one is enough.
                        let _ = changed.try_send(());
                    }
                }
                // How the API server asks for a relist: not a failure.
                Err(e) if is_expired(&e) => {
                    debug!(cluster, error = %e, "report watch expired; relisting")
                }
                // OpenReports not installed, or not granted: the writer says so once.
                Err(e) if which.exported && is_unavailable(&e) => {
                    debug!(cluster, error = %e, "the OpenReports copies cannot be watched; retrying with backoff")
                }
                Err(e) => {
                    warn!(cluster, error = %e, "watching the written reports failed; retrying with backoff");
                }
            }
        }
    }
}

/// A watch failure that means the kind is not served or not granted.
fn is_unavailable(error: &watcher::Error) -> bool {
    matches!(status_code(error), Some(403 | 404))
}

/// Starts the watches of both report kinds, and of their OpenReports copies when
/// `exported` (API); what they see accumulates in the returned value until the writer
/// takes it.
pub fn watch_reports(
    client: &Client,
    changed: mpsc::Sender<()>,
    exported: bool,
) -> Arc<Mutex<Vanished>> {
    let vanished = Arc::new(Mutex::new(Vanished::default()));
    let of = |cluster, exported| WatchedKind { cluster, exported };
    let namespaced =
        watch_kind::<PostureReport>(client, of(false, false), vanished.clone(), changed.clone());
    let cluster = watch_kind::<ClusterPostureReport>(
        client,
        of(true, false),
        vanished.clone(),
        changed.clone(),
    );
    let copies = exported.then(|| {
        future::join(
            watch_kind::<OpenReport>(client, of(false, true), vanished.clone(), changed.clone()),
            watch_kind::<OpenClusterReport>(client, of(true, true), vanished.clone(), changed),
        )
    });
    tokio::spawn(async move {
        let copies = async move {
            if let Some(copies) = copies {
                copies.await;
            }
        };
        future::join3(namespaced, cluster, copies).await;
    });
    vanished
}

#[cfg(test)]
mod tests {
    use super::*;

    use k8s_openapi::api::core::v1::ConfigMap;

    /// Any namespaced object stands for a report here: the tracker reads its namespace.
    type Report = ConfigMap;

    fn report(namespace: &str) -> Report {
        let mut r = Report::default();
        r.metadata.namespace = Some(namespace.to_owned());
        r.metadata.name = Some("posture".to_owned());
        r
    }

    #[test]
    fn deletions_and_complete_lists_are_noted_and_writes_are_not() {
        let mut out = Gone::default();
        let mut t = Tracker::default();
        assert!(!t.note(Event::Apply(report("shop")), &mut out));
        assert!(t.note(Event::Delete(report("shop")), &mut out));
        assert_eq!(out.deleted, BTreeSet::from(["shop".to_owned()]));
        // A relist: only its end counts, and it replaces an earlier one of the same kind.
        assert!(!t.note(Event::<Report>::Init, &mut out));
        assert!(!t.note(Event::InitApply(report("a")), &mut out));
        assert!(t.note(Event::<Report>::InitDone, &mut out));
        assert!(!t.note(Event::<Report>::Init, &mut out));
        assert!(!t.note(Event::InitApply(report("b")), &mut out));
        assert!(t.note(Event::<Report>::InitDone, &mut out));
        assert_eq!(
            out.listed,
            [Listed {
                cluster: false,
                present: BTreeSet::from(["b".to_owned()]),
            }]
        );
        // A relist that finds nothing (the CRD was re-created) lists nothing present.
        let mut cluster = Tracker {
            cluster: true,
            listing: None,
        };
        assert!(!cluster.note::<Report>(Event::Init, &mut out));
        assert!(cluster.note::<Report>(Event::InitDone, &mut out));
        assert_eq!(out.listed.len(), 2);
        assert!(out.listed.iter().any(|l| l.cluster && l.present.is_empty()));
    }
}
