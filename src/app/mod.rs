//! App state and its pure updates: keys and data in, state and commands out.

pub mod header_cache;
pub mod keymap;
pub mod list;
pub mod msg;
pub mod sorting;
pub mod state;
pub mod update;

pub use keymap::{Action, Binding, Context, KeyCombo, Keymap, KeymapError};
pub use msg::{Command, DetailData, DetailKey, Generation, ListData, Msg};
pub use state::{App, AppConfig, DetailView, InputTarget, PaneState};
