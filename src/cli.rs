//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "attune", version, about = "A peer-support bot for witnessing circles and private self-reflection.")]
pub struct Cli {
    /// Configuration file (default: config/attune.toml if it exists).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run a local community in this terminal (the default).
    Console(ConsoleArgs),
    /// Start the platforms enabled in the configuration (Discord, Matrix) over one engine and
    /// one database, until stopped (Ctrl-C or SIGTERM). With none enabled it says so and
    /// creates nothing.
    Run {
        /// SQLite file (default: ./data/attune.db, or database.path from the config).
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Create or update the database schema.
    Migrate {
        /// SQLite file (default: ./data/attune.db, or database.path from the config).
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Write a consistent copy of the database to PATH, a new file, while attune keeps
    /// running (circles go on). Never replaces a file. Restore by copying it back while
    /// attune is stopped (see the README, "Operating attune").
    Backup {
        /// Where to write the copy: a new file in a folder that exists.
        path: PathBuf,
        /// SQLite file (default: ./data/attune.db, or database.path from the config).
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Check deck files, or move decks in and out of a community.
    #[command(subcommand)]
    Deck(DeckCmd),
    /// Check the configuration, the decks and the database (SQLite's integrity check and
    /// every stored record). Changes nothing and creates nothing.
    Doctor {
        /// SQLite file (default: ./data/attune.db, or database.path from the config).
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Give attune's Matrix account a new cross-signing identity and sign its device with
    /// it, when `doctor` says the device is not signed (after a lost store). Needs
    /// ATTUNE_MATRIX_PASSWORD, and attune stopped. Moderators verify attune again afterwards.
    MatrixResetIdentity {
        /// SQLite file (default: ./data/attune.db, or database.path from the config).
        #[arg(long)]
        db: Option<PathBuf>,
    },
}

#[derive(Debug, Default, clap::Args)]
pub struct ConsoleArgs {
    /// SQLite file (default: ./data/attune.db, or database.path from the config).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// A member who may use moderator commands (repeatable). Default: whoever claimed it in this
    /// database before, else the first member to use a command (kept for this database).
    #[arg(long = "moderator", value_name = "NAME")]
    pub moderators: Vec<String>,
    /// A member named a host (repeatable): where `who-opens` is `hosts`, hosts and moderators
    /// may open circles.
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
    /// `system` (real time) or `manual` (time moves only with `@advance`, at most 366 days at a time).
    #[arg(long, value_enum, default_value_t = ClockArg::System)]
    pub clock: ClockArg,
    /// Start time for the manual clock (RFC 3339). Default: where the clock stood when this
    /// database last ran, else 2026-01-05T18:00:00Z. Only with --clock manual.
    #[arg(long)]
    pub start: Option<String>,
    /// Print every effect as one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Seed for card draws and random orders (default: random; 0 with the manual clock).
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ClockArg {
    #[default]
    System,
    Manual,
}

#[derive(Debug, Subcommand)]
pub enum DeckCmd {
    /// Check deck files and report every problem with its line. Changes nothing.
    Validate { files: Vec<PathBuf> },
    /// Import a deck file into a community (replacing a deck of the same name).
    Import {
        /// The deck file (the format of config/decks/*.toml).
        file: PathBuf,
        /// The community to import into; it must exist unless --create is given.
        #[arg(long, default_value = "console")]
        community: String,
        /// Create the community (and the database) if it doesn't exist yet. Without it, a
        /// mistyped community is refused and nothing is created.
        #[arg(long)]
        create: bool,
        /// Replace a deck of the same name (losing edits made to it). Without it, an
        /// existing deck is never overwritten.
        #[arg(long)]
        replace: bool,
        /// SQLite file (default: ./data/attune.db, or database.path from the config).
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Export a community's deck as a file.
    Export {
        /// The deck's name, as `deck list` shows it.
        name: String,
        /// The community the deck belongs to.
        #[arg(long, default_value = "console")]
        community: String,
        /// Write the deck to this file instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
        /// SQLite file (default: ./data/attune.db, or database.path from the config).
        #[arg(long)]
        db: Option<PathBuf>,
    },
}
