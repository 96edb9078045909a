//! Adapters: they translate platform events into `Input`s and carry out
//! `Delivery`s. They never decide. The Discord adapter is built with the `discord` feature, the Matrix adapter with `matrix`.

pub mod console;
#[cfg(feature = "discord")]
pub mod discord;
#[cfg(feature = "matrix")]
pub mod matrix;
