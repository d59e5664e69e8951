//! The two vocabularies between the app and the rest: what arrives (`Msg`) and what the app
//! asks for (`Command`). The app's update is a pure function `(state, Msg) -> Vec<Command>`;
//! services execute commands and answer with messages.

use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::KeyEvent;

use crate::fits::{FitsError, HeaderDoc};
use crate::query::ListQuery;
use crate::snapshot::{
    ImageRow, JobDetail, JobKey, JobRow, MsDetail, MsRow, Page, PoolSnapshot, SourceDetail,
    SourceHealth, SourceRow, Tab,
};
use crate::triage::TriageReport;

/// Identifies which request a result answers, so results for a query or selection the operator
/// has already left are dropped (each new request bumps the generation).
pub type Generation = u64;

/// A page of one of the four lists.
#[derive(Debug, Clone, PartialEq)]
pub enum ListData {
    Images(Page<ImageRow>),
    Sources(Page<SourceRow>),
    Jobs(Page<JobRow>),
    Ms(Page<MsRow>),
}

impl ListData {
    pub fn tab(&self) -> Tab {
        match self {
            ListData::Images(_) => Tab::Images,
            ListData::Sources(_) => Tab::Sources,
            ListData::Jobs(_) => Tab::Jobs,
            ListData::Ms(_) => Tab::Ms,
        }
    }
}

/// What the operator asked to look at in detail.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DetailKey {
    Image { id: i64, path: String },
    Source(String),
    Job(JobKey),
    Ms(String),
}

/// A detail pane's data.
#[derive(Debug, Clone)]
pub enum DetailData {
    Job(Box<JobDetail>),
    Ms(Box<MsDetail>),
    Source(Box<SourceDetail>),
    /// An image's row and quality records; its header arrives separately as
    /// `Msg::FitsHeader`.
    Image(Box<crate::snapshot::records::ImageDetail>),
}

/// Everything that can change the app's state.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// Terminal size changed (cols, rows): only a redraw is needed.
    Resize(u16, u16),
    /// The clock moved on (once a second): ages and badges change.
    Tick {
        now: f64,
    },
    /// A page of a list. `append` pages extend the list (load more); others replace it.
    List {
        generation: Generation,
        append: bool,
        data: ListData,
    },
    /// How one data source is doing (keyed by the tab it feeds, or `None` for the database).
    Health {
        tab: Option<Tab>,
        health: SourceHealth,
    },
    Pool(Box<PoolSnapshot>),
    Detail {
        key: DetailKey,
        result: Result<DetailData, String>,
    },
    FitsHeader {
        path: String,
        result: Result<Arc<HeaderDoc>, FitsError>,
    },
    /// How the PostgreSQL task queue is doing (only sent when a queue is configured).
    QueueHealth(SourceHealth),
    /// A triage report for the window it was asked with (or why there is none).
    Triage {
        window_s: f64,
        result: Result<Box<TriageReport>, String>,
    },
}

/// What the app asks the services to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Refresh `tab` with this query from now on (replaces the list).
    Query {
        tab: Tab,
        generation: Generation,
        query: ListQuery,
    },
    /// Fetch the next page after the query's cursor and append it.
    LoadMore {
        tab: Tab,
        generation: Generation,
        query: ListQuery,
    },
    /// Load a detail pane (and keep it fresh while it is open).
    OpenDetail(DetailKey),
    CloseDetail,
    /// Read this FITS file's header (the image selected or opened).
    ReadFitsHeader {
        path: String,
    },
    SetRefreshInterval(Duration),
    /// Keep the triage report of this window (seconds) fresh; `None` stops it (view closed).
    Triage(Option<f64>),
    /// The operator has seen the saturation alerts: clear them.
    AckAlerts,
    /// This tab is on screen now: its data is polled every refresh, the others' less often.
    ShowTab(Tab),
    /// Ring the terminal bell (a new saturation alert, when enabled).
    Bell,
    Quit,
}
