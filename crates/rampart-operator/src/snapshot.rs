//! Snapshot: one list of every kind the engine reads ([`crate::watched`]), into an
//! Inventory, for one-shot commands (`rampart scan --cluster`, `who-can`, `can`). The
//! operator keeps watches instead (`collect`). Secrets are listed metadata-only: their data
//! never leaves the API server, so a legacy token Secret is recognised by its
//! ServiceAccount annotation alone.
//!
//! A kind that cannot be listed (forbidden, or not served) does not stop the snapshot: it
//! is named in [`Snapshot::skipped`] so the caller can say what the answer does not cover.

use crate::watched::{KindVisitor, Watched, visit_kinds};
use futures::future::BoxFuture;
use kube::api::ListParams;
use kube::{Api, Client};
use rampart_rules::Inventory;
use rampart_rules::Object;

/// What one pass of lists yielded.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub inventory: Inventory,
    /// Kinds that could not be listed, with why.
    pub skipped: Vec<(&'static str, String)>,
}

/// Pages of this many objects keep each response small on large clusters.
const PAGE: u32 = 500;

/// Every object of a kind, converted page by page: only one page is held in its full
/// k8s-openapi form, and the conversion drops what no rule reads (managed fields, ...).
async fn list_all<K: Watched>(client: &Client) -> Result<Vec<Object>, kube::Error> {
    let api: Api<K> = Api::all(client.clone());
    let mut out = Vec::new();
    let mut params = ListParams::default().limit(PAGE);
    loop {
        let page = api.list(&params).await?;
        let next = page.metadata.continue_.clone().filter(|c| !c.is_empty());
        out.extend(page.items.into_iter().map(K::into_object));
        match next {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(out),
        }
    }
}

/// One kind's objects, or the kind and why it could not be listed.
type Listed = Result<Vec<Object>, (&'static str, kube::Error)>;

/// One list per kind; futures do nothing until awaited, so awaiting them in order lists
/// one kind at a time.
struct Lists<'a> {
    client: &'a Client,
    pending: Vec<BoxFuture<'a, Listed>>,
}

impl KindVisitor for Lists<'_> {
    fn visit<K: Watched>(&mut self) {
        let client = self.client;
        self.pending.push(Box::pin(async move {
            list_all::<K>(client).await.map_err(|e| (K::KIND, e))
        }));
    }
}

/// Lists every kind once and reads kube-apiserver's /metrics and /version once (the API
/// server is read, nothing is written), and indexes the result.
pub async fn take(client: &Client) -> Snapshot {
    take_probing(client, None).await
}

/// [`take`], and what `anonymous` (a client without credentials) gets from the API server.
pub async fn take_probing(
    client: &Client,
    anonymous: Option<crate::apiserver::AnonymousClient>,
) -> Snapshot {
    let mut snap = Snapshot::default();
    let mut lists = Lists {
        client,
        pending: Vec::new(),
    };
    visit_kinds(&mut lists);
    let mut objects: Vec<Object> = Vec::new();
    for list in lists.pending {
        match list.await {
            Ok(items) => objects.extend(items),
            Err((kind, e)) => snap.skipped.push((kind, e.to_string())),
        }
    }
    // The same evidence of encryption at rest the operator reads: one scrape of
    // kube-apiserver's /metrics (recorded as unavailable when forbidden).
    let mut scraper = crate::apiserver::Scraper::new(std::time::Duration::from_secs(1), anonymous);
    scraper.refresh(client).await;
    objects.extend(scraper.objects());
    snap.inventory = Inventory::from_objects(objects);
    snap
}
