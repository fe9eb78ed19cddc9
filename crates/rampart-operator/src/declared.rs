//! The exceptions declared in the cluster (`PostureException`, `ClusterPostureException`),
//! watched (API) and kept as the engine reads them, with the status each carries.
//!
//! Exceptions are optional: while their CRDs are not installed the watches retry with
//! backoff and nothing is excepted; no report names them in `couldNotEvaluate`.

use crate::watch_state::is_expired;
use futures::{StreamExt, future};
use kube::runtime::watcher::Event;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use rampart_crd::{ClusterPostureException, ExceptionSpec, ExceptionStatus, PostureException};
use rampart_rules::exceptions::{self, Exception};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// One declared exception: what the engine reads of it (or why it cannot), and what its
/// status says now.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredException {
    /// `Err`: the document the API server accepted does not read as an exception.
    pub exception: Result<Exception, String>,
    pub kind: &'static str,
    pub namespace: Option<String>,
    pub name: String,
    pub generation: Option<i64>,
    pub status: Option<ExceptionStatus>,
}

impl DeclaredException {
    /// The id reports and statuses name it by (see [`Exception::id`]).
    pub fn id(&self) -> String {
        exceptions::id_of(self.namespace.as_deref(), &self.name)
    }
}

/// Every exception declared in the cluster, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Declared {
    pub by_id: BTreeMap<String, DeclaredException>,
}

/// The two kinds, read alike.
trait ExceptionKind: Resource<DynamicType = ()> {
    const KIND: &'static str;
    fn spec_of(&self) -> &ExceptionSpec;
    fn status_of(&self) -> Option<&ExceptionStatus>;
}

impl ExceptionKind for PostureException {
    const KIND: &'static str = exceptions::NAMESPACED_KIND;
    fn spec_of(&self) -> &ExceptionSpec {
        &self.spec.exception
    }
    fn status_of(&self) -> Option<&ExceptionStatus> {
        self.status.as_ref()
    }
}

impl ExceptionKind for ClusterPostureException {
    const KIND: &'static str = exceptions::CLUSTER_KIND;
    fn spec_of(&self) -> &ExceptionSpec {
        &self.spec.exception
    }
    fn status_of(&self) -> Option<&ExceptionStatus> {
        self.status.as_ref()
    }
}

/// Reads a custom resource's spec as the engine's exception: the same document the
/// settings file and `rampart scan` read.
pub fn read(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    spec: &ExceptionSpec,
) -> Result<Exception, String> {
    let mut metadata = serde_json::json!({ "name": name });
    if let Some(ns) = namespace {
        metadata["namespace"] = ns.into();
    }
    let document = serde_json::json!({
        "apiVersion": exceptions::API_VERSION,
        "kind": kind,
        "metadata": metadata,
        "spec": spec,
    });
    Exception::from_document(document).map_err(|e| e.to_string())
}

fn declared<K: ExceptionKind>(o: &K) -> DeclaredException {
    let namespace = o.meta().namespace.clone();
    let name = o.name_any();
    DeclaredException {
        exception: read(K::KIND, namespace.as_deref(), &name, o.spec_of()),
        kind: K::KIND,
        namespace,
        name,
        generation: o.meta().generation,
        status: o.status_of().cloned(),
    }
}

/// One kind's watch, folding its events into [`Declared`].
#[derive(Debug, Default)]
struct Tracker {
    /// The relist in progress.
    listing: Option<BTreeMap<String, DeclaredException>>,
}

impl Tracker {
    /// Notes one event; whether an evaluation should follow (a spec changed, appeared or
    /// went; a status written by Rampart changes nothing it judges).
    fn note<K: ExceptionKind>(&mut self, event: Event<K>, out: &mut Declared) -> bool {
        match event {
            Event::Apply(o) => {
                let d = declared(&o);
                let id = d.id();
                let same_spec = out.by_id.get(&id).is_some_and(|was| {
                    was.generation == d.generation && was.exception == d.exception
                });
                out.by_id.insert(id, d);
                !same_spec
            }
            Event::Delete(o) => out.by_id.remove(&declared(&o).id()).is_some(),
            Event::Init => {
                self.listing = Some(BTreeMap::new());
                false
            }
            Event::InitApply(o) => {
                let d = declared(&o);
                self.listing.get_or_insert_default().insert(d.id(), d);
                false
            }
            Event::InitDone => {
                let listed = self.listing.take().unwrap_or_default();
                let before = out.by_id.clone();
                out.by_id.retain(|_, d| d.kind != K::KIND);
                out.by_id.extend(listed);
                out.by_id != before
            }
        }
    }
}

fn watch_kind<K>(
    client: &Client,
    declared: Arc<Mutex<Declared>>,
    changed: mpsc::Sender<()>,
) -> impl Future<Output = ()> + Send + 'static
where
    K: ExceptionKind
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let api: Api<K> = Api::all(client.clone());
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut tracker = Tracker::default();
    let mut failing = false;
    async move {
        while let Some(result) = events.next().await {
            match result {
                Ok(event) => {
                    if std::mem::take(&mut failing) {
                        debug!(kind = K::KIND, "exception watch recovered");
                    }
                    let worth_a_pass = declared
                        .lock()
                        .map(|mut d| tracker.note(event, &mut d))
                        .unwrap_or(false);
                    if worth_a_pass {
                        // A full channel already holds a pending change; one is enough.
                        let _ = changed.try_send(());
                    }
                }
                Err(e) if is_expired(&e) => {
                    debug!(kind = K::KIND, error = %e, "exception watch expired; relisting");
                }
                // Said once per failure, not at every retry: a cluster without the
                // exception CRDs is a supported setup.
                Err(e) => {
                    if !std::mem::replace(&mut failing, true) {
                        warn!(kind = K::KIND, error = %e, "watching exceptions failed (are the CRDs installed?); nothing is excepted from them until it recovers");
                    }
                }
            }
        }
    }
}

/// Starts the watches of both exception kinds (API); what they see is kept in the
/// returned value, which each pass reads.
pub fn watch_exceptions(client: &Client, changed: mpsc::Sender<()>) -> Arc<Mutex<Declared>> {
    let declared = Arc::new(Mutex::new(Declared::default()));
    let namespaced = watch_kind::<PostureException>(client, declared.clone(), changed.clone());
    let cluster = watch_kind::<ClusterPostureException>(client, declared.clone(), changed);
    tokio::spawn(async move {
        future::join(namespaced, cluster).await;
    });
    declared
}

/// Lists both kinds once (API), for one-shot commands (`rampart scan --cluster`). A kind
/// whose CRD is not installed has no exceptions; any other failure is returned with it.
pub async fn list_once(client: &Client) -> (Declared, Vec<(&'static str, kube::Error)>) {
    let mut out = Declared::default();
    let mut failed = Vec::new();
    match list_kind::<PostureException>(client).await {
        Ok(found) => out.by_id.extend(found),
        Err(e) => failed.push((exceptions::NAMESPACED_KIND, e)),
    }
    match list_kind::<ClusterPostureException>(client).await {
        Ok(found) => out.by_id.extend(found),
        Err(e) => failed.push((exceptions::CLUSTER_KIND, e)),
    }
    (out, failed)
}

async fn list_kind<K>(client: &Client) -> Result<Vec<(String, DeclaredException)>, kube::Error>
where
    K: ExceptionKind + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let api: Api<K> = Api::all(client.clone());
    match api.list(&Default::default()).await {
        Ok(list) => Ok(list
            .items
            .iter()
            .map(|o| {
                let d = declared(o);
                (d.id(), d)
            })
            .collect()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests;
