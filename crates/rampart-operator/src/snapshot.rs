//! Snapshot: one list of every kind the engine reads, into an Inventory, for one-shot
//! commands (`rampart scan --cluster`, `who-can`, `can`). The operator keeps watches
//! instead (`collect`). Secrets are listed metadata-only: their data never leaves the API
//! server, so a legacy token Secret is recognised by its ServiceAccount annotation alone.
//!
//! A kind that cannot be listed (forbidden, or not served) does not stop the snapshot: it
//! is named in [`Snapshot::skipped`] so the caller can say what the answer does not cover.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    LimitRange, Namespace, Pod, ResourceQuota, Secret, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::ListParams;
use kube::core::PartialObjectMeta;
use kube::{Api, Client, Resource};
use rampart_rules::Inventory;
use rampart_rules::{Object, SecretMeta};
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// What one pass of lists yielded.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub inventory: Inventory,
    /// Kinds that could not be listed, with why.
    pub skipped: Vec<(&'static str, String)>,
}

/// Pages of this many objects keep each response small on large clusters.
const PAGE: u32 = 500;

async fn list_all<K>(client: &Client) -> Result<Vec<K>, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    let api: Api<K> = Api::all(client.clone());
    let mut out = Vec::new();
    let mut params = ListParams::default().limit(PAGE);
    loop {
        let page = api.list(&params).await?;
        let next = page.metadata.continue_.clone().filter(|c| !c.is_empty());
        out.extend(page.items.into_iter().map(|mut o: K| {
            // Nothing reads managedFields, and on large clusters they are most of the bytes.
            o.meta_mut().managed_fields = None;
            o
        }));
        match next {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(out),
        }
    }
}

macro_rules! take {
    ($client:expr, $snap:expr, $objects:expr, $($ty:ty => $kind:literal, $variant:ident;)*) => {$(
        match list_all::<$ty>($client).await {
            Ok(items) => $objects.extend(items.into_iter().map(Object::$variant)),
            Err(e) => $snap.skipped.push(($kind, e.to_string())),
        }
    )*};
}

/// Lists every kind once (the API server is read, nothing is written) and indexes the result.
pub async fn take(client: &Client) -> Snapshot {
    let mut snap = Snapshot::default();
    let mut objects: Vec<Object> = Vec::new();
    take!(client, snap, objects,
        Namespace => "Namespace", Namespace;
        ServiceAccount => "ServiceAccount", ServiceAccount;
        Role => "Role", Role;
        ClusterRole => "ClusterRole", ClusterRole;
        RoleBinding => "RoleBinding", RoleBinding;
        ClusterRoleBinding => "ClusterRoleBinding", ClusterRoleBinding;
        NetworkPolicy => "NetworkPolicy", NetworkPolicy;
        Pod => "Pod", Pod;
        Deployment => "Deployment", Deployment;
        StatefulSet => "StatefulSet", StatefulSet;
        DaemonSet => "DaemonSet", DaemonSet;
        ReplicaSet => "ReplicaSet", ReplicaSet;
        Job => "Job", Job;
        CronJob => "CronJob", CronJob;
        ResourceQuota => "ResourceQuota", ResourceQuota;
        LimitRange => "LimitRange", LimitRange;
    );
    // Api<PartialObjectMeta<_>> asks for metadata only: Secret data is never sent.
    match list_all::<PartialObjectMeta<Secret>>(client).await {
        Ok(items) => objects.extend(items.into_iter().map(|s| {
            Object::Secret(SecretMeta {
                metadata: s.metadata,
                type_: None,
            })
        })),
        Err(e) => snap.skipped.push(("Secret", e.to_string())),
    }
    snap.inventory = Inventory::from_objects(objects);
    snap
}
