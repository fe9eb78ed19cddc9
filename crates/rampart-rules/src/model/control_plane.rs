//! The control plane's command lines, read from the static (mirror) pods kubeadm-style
//! clusters run in kube-system: their flags are the weakest evidence of how the API server,
//! the controller manager, the scheduler and etcd are set up, but the only evidence of most
//! of it.
//!
//! ```text
//! Pod kube-system/kube-apiserver-cp1   labels {component: kube-apiserver}
//!   spec.containers[i] named like the component (or the first container)
//!     command + args  ->  --flag=value, --flag value, --flag   ->  flags (last one wins)
//! ```

use crate::model::identity::ObjectRef;
use std::collections::BTreeMap;

/// A control-plane component, named as the `component` label of its static pod names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    ApiServer,
    ControllerManager,
    Scheduler,
    Etcd,
}

impl Component {
    pub const ALL: [Component; 4] = [
        Component::ApiServer,
        Component::ControllerManager,
        Component::Scheduler,
        Component::Etcd,
    ];

    /// The binary's name, which is also the `component` label and the container's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::ApiServer => "kube-apiserver",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
            Component::Etcd => "etcd",
        }
    }

    pub fn from_label(label: &str) -> Option<Component> {
        Component::ALL.into_iter().find(|c| c.as_str() == label)
    }
}

/// One container's command and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    pub component: Component,
    /// Index in the pod's `containers`.
    pub container: usize,
    /// The container's image: its tag is evidence of the component's version.
    pub image: Option<String>,
    pub command: Vec<String>,
    pub args: Vec<String>,
}

impl CommandLine {
    /// The whole command line: `args` follow `command`.
    pub fn words(&self) -> impl Iterator<Item = &String> {
        self.command.iter().chain(&self.args)
    }

    /// Where `--flag` is set in the pod: the argument that sets it (the last one, which
    /// wins), or the list that would hold it.
    pub fn flag_path(&self, flag: &str) -> String {
        let i = self.container;
        let bare = format!("--{flag}");
        let with_value = format!("--{flag}=");
        // `args` follow `command` on the command line, so a setting there is the later one.
        for (field, list) in [("args", &self.args), ("command", &self.command)] {
            if let Some(j) = list
                .iter()
                .rposition(|a| *a == bare || a.starts_with(&with_value))
            {
                return format!("spec.containers[{i}].{field}[{j}]");
            }
        }
        let field = if self.command.is_empty() {
            "args"
        } else {
            "command"
        };
        format!("spec.containers[{i}].{field}")
    }
}

/// One control-plane component's static pod and the flags it starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentFacts {
    pub pod: ObjectRef,
    pub line: CommandLine,
    /// `--flag` -> value (`""` for a bare flag); the last occurrence wins, as in the binary.
    pub flags: BTreeMap<String, String>,
}

impl ComponentFacts {
    pub fn new(pod: ObjectRef, line: CommandLine) -> ComponentFacts {
        let flags = parse_flags(line.words());
        ComponentFacts { pod, line, flags }
    }

    pub fn component(&self) -> Component {
        self.line.component
    }

    /// A flag's value; a bare `--flag` is `""`.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.get(name).map(String::as_str)
    }

    /// A boolean flag as the Go binaries parse it (a bare `--flag` is true), or `default`
    /// when it is absent. A value that does not parse is `None`: the binary would refuse
    /// to start, so nothing can be said of it.
    pub fn bool_flag(&self, name: &str, default: bool) -> Option<bool> {
        match self.flag(name) {
            None => Some(default),
            Some("") => Some(true),
            Some(v) => parse_bool(v),
        }
    }

    /// A comma-separated list flag's items, trimmed and without empty ones.
    pub fn list_flag(&self, name: &str) -> Vec<&str> {
        self.flag(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Where `--flag` is set in the pod, for findings.
    pub fn flag_path(&self, flag: &str) -> String {
        self.line.flag_path(flag)
    }
}

/// Go's `strconv.ParseBool`, which the control plane's flags use.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Reads `--flag=value`, `--flag value` and bare `--flag` forms of a command line.
pub fn parse_flags<'a>(args: impl IntoIterator<Item = &'a String>) -> BTreeMap<String, String> {
    let mut flags = BTreeMap::new();
    let args: Vec<&String> = args.into_iter().collect();
    let mut i = 0;
    while i < args.len() {
        if let Some(flag) = args[i].strip_prefix("--") {
            if let Some((k, v)) = flag.split_once('=') {
                flags.insert(k.to_owned(), v.to_owned());
            } else if args.get(i + 1).is_some_and(|n| !n.starts_with('-')) {
                flags.insert(flag.to_owned(), args[i + 1].clone());
                i += 1;
            } else {
                flags.insert(flag.to_owned(), String::new());
            }
        }
        i += 1;
    }
    flags
}

#[cfg(test)]
mod tests;
