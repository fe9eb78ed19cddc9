//! The built-in demo cluster: a small company's manifests with something wrong in every
//! category, and one namespace, `hardened`, with nothing wrong at all.

/// (file name as reported, YAML).
pub const PARTS: &[(&str, &str)] = &[
    ("demo/rbac.yaml", include_str!("../demo/rbac.yaml")),
    (
        "demo/serviceaccount.yaml",
        include_str!("../demo/serviceaccount.yaml"),
    ),
    (
        "demo/namespace.yaml",
        include_str!("../demo/namespace.yaml"),
    ),
    (
        "demo/networkpolicy.yaml",
        include_str!("../demo/networkpolicy.yaml"),
    ),
    (
        "demo/encryption.yaml",
        include_str!("../demo/encryption.yaml"),
    ),
    (
        "demo/controlplane.yaml",
        include_str!("../demo/controlplane.yaml"),
    ),
    ("demo/workload.yaml", include_str!("../demo/workload.yaml")),
    ("demo/hardened.yaml", include_str!("../demo/hardened.yaml")),
];

/// The demo company's settings, used with `--demo` unless `--config` names others.
pub const SETTINGS: &str = include_str!("../demo/settings.yaml");
