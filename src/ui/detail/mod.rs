//! Detail panes: one job, one Measurement Set, one source, one FITS header.
//!
//! Every pane is a pure render function plus a small view-state struct whose methods the
//! app's keymap calls. Nothing here does I/O, and every string that came from data is
//! sanitised before it becomes a cell.

pub mod fits;
pub mod image_qa;
pub mod job;
pub mod ms;
pub mod ms_calibration;
pub mod scroll;
pub mod source;
pub mod text;
pub mod theme;

pub use fits::{
    HeaderLine, HeaderLoad, HeaderViewState, render_fits_header, render_header_preview,
};
pub use job::{JobPaneState, render_job_detail};
pub use ms::{MsPaneState, MsSection, render_ms_detail};
pub use scroll::Scroll;
pub use source::{SourcePaneState, render_source_detail};
pub use theme::Theme;
