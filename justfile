# Rampart tasks. `pip install rust-just` where `just` is missing.

# List the recipes.
default:
    @just --list

# Scan the built-in demo cluster.
demo:
    cargo run -p rampart -- scan --demo

# Format the code.
fmt:
    cargo fmt --all

# Lints, warnings as errors.
lint:
    cargo clippy --workspace --all-targets -- -D warnings

# Everything CI runs: fmt check, clippy, offline tests, end-to-end tests on a real control plane.
test:
    scripts/test

# Only the offline tests (no control plane).
test-offline:
    cargo test --workspace --exclude rampart-e2e

# Build the control plane (cached), start it, run the e2e tests, stop it.
e2e:
    scripts/test

# Regenerate the committed CRDs from the types in rampart-crd (and the Helm chart's copy).
crds: && helm-sync
    cargo run -p rampart -- crd --output crds/rampart.yaml

# Regenerate the committed docs (rules catalogue, metrics) and monitoring wrappers.
docs: && helm-sync
    cargo run -p rampart -- docs rules --output docs/rules.md
    cargo run -p rampart -- docs metrics --output docs/metrics.md
    RAMPART_BLESS=1 cargo test -p rampart --test monitoring

# Print the multi-platform image build (linux/amd64, linux/arm64), tagged TAG:<crate version>; FLAGS are added, e.g. `just image registry.example/rampart --push`.
image tag="rampart" *flags:
    #!/usr/bin/env bash
    set -euo pipefail
    # Printed, not run: the project's machines have no container engine. A multi-platform
    # build needs --push or --output (the classic image store holds one platform).
    version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
    echo docker buildx build --platform linux/amd64,linux/arm64 --build-arg "VERSION=$version" -t "{{tag}}:$version" {{flags}} .

# Copy the CRDs and the monitoring objects into the Helm chart, which reads only its own files (a test compares).
helm-sync:
    cp crds/rampart.yaml manifests/helm/rampart/crds/rampart.yaml
    cp manifests/monitoring/servicemonitor.yaml manifests/monitoring/prometheusrule.yaml manifests/monitoring/dashboard-configmap.yaml manifests/helm/rampart/files/monitoring/

# Lint the Helm chart and print its default render, with helm built from its Go module (cached).
helm:
    #!/usr/bin/env bash
    set -euo pipefail
    helm=$(bash e2e/helm/build.sh)
    "$helm" lint --strict manifests/helm/rampart
    "$helm" template rampart manifests/helm/rampart --namespace rampart-system

# Unit tests of the alert rules (promtool from Debian's prometheus package).
alerts:
    promtool test rules manifests/monitoring/tests/rules.test.yaml

# Benchmark a synthetic cluster (1k namespaces, 60k pods); prints time and peak memory.
bench:
    cargo bench -p rampart-rules --bench evaluate
    cargo bench -p rampart-rules --bench rbac

# Start a throwaway control plane and print how to use it.
cluster-up:
    bash e2e/controlplane/cluster.sh up

# Change-to-report latency of the operator against a running e2e cluster.
bench-operator:
    cargo build -p rampart && cargo run -p rampart-e2e --example operator_latency

# The operator on ~100k objects in a real control plane: time to reports, memory, report bytes, API requests, latency; slow.
bench-scale:
    scripts/bench-scale

# rampart scan against kube-score, checkov and trivy on the same manifests; slow (scripts/bench-peers).
bench-peers:
    scripts/bench-peers

# Run the operator against the cluster of the current kubeconfig (apply crds/ first).
run:
    cargo run -p rampart -- operator --leader-election false
