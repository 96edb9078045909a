//! End-to-end tests through the `attune` binary: console transcripts (golden
//! files), a crash-and-resume test, the privacy sentinel test, and the CLI.

mod cli;
mod crash;
mod privacy;
mod transcript;
