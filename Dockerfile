# Rampart: a static, non-root image. Build with `docker build -t rampart .`
# (no container engine runs on the project's own machines; CI checks this file's shape).
FROM rust:1.95-bookworm AS build
RUN rustup target add x86_64-unknown-linux-musl && apt-get update && apt-get install -y --no-install-recommends musl-tools && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p rampart --target x86_64-unknown-linux-musl

# distroless/static has no shell and no package manager; 65532 is its nonroot user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/target/x86_64-unknown-linux-musl/release/rampart /usr/local/bin/rampart
USER 65532:65532
EXPOSE 8081
ENTRYPOINT ["/usr/local/bin/rampart"]
CMD ["operator"]
