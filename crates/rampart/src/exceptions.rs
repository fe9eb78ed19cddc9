//! Exceptions for `rampart scan`: gathered from the settings file, the scanned manifests,
//! `--exceptions` files and (with `--cluster`) the cluster, judged at one moment; the
//! active ones go to the evaluation, and every one is reported with what it became
//! (active, stale, expired, invalid).

use anyhow::{Context as _, Result};
use k8s_openapi::jiff::Timestamp;
use rampart_rules::exceptions::{self, Exception, State};
pub use rampart_rules::exceptions::{Judged, in_force};
use rampart_rules::manifest::{self, ManifestError};
use rampart_rules::{Evaluation, Settings, Source, registry};
use std::fs;
use std::path::Path;

/// Reads `--exceptions` files: their exceptions, and anything else in them as an error.
pub fn read_files(paths: &[impl AsRef<Path>], namespace: &str) -> Result<manifest::Parsed> {
    let mut parsed = manifest::Parsed::default();
    for path in paths {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text =
            fs::read_to_string(path).with_context(|| format!("reading exceptions {name}"))?;
        let mut p = manifest::parse(&name, &text);
        for (object, source) in p.objects.drain(..) {
            p.errors.push(ManifestError {
                file: source.file,
                line: source.line,
                message: format!(
                    "{} is not an exception; --exceptions files hold PostureException and \
                     ClusterPostureException documents only",
                    object.kind()
                ),
            });
        }
        for (kind, n) in std::mem::take(&mut p.unknown_kinds) {
            p.errors.push(ManifestError {
                file: name.clone(),
                line: 0,
                message: format!("{n} {kind} document(s) are not exceptions"),
            });
        }
        p.place(namespace);
        parsed.merge(p);
    }
    Ok(parsed)
}

/// Judges every exception at `now`: those of the settings first, then those read from
/// files in order, then those declared in the cluster (`--cluster`). One declared in the
/// cluster that does not read as an exception is reported as a warning.
pub fn judge_all(
    settings: &Settings,
    read: Vec<(Exception, Source)>,
    declared: Vec<Result<Exception, String>>,
    now: Timestamp,
) -> Vec<Judged> {
    let from_settings = settings
        .exceptions
        .iter()
        .map(|e| (e.clone(), "settings".to_owned()));
    let from_files = read
        .into_iter()
        .map(|(e, s)| (e, format!("{}:{}", s.file, s.line)));
    let from_cluster = declared.into_iter().filter_map(|d| match d {
        Ok(e) => Some((e, "cluster".to_owned())),
        Err(why) => {
            eprintln!("warning: cluster: {why}");
            None
        }
    });
    exceptions::judge_all(
        from_settings.chain(from_files).chain(from_cluster),
        now,
        settings,
        registry::rules(),
    )
}

/// Records how many findings each exception covers.
pub fn count_matches(judged: &mut [Judged], evaluation: &Evaluation) {
    let counts = evaluation.excepted_by_exception();
    exceptions::count_matched(judged, |id| counts.get(id).copied().unwrap_or(0));
}

/// What the user should hear about exceptions that do not work as written.
pub fn warnings(judged: &[Judged]) -> Vec<String> {
    judged
        .iter()
        .filter_map(|j| {
            let e = &j.exception;
            match (&j.state, j.matched) {
                (State::Invalid(why), _) => Some(format!(
                    "warning: {}: {e} is invalid and covers nothing: {why}",
                    j.origin
                )),
                (State::Expired, _) => Some(format!(
                    "warning: {}: {e} expired at {}: its findings are open again",
                    j.origin, e.spec.expires
                )),
                (State::Active, 0) => Some(format!(
                    "note: {}: {e} covers no finding (stale): remove it, or check its rules \
                     and resources",
                    j.origin
                )),
                (State::Active, _) => None,
            }
        })
        .collect()
}
