//! App state and its pure updates: keys and data in, state and commands out.

pub mod msg;

pub use msg::{Command, DetailData, DetailKey, Generation, ListData, Msg};
