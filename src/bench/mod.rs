//! `contimg-monitor bench`: builds pipeline databases of a day, a month and a year, times the
//! monitor's refreshes, frames and FITS reads on them, runs the TUI in tmux, compares with the
//! pipeline's own ways, and prints one markdown table.

pub mod fits;
pub mod generate;
pub mod report;
pub mod scale;
pub mod stats;

pub use report::{Row, Target, Unit};
pub use scale::Scale;
pub use stats::{Repeat, Samples};
