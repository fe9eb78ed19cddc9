//! Two sets of kube-apiserver scrapes with the same [`MetricsView`] give the same
//! encryption and control-plane verdicts and the same findings: what lets the operator keep
//! a scrape whose counters only ran on out of the inventory. Scrapes are random (seeded,
//! printed), and each is followed by a later one whose counters grew (from zero too) and
//! whose other fields sometimes changed; every field is varied, those no verdict reads
//! included, so a rule that starts reading one fails here until the view reads it too.

use rampart_rules::encryption::{ApiServerMetrics, MetricsView, assess};
use rampart_rules::{Inventory, Object, Settings, control_plane, evaluate};
use rampart_testkit::Rng;
use std::collections::BTreeMap;

const SERVERS: &[&str] = &["apiserver", "apiserver-0a1b2c", "apiserver-9f8e7d"];
const PROVIDERS: &[&str] = &["aescbc", "kms v2", "secretbox"];
const REASONS: &[&str] = &["forbidden", "timed out"];
const PLUGINS: &[&str] = &["NodeRestriction", "PodSecurity", "AlwaysAdmit"];

/// A count: often zero, sometimes odd (negative, not a number: a malformed series).
fn count(rng: &mut Rng) -> f64 {
    match rng.below(10) {
        0..=3 => 0.0,
        4 => -1.0,
        5 => f64::NAN,
        _ => rng.below(50) as f64,
    }
}

fn by_provider(rng: &mut Rng) -> BTreeMap<String, f64> {
    rng.several_distinct(PROVIDERS, 3)
        .into_iter()
        .map(|p| (p, count(rng)))
        .collect()
}

fn scrape(rng: &mut Rng, name: &str) -> ApiServerMetrics {
    if rng.chance(15) {
        let why = rng.pick(REASONS);
        return ApiServerMetrics::unavailable(name, why);
    }
    let mut m = ApiServerMetrics {
        name: name.to_owned(),
        per_resource: rng.chance(70),
        config_loaded: rng.chance(60),
        config_reloads: count(rng),
        config_reload_failures: count(rng),
        envelope_in_use: rng.chance(20),
        audit_events: rng.chance(80).then(|| count(rng)),
        audit_policy_loaded: rng.chance(50),
        audit_rejected: count(rng),
        admission_plugins: rng.several_distinct(PLUGINS, 2).into_iter().collect(),
        malformed_lines: rng.below(3),
        ..ApiServerMetrics::default()
    };
    m.secrets.encrypted_writes = by_provider(rng);
    m.secrets.encrypted_reads = by_provider(rng);
    m.secrets.plaintext_writes = count(rng);
    m.secrets.plaintext_reads = count(rng);
    m.secrets.failures = count(rng);
    m
}

/// A counter some time later: further on when it counted before; in a `mixed` scrape
/// also as it was, or anything (from zero, or a count that was odd turning into one).
fn later_count(rng: &mut Rng, n: f64, mixed: bool) -> f64 {
    match rng.below(4) {
        0 if mixed => n,
        1 if mixed => count(rng),
        _ if n > 0.0 => n + rng.below(1000) as f64,
        _ => n,
    }
}

/// The same server scraped again: counters run on, and in a `mixed` scrape now and then
/// something else changed too (a reload, a plugin seen, the scrape refused).
fn later(rng: &mut Rng, m: &ApiServerMetrics) -> ApiServerMetrics {
    let mixed = rng.chance(50);
    if mixed && (m.unavailable.is_some() || rng.chance(5)) {
        return scrape(rng, &m.name);
    }
    let mut next = m.clone();
    let mut later_count = |n| later_count(rng, n, mixed);
    for n in next
        .secrets
        .encrypted_writes
        .values_mut()
        .chain(next.secrets.encrypted_reads.values_mut())
    {
        *n = later_count(*n);
    }
    let s = &mut next.secrets;
    for n in [
        &mut s.plaintext_writes,
        &mut s.plaintext_reads,
        &mut s.failures,
    ] {
        *n = later_count(*n);
    }
    for n in [
        &mut next.config_reloads,
        &mut next.config_reload_failures,
        &mut next.audit_rejected,
    ] {
        *n = later_count(*n);
    }
    next.audit_events = next.audit_events.map(&mut later_count);
    if !mixed {
        return next;
    }
    next.malformed_lines = rng.below(3);
    if rng.chance(10) {
        next.envelope_in_use = !next.envelope_in_use;
    }
    if rng.chance(5) {
        next.config_loaded = !next.config_loaded;
    }
    if rng.chance(5) {
        next.admission_plugins
            .insert((*rng.pick(PLUGINS)).to_owned());
    }
    if rng.chance(5) {
        next.secrets
            .encrypted_writes
            .insert((*rng.pick(PROVIDERS)).to_owned(), rng.below(5) as f64);
    }
    next
}

/// What the verdicts and rules say of an inventory holding `scrapes`.
fn judged(scrapes: &[ApiServerMetrics]) -> String {
    let inv = Inventory::from_objects(scrapes.iter().cloned().map(Object::ApiServerMetrics));
    let findings: Vec<String> = evaluate(&inv, &Settings::default())
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {:?} {:?} {}",
                f.rule().id,
                f.resource,
                f.path,
                f.message
            )
        })
        .collect();
    format!(
        "{:?}\n{:?}\n{findings:#?}",
        assess(&inv, None),
        control_plane::assess(&inv, None, None)
    )
}

#[test]
fn scrapes_alike_in_view_are_judged_alike() {
    let seed = rampart_testkit::seed_from_env("RAMPART_EVIDENCE_SEED");
    eprintln!("RAMPART_EVIDENCE_SEED={seed}");
    let mut rng = Rng::new(seed);
    let (mut alike_but_counted_more, mut judged_apart) = (0, 0);
    for round in 0..1000 {
        let servers = rng.several_distinct(SERVERS, 3);
        let before: Vec<ApiServerMetrics> = servers.iter().map(|n| scrape(&mut rng, n)).collect();
        let after: Vec<ApiServerMetrics> = before.iter().map(|m| later(&mut rng, m)).collect();
        let (judged_before, judged_after) = (judged(&before), judged(&after));
        if MetricsView::of(&before) == MetricsView::of(&after) {
            assert_eq!(
                judged_before, judged_after,
                "seed {seed}, round {round}: the same view, judged apart\n{before:#?}\n{after:#?}"
            );
            // Debug output tells counts apart where `==` does not (a NaN is not itself).
            alike_but_counted_more += usize::from(format!("{before:?}") != format!("{after:?}"));
        } else {
            judged_apart += usize::from(judged_before != judged_after);
        }
    }
    // Both sides happen: scrapes that only counted more, and views apart that the verdicts
    // tell apart (else the comparison above would hold for a view that reads nothing).
    assert!(
        alike_but_counted_more > 200,
        "seed {seed}: {alike_but_counted_more} pairs alike in view with different counts"
    );
    assert!(
        judged_apart > 100,
        "seed {seed}: {judged_apart} pairs apart in view and in judgement"
    );
}
