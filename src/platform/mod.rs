//! Adapters: they translate platform events into `Input`s and carry out
//! `Delivery`s. They never decide. Discord and Matrix arrive with their issues.

pub mod console;
