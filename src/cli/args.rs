//! Arguments. A flag wins over its environment variable (clap's `env`), both win over the
//! config file, which wins over the shipped defaults.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Overrides;

#[derive(Debug, Parser)]
#[command(
    name = "contimg-monitor",
    version,
    about = "Terminal monitor for the DSA-110 continuum imaging pipeline (read-only)",
    after_help = "With no command, opens the monitor on the pipeline database.\n\
                  Try `contimg-monitor demo` for a live simulated pipeline."
)]
pub struct Cli {
    /// The pipeline's SQLite database (opened read-only).
    #[arg(long, env = "PIPELINE_DB", global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// The pipeline's JSON-lines log directory.
    #[arg(long, env = "PIPELINE_LOG_DIR", global = true, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
    /// The absurd task queue (PostgreSQL).
    #[arg(long, env = "ABSURD_DATABASE_URL", global = true, value_name = "URL")]
    pub postgres_url: Option<String>,
    /// Config file (default: ~/.config/contimg-monitor/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Refresh interval in seconds (0.5 .. 60).
    #[arg(long, global = true, value_name = "SECS")]
    pub refresh: Option<f64>,
    /// No colours (the NO_COLOR environment variable does the same).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Also write the monitor's own log (what `L` shows) to this file, appending.
    #[arg(long, env = "CONTIMG_LOG_FILE", global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Print the merged configuration and exit.
    #[arg(long)]
    pub print_config: bool,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnceFormat {
    Json,
    Table,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Poll every source once, print the result and exit (0: all answered, 1: no database,
    /// 2: an alert threshold is crossed or the configured queue does not answer).
    Once {
        #[arg(long, value_enum, default_value_t = OnceFormat::Table)]
        format: OnceFormat,
    },
    /// Render one frame of a tab as plain text.
    Snapshot {
        /// images, sources, jobs, ms or pool.
        #[arg(long, default_value = "images")]
        tab: String,
        /// COLSxROWS.
        #[arg(long, default_value = "120x40")]
        size: String,
    },
    /// Print FITS header cards, like astropy's fitsheader.
    FitsHeader {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Only these keywords (repeatable; `*` wildcards).
        #[arg(short = 'k', long = "keyword")]
        keywords: Vec<String>,
    },
    /// Time the monitor on a day, a month and a year of pipeline data (databases built once
    /// and reused), run the TUI in tmux, compare with the pipeline's own ways, and print one
    /// markdown table (also written to --out).
    Bench {
        /// Where databases, FITS files and results live (default: the XDG cache dir).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Scales to run, comma-separated: tiny, day, month, year.
        #[arg(long, value_delimiter = ',', default_value = "day,month,year")]
        scales: Vec<String>,
        /// Timed runs of each in-process measurement.
        #[arg(long, default_value_t = 30)]
        runs: usize,
        /// Unrecorded warm-up runs before them.
        #[arg(long, default_value_t = 3)]
        warmup: usize,
        /// Timed runs of the sqlite3 `GROUP BY` comparison.
        #[arg(long, default_value_t = 5)]
        process_runs: usize,
        /// Seconds the TUI is watched at rest on the largest scale (0: no TUI run).
        #[arg(long, default_value_t = 60)]
        tui_secs: u64,
        /// Install astropy from PyPI into a venv under --dir for the fitsheader comparison.
        #[arg(long)]
        astropy: bool,
        /// Use this astropy `fitsheader` instead of installing one.
        #[arg(long, value_name = "FILE", conflicts_with = "astropy")]
        fitsheader: Option<PathBuf>,
        /// Small FITS files instead of 5040² ones (quick checks, the test suite).
        #[arg(long)]
        small_fits: bool,
        /// Where to write the markdown table (default: DIR/results.md).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Build a demo pipeline database, keep a simulated pipeline running, and monitor it.
    Demo {
        /// Where the demo lives (default: the XDG data dir).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Build (or reuse) the demo, print its paths and exit.
        #[arg(long)]
        build_only: bool,
        /// Also run the task queue: a PostgreSQL server of the demo's own (needs the server
        /// binaries; without them the demo runs without the queue).
        #[arg(long)]
        with_postgres: bool,
    },
}

impl Cli {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            db: self.db.clone(),
            log_dir: self.log_dir.clone(),
            postgres_url: self.postgres_url.clone(),
            refresh_secs: self.refresh,
            no_color: self.no_color || no_color_env(),
        }
    }
}

/// NO_COLOR set to anything non-empty (https://no-color.org).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// `120x40` → (120, 40).
pub fn parse_size(s: &str) -> Option<(u16, u16)> {
    let (c, r) = s.split_once(['x', 'X'])?;
    let (c, r) = (c.trim().parse().ok()?, r.trim().parse().ok()?);
    (c > 0 && r > 0).then_some((c, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("120x40"), Some((120, 40)));
        assert_eq!(parse_size("80X24"), Some((80, 24)));
        assert_eq!(parse_size("0x24"), None);
        assert_eq!(parse_size("wide"), None);
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
