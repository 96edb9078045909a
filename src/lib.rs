//! attune: a peer-support bot for witnessing circles.
//!
//! Code map:
//! - [`core`]: the sans-I/O domain. Inputs in, effects out; time and randomness injected.
//! - [`text`]: the Fluent catalogue and rendering of messages for each platform's markup.
//! - [`store`]: SQLite through sqlx; core types travel as versioned JSON documents, and the
//!   store alone maps them to rows.
//! - [`engine`]: async glue: one supervised actor per community, answers and outlets for
//!   adapters, private routing, the adapters' bookkeeping (`Ledger`), the timer
//!   scheduler, recovery.
//! - [`platform`]: adapters: the console, Discord with the `discord` feature, Matrix
//!   with the `matrix` feature. They report facts and carry out deliveries; they never
//!   decide and never touch the store. Only `platform/discord` names the Discord
//!   libraries, only `platform/matrix` names the Matrix libraries.
//! - [`config`]: typed, layered configuration.
//! - [`exit`]: the exit codes `attune` ends with, for service managers.
//! - [`ops`]: the operations listener (metrics, health), beside the adapters.
//! - [`content`]: the shipped decks, resources card and crisis rules, loaded and checked.
//!
//! Architecture invariants (also in `ARCHITECTURE.md`):
//! - `core` does no I/O and can't fail except with a `Refusal` the member sees.
//! - A state change is committed before its effects leave the process.
//! - A timer is a persisted deadline with a generation; a stale one does nothing.
//! - Private text goes only through private effects.
//! - No community can stop another, and one process owns a database.
//! - Imports point down: core ← text, store ← engine ← platform (never the store).
//! - Nothing a member shares, and nothing written in reply to a reflection, is stored or logged.

pub mod cli;
pub mod config;
pub mod content;
pub mod core;
pub mod engine;
pub mod exit;
pub mod ops;
pub mod platform;
pub mod store;
pub mod text;
pub mod web;
