//! The OpenReports copies of Rampart's reports (opt-in: `--openreports`), written beside
//! them by the same writer and under the same rule: only when the content changed.
//!
//! The copies are a courtesy to other readers, not the record: a cluster without the
//! OpenReports CRDs, or an install that did not grant the OpenReports rule, loses the
//! copies (said once in the log) and nothing else. Once the CRDs are served, the watch of
//! the copies lists them, every report without its copy is built again and the copy is
//! written.

use crate::openreports::{self, NAME, OpenClusterReport, OpenReport, selector};
use crate::placement::report_key;
use crate::written::Gone;
use kube::api::{ListParams, Patch};
use kube::core::{ObjectMeta, PartialObjectMeta};
use kube::{Api, Client};
use rampart_crd::Report;
use std::collections::{BTreeSet, HashMap};
use tracing::{info, warn};

/// Why the copies cannot be written now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blocked {
    /// The OpenReports CRDs are not served.
    NotServed,
    /// The install did not grant Rampart the OpenReports rule.
    Forbidden,
}

/// What the writer knows of the copies in the cluster: their content hashes, by the
/// writer's report keys.
#[derive(Debug, Default)]
pub struct Exporter {
    hashes: HashMap<String, String>,
    blocked: Option<Blocked>,
    pub writes: u64,
}

/// What a failed request says about the copies, when it is one the writer waits out.
fn blocked_by(error: &kube::Error) -> Option<Blocked> {
    let kube::Error::Api(status) = error else {
        return None;
    };
    match status.code {
        404 => Some(Blocked::NotServed),
        403 => Some(Blocked::Forbidden),
        _ => None,
    }
}

/// The metadata of Rampart's copies in the cluster, of both kinds.
async fn list_copies(client: &Client) -> Result<Vec<ObjectMeta>, kube::Error> {
    let params = ListParams::default().labels(&selector());
    let namespaced: Api<PartialObjectMeta<OpenReport>> = Api::all(client.clone());
    let cluster: Api<PartialObjectMeta<OpenClusterReport>> = Api::all(client.clone());
    let reports = namespaced.list_metadata(&params).await?;
    let clusters = cluster.list_metadata(&params).await?;
    Ok(reports
        .items
        .into_iter()
        .map(|r| r.metadata)
        .chain(clusters.items.into_iter().map(|r| r.metadata))
        .collect())
}

impl Exporter {
    /// Reads the copies already in the cluster, so a restart rewrites none that is
    /// unchanged. Missing CRDs or a missing grant leave it empty (and say so).
    pub async fn load(client: &Client, hash_annotation: &str) -> Result<Exporter, kube::Error> {
        let mut e = Exporter::default();
        match list_copies(client).await {
            Ok(metas) => {
                for meta in metas.iter().filter(|m| m.name.as_deref() == Some(NAME)) {
                    let hash = meta
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get(hash_annotation));
                    if let Some(h) = hash {
                        e.hashes
                            .insert(report_key(meta.namespace.as_deref()), h.clone());
                    }
                }
            }
            Err(error) => match blocked_by(&error) {
                Some(why) => e.block(why, &error),
                None => return Err(error),
            },
        }
        Ok(e)
    }

    fn block(&mut self, why: Blocked, error: &kube::Error) {
        if self.blocked != Some(why) {
            match why {
                Blocked::NotServed => {
                    warn!(%error, "the OpenReports CRDs are not served; Rampart's reports are written without their OpenReports copies until they are")
                }
                Blocked::Forbidden => {
                    warn!(%error, "Rampart may not write OpenReports (apply manifests/optional/openreports-rbac.yaml); Rampart's reports are written without their copies")
                }
            }
        }
        self.blocked = Some(why);
    }

    /// Whether the report under `key`, built with `hash`, needs its copy written.
    pub fn due(&self, key: &str, hash: &str) -> bool {
        self.hashes.get(key).is_none_or(|h| h != hash)
    }

    /// Writes the copy of one report: a `Report` in `namespace`, or the `ClusterReport`.
    /// A copy the cluster cannot take now (CRDs not served, no grant, the namespace gone)
    /// is left unwritten, for the watch of the copies to bring back; any other failure is
    /// the writer's. `writer`: the field manager and the hash annotation.
    pub async fn write(
        &mut self,
        client: &Client,
        namespace: Option<&str>,
        report: &Report,
        hash: &str,
        writer: (&str, &str),
    ) -> Result<(), kube::Error> {
        let (field_manager, hash_annotation) = writer;
        let body = openreports::body(namespace, report, hash, hash_annotation);
        let params = crate::apply::report_params(field_manager);
        let sent = match namespace {
            Some(ns) => {
                let api: Api<OpenReport> = Api::namespaced(client.clone(), ns);
                api.patch_metadata(NAME, &params, &Patch::Apply(&body))
                    .await
                    .map(drop)
            }
            None => {
                let api: Api<OpenClusterReport> = Api::all(client.clone());
                api.patch_metadata(NAME, &params, &Patch::Apply(&body))
                    .await
                    .map(drop)
            }
        };
        match sent {
            Ok(()) => {
                if self.blocked.take().is_some() {
                    info!("writing the OpenReports copies of Rampart's reports again");
                }
                self.hashes.insert(report_key(namespace), hash.to_owned());
                self.writes += 1;
                Ok(())
            }
            // A namespace deleted between evaluation and write: nothing to copy into.
            Err(kube::Error::Api(s)) if s.code == 404 && s.message.contains("namespaces \"") => {
                Ok(())
            }
            Err(error) => match blocked_by(&error) {
                Some(why) => {
                    self.block(why, &error);
                    Ok(())
                }
                None => Err(error),
            },
        }
    }

    /// Forgets the copies that are gone from the cluster, and finds the reports in `known`
    /// (the writer's keys) a complete list of copies lacks; returns the keys of the
    /// reports to build again, so their copies are written.
    pub fn forget<'a>(
        &mut self,
        gone: &Gone,
        known: impl Iterator<Item = &'a String> + Clone,
    ) -> BTreeSet<String> {
        let mut forgotten = BTreeSet::new();
        for k in &gone.deleted {
            self.hashes.remove(k);
            forgotten.insert(k.clone());
        }
        let cluster_key = report_key(None);
        for l in &gone.listed {
            for k in known.clone() {
                let of_this_list = (*k == cluster_key) == l.cluster;
                if of_this_list && !l.present.contains(k) {
                    self.hashes.remove(k);
                    forgotten.insert(k.clone());
                }
            }
        }
        forgotten
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::written::Listed;

    #[test]
    fn a_copy_missing_from_a_complete_list_is_written_again_and_only_that() {
        let mut e = Exporter::default();
        for k in ["shop", "kept", "/cluster"] {
            e.hashes.insert(k.to_owned(), "h".to_owned());
        }
        assert!(!e.due("shop", "h"));
        assert!(e.due("shop", "other"), "changed content is written");
        assert!(e.due("never", "h"), "a report without a copy gets one");
        let known: Vec<String> = ["shop", "kept", "new", "/cluster"]
            .map(str::to_owned)
            .to_vec();
        // The CRDs were installed after Rampart: the first list finds only what it has.
        let listed = Gone {
            deleted: BTreeSet::new(),
            listed: vec![Listed {
                cluster: false,
                present: BTreeSet::from(["kept".to_owned()]),
            }],
        };
        assert_eq!(
            e.forget(&listed, known.iter()),
            BTreeSet::from(["shop".to_owned(), "new".to_owned()]),
            "a list of Reports says nothing of the ClusterReport"
        );
        assert!(e.due("shop", "h") && !e.due("kept", "h") && !e.due("/cluster", "h"));
        let deleted = Gone {
            deleted: BTreeSet::from(["/cluster".to_owned()]),
            listed: Vec::new(),
        };
        assert_eq!(
            e.forget(&deleted, known.iter()),
            BTreeSet::from(["/cluster".to_owned()])
        );
        assert!(e.due("/cluster", "h"));
    }
}
