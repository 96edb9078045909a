//! attune's one integration test binary.
//!
//! Core and engine: scenarios on a fixed timeline (`scenario`), property tests
//! of invariants (`props`), bad input (`bad_input`), the engine with a real
//! SQLite file (`engine`) and architecture rules (`architecture`).
//! Through the `attune` binary: golden console transcripts (`transcript`),
//! kill-and-resume (`crash`), the privacy sentinel (`privacy`) and the CLI (`cli`).

// The fake Discord writes whole gateway payloads with `serde_json::json!`.
#![recursion_limit = "256"]

mod architecture;
mod bad_input;
mod boundary;
mod browser;
mod buttons;
mod care;
mod care_depth;
mod care_model;
mod care_now;
mod care_words;
mod cli;
mod console;
mod contract;
mod crash;
mod crisis_corpus;
mod data;
#[cfg(feature = "discord")]
mod discord;
mod doctor;
mod engine;
mod fixture_db;
mod healing;
mod hosttools;
mod identity;
mod limits;
#[cfg(feature = "matrix")]
mod matrix;
mod opening;
mod ops;
mod place;
mod privacy;
mod props;
mod regressions;
mod requests;
mod review;
mod scenario;
mod service;
mod small;
mod support;
mod transcript;
mod web;
