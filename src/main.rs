//! The `attune` binary: parses the command line, loads configuration and
//! logging, and hands the command to `commands`, where each one lives. Errors
//! reach the user here, with context, through `anyhow`.

mod commands;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use attune::cli::{Cli, Cmd, ConsoleArgs};
use attune::config::{Config, ConfigError, LogFormat};
use attune::engine::EngineError;
use attune::exit::Exit;
use attune::platform::Fatal;
use attune::store::StoreError;
use commands::DAMAGED_HINT;

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("attune: {}", said_once(&e));
            if damaged_record(&e) {
                eprintln!("{DAMAGED_HINT}");
            }
            ExitCode::from(exit_of(&e).code())
        }
    }
}

/// The exit code an error ends attune with (`attune::exit`): a platform's own,
/// 78 for configuration the operator must fix, 1 for anything else.
fn exit_of(e: &anyhow::Error) -> Exit {
    if let Some(f) = e.chain().find_map(|c| c.downcast_ref::<Fatal>()) {
        return f.exit;
    }
    if e.chain().any(|c| c.downcast_ref::<ConfigError>().is_some()) {
        return Exit::NeedsOperator;
    }
    Exit::Failure
}

/// The error and its causes, each said once: a cause whose text is already part of an
/// earlier message (a wrapped error that repeats its source) is left out.
fn said_once(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Whether the error is a stored record that can't be read back.
fn damaged_record(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(c.downcast_ref::<StoreError>(), Some(StoreError::Decode { .. }))
            || matches!(c.downcast_ref::<EngineError>(), Some(EngineError::Store(StoreError::Decode { .. })))
    })
}

fn try_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref(), |k| std::env::var(k).ok()).context("the configuration is invalid")?;
    let logs = tracing_subscriber::fmt().with_env_filter(config.log.filter().unwrap_or_else(|| "warn".into())).with_writer(std::io::stderr);
    match config.log.format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("could not start the async runtime")?;
    let result = runtime.block_on(commands::dispatch(cli.command.unwrap_or(Cmd::Console(ConsoleArgs::default())), config));
    // A read of stdin may still be waiting on a blocking thread (after SIGTERM, say); everything
    // that matters is committed and closed by now, so don't wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result
}
