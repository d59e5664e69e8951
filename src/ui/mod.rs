//! Widgets: `draw` reads the app's state and paints one frame. Nothing here does I/O, so a
//! redraw is always cheap and never waits.

pub mod columns;
pub mod detail;
pub mod footer;
pub mod frame;
pub mod help;
pub mod lists;
pub mod panes;
pub mod pool;
pub mod preview;
pub mod status;
pub mod theme;
pub mod triage;
pub mod triage_records;

use ratatui::Frame;

use crate::app::App;

/// Paint the whole screen from `app`.
pub fn draw(frame: &mut Frame, app: &App) {
    frame::draw_frame(frame, app);
}
