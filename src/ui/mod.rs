//! (filled in by its owner)
pub mod detail;
pub mod pool;
