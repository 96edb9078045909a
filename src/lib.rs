//! attune: a peer-support bot for witnessing circles.
//!
//! Code map:
//! - [`core`]: the sans-I/O domain. Inputs in, effects out; time and randomness injected.
//! - [`text`]: the Fluent catalogue and rendering of messages to text.
//! - [`store`]: SQLite through sqlx; row structs are the store's own.
//! - [`engine`]: async glue: one actor per community, the timer scheduler, recovery.
//! - [`platform`]: adapters. Today the console; Discord and Matrix follow.
//! - [`config`]: typed, layered configuration.
//!
//! Architecture invariants (also in `ARCHITECTURE.md`):
//! - `core` does no I/O and can't fail except with a `Refusal` the member sees.
//! - A state change is committed before its effects leave the process.
//! - A timer is a persisted deadline with a generation; a stale one does nothing.
//! - Private text goes only through private effects.
//! - Nothing a member shares, and nothing written in reply to a reflection, is stored or logged.

pub mod cli;
pub mod config;
pub mod core;
pub mod engine;
pub mod platform;
pub mod store;
pub mod text;
