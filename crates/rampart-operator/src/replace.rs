//! Replacing a namespace's report that Rampart wrote before (API): an update under the
//! resourceVersion the last write returned, instead of a server-side apply.
//!
//! An apply makes the API server merge what it is sent into what it stores, field by field
//! and owner by owner; a replace stores what it is sent. For a report of a few hundred
//! values that is most of a one-namespace pass (`docs/performance.md`, thirteenth round).
//! A replace takes every field it does not send away, so it sends back the metadata the
//! cluster last returned (labels, annotations, owners and finalizers anyone gave the
//! report) under that resourceVersion: if anyone changed the report since, the API server
//! refuses it (409) rather than lose their change, and the report is replaced under what
//! it holds now. The field ownership is left out, which keeps what the API server has.

use crate::apply::{FIELD_MANAGER, report_body};
use http::header::{ACCEPT, CONTENT_TYPE};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::PartialObjectMeta;
use kube::{Api, Client, Resource};
use rampart_crd::{POSTURE_REPORT_NAME, PostureReport};

/// The response the writer reads: the report's metadata, not the report it just sent.
const METADATA_BACK: &str = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

/// The metadata of a report as the writer remembers it for its next replace: as the
/// cluster returned it, less the field ownership (the bulk of it, and not to be sent).
pub fn remembered(mut meta: ObjectMeta) -> Box<ObjectMeta> {
    meta.managed_fields = None;
    Box::new(meta)
}

/// How many times a report someone keeps changing is read back and replaced again before
/// its write is left for a later pass.
const CONFLICTS: usize = 3;

/// Replaces namespace `ns`'s report with `report` under `hash`, made under `meta` (what the
/// cluster last returned of it); when someone changed the report since, again under the
/// metadata it holds now, up to [`CONFLICTS`] times (then the conflict is the caller's).
/// Returns the metadata of what is stored, or `None` when the report is not in the cluster
/// (deleted since): the caller's to apply anew.
pub async fn report(
    client: &Client,
    ns: &str,
    meta: &ObjectMeta,
    report: &serde_json::Value,
    hash: &str,
) -> Result<Option<Box<ObjectMeta>>, kube::Error> {
    let mut replaced = once(client, ns, meta.clone(), report, hash).await;
    for _ in 0..CONFLICTS {
        match replaced {
            Err(kube::Error::Api(ref status)) if status.code == 409 => {}
            _ => break,
        }
        let api: Api<PostureReport> = Api::namespaced(client.clone(), ns);
        let Some(now) = api.get_metadata_opt(POSTURE_REPORT_NAME).await? else {
            return Ok(None);
        };
        replaced = once(client, ns, *remembered(now.metadata), report, hash).await;
    }
    match replaced {
        Ok(meta) => Ok(Some(meta)),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// One replace under `meta`, with the report's hash in its annotations.
async fn once(
    client: &Client,
    ns: &str,
    meta: ObjectMeta,
    report: &serde_json::Value,
    hash: &str,
) -> Result<Box<ObjectMeta>, kube::Error> {
    let body = report_body(meta, report, hash);
    // As the applies are made (`apply::report_params`): no search for unknown fields in
    // what comes from the CRD's own types.
    let url = format!(
        "{}/{POSTURE_REPORT_NAME}?fieldManager={FIELD_MANAGER}&fieldValidation=Ignore",
        PostureReport::url_path(&(), Some(ns)),
    );
    let request = http::Request::put(url)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, METADATA_BACK)
        .body(serde_json::to_vec(&body).map_err(kube::Error::SerdeError)?)
        .map_err(kube::Error::HttpError)?;
    let stored: PartialObjectMeta<PostureReport> = client.request(request).await?;
    Ok(remembered(stored.metadata))
}
