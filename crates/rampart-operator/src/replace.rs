//! Replacing a report that Rampart wrote before (API): an update under the resourceVersion
//! the last write returned, instead of a server-side apply. A namespace's report and the
//! ClusterPostureReport are replaced alike.
//!
//! An apply makes the API server merge what it is sent into what it stores, field by field
//! and owner by owner; a replace stores what it is sent. For a report of a few hundred
//! values that is most of a one-namespace pass (`docs/performance.md`, thirteenth round).
//! A replace takes every field it does not send away, so it sends back the metadata the
//! cluster last returned (labels, annotations, owners and finalizers anyone gave the
//! report) under that resourceVersion: if anyone changed the report since, the API server
//! refuses it (409) rather than lose their change, and the report is replaced under what
//! it holds now.
//!
//! The field ownership is sent as one empty entry, which the API server reads as "reset":
//! it drops what the report had, and an update of an object that has none is not tracked,
//! so from then on it neither works out nor stores who owns each field of the report.
//! Tracking cost the API server a tenth to a sixth of each write (`docs/performance.md`,
//! fifteenth round). A report is Rampart's alone and the annotations and labels others give
//! it are sent back whole. A replaced report's fields then have no owner, which an apply
//! over it would keep where it does not name them: the operator's applies name every list
//! (`apply::applied_body`). The price: someone who server-side applies a label to a report
//! loses their claim to it at Rampart's next write (not the label).

use crate::apply::{FIELD_MANAGER, report_body};
use http::header::{ACCEPT, CONTENT_TYPE};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, ObjectMeta};
use kube::core::PartialObjectMeta;
use kube::{Api, Client, Resource};
use rampart_crd::{CLUSTER_REPORT_NAME, ClusterPostureReport, POSTURE_REPORT_NAME, PostureReport};

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

/// Which report is replaced: a namespace's, or the ClusterPostureReport.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Namespace(&'a str),
    Cluster,
}

impl Target<'_> {
    fn url(self) -> String {
        let path = match self {
            Target::Namespace(ns) => format!(
                "{}/{POSTURE_REPORT_NAME}",
                PostureReport::url_path(&(), Some(ns))
            ),
            Target::Cluster => format!(
                "{}/{CLUSTER_REPORT_NAME}",
                ClusterPostureReport::url_path(&(), None)
            ),
        };
        // As the applies are made (`apply::report_params`): no search for unknown fields
        // in what comes from the CRD's own types.
        format!("{path}?fieldManager={FIELD_MANAGER}&fieldValidation=Ignore")
    }

    /// The report's metadata as the cluster holds it now, `None` when it is not there.
    async fn stored(self, client: &Client) -> Result<Option<ObjectMeta>, kube::Error> {
        let found = match self {
            Target::Namespace(ns) => Api::<PostureReport>::namespaced(client.clone(), ns)
                .get_metadata_opt(POSTURE_REPORT_NAME)
                .await?
                .map(|m| m.metadata),
            Target::Cluster => Api::<ClusterPostureReport>::all(client.clone())
                .get_metadata_opt(CLUSTER_REPORT_NAME)
                .await?
                .map(|m| m.metadata),
        };
        Ok(found)
    }
}

/// Replaces namespace `ns`'s report with `report` under `hash`, made under `meta` (what the
/// cluster last returned of it); see [`replace`].
pub async fn report(
    client: &Client,
    ns: &str,
    meta: &ObjectMeta,
    report: &serde_json::Value,
    hash: &str,
) -> Result<Option<Box<ObjectMeta>>, kube::Error> {
    replace(client, Target::Namespace(ns), meta, |meta| {
        serde_json::to_vec(&report_body(meta, report, hash))
    })
    .await
}

/// Replaces `target` with what `body` makes of the metadata it is given (the field
/// ownership already reset), made under `meta`, what the cluster last returned of it; when
/// someone changed the report since, again under the metadata it holds now, up to
/// [`CONFLICTS`] times (then the conflict is the caller's). Returns the metadata of what
/// is stored, or `None` when the report is not in the cluster (deleted since): the
/// caller's to apply anew.
pub async fn replace(
    client: &Client,
    target: Target<'_>,
    meta: &ObjectMeta,
    body: impl Fn(ObjectMeta) -> serde_json::Result<Vec<u8>>,
) -> Result<Option<Box<ObjectMeta>>, kube::Error> {
    let url = target.url();
    let sent = |meta: ObjectMeta| body(reset(meta)).map_err(kube::Error::SerdeError);
    let mut replaced = put(client, &url, sent(meta.clone())?).await;
    for _ in 0..CONFLICTS {
        match replaced {
            Err(kube::Error::Api(ref status)) if status.code == 409 => {}
            _ => break,
        }
        let Some(now) = target.stored(client).await? else {
            return Ok(None);
        };
        replaced = put(client, &url, sent(*remembered(now))?).await;
    }
    match replaced {
        Ok(meta) => Ok(Some(meta)),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// `meta` as a replace sends it: its field ownership one empty entry (the API server's
/// sign to drop it and, on an update, to keep none).
fn reset(mut meta: ObjectMeta) -> ObjectMeta {
    meta.managed_fields = Some(vec![ManagedFieldsEntry::default()]);
    meta
}

/// Stores `body` as namespace `ns`'s report (an update: the resourceVersion in its
/// metadata is what it is made under) and returns the stored metadata. Public for the
/// scale bench, which pairs a replace with one that keeps the field ownership.
pub async fn put_report(
    client: &Client,
    ns: &str,
    body: &serde_json::Value,
) -> Result<Box<ObjectMeta>, kube::Error> {
    let body = serde_json::to_vec(body).map_err(kube::Error::SerdeError)?;
    put(client, &Target::Namespace(ns).url(), body).await
}

/// Stores `body` at `url` (an update) and returns the stored metadata.
async fn put(client: &Client, url: &str, body: Vec<u8>) -> Result<Box<ObjectMeta>, kube::Error> {
    let request = http::Request::put(url)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, METADATA_BACK)
        .body(body)
        .map_err(kube::Error::HttpError)?;
    let stored: PartialObjectMeta<PostureReport> = client.request(request).await?;
    Ok(remembered(stored.metadata))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn a_replace_resets_the_field_ownership_and_sends_back_the_rest_of_the_metadata() {
        let meta = ObjectMeta {
            name: Some(POSTURE_REPORT_NAME.to_owned()),
            namespace: Some("team-a".to_owned()),
            resource_version: Some("41".to_owned()),
            labels: Some(BTreeMap::from([("team".to_owned(), "payments".to_owned())])),
            ..ObjectMeta::default()
        };
        let body = report_body(reset(meta), &json!({"score": 90}), "abc");
        assert_eq!(body["metadata"]["managedFields"], json!([{}]));
        assert_eq!(body["metadata"]["resourceVersion"], "41");
        assert_eq!(body["metadata"]["labels"], json!({"team": "payments"}));
        assert_eq!(
            body["metadata"]["annotations"]["rampart.dev/content-hash"],
            "abc"
        );
        assert_eq!(body["report"], json!({"score": 90}));
    }
}
