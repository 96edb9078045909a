# attune: multi-stage build; the runtime image runs as a non-root user and
# keeps its SQLite database on the /data volume.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY migrations ./migrations
COPY config ./config
COPY locales ./locales
RUN cargo build --release --locked --bin attune

FROM debian:bookworm-slim
# curl is only for the health check below.
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin attune \
    && mkdir -p /data /etc/attune \
    && chown attune:attune /data
COPY --from=build /src/target/release/attune /usr/local/bin/attune
COPY config/attune.example.toml /etc/attune/attune.example.toml
USER attune
WORKDIR /data
VOLUME ["/data"]
ENV ATTUNE_DATABASE_PATH=/data/attune.db
# The operations listener (README, "Operating attune"): publish 9464 only to your monitoring.
ENV ATTUNE_SERVER_LISTEN=0.0.0.0:9464
ENV ATTUNE_LOG_LEVEL=warn,attune=info
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:9464/healthz || exit 1
# Secrets (ATTUNE_DISCORD_TOKEN, ATTUNE_MATRIX_PASSWORD) come from the environment at run time.
ENTRYPOINT ["attune"]
CMD ["run"]
