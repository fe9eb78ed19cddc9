//! Container image references as a container runtime resolves them: which registry and
//! repository an image comes from, whatever shorthand the manifest uses.

/// Hosts that are Docker Hub under another name.
const DOCKER_HUB_ALIASES: &[&str] = &["docker.io", "index.docker.io", "registry-1.docker.io"];

/// `registry/repository` of an image reference, without tag or digest, as the runtime pulls
/// it: `nginx:1.27` is `docker.io/library/nginx`, `team/app` is `docker.io/team/app`,
/// `localhost:5000/app@sha256:...` is `localhost:5000/app`. The first path component is a
/// registry when it contains a `.` or a `:`, or is `localhost`.
pub fn repository(image: &str) -> String {
    let without_digest = image.split_once('@').map_or(image, |(name, _)| name);
    // A `:` after the last `/` starts the tag; one before it is a registry's port.
    let name = match without_digest.rsplit_once('/') {
        Some((head, last)) => match last.split_once(':') {
            Some((repo, _)) => format!("{head}/{repo}"),
            None => without_digest.to_owned(),
        },
        None => without_digest
            .split_once(':')
            .map_or(without_digest, |(repo, _)| repo)
            .to_owned(),
    };
    match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            if DOCKER_HUB_ALIASES.contains(&first) {
                hub(rest)
            } else {
                name
            }
        }
        _ => hub(&name),
    }
}

fn hub(path: &str) -> String {
    if path.contains('/') {
        format!("docker.io/{path}")
    } else {
        format!("docker.io/library/{path}")
    }
}

/// Whether the image's repository is under one of `allowed`: a registry (`ghcr.io`) or a
/// path in one (`ghcr.io/acme`, `docker.io/library`), matched whole component by component,
/// so `ghcr.io/acme` does not allow `ghcr.io/acme-evil`. Entries are read as images are:
/// `docker.io/library` and `library` mean the same.
pub fn is_allowed(image: &str, allowed: &[String]) -> bool {
    let repo = repository(image);
    allowed.iter().any(|entry| {
        let entry = entry.trim().trim_end_matches('/');
        if entry.is_empty() {
            return false;
        }
        let prefix = normalized_prefix(entry);
        repo == prefix || repo.starts_with(&format!("{prefix}/"))
    })
}

/// An allow-list entry in the form [`repository`] gives: a bare registry stays as it is,
/// a Docker Hub alias becomes `docker.io`, a path without a registry is on Docker Hub.
fn normalized_prefix(entry: &str) -> String {
    let first = entry.split('/').next().unwrap_or(entry);
    let is_registry = first.contains('.') || first.contains(':') || first == "localhost";
    if !is_registry {
        return format!("docker.io/{entry}");
    }
    if DOCKER_HUB_ALIASES.contains(&first) {
        return match entry.split_once('/') {
            Some((_, rest)) => format!("docker.io/{rest}"),
            None => "docker.io".to_owned(),
        };
    }
    entry.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_shorthands_as_a_runtime_does() {
        assert_eq!(repository("nginx"), "docker.io/library/nginx");
        assert_eq!(repository("nginx:1.27"), "docker.io/library/nginx");
        assert_eq!(repository("team/app:2"), "docker.io/team/app");
        assert_eq!(repository("index.docker.io/team/app"), "docker.io/team/app");
        assert_eq!(
            repository("ghcr.io/acme/api:1@sha256:ab"),
            "ghcr.io/acme/api"
        );
        assert_eq!(repository("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(repository("localhost/app:dev"), "localhost/app");
        assert_eq!(
            repository("registry:5000/team/app"),
            "registry:5000/team/app"
        );
    }

    #[test]
    fn allows_whole_path_components_only() {
        let allowed = vec![
            "ghcr.io/acme".to_owned(),
            "registry.acme.example/".to_owned(),
            "library".to_owned(),
        ];
        assert!(is_allowed("ghcr.io/acme/api:1", &allowed));
        assert!(!is_allowed("ghcr.io/acme-evil/api:1", &allowed));
        assert!(is_allowed("registry.acme.example/shop/web", &allowed));
        assert!(is_allowed("nginx:1.27", &allowed));
        assert!(!is_allowed("bitnami/nginx", &allowed));
        assert!(!is_allowed("quay.io/acme/api", &allowed));
        assert!(is_allowed(
            "docker.io/bitnami/redis",
            &["index.docker.io".to_owned()]
        ));
        assert!(!is_allowed("nginx", &[" ".to_owned()]));
    }
}
