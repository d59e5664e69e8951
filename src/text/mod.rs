//! Text that reaches the terminal: sanitising untrusted strings and formatting numbers,
//! times, sizes and coordinates. Pure functions.

pub mod format;
pub mod sanitize;

pub use format::*;
pub use sanitize::{sanitize_block, sanitize_json, sanitize_line};
