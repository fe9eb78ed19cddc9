//! Command-line interface: every command, flag and exit code in one place.

use clap::{Args, Parser, Subcommand, ValueEnum};
use rampart_rules::Severity;
use std::path::PathBuf;

/// Kubernetes security posture: RBAC, ServiceAccounts, namespaces, NetworkPolicies and
/// Secrets encryption, judged by one rule engine.
#[derive(Debug, Parser)]
#[command(name = "rampart", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub kube: KubeArgs,
}

/// Which cluster the commands that read one talk to: kubectl's flags, so that the binary
/// works as the kubectl plugin `kubectl-rampart` (`kubectl rampart --context prod scan
/// --cluster`).
#[derive(Debug, Clone, Default, Args)]
pub struct KubeArgs {
    /// The kubeconfig context to use instead of the current one.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// The kubeconfig file to read instead of $KUBECONFIG or ~/.kube/config.
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan manifests (files, directories, `-` for stdin) or the built-in demo.
    ///
    /// Exit codes: 0 = no finding at or above --fail-on; 1 = findings at or above --fail-on;
    /// 2 = usage or input error (with --strict, any unreadable file or document).
    Scan(ScanArgs),
    /// List every subject allowed to do VERB on RESOURCE, with the binding and role that
    /// allow it, as the API server's RBAC authorizer decides.
    WhoCan(WhoCanArgs),
    /// What SUBJECT may do, grouped by where it applies, and how it can escalate.
    Can(CanArgs),
    /// List the rule catalogue, or explain one rule.
    Rules(RulesArgs),
    /// Generate documentation from the rule registry.
    Docs(DocsArgs),
    /// Run the operator against the cluster of the current kubeconfig (or in-cluster config).
    Operator(OperatorArgs),
    /// Print the CustomResourceDefinitions of Rampart's reports (committed under crds/).
    Crd {
        /// Write to FILE instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Sarif,
}

/// What `rampart scan` can write: the formats every command has, and those CI systems
/// read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
    Sarif,
    /// JUnit XML: one test case per rule and object, failing at `--fail-on`.
    Junit,
    /// GitHub Actions annotations on the manifests' files and lines.
    Github,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories of YAML/JSON manifests; `-` reads stdin.
    #[arg(required_unless_present_any = ["demo", "cluster"])]
    pub paths: Vec<PathBuf>,
    /// Scan the built-in demo cluster instead of PATHs.
    #[arg(long, conflicts_with_all = ["paths", "cluster"])]
    pub demo: bool,
    /// Scan the cluster of the current kubeconfig: one list of each kind (Secrets as
    /// metadata only), nothing written.
    #[arg(long, conflicts_with = "paths")]
    pub cluster: bool,
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Leave findings below this severity out of the report (counts stay exact).
    #[arg(long, value_parser = parse_severity)]
    pub min_severity: Option<Severity>,
    /// The API server's EncryptionConfiguration, to judge Secrets encryption at rest.
    #[arg(long)]
    pub encryption_config: Option<PathBuf>,
    /// kube-apiserver's metrics as text (`kubectl get --raw /metrics > FILE`): the strongest
    /// evidence of Secrets encryption at rest. Repeat for each API server of an HA cluster.
    #[arg(long)]
    pub apiserver_metrics: Vec<PathBuf>,
    /// The API server's Kubernetes version (`v1.31.4`) for manifests, judged against
    /// Rampart's release table (end of life, missing patches, kubelet skew); shown as
    /// declared. A live scan (`--cluster`) reads /version instead.
    #[arg(long, value_name = "VERSION", conflicts_with = "cluster")]
    pub kubernetes_version: Option<String>,
    /// Settings file: severity overrides, disabled rules, exceptions.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// A file of PostureException / ClusterPostureException documents (repeatable). The
    /// scanned manifests' own exception documents apply too.
    #[arg(long = "exceptions", value_name = "FILE")]
    pub exceptions: Vec<PathBuf>,
    /// Judge exceptions' expiry and Kubernetes releases' end of life as of this time
    /// (RFC 3339, `2027-01-31T00:00:00Z`) instead of now, so that a scan can be repeated
    /// exactly.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<k8s_openapi::jiff::Timestamp>,
    /// Exit with 2 when any file or document could not be read.
    #[arg(long)]
    pub strict: bool,
    /// The namespace of namespaced objects whose manifests name none, as with
    /// `kubectl apply --namespace`.
    #[arg(long, short = 'n', default_value = rampart_rules::manifest::DEFAULT_NAMESPACE)]
    pub namespace: String,
    /// Largest file read, in bytes; larger files are refused rather than exhausting memory.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: u64,
}

/// Where `who-can` and `can` read RBAC from: manifests, the demo, or a live cluster.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct SourceArgs {
    /// A file or directory of YAML/JSON manifests (repeatable); `-` reads stdin.
    #[arg(long = "file", short = 'f')]
    pub paths: Vec<PathBuf>,
    /// Read the built-in demo cluster.
    #[arg(long)]
    pub demo: bool,
    /// Read the cluster of the current kubeconfig (one list of each kind; nothing written).
    #[arg(long)]
    pub cluster: bool,
}

#[derive(Debug, Args)]
pub struct WhoCanArgs {
    /// The verb: get, list, create, delete, impersonate, bind, ...
    pub verb: String,
    /// `pods`, `pods/exec`, `deployments.apps`, `deployments.apps/scale`, or a non-resource
    /// URL such as `/metrics`.
    pub resource: String,
    /// The namespace asked about; without it, the question is cluster-wide (only
    /// ClusterRoleBindings answer it).
    #[arg(long, short)]
    pub namespace: Option<String>,
    /// The object's name, for grants narrowed by `resourceNames`.
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Largest file read, in bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: u64,
}

#[derive(Debug, Args)]
pub struct CanArgs {
    /// `sa:NAMESPACE/NAME`, `user:NAME` or `group:NAME`.
    pub subject: String,
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Largest file read, in bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// Quiet time after a change before evaluating, in milliseconds.
    #[arg(long, env = "RAMPART_DEBOUNCE_MS", default_value_t = 1000)]
    pub debounce_ms: u64,
    /// Evaluate at least this often, in seconds, even when no change was seen.
    #[arg(long, env = "RAMPART_RESYNC_SECONDS", default_value_t = 600)]
    pub resync_seconds: u64,
    #[arg(long, env = "RAMPART_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Read kube-apiserver's /metrics this often, in seconds, as evidence of Secrets
    /// encryption at rest (needs get on the nonResourceURL /metrics); 0 turns it off.
    #[arg(
        long,
        env = "RAMPART_APISERVER_METRICS_INTERVAL_SECONDS",
        default_value_t = 60
    )]
    pub apiserver_metrics_interval_seconds: u64,
    /// Settings file: severity overrides, disabled rules, exceptions, declared encryption.
    #[arg(long, env = "RAMPART_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// Seconds to wait for every initial list; after that, kinds still missing (forbidden,
    /// not served) are named in the reports as not evaluated, and their watches keep retrying.
    #[arg(
        long,
        env = "RAMPART_INITIAL_SYNC_TIMEOUT_SECONDS",
        default_value_t = 30
    )]
    pub initial_sync_timeout_seconds: u64,
    /// Seconds a watch of a kind that has listed may fail (an API server restart, a dropped
    /// connection) before the reports name the kind in couldNotEvaluate; shorter failures
    /// change no report and count in rampart_watch_flaps_total.
    #[arg(
        long,
        env = "RAMPART_WATCH_FAILURE_GRACE_SECONDS",
        default_value_t = 60
    )]
    pub watch_failure_grace_seconds: u64,
    /// Findings at or above this severity are announced with Kubernetes Events when they
    /// appear and when they are resolved.
    #[arg(long, env = "RAMPART_EVENT_MIN_SEVERITY", value_parser = parse_severity, default_value = "high")]
    pub event_min_severity: Severity,
    /// Only these namespaces get reports (comma-separated; a trailing `*` matches a prefix).
    #[arg(long, env = "RAMPART_INCLUDE_NAMESPACES", value_delimiter = ',')]
    pub include_namespaces: Vec<String>,
    /// These namespaces get no reports (comma-separated; a trailing `*` matches a prefix).
    #[arg(long, env = "RAMPART_EXCLUDE_NAMESPACES", value_delimiter = ',')]
    pub exclude_namespaces: Vec<String>,
    /// Elect a leader through a Lease, so that replicas can run side by side and only the
    /// leader writes.
    #[arg(long, env = "RAMPART_LEADER_ELECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_election: bool,
    /// Namespace of the `rampart` Lease.
    #[arg(long, env = "POD_NAMESPACE", default_value = "rampart-system")]
    pub lease_namespace: String,
    /// The ServiceAccount the operator runs as, in the Lease's namespace (the Deployment
    /// passes its own through the downward API): its list and watch of Secrets is
    /// accepted as Rampart's own, not reported (docs/exceptions.md).
    #[arg(long, env = "POD_SERVICE_ACCOUNT", default_value = "rampart")]
    pub service_account: String,
    /// Seconds a leader's lease lasts without renewal; a standby takes over after it.
    #[arg(long, env = "RAMPART_LEASE_DURATION_SECONDS", default_value_t = 10)]
    pub lease_duration_seconds: u64,
    /// Address of the /healthz, /readyz and /metrics endpoints.
    #[arg(long, env = "RAMPART_HEALTH_ADDR", default_value = "0.0.0.0:8081")]
    pub health_addr: std::net::SocketAddr,
    /// Label `rampart_findings` with the namespace; turn off on clusters with very many
    /// namespaces to keep the number of series down.
    #[arg(long, env = "RAMPART_FINDINGS_NAMESPACE_LABEL", default_value_t = true, action = clap::ArgAction::Set)]
    pub findings_namespace_label: bool,
    /// Also write every report as an OpenReports `Report` (per namespace) and `ClusterReport`
    /// (openreports.io/v1alpha1, read by Policy Reporter); needs the OpenReports CRDs and
    /// manifests/optional/openreports-rbac.yaml.
    #[arg(long, env = "RAMPART_OPENREPORTS", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub openreports: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: Option<RulesCommand>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print one rule's documentation.
    Explain {
        /// Rule id (RBAC001) or name (cluster-admin-binding).
        rule: String,
    },
}

#[derive(Debug, Args)]
pub struct DocsArgs {
    #[command(subcommand)]
    pub command: DocsCommand,
}

#[derive(Debug, Subcommand)]
pub enum DocsCommand {
    /// The rule catalogue as Markdown.
    Rules {
        /// Write to FILE instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The operator's Prometheus metrics as Markdown.
    Metrics {
        /// Write to FILE instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
        .map_err(|e: rampart_rules::UnknownSeverity| e.to_string())
}
