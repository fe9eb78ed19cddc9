# Rampart: a static, non-root image for linux/amd64 and linux/arm64. `just image` prints the
# multi-platform build (docker buildx); `docker build -t rampart .` builds for this machine.
# No container engine runs on the project's own machines; a test checks this file's shape.
#
# The build stage runs on each target platform (emulated where it is not the builder's), so
# it compiles natively for that platform's musl target and needs no cross linker.
FROM rust:1.95-bookworm AS build
# Set by BuildKit for each platform; the classic builder leaves it empty, and then the
# build machine's own architecture (dpkg names it the same way) is the target.
ARG TARGETARCH
RUN arch="${TARGETARCH:-$(dpkg --print-architecture)}" \
    && case "$arch" in \
         amd64) echo x86_64-unknown-linux-musl ;; \
         arm64) echo aarch64-unknown-linux-musl ;; \
         *) echo "no Rust musl target for architecture '$arch'" >&2; exit 1 ;; \
       esac > /rust-target
RUN rustup target add "$(cat /rust-target)" && apt-get update && apt-get install -y --no-install-recommends musl-tools && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The C in the build (jemalloc) is compiled with musl-gcc: cc-rs finds it by itself only for
# x86_64, and would take the glibc compiler on arm64.
RUN target="$(cat /rust-target)" \
    && env "CC_$(echo "$target" | tr - _)=musl-gcc" cargo build --release --locked -p rampart --target "$target" \
    && cp "target/$target/release/rampart" /rampart

# distroless/static has no shell and no package manager; 65532 is its nonroot user.
FROM gcr.io/distroless/static-debian12:nonroot
# The crate's version unless the build says otherwise (`just image` passes Cargo.toml's).
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="rampart" \
      org.opencontainers.image.description="Rampart: Kubernetes security posture scanner and operator." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.invalid/rampart"
COPY --from=build /rampart /usr/local/bin/rampart
USER 65532:65532
EXPOSE 8081
ENTRYPOINT ["/usr/local/bin/rampart"]
CMD ["operator"]
