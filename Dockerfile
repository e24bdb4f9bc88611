# Multi-stage build of the `siji` binary on Debian bookworm.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin siji && cp target/release/siji /usr/local/bin/siji

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/siji --create-home siji
COPY --from=build /usr/local/bin/siji /usr/local/bin/siji
USER siji
WORKDIR /var/lib/siji
ENV SIJI_BIND=0.0.0.0:8080 \
    SIJI_LOG_FORMAT=json \
    DATABASE_URL=sqlite:///var/lib/siji/siji.db?mode=rwc
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/siji"]
CMD ["serve"]
