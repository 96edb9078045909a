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
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin attune \
    && mkdir -p /data /etc/attune \
    && chown attune:attune /data
COPY --from=build /src/target/release/attune /usr/local/bin/attune
COPY config/attune.example.toml /etc/attune/attune.example.toml
USER attune
WORKDIR /data
VOLUME ["/data"]
ENV ATTUNE_DATABASE_PATH=/data/attune.db
# Secrets (ATTUNE_DISCORD_TOKEN, ATTUNE_MATRIX_PASSWORD) come from the environment at run time.
ENTRYPOINT ["attune"]
CMD ["run"]
