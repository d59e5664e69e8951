//! App state and its pure updates: keys and data in, state and commands out.

/// Run `$body` with `$l` bound to the list state of `$tab` (a list tab), else give `None`.
macro_rules! on_list {
    ($app:expr, $tab:expr, $l:ident => $body:expr) => {
        match $tab {
            Tab::Images => {
                let $l = &mut $app.images;
                Some($body)
            }
            Tab::Sources => {
                let $l = &mut $app.sources;
                Some($body)
            }
            Tab::Jobs => {
                let $l = &mut $app.jobs;
                Some($body)
            }
            Tab::Ms => {
                let $l = &mut $app.ms;
                Some($body)
            }
            Tab::Pool => None,
        }
    };
}

pub mod alerts;
pub mod header_cache;
mod jumps;
pub mod keymap;
mod keys;
pub mod list;
pub mod msg;
mod redraw;
pub mod sorting;
pub mod state;
pub mod triage;
pub mod update;

pub use keymap::{Action, Binding, Context, KeyCombo, Keymap, KeymapError};
pub use msg::{Command, DetailData, DetailKey, Generation, ListData, Msg};
pub use state::{App, AppConfig, DetailView, InputTarget, PaneState, TriageView};
