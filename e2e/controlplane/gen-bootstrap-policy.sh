#!/usr/bin/env bash
# Regenerates the RBAC bootstrap policy that rampart-rules embeds, from the same pinned
# Kubernetes module the e2e control plane is built from.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(awk '$1 == "k8s.io/kubernetes" {print $2}' "$here/go.mod")
root=$(cd "$here/../.." && pwd)
out="$root/crates/rampart-rules/data/bootstrap-policy-${version%.*}.yaml"
cd "$here"
GOTOOLCHAIN=local go run ./cmd/dump-bootstrap-policy "$version" > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
