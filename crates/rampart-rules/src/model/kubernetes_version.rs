//! Kubernetes versions and the embedded table of minor releases: when each was released,
//! when it reaches end of life, and the newest patch known when Rampart was built.
//!
//! The table is `kubernetes_releases.tsv`, written by `scripts/kubernetes-versions` from the
//! Go module proxy's `k8s.io/kubernetes` tags and the release team's published end-of-life
//! dates. Its first line says when it was generated; findings name that date, so a stale
//! table shows.

use k8s_openapi::jiff::civil::Date;
use std::fmt;
use std::sync::LazyLock;

/// A Kubernetes version as the API server's `/version` or a Node's `kubeletVersion` gives
/// it: `v1.37.2`, `v1.30.4-eks-a1b2c3`, `v1.29.3+k3s1`. Vendor suffixes are kept for
/// display and ignored for comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    /// The version as given, for messages.
    pub text: String,
}

impl Version {
    /// Reads `[v]MAJOR.MINOR.PATCH[anything]`; `None` when it is not a version.
    pub fn parse(text: &str) -> Option<Version> {
        let t = text.trim();
        let rest = t.strip_prefix('v').unwrap_or(t);
        let mut parts = rest.splitn(3, '.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let tail = parts.next()?;
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let patch = tail[..digits].parse().ok()?;
        Some(Version {
            major,
            minor,
            patch,
            text: t.to_owned(),
        })
    }

    /// `1.37`.
    pub fn minor_name(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One minor release of Kubernetes (1.x).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub minor: u32,
    pub released: Date,
    pub end_of_life: Date,
    /// Whether the end-of-life date is the release team's, or estimated from the support
    /// policy (about 14 months after the release).
    pub end_of_life_official: bool,
    pub newest_patch: u32,
    pub newest_patch_date: Date,
}

/// The embedded table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Releases {
    /// When the table was generated.
    pub generated: Date,
    /// Oldest first.
    pub releases: Vec<Release>,
}

impl Releases {
    /// The table Rampart was built with.
    pub fn embedded() -> &'static Releases {
        static TABLE: LazyLock<Releases> = LazyLock::new(|| {
            // The table is part of the source and a test reads it: it cannot fail here.
            Releases::parse(include_str!("kubernetes_releases.tsv"))
                .unwrap_or_else(|e| panic!("the embedded Kubernetes release table: {e}"))
        });
        &TABLE
    }

    /// Reads the format `scripts/kubernetes-versions` writes: a comment line that ends
    /// `on YYYY-MM-DD from ...`, then tab-separated rows (`#` lines are comments).
    pub fn parse(text: &str) -> Result<Releases, String> {
        let generated = text
            .lines()
            .find_map(|l| {
                let rest = l.strip_prefix('#')?.split(" on ").nth(1)?;
                rest.get(..10)?.parse::<Date>().ok()
            })
            .ok_or("no generation date in the header")?;
        let mut releases = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let row = |e: &str| format!("line {}: {e}: {line:?}", n + 1);
            let cols: Vec<&str> = line.split('\t').collect();
            let [minor, released, eol, source, patch, patch_date] = cols[..] else {
                return Err(row("expected 6 columns"));
            };
            let date = |s: &str| s.parse::<Date>().map_err(|e| row(&e.to_string()));
            let minor = minor
                .strip_prefix("1.")
                .and_then(|m| m.parse().ok())
                .ok_or_else(|| row("minor is not 1.N"))?;
            let newest = Version::parse(patch)
                .filter(|v| v.major == 1 && v.minor == minor)
                .ok_or_else(|| row("newest patch is not of this minor"))?;
            releases.push(Release {
                minor,
                released: date(released)?,
                end_of_life: date(eol)?,
                end_of_life_official: match source {
                    "official" => true,
                    "estimated" => false,
                    _ => return Err(row("source is neither official nor estimated")),
                },
                newest_patch: newest.patch,
                newest_patch_date: date(patch_date)?,
            });
        }
        if releases.is_empty() {
            return Err("no release rows".to_owned());
        }
        releases.sort_by_key(|r| r.minor);
        Ok(Releases {
            generated,
            releases,
        })
    }

    /// The release of a version's minor, when the table knows it (Kubernetes 1.x only).
    pub fn of(&self, v: &Version) -> Option<&Release> {
        if v.major != 1 {
            return None;
        }
        self.releases.iter().find(|r| r.minor == v.minor)
    }

    /// The newest minor the table knows.
    pub fn newest(&self) -> Option<&Release> {
        self.releases.last()
    }
}

/// How a version stands against the table on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Supported and on the newest patch the table knows.
    Current,
    /// Supported, behind the newest known patch of its minor.
    PatchBehind { newest_patch: u32 },
    /// Past its minor's end of life.
    EndOfLife,
    /// A minor the table does not know (newer than the table, or not Kubernetes 1.x).
    Unknown,
}

impl Support {
    pub fn as_str(self) -> &'static str {
        match self {
            Support::Current => "current",
            Support::PatchBehind { .. } => "patch-behind",
            Support::EndOfLife => "end-of-life",
            Support::Unknown => "unknown",
        }
    }
}

/// Judges `v` on `today`.
pub fn support(table: &Releases, v: &Version, today: Date) -> Support {
    let Some(r) = table.of(v) else {
        return Support::Unknown;
    };
    if today >= r.end_of_life {
        Support::EndOfLife
    } else if v.patch < r.newest_patch {
        Support::PatchBehind {
            newest_patch: r.newest_patch,
        }
    } else {
        Support::Current
    }
}

#[cfg(test)]
mod tests;
