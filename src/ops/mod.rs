//! The operations listener, for the people who run attune: `/metrics` in
//! Prometheus' text format, `/healthz` (the engine is alive) and `/readyz`
//! (the database takes writes and every enabled platform is connected). Off
//! unless `[server] listen` is set; it serves no secrets, no member and no
//! text, and it stops with the process.
//!
//! It sits beside the adapters: it asks the engine (never the store) and reads
//! each platform's [`Link`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::sync::Notify;

use crate::engine::{Engine, telemetry};
use crate::platform::Link;

/// Histogram buckets in seconds: from a millisecond to half a minute.
const BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("the metrics recorder could not be installed: {0}")]
    Recorder(String),
    #[error("could not listen on {addr} ({reason})")]
    Bind { addr: SocketAddr, reason: String },
}

/// Installs the process-wide metrics recorder (once, before the engine starts,
/// so a restart's resumed circles are counted) and describes every metric.
pub fn install_recorder() -> Result<PrometheusHandle, OpsError> {
    let handle = PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .map_err(|e| OpsError::Recorder(e.to_string()))?
        .install_recorder()
        .map_err(|e| OpsError::Recorder(e.to_string()))?;
    telemetry::describe();
    Ok(handle)
}

struct Shared {
    metrics: PrometheusHandle,
    engine: Engine,
    links: Vec<Link>,
}

/// The running listener.
pub struct Listening {
    addr: SocketAddr,
    stop: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
    upkeep: tokio::task::JoinHandle<()>,
}

impl Listening {
    /// The address it listens on (the port the system chose, for `:0`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops listening; a request being answered is finished first.
    pub async fn stop(self) {
        self.upkeep.abort();
        self.stop.notify_one();
        let _ = self.task.await;
    }
}

/// The listener's address, taken before anything else starts: a port that
/// is in use stops `attune run` before it opens the database or connects.
pub struct Bound {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
}

/// Takes `addr` for the listener (nothing is served until [`serve`]).
pub async fn bind(addr: SocketAddr) -> Result<Bound, OpsError> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| OpsError::Bind { addr, reason: e.to_string() })?;
    let addr = listener.local_addr().map_err(|e| OpsError::Bind { addr, reason: e.to_string() })?;
    Ok(Bound { listener, addr })
}

/// Serves on the bound address until stopped.
/// `page` is the moderator page's routes, when it is on (served beside these).
pub fn serve(bound: Bound, metrics: PrometheusHandle, engine: Engine, links: Vec<Link>, page: Option<Router>) -> Listening {
    let Bound { listener, addr } = bound;
    let upkeep = {
        let handle = metrics.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                handle.run_upkeep();
            }
        })
    };
    let shared = Arc::new(Shared { metrics, engine, links });
    let mut app =
        Router::new().route("/metrics", get(metrics_text)).route("/healthz", get(healthz)).route("/readyz", get(readyz)).with_state(shared);
    if let Some(page) = page {
        app = app.merge(page);
    }
    let stop = Arc::new(Notify::new());
    let task = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async move { stop.notified().await }).await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the operations listener stopped");
            }
        })
    };
    tracing::info!(%addr, "the operations listener is serving /metrics, /healthz and /readyz");
    Listening { addr, stop, task, upkeep }
}

fn plain(status: StatusCode, body: String) -> impl IntoResponse {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body)
}

async fn metrics_text(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        shared.metrics.render(),
    )
}

/// 200 while the engine is alive (taking input, its timer loop going round).
async fn healthz(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    if shared.engine.responsive() {
        plain(StatusCode::OK, "ok\n".into())
    } else {
        plain(StatusCode::SERVICE_UNAVAILABLE, "the engine is not responding\n".into())
    }
}

/// 200 while the database takes writes and every enabled platform is
/// connected; otherwise 503, with a line for each part.
async fn readyz(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let writable = tokio::time::timeout(Duration::from_secs(5), shared.engine.writable()).await.unwrap_or(false);
    let mut ready = writable;
    let mut body = format!("database: {}\n", if writable { "writable" } else { "not writable" });
    for link in &shared.links {
        let up = link.up();
        ready &= up;
        body.push_str(&format!("{}: {}\n", link.platform().as_str(), if up { "connected" } else { "not connected" }));
    }
    plain(if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, body)
}
