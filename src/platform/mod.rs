//! Adapters: they translate platform events into `Input`s and carry out
//! `Delivery`s. They never decide. The Discord adapter is built with the `discord` feature, the Matrix adapter with `matrix`.

pub mod console;
#[cfg(feature = "discord")]
pub mod discord;
#[cfg(feature = "matrix")]
pub mod matrix;

/// Serves an adapter's outlet (what timers and other members' inputs caused)
/// until told to stop, then carries out what is still queued, in order.
#[cfg(any(feature = "discord", feature = "matrix"))]
pub(crate) async fn serve_outlet<F, Fut>(
    mut outlet: tokio::sync::mpsc::Receiver<crate::engine::Outgoing>,
    stop: std::sync::Arc<tokio::sync::Notify>,
    mut deliver: F,
) where
    F: FnMut(crate::engine::Outgoing) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        tokio::select! {
            Some(out) = outlet.recv() => deliver(out).await,
            () = stop.notified() => break,
            else => break,
        }
    }
    while let Ok(out) = outlet.try_recv() {
        deliver(out).await;
    }
}
