#!/usr/bin/env bash
# Builds helm from its pinned upstream Go module (the `tool` line of go.mod) into a cache
# outside the repository and prints the binary's path on stdout (progress goes to stderr);
# a second run with the same go.mod and go.sum is free.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(awk '$1 == "helm.sh/helm/v3" {print $2}' "$here/go.mod")
client_go=$(awk '$1 == "k8s.io/client-go" {print $2}' "$here/go.mod")
cache="${XDG_CACHE_HOME:-$HOME/.cache}/rampart-e2e/helm-$version"
bin="$cache/bin/helm"
stamp="$cache/.built"
# The stamp names what was built, so a change to go.mod or go.sum rebuilds.
want=$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$bin" ]; then
  echo "helm $version already built in $bin" >&2
  echo "$bin"
  exit 0
fi

# Never download a toolchain: the machine's Go must do.
export GOTOOLCHAIN=local
export CGO_ENABLED=0
start=$(date +%s)
mkdir -p "$cache/bin"
# What upstream's Makefile stamps in: the version `helm version` prints, and the Kubernetes
# version that `helm template` and `helm lint` assume without a cluster (client-go v0.N is
# Kubernetes 1.N).
minor=$(echo "${client_go#v}" | cut -d. -f2)
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version \
  -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
  -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor \
  -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
cd "$here"
echo "building helm $version ..." >&2
go build -p 2 -trimpath -ldflags "$ldflags" -o "$bin.tmp" helm.sh/helm/v3/cmd/helm >&2
mv "$bin.tmp" "$bin"
echo "$want" > "$stamp"
echo "helm $version built in $(( $(date +%s) - start ))s into $bin ($(du -sh "$bin" | cut -f1))" >&2
echo "$bin"
