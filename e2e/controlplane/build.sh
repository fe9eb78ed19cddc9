#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from the pinned upstream
# Go modules into a cache outside the repository; a second run with the same version is free.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(awk '$1 == "k8s.io/kubernetes" {print $2}' "$here/go.mod")
cache="${XDG_CACHE_HOME:-$HOME/.cache}/rampart-e2e/$version"
bin="$cache/bin"
stamp="$cache/.built"
# The stamp names what was built, so a change to go.mod or go.sum rebuilds.
want=$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)

cmds=(etcd kube-apiserver kube-controller-manager kubectl)
built() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] || return 1
  local cmd
  for cmd in "${cmds[@]}"; do [ -x "$bin/$cmd" ] || return 1; done
}
if built; then
  echo "control plane $version already built in $bin"
  exit 0
fi

# Never download a toolchain: the machine's Go must do.
export GOTOOLCHAIN=local
export CGO_ENABLED=0
start=$(date +%s)
mkdir -p "$bin"
pkg=k8s.io/component-base/version
ldflags="-s -w \
  -X $pkg.gitVersion=$version -X $pkg.gitMajor=$(echo "${version#v}" | cut -d. -f1) \
  -X $pkg.gitMinor=$(echo "${version#v}" | cut -d. -f2) -X $pkg.gitTreeState=clean \
  -X $pkg.buildDate=1970-01-01T00:00:00Z \
  -X k8s.io/client-go/pkg/version.gitVersion=$version"
cd "$here"
for cmd in "${cmds[@]}"; do
  t0=$(date +%s)
  echo "building $cmd ..."
  go build -p 2 -trimpath -ldflags "$ldflags" -o "$bin/$cmd.tmp" "./cmd/$cmd"
  mv "$bin/$cmd.tmp" "$bin/$cmd"
  echo "  $cmd built in $(( $(date +%s) - t0 ))s"
done
echo "$want" > "$stamp"
echo "control plane $version built in $(( $(date +%s) - start ))s into $bin ($(du -sh "$bin" | cut -f1))"
