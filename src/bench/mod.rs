//! `contimg-monitor bench`: builds pipeline databases of a day, a month and a year, times the
//! monitor's refreshes, frames and FITS reads on them, runs the TUI in tmux, compares with the
//! pipeline's own ways, and prints one markdown table.

pub mod compare;
pub mod fits;
pub mod frame;
pub mod generate;
pub mod refresh;
pub mod report;
pub mod run;
pub mod scale;
pub mod stats;
pub mod tui;

pub use report::{Row, Target, Unit};
pub use scale::Scale;
pub use stats::{Repeat, Samples};
