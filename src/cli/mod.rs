//! The command line: arguments, and starting the chosen mode (TUI, headless, demo).

pub mod args;
pub mod run;

pub use args::{Cli, Cmd, OnceFormat};
