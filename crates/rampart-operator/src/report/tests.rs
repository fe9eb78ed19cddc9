use super::*;
use crate::fixture::{Fixture, control_plane, findings, open_of};
use crate::open::{fingerprint_key, read_back};
use rampart_rules::control_plane::Releases;
use std::collections::HashMap;

const INSECURE: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: shop-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: default, namespace: shop}]\n";

/// Namespace `ns` whose Role is granted to anonymous users: RBAC015, critical, in `ns`.
fn anonymous_grant(ns: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n\
         ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n\
         metadata: {{name: reader, namespace: {ns}}}\n\
         rules: [{{apiGroups: [''], resources: [pods], verbs: [get]}}]\n\
         ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n\
         metadata: {{name: anon, namespace: {ns}}}\n\
         roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}}\n\
         subjects: [{{kind: User, name: 'system:anonymous', apiGroup: rbac.authorization.k8s.io}}]\n"
    )
}

/// The reports once everything in `shop` is fixed, with the findings open before.
fn fixed_shop(open: &Open) -> Reports {
    Fixture {
        open: open.clone(),
        ..Fixture::default()
    }
    .build(
        &findings("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"),
        &["shop"],
    )
    .reports
}

fn rule_ids(fs: &[Noted<'_>]) -> Vec<String> {
    fs.iter().map(|n| n.finding.rule.id().to_owned()).collect()
}

#[test]
fn splits_namespaced_and_cluster_findings_with_exact_counts() {
    let f = findings(INSECURE);
    let r = Fixture::default().build(&f, &["shop", "clean"]).reports;
    assert!(r.cluster.findings.iter().any(|x| x.rule_id == "RBAC001"));
    assert!(
        built(&r, "shop")
            .findings
            .iter()
            .any(|x| x.rule_id == "SA001")
    );
    assert!(built(&r, "clean").findings.is_empty());
    assert_eq!(built(&r, "clean").score, 100);
    let total: u32 = [&r.cluster_summary]
        .iter()
        .map(|c| c.critical + c.high + c.medium + c.low + c.info)
        .sum();
    assert_eq!(total as usize, f.len());
}

#[test]
fn namespace_filter_includes_excludes_and_prefixes() {
    let f = NamespaceFilter {
        include: vec!["team-*".into(), "shop".into()],
        exclude: vec!["team-old".into()],
    };
    assert!(f.allows("shop") && f.allows("team-a"));
    assert!(!f.allows("team-old") && !f.allows("kube-system"));
    let all = NamespaceFilter::default();
    assert!(all.allows("anything"));
    let fixture = Fixture {
        filter: NamespaceFilter {
            include: vec![],
            exclude: vec!["shop".into()],
        },
        ..Fixture::default()
    };
    let r = fixture
        .build(&findings(INSECURE), &["shop", "other"])
        .reports;
    assert!(!r.namespaces.contains_key("shop") && r.namespaces.contains_key("other"));
    assert!(
        !r.cluster
            .findings
            .iter()
            .any(|x| x.resource.kind == "Namespace" && x.resource.name == "shop")
    );
    assert!(
        r.cluster.findings.iter().any(|x| x.rule_id == "RBAC001"),
        "cluster findings stay"
    );
}

#[test]
fn every_report_names_what_could_not_be_evaluated_and_the_cluster_its_encryption() {
    let fixture = Fixture {
        could_not_evaluate: vec!["Pod: rules that read Pod objects could not run (403)".into()],
        ..Fixture::default()
    };
    let r = fixture
        .build(&findings(INSECURE), &["shop", "clean"])
        .reports;
    assert_eq!(r.built().count(), 3);
    for (_, report) in r.built_reports().expect("built reports read back") {
        assert_eq!(report.could_not_evaluate, fixture.could_not_evaluate);
    }
    assert_eq!(r.encryption.state, "unknown");
    assert_eq!(r.encryption.evidence, "none");
    assert_eq!(r.encryption.detail, fixture.encryption.detail);
}

/// The cluster's reports carry the control plane's verdicts as the engine reached them,
/// the versions' state the worse of the API server's and the kubelets'.
#[test]
fn the_cluster_report_carries_the_control_plane_verdicts() {
    let fixture = Fixture {
        control_plane: control_plane(
            "off",
            &[
                ("v1.37.2", Support::Current, 2),
                ("v1.33.1", Support::EndOfLife, 1),
                ("v1.36.0", Support::PatchBehind { newest_patch: 4 }, 1),
            ],
        ),
        ..Fixture::default()
    };
    let cp = fixture
        .build(&findings(INSECURE), &["shop"])
        .reports
        .control_plane;
    fn check(c: &ControlPlaneCheck) -> (&str, &str) {
        (&c.state, &c.evidence)
    }
    assert_eq!(check(&cp.anonymous), ("disabled", "probe"));
    assert_eq!(check(&cp.authorization), ("node-rbac", "apiserver-flags"));
    assert_eq!(check(&cp.audit_logging), ("off", "apiserver-flags"));
    assert_eq!(cp.audit_logging.detail, "off, as the test says");
    assert_eq!(check(&cp.admission), ("ok", "apiserver-flags"));
    let version = &cp.version;
    assert_eq!(version.state, "end-of-life");
    assert_eq!(
        version.api_server,
        ApiServerVersion {
            version: Some("v1.37.2".to_owned()),
            state: "current".to_owned(),
            evidence: "probe".to_owned(),
        }
    );
    let kubelets = &version.kubelets;
    assert_eq!(
        (kubelets.state.as_str(), kubelets.nodes),
        ("end-of-life", 4)
    );
    assert_eq!(
        kubelets.by_state,
        KubeletStates {
            current: 2,
            patch_behind: 1,
            end_of_life: 1,
            unknown: 0
        }
    );
    let listed: Vec<(&str, &str, u32)> = kubelets
        .versions
        .iter()
        .map(|v| (v.version.as_str(), v.state.as_str(), v.nodes))
        .collect();
    assert_eq!(
        listed,
        [
            ("v1.33.1", "end-of-life", 1),
            ("v1.36.0", "patch-behind", 1),
            ("v1.37.2", "current", 2)
        ],
        "worst first"
    );
    assert_eq!(kubelets.omitted_versions, 0);
    assert_eq!(
        version.release_table,
        Releases::embedded().generated.to_string()
    );
}

/// Without kubelets the API server decides the versions' state, and without either it is
/// unknown: an unknown kubelet never hides a known API server.
#[test]
fn the_version_state_is_unknown_only_when_nothing_is_known() {
    let mut cp = control_plane("on", &[]);
    cp.version.apiserver.as_mut().expect("judged").support =
        Support::PatchBehind { newest_patch: 3 };
    let status = control_plane_status(&cp);
    assert_eq!(status.version.state, "patch-behind");
    assert_eq!(status.version.kubelets.state, "unknown");
    let status = control_plane_status(&ControlPlane::default());
    assert_eq!(status.version.state, "unknown");
    assert_eq!(status.version.api_server.version, None);
    assert_eq!(status.version.api_server.evidence, "none");
    assert_eq!(status.anonymous.state, "unknown");
}

/// 5,000 Nodes on 30 versions: 20 distinct versions listed, the worst, with exact counts
/// of every Node; a few kilobytes whatever the cluster's size.
#[test]
fn thousands_of_kubelets_summarise_to_a_bounded_list() {
    let mut kubelets = Vec::new();
    let names: Vec<String> = (0..30).map(|p| format!("v1.36.{p}")).collect();
    for (p, name) in names.iter().enumerate() {
        let support = match p {
            0..5 => Support::EndOfLife,
            5..29 => Support::PatchBehind { newest_patch: 29 },
            _ => Support::Current,
        };
        let nodes = if p == 29 { 5000 - 29 * 150 } else { 150 };
        kubelets.push((name.as_str(), support, nodes));
    }
    let status = control_plane_status(&control_plane("on", &kubelets));
    let k = &status.version.kubelets;
    assert_eq!(k.nodes, 5000);
    assert_eq!(
        k.by_state.current + k.by_state.patch_behind + k.by_state.end_of_life,
        5000
    );
    assert_eq!(k.versions.len(), MAX_KUBELET_VERSIONS);
    assert_eq!(k.omitted_versions, 10);
    assert!(k.versions[..5].iter().all(|v| v.state == "end-of-life"));
    assert_eq!(
        k.versions[0].version, "v1.36.0",
        "oldest first within a state"
    );
    assert!(
        !k.versions.iter().any(|v| v.state == "current"),
        "the least worrying are left out"
    );
    assert!(json_size(&status) < 4096, "{}", json_size(&status));
}

/// What decides an immediate rewrite is the verdicts; Node counts alone move with the
/// cluster's totals.
#[test]
fn node_counts_are_not_verdicts() {
    let before = control_plane_status(&control_plane("on", &[("v1.37.2", Support::Current, 3)]));
    let scaled = control_plane_status(&control_plane("on", &[("v1.37.2", Support::Current, 9)]));
    assert_ne!(before, scaled);
    assert_eq!(
        control_plane_verdicts(&before),
        control_plane_verdicts(&scaled)
    );
    let audit_off =
        control_plane_status(&control_plane("off", &[("v1.37.2", Support::Current, 3)]));
    assert_ne!(
        control_plane_verdicts(&before),
        control_plane_verdicts(&audit_off)
    );
    let upgraded = control_plane_status(&control_plane("on", &[("v1.37.3", Support::Current, 3)]));
    assert_ne!(
        control_plane_verdicts(&before),
        control_plane_verdicts(&upgraded),
        "a version is a verdict"
    );
}

#[test]
fn first_seen_is_carried_over() {
    let f = findings(INSECURE);
    let first = Fixture::default().build(&f, &["shop"]).reports;
    let second = Fixture {
        open: open_of(&first),
        now: "2026-02-02T00:00:00Z",
        ..Fixture::default()
    }
    .build(&f, &["shop"])
    .reports;
    let rbac = second
        .cluster
        .findings
        .iter()
        .find(|x| x.rule_id == "RBAC001")
        .expect("RBAC001");
    assert_eq!(rbac.first_seen, "2026-01-01T00:00:00Z");
    assert_eq!(second.cluster.last_evaluated, "2026-02-02T00:00:00Z");
    assert_eq!(
        content_hash(&first.cluster, &first.cluster_summary),
        content_hash(&second.cluster, &second.cluster_summary),
        "same findings, same content, whatever the evaluation time"
    );
}

/// Namespace `shop` with `n` unbound Roles reading Secrets (low each) and one more Role
/// bound to a user (high): the one finding that must stay whole.
fn many_low_and_one_high(n: usize) -> String {
    let mut yaml = String::from(INSECURE);
    for i in 0..n {
        yaml.push_str(&format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: reader-with-a-long-name-{i:05}, namespace: shop}}\nrules: [{{apiGroups: [\"\"], resources: [secrets], verbs: [list]}}]\n"));
    }
    yaml.push_str(&format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b, namespace: shop}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader-with-a-long-name-{:05}}}\nsubjects: [{{kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}}]\n", n - 1));
    yaml
}

/// A namespace report built this pass, read back from the JSON the writer would send.
fn built(r: &Reports, ns: &str) -> Report {
    r.namespaces[ns]
        .report()
        .expect("a built report reads back")
}

fn json_size<T: serde::Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |v| v.len())
}

#[test]
fn oversized_reports_fold_the_least_severe_and_keep_exact_counts() {
    let f = findings(&many_low_and_one_high(3000));
    let r = Fixture::default().build(&f, &["shop"]).reports;
    let shop = &built(&r, "shop");
    assert!(json_size(shop) < MAX_REPORT_BYTES, "{}", json_size(shop));
    assert!(
        shop.summary.low >= 3000,
        "counts stay exact: {:?}",
        shop.summary
    );
    assert_eq!(shop.summary.high, 1);
    assert_eq!(shop.findings[0].severity, "high");
    assert!(
        shop.findings[0]
            .message
            .contains("reader-with-a-long-name-02999")
    );
    // Every finding is either whole or counted in a folded entry, by fingerprint.
    let folded: u32 = shop.folded.iter().map(|g| g.count).sum();
    let total = shop.summary.critical
        + shop.summary.high
        + shop.summary.medium
        + shop.summary.low
        + shop.summary.info;
    assert!(folded > 0, "a report this large folds");
    assert_eq!(shop.findings.len() as u32 + folded, total);
    for g in &shop.folded {
        assert_eq!(
            g.every_fingerprint().count() as u32,
            g.count,
            "{}",
            g.rule_id
        );
        assert!(g.named_objects().all(|r| r.contains(" shop/")), "{g:?}");
        // Each written as one string, not a list item per finding as before.
        assert!(g.fingerprints.len() == 1 && g.resources.len() == 1, "{g:?}");
    }
    // One namespace has the room of a whole report: every folded object is still named.
    assert!(!shop.truncated);
    assert!(
        shop.folded
            .iter()
            .all(|g| g.named_objects().count() as u32 == g.count)
    );
}

#[test]
fn a_namespace_share_shrinks_with_the_number_of_namespaces_down_to_a_floor() {
    let one = namespace_share(1);
    assert_eq!(one, MAX_REPORT_BYTES - OVERHEAD_BYTES);
    let thousand = namespace_share(1000);
    assert!(
        thousand < one && thousand * 1000 <= REPORTS_BUDGET_BYTES,
        "{thousand}"
    );
    assert_eq!(namespace_share(1_000_000), MIN_SHARE_BYTES);
    // A namespace more or less seldom moves the shares, and never past the budget.
    assert_eq!(namespace_share(1000), namespace_share(1001));
    assert_eq!(namespace_share(1000), namespace_share(999));
    assert!(namespace_share(1025) < namespace_share(1024));
    for n in [1, 15, 16, 17, 500, 1000, 1024, 1025, 5000, 100_000] {
        assert!(room_for(n) >= n, "{n}");
        assert!(room_for(n) <= n + n / 4 + 16, "{n}: {}", room_for(n));
    }
}

#[test]
fn a_small_share_keeps_fingerprints_names_what_fits_and_says_so() {
    let f = findings(&many_low_and_one_high(400));
    let all: Vec<&Finding> = f.iter().filter(|x| x.namespace() == Some("shop")).collect();
    let listed: Vec<Listed<'_>> = all
        .iter()
        .map(|x| (*x, Seen::read("2026-01-01T00:00:00Z").expect("a time")))
        .collect();
    let share = 2 * MIN_SHARE_BYTES;
    let fitted = fit(&listed, share);
    let used = fitted.whole.iter().map(json_len).sum::<usize>()
        + fitted.folded.iter().map(json_len).sum::<usize>();
    // Every folded entry has its fingerprints here, so the share holds, its lists' keys
    // and brackets counted.
    assert!(
        fitted.folded.iter().all(|g| !g.fingerprints.is_empty()),
        "{:?}",
        fitted.folded
    );
    assert!(used <= share, "{used} bytes for a share of {share}");
    assert_eq!(
        fitted.whole[0].severity, "high",
        "the most severe stay whole"
    );
    let folded: usize = fitted.folded.iter().map(|g| g.count as usize).sum();
    assert_eq!(fitted.whole.len() + folded, listed.len());
    assert!(fitted.truncated, "not every object could be named");
    let named: usize = fitted
        .folded
        .iter()
        .map(|g| g.named_objects().count())
        .sum();
    assert!(named > 0 && named < folded, "{named} of {folded}");
    let fingerprints: BTreeSet<&str> = fitted
        .folded
        .iter()
        .flat_map(|g| g.every_fingerprint())
        .collect();
    assert_eq!(fingerprints.len(), folded, "each folded finding's, once");
    let kept: BTreeSet<String> = all.iter().map(|f| f.fingerprint.to_string()).collect();
    assert!(fingerprints.iter().all(|fp| kept.contains(*fp)));
    // Whole findings cost the API server by their fields: they fill a quarter of the
    // share, no more, and the folded names take the rest.
    let whole: usize = fitted.whole.iter().map(json_len).sum();
    let largest = fitted.whole.iter().map(json_len).max().unwrap_or(0);
    assert!(
        whole <= share / 4 && whole + largest > share / 4,
        "{whole} bytes of whole findings for a share of {share}"
    );
}

/// Namespace `shop` with `n` pods, each breaking a dozen or more rules of its own.
fn many_rules(n: usize) -> String {
    let mut yaml = String::from("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: everything-wrong-{i:03}, namespace: shop}}\n\
             spec: {{hostPID: true, hostNetwork: true, serviceAccount: gone, \
             securityContext: {{runAsUser: 0, runAsGroup: 0, sysctls: [{{name: kernel.msgmax, value: '1'}}]}}, \
             volumes: [{{name: h, hostPath: {{path: /var/run}}}}], \
             containers: [{{name: c, image: 'elsewhere.example/app', \
             ports: [{{containerPort: 80, hostPort: 80}}], \
             env: [{{name: K, valueFrom: {{secretKeyRef: {{name: s, key: k}}}}}}], \
             securityContext: {{privileged: true, procMount: Unmasked, \
             capabilities: {{add: [SYS_ADMIN]}}, seccompProfile: {{type: Unconfined}}}}}}]}}\n"
        ));
    }
    yaml
}

#[test]
fn a_small_share_of_many_rules_keeps_every_fingerprint_before_whole_findings() {
    let f = findings(&many_rules(3));
    let listed: Vec<Listed<'_>> = f
        .iter()
        .filter(|x| x.namespace() == Some("shop"))
        .map(|x| (x, Seen::read("2026-01-01T00:00:00Z").expect("a time")))
        .collect();
    let rules: BTreeSet<&str> = listed.iter().map(|(x, _)| x.rule_id()).collect();
    assert!(rules.len() >= 15, "{rules:?}");
    // Room for every folded entry with its fingerprints, and a little more: not for a
    // quarter of the share of whole findings as well.
    let share = 4 * 1024;
    let fitted = fit(&listed, share);
    let used = fitted.whole.iter().map(json_len).sum::<usize>()
        + fitted.folded.iter().map(json_len).sum::<usize>();
    assert!(used <= share, "{used} bytes for a share of {share}");
    assert!(!fitted.folded.is_empty());
    let folded: usize = fitted.folded.iter().map(|g| g.count as usize).sum();
    assert_eq!(fitted.whole.len() + folded, listed.len());
    for g in &fitted.folded {
        assert_eq!(
            g.every_fingerprint().count(),
            g.count as usize,
            "{} folded without its fingerprints ({} whole findings)",
            g.rule_id,
            fitted.whole.len()
        );
    }
}

#[test]
fn folding_is_not_a_fix_and_a_restart_reads_folded_findings_back() {
    let f = findings(&many_low_and_one_high(3000));
    let first = Fixture::default().build(&f, &["shop"]).reports;
    assert!(!built(&first, "shop").folded.is_empty());
    // Read back from the written reports, as after a restart: nothing is new or gone.
    let open = open_of(&first);
    assert_eq!(
        open.values().map(OpenFindings::len).sum::<usize>(),
        first.open().count()
    );
    assert_eq!(Transitions::between(&open, &first), Transitions::default());
    // Folded findings keep their first-seen time through the entry.
    let later = Fixture {
        open: open.clone(),
        now: "2026-03-03T00:00:00Z",
        ..Fixture::default()
    }
    .build(&f, &["shop"])
    .reports;
    assert!(
        later
            .open()
            .all(|(_, x)| x.first_seen.to_string() == "2026-01-01T00:00:00Z")
    );
    assert_eq!(Transitions::between(&open, &later), Transitions::default());
}

#[test]
fn posture_counts_the_findings_of_reported_namespaces_only() {
    let yaml = format!(
        "{INSECURE}{}{}",
        anonymous_grant("shop"),
        anonymous_grant("kube-public")
    );
    let f = findings(&yaml);
    let fixture = Fixture {
        filter: NamespaceFilter {
            include: Vec::new(),
            exclude: vec!["kube-*".to_owned()],
        },
        ..Fixture::default()
    };
    let built = fixture.build(&f, &["shop", "kube-public"]);
    let posture = &built.posture;
    let count = |rule: &str, ns: &str| -> u64 {
        posture
            .open
            .iter()
            .filter(|(s, _)| s.rule == rule && s.namespace == ns)
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(count("RBAC015", "shop"), 1);
    assert_eq!(count("RBAC015", "kube-public"), 0);
    assert_eq!(count("RBAC001", ""), 1, "cluster-scoped: no namespace");
    // A Namespace object's finding counts under the namespace it is about.
    let about_shop = f
        .iter()
        .filter(|x| x.resource.kind == "Namespace" && x.resource.name == "shop")
        .count() as u64;
    assert!(about_shop > 0);
    let shop_total: u64 = posture
        .open
        .iter()
        .filter(|(s, _)| s.namespace == "shop")
        .map(|(_, n)| n)
        .sum();
    let in_shop = f.iter().filter(|x| x.namespace() == Some("shop")).count() as u64;
    assert_eq!(shop_total, in_shop + about_shop);
    assert!(posture.open.keys().all(|s| s.namespace != "kube-public"));
    let reported: Vec<&Finding> = f
        .iter()
        .filter(|x| {
            x.namespace() != Some("kube-public")
                && !(x.resource.kind == "Namespace" && x.resource.name == "kube-public")
        })
        .collect();
    assert!(reported.len() < f.len(), "kube-public had findings");
    assert_eq!(posture.score, score::score(reported.iter().copied()));
    // The ClusterPostureReport's score and counts say what the metric says.
    let cluster = &built.reports;
    assert_eq!(cluster.cluster_score, posture.score);
    assert_ne!(
        cluster.cluster_score, cluster.cluster.score,
        "not the cluster-scoped part's"
    );
    let s = &cluster.cluster_summary;
    let counted = s.critical + s.high + s.medium + s.low + s.info;
    assert_eq!(counted as usize, reported.len());
}

#[test]
fn transitions_tell_detected_from_resolved_and_a_restart_sees_nothing_new() {
    let f = findings(&anonymous_grant("shop"));
    let first = Fixture::default().build(&f, &["shop"]).reports;
    let none = HashMap::new();
    let fresh = Transitions::between(&none, &first);
    assert_eq!(fresh.detected.len(), f.len(), "{fresh:?}");
    assert!(fresh.resolved.is_empty());
    assert!(
        fresh
            .detected
            .windows(2)
            .all(|w| w[0].fingerprint < w[1].fingerprint),
        "sorted by fingerprint"
    );
    // After a restart the writer's open findings come from the reports in the cluster.
    let open = open_of(&first);
    assert_eq!(Transitions::between(&open, &first), Transitions::default());
    let fixed = fixed_shop(&open);
    let t = Transitions::between(&open, &fixed);
    assert!(t.detected.is_empty(), "{t:?}");
    assert_eq!(rule_ids(&t.resolved), ["RBAC015"]);
    assert_eq!(t.resolved[0].finding.severity, Some(Severity::Critical));
}

#[test]
fn unreadable_severities_are_neither_detected_nor_resolved() {
    let mut reports = Fixture::default()
        .build(&findings(INSECURE), &["shop"])
        .reports;
    let mut open = open_of(&reports);
    let key = crate::placement::report_key(None);
    // Open before, written by another version with a severity this one does not know.
    let mut old = rampart_crd::Report::clone(&reports.cluster);
    old.findings.truncate(1);
    old.findings[0].fingerprint = "from-another-version".to_owned();
    old.findings[0].severity = "catastrophic".to_owned();
    old.findings[0].first_seen = "last tuesday".to_owned();
    let read_at = Seen::read("2026-02-02T02:02:02Z").expect("a time");
    let read = read_back(&old, Severity::Info, read_at);
    assert_eq!(read.len(), 1);
    assert!(read.iter().all(|(_, f)| f.severity.is_none()));
    // A first-seen time that is no time: open since it was read.
    assert!(read.iter().all(|(_, f)| f.first_seen == read_at));
    // New, with such a severity.
    let now = reports
        .open
        .get_mut(&key)
        .expect("the cluster's open findings");
    let fp = *now.iter().next().expect("an open finding").0;
    *now = now
        .iter()
        .map(|(k, f)| {
            let mut f = f.clone();
            if *k == fp {
                f.severity = None;
            }
            (*k, f)
        })
        .collect();
    let cluster = open.entry(key.clone()).or_default();
    *cluster = cluster
        .iter()
        .filter(|(k, _)| **k != fp)
        .map(|(k, f)| (*k, f.clone()))
        .chain(read)
        .collect();
    let t = Transitions::between(&open, &reports);
    assert_eq!(t, Transitions::default(), "{t:?}");
}

#[test]
fn the_writer_remembers_what_a_resolved_finding_is_announced_and_counted_with() {
    let first = Fixture::default()
        .build(&findings(INSECURE), &["shop"])
        .reports;
    let written = first
        .cluster
        .findings
        .iter()
        .find(|x| x.rule_id == "RBAC001")
        .expect("RBAC001");
    let open = open_of(&first);
    let key = crate::placement::report_key(None);
    let kept = open[&key]
        .get(&fingerprint_key(&written.fingerprint))
        .expect("the written finding is kept");
    assert_eq!(kept.rule.id(), "RBAC001");
    assert_eq!(kept.first_seen.to_string(), written.first_seen);
    // Below the events' threshold only rule, severity and first-seen time are kept.
    let low = open
        .values()
        .flat_map(|o| o.iter().map(|(_, f)| f))
        .find(|f| !f.at_least(crate::fixture::DETAIL_FROM))
        .expect("a finding below the threshold");
    assert_eq!(low.detail, None);
    assert!(kept.detail.is_some(), "a critical finding keeps its detail");
    let fixed = fixed_shop(&open);
    let t = Transitions::between(&open, &fixed);
    let resolved = t
        .resolved
        .iter()
        .find(|n| n.finding.rule.id() == "RBAC001")
        .expect("RBAC001 resolved");
    let event = crate::events::event_for(resolved, false, "test").expect("an event");
    let note = event.note.unwrap_or_default();
    assert!(
        note.contains(&written.message) && note.contains(&written.title),
        "{note}"
    );
    let regarding = event.regarding.expect("regarding");
    assert_eq!(
        regarding.name.as_deref(),
        Some(written.resource.name.as_str())
    );
    assert_eq!(resolved.finding.rule.category(), written.category);
}

#[test]
fn an_unchanged_evaluation_builds_the_same_reports_when_they_fold() {
    // Many namespaces shrink every share until reports fold and truncate, as at 100k
    // objects; the second pass must say exactly what the first wrote.
    let f = findings(&many_low_and_one_high(3000));
    let mut names: Vec<String> = (0..1000).map(|i| format!("ns-{i:04}")).collect();
    names.push("shop".to_owned());
    let namespaces: Vec<&str> = names.iter().map(String::as_str).collect();
    let first = Fixture::default().build(&f, &namespaces).reports;
    assert!(!built(&first, "shop").folded.is_empty());
    let mut open = Open::new();
    crate::apply::remember(&mut open, &first);
    let second = Fixture {
        open,
        now: "2026-03-03T00:00:00Z",
        ..Fixture::default()
    }
    .build(&f, &namespaces)
    .reports;
    for (ns, report) in &first.namespaces {
        assert_eq!(
            report.hash,
            second.namespaces[ns].hash,
            "{ns}: {:#?}\n---\n{:#?}",
            report.report(),
            second.namespaces[ns].report()
        );
    }
    assert_eq!(
        content_hash(&first.cluster, &()),
        content_hash(&second.cluster, &())
    );
}

#[test]
fn a_built_report_carries_the_content_hash_of_what_it_sends() {
    let r = Fixture::default()
        .build(&findings(INSECURE), &["shop", "clean"])
        .reports;
    for (ns, b) in &r.namespaces {
        let sent = b.report().expect("a built report reads back");
        assert!(!sent.last_evaluated.is_empty(), "{ns}: says when");
        assert_eq!(b.hash, content_hash(&sent, &()), "{ns}");
        assert_eq!((b.score, b.truncated), (sent.score, sent.truncated), "{ns}");
    }
}

/// `shop` and `blog`, each with a Role granted to anonymous users; a PostureException in
/// `shop` accepts that binding's finding.
fn with_shop_exception() -> (rampart_rules::Evaluation, Fixture) {
    let yaml = format!("{}{}", anonymous_grant("shop"), anonymous_grant("blog"));
    let inv = rampart_rules::Inventory::from_manifest("t.yaml", &yaml).expect("test manifest");
    let settings = rampart_rules::Settings::from_yaml(
        "exceptions:\n- apiVersion: rampart.dev/v1alpha1\n  kind: PostureException\n  metadata: {name: public-reader, namespace: shop}\n  spec: {rules: ['*'], resources: [{kind: RoleBinding, name: anon}], reason: public status page, owner: shop-team, expires: '2027-01-31T00:00:00Z'}\n",
    )
    .expect("test settings");
    let evaluation = rampart_rules::evaluate(&inv, &settings);
    let fixture = Fixture {
        accepted: BTreeMap::from([(
            "shop/public-reader".to_owned(),
            Accepted {
                owner: "shop-team".to_owned(),
                expires: "2027-01-31T00:00:00Z".to_owned(),
            },
        )]),
        ..Fixture::default()
    };
    (evaluation, fixture)
}

#[test]
fn excepted_findings_are_listed_apart_and_counted_nowhere_else() {
    let (evaluation, fixture) = with_shop_exception();
    assert!(!evaluation.excepted.is_empty());
    let excepted_ids: Vec<&str> = evaluation
        .excepted
        .iter()
        .map(|x| x.finding.rule_id())
        .collect();
    let built = fixture.build_evaluation(evaluation, &["blog", "shop"]);
    let reports = built.reports.built_reports().expect("reports read back");
    let report = |key: &str| {
        reports
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, r)| r.clone())
            .expect("report")
    };
    let (shop, blog) = (report("shop"), report("blog"));
    // The same findings on both sides of the exception: shop's are all excepted.
    assert!(
        shop.findings.iter().all(|f| f.resource.name != "anon"),
        "{shop:?}"
    );
    assert!(blog.findings.iter().any(|f| f.resource.name == "anon"));
    assert_eq!(shop.excepted_count as usize, excepted_ids.len());
    assert_eq!(blog.excepted_count, 0);
    let first = &shop.excepted[0];
    assert_eq!(first.exception, "shop/public-reader");
    assert_eq!(first.owner, "shop-team");
    assert_eq!(first.expires, "2027-01-31T00:00:00Z");
    assert_eq!(first.resource.kind, "RoleBinding");
    assert_eq!(first.resource.name, "anon");
    assert!(shop.score > blog.score, "{} > {}", shop.score, blog.score);
    assert_eq!(
        shop.summary.critical + shop.excepted_count,
        blog.summary.critical + blog.excepted_count
    );
    assert_eq!(
        built.reports.cluster_excepted as usize,
        excepted_ids.len(),
        "the cluster's total counts them"
    );
    // What the shop report stands for (events, counters) leaves them out.
    let open: Vec<u64> = built.reports.open["shop"]
        .iter()
        .map(|(fp, _)| *fp)
        .collect();
    let fingerprints = |r: &rampart_crd::Report| -> Vec<String> {
        r.excepted.iter().map(|x| x.fingerprint.clone()).collect()
    };
    for fp in fingerprints(&shop) {
        let value = u64::from_str_radix(&fp, 16).expect("hex");
        assert!(!open.contains(&value));
    }
}

#[test]
fn a_finding_an_exception_accepts_goes_as_excepted_not_resolved() {
    let (evaluation, fixture) = with_shop_exception();
    let before_exception = Fixture::default().build(
        &evaluation
            .findings
            .iter()
            .chain(evaluation.excepted.iter().map(|x| &x.finding))
            .cloned()
            .collect::<Vec<_>>(),
        &["blog", "shop"],
    );
    let open = open_of(&before_exception.reports);
    let after = Fixture {
        open: open.clone(),
        ..fixture
    }
    .build_evaluation(evaluation, &["blog", "shop"]);
    let t = Transitions::between(&open, &after.reports);
    assert!(t.detected.is_empty());
    assert!(!t.resolved.is_empty());
    assert!(
        t.resolved
            .iter()
            .all(|n| n.excepted_by == Some("shop/public-reader")),
        "{:?}",
        t.resolved
    );
    let e = crate::events::event_for(&t.resolved[0], false, "pod-1").expect("an event");
    assert_eq!(e.reason.as_deref(), Some("FindingExcepted"));
    assert!(
        e.note
            .as_deref()
            .is_some_and(|n| n.contains("accepted by exception shop/public-reader")),
        "{:?}",
        e.note
    );
}
