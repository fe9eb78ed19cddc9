//! `rampart scan`: read -> inventory -> evaluate -> report -> exit code.

use crate::cli::{KubeArgs, ScanArgs, ScanFormat as Format};
use crate::input::{self, Loaded};
use crate::output::{self, Report};
use crate::{cluster, cores, demo, exceptions};
use anyhow::{Context as _, Result};
use rampart_rules::control_plane::{ApiServerProbe, Version};
use rampart_rules::encryption::ApiServerMetrics;
use rampart_rules::exceptions::Exception;
use rampart_rules::manifest::{Parsed, Placement};
use rampart_rules::{Inventory, Object, Settings, Source, evaluate_parallel, registry};
use std::fs;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// The settings file, or the defaults without one.
pub fn load_settings(path: Option<&std::path::Path>) -> Result<Settings> {
    let Some(path) = path else {
        return Ok(Settings::default());
    };
    let text =
        fs::read_to_string(path).with_context(|| format!("reading settings {}", path.display()))?;
    Settings::from_yaml(&text).with_context(|| format!("settings {}", path.display()))
}

/// What the manifests yielded, placed: the objects in the inventory, the exceptions to
/// judge, and what placing them changed.
#[derive(Default)]
struct Taken {
    inventory: Inventory,
    placement: Placement,
    exceptions: Vec<(Exception, Source)>,
}

impl Taken {
    /// Places a batch's objects and exceptions as `kubectl apply --namespace` would, and
    /// takes them out of it.
    fn take(&mut self, part: &mut Parsed, namespace: &str) {
        self.placement.absorb(part.place(namespace));
        for (object, source) in part.objects.drain(..) {
            self.inventory.insert(object, Some(source));
        }
        self.exceptions.append(&mut part.exceptions);
    }
}

pub fn run(args: &ScanArgs, kube: &KubeArgs) -> Result<ExitCode> {
    // Read: files, stdin, the demo or a live cluster; problems are collected, not fatal.
    // Each file's objects are placed and go into the inventory as soon as the files
    // before it have, while later files are still being parsed.
    let mut taken = Taken::default();
    let mut take = |part: &mut Parsed| taken.take(part, &args.namespace);
    let mut loaded = if args.demo || args.cluster {
        let mut l = Loaded::default();
        for (name, text) in demo::PARTS.iter().filter(|_| args.demo) {
            l.add_text(name, text);
        }
        l
    } else {
        input::load(&args.paths, args.max_file_size, &mut take)?
    };
    if let Some(path) = &args.encryption_config {
        let text = fs::read_to_string(path)
            .with_context(|| format!("reading encryption config {}", path.display()))?;
        loaded.add_text(&path.display().to_string(), &text);
    }
    let mut metrics = Vec::new();
    for (i, path) in args.apiserver_metrics.iter().enumerate() {
        let text = fs::read_to_string(path)
            .with_context(|| format!("reading apiserver metrics {}", path.display()))?;
        metrics.push(ApiServerMetrics::parse(&format!("apiserver-{i}"), &text));
    }
    let declared_version = match &args.kubernetes_version {
        Some(v) if Version::parse(v).is_none() => {
            anyhow::bail!("--kubernetes-version {v:?} is not a version like v1.31.4")
        }
        Some(v) => Some(ApiServerProbe {
            name: "apiserver".to_owned(),
            version: Some(v.clone()),
            declared: true,
            ..ApiServerProbe::default()
        }),
        None => None,
    };
    let mut settings = if args.demo && args.config.is_none() {
        Settings::from_yaml(demo::SETTINGS).context("the demo's settings")?
    } else {
        load_settings(args.config.as_deref())?
    };

    // Build the inventory (the API server is read once, for --cluster) and evaluate.
    // With --cluster no file was read: the inventory is the cluster's.
    let declared = if args.cluster {
        let read = cluster::read(kube, true)?;
        taken.inventory = read.inventory;
        read.exceptions
    } else {
        Vec::new()
    };
    // What the files did not hand over: the demo and the encryption configuration.
    let mut parsed = std::mem::take(&mut loaded.parsed);
    taken.take(&mut parsed, &args.namespace);
    let Taken {
        mut inventory,
        placement,
        exceptions: mut read,
    } = taken;
    for m in metrics {
        inventory.insert(Object::ApiServerMetrics(m), None);
    }
    if let Some(probe) = declared_version {
        inventory.insert(Object::ApiServerProbe(probe), None);
    }
    inventory.reindex();
    // Exceptions: the settings', the manifests' and the --exceptions files', judged now;
    // only those in force reach the evaluation.
    let extra = exceptions::read_files(&args.exceptions, &args.namespace)?;
    parsed.errors.extend(extra.errors);
    read.extend(extra.exceptions);
    let now = args.as_of.unwrap_or_else(k8s_openapi::jiff::Timestamp::now);
    settings.today = Some(now.to_zoned(k8s_openapi::jiff::tz::TimeZone::UTC).date());
    let mut judged = exceptions::judge_all(&settings, read, declared, now);
    settings.exceptions = exceptions::in_force(&judged);
    // The manifests' text and what reading them built are freed: their pages go back to
    // the system before the evaluation, the scan's peak, rather than over its decay time.
    crate::memory::settle();
    // A scan has the machine to itself: the evaluation runs on every core.
    let evaluation = evaluate_parallel(&inventory, &settings, registry::rules(), cores::count());
    exceptions::count_matches(&mut judged, &evaluation);
    let encryption = &evaluation.encryption;

    // Tell the user about input problems on stderr, whatever the format.
    for e in &parsed.errors {
        if e.line > 0 {
            eprintln!("warning: {}:{}: {}", e.file, e.line, e.message);
        } else {
            eprintln!("warning: {}: {}", e.file, e.message);
        }
    }
    for e in &placement.ignored {
        eprintln!("warning: {}:{}: {}", e.file, e.line, e.message);
    }
    if placement.defaulted > 0 {
        eprintln!(
            "note: {} object(s) name no namespace and are read as in namespace {:?}, as \
             `kubectl apply --namespace {}` would place them (set it with --namespace)",
            placement.defaulted, args.namespace, args.namespace
        );
    }
    if !parsed.unknown_kinds.is_empty() {
        let kinds: Vec<String> = parsed
            .unknown_kinds
            .iter()
            .map(|(k, n)| format!("{k} ({n})"))
            .collect();
        eprintln!(
            "note: skipped kinds Rampart does not judge: {}",
            kinds.join(", ")
        );
    }
    for w in exceptions::warnings(&judged) {
        eprintln!("{w}");
    }
    if loaded.files > 0 && inventory.counts().is_empty() {
        eprintln!("warning: no Kubernetes objects that Rampart judges were found in the input");
    }

    // Report.
    let report = Report {
        evaluation: &evaluation,
        inventory: &inventory,
        unknown_kinds: &parsed.unknown_kinds,
        errors: &parsed.errors,
        min_severity: args.min_severity,
        encryption,
        exceptions: &judged,
        fail_on: args.fail_on,
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    // Written as it renders: a large cluster's JSON report is hundreds of megabytes.
    let (target, name): (Box<dyn Write>, String) = match &args.output {
        Some(path) => (
            Box::new(
                fs::File::create(path).with_context(|| format!("writing {}", path.display()))?,
            ),
            path.display().to_string(),
        ),
        None => (Box::new(std::io::stdout().lock()), "stdout".to_owned()),
    };
    // The serializer's many small writes land in the buffer, not behind the box.
    let mut sink = std::io::BufWriter::with_capacity(1 << 16, target);
    match args.format {
        Format::Table => {
            let colour = to_terminal && std::env::var_os("NO_COLOR").is_none();
            let mut table = || -> std::io::Result<()> {
                if args.demo {
                    writeln!(sink, "Scanning Rampart's built-in demo cluster. Scan your own manifests with `rampart scan PATH...` (or `-` for stdin).")?;
                    if args.config.is_none() {
                        writeln!(
                            sink,
                            "The demo's settings allow images only from {}.",
                            settings.allowed_registries.join(", ")
                        )?;
                    }
                    writeln!(sink)?;
                }
                output::table::write(&report, colour, &mut sink)
            };
            table().map_err(anyhow::Error::from)
        }
        Format::Json => output::json::write(&report, &mut sink),
        Format::Sarif => output::sarif::write(&report, &mut sink),
        Format::Junit => output::junit::write(&report, &mut sink),
        Format::Github => output::github::write(&report, &mut sink),
    }
    .and_then(|()| sink.flush().map_err(anyhow::Error::from))
    .with_context(|| format!("writing to {name}"))?;

    // Exit code: input problems under --strict, then --fail-on.
    let code = if args.strict && !parsed.errors.is_empty() {
        ExitCode::from(2)
    } else if let Some(threshold) = args.fail_on
        && evaluation.findings.iter().any(|f| f.severity >= threshold)
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends here, and the system takes its memory back at once: freeing a
    // large cluster's objects and findings one by one took a tenth of a second.
    std::mem::forget(evaluation);
    std::mem::forget(inventory);
    Ok(code)
}
