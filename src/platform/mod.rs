//! Adapters: they translate platform events into `Input`s and carry out
//! `Delivery`s. They never decide. The Discord adapter is built with the `discord` feature; Matrix arrives with its issue.

pub mod console;
#[cfg(feature = "discord")]
pub mod discord;
