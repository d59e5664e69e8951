//! The whole app state, read by `ui::draw` and changed only by `App::update`.

use std::collections::HashMap;
use std::time::Duration;

use crate::app::header_cache::HeaderCache;
use crate::app::keymap::{Action, Context, Keymap};
use crate::app::list::ListState;
use crate::app::msg::{DetailData, DetailKey, Generation, ListData};
pub use crate::app::triage::TriageView;
use crate::snapshot::{ImageRow, JobRow, MsRow, PoolSnapshot, SourceHealth, SourceRow, Tab};
use crate::ui::detail::{HeaderViewState, JobPaneState, MsPaneState, SourcePaneState};
use crate::ui::pool::PoolTabState;

/// Refresh intervals `+`/`-` step through, in seconds.
pub const REFRESH_STEPS: [f64; 8] = [0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0];

/// Rows of chrome around a list: title, tab bar, status line, footer, table header.
pub const CHROME_ROWS: u16 = 5;

#[derive(Debug, Clone)]
pub struct AppConfig {
    pub refresh: Duration,
    pub no_color: bool,
    pub keymap: Keymap,
    pub page_size: usize,
    /// Shown in the title bar (the database path or a short name).
    pub db_label: String,
    /// The task queue's place (`host:port/db`) when one is configured: its health shows in
    /// the status line.
    pub queue_label: Option<String>,
    /// The window the triage view opens with, seconds.
    pub triage_window_s: f64,
    /// Ring the terminal bell when a pool saturation alert is raised.
    pub bell: bool,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            refresh: Duration::from_secs(2),
            no_color: false,
            keymap: Keymap::default(),
            page_size: 200,
            db_label: String::new(),
            queue_label: None,
            triage_window_s: 24.0 * 3600.0,
            bell: false,
        }
    }
}

/// One open detail pane. Jumps push a new one; Esc pops back to the previous.
#[derive(Debug, Clone)]
pub struct DetailView {
    /// The tab the pane belongs to (it is drawn over that tab's body).
    pub tab: Tab,
    pub key: DetailKey,
    /// `None` until the first answer arrives.
    pub data: Option<Result<DetailData, String>>,
    /// How the operator is looking at the pane (scroll, focused list, header view).
    pub pane: PaneState,
}

/// The view state of one detail pane, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum PaneState {
    Job(JobPaneState),
    Ms(MsPaneState),
    Source(SourcePaneState),
    /// An image's pane is its FITS header.
    Image(HeaderViewState),
}

impl PaneState {
    pub fn for_key(key: &DetailKey) -> PaneState {
        match key {
            DetailKey::Job(_) => PaneState::Job(JobPaneState::default()),
            DetailKey::Ms(_) => PaneState::Ms(MsPaneState::default()),
            DetailKey::Source(_) => PaneState::Source(SourcePaneState::default()),
            DetailKey::Image { .. } => PaneState::Image(HeaderViewState::default()),
        }
    }
}

/// What the one-line prompt is typing into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputTarget {
    /// The current list's filter.
    Filter,
    /// The open FITS header's search.
    HeaderSearch,
}

/// What arrived while the screen was frozen; only the newest of each kind is kept.
#[derive(Debug, Clone, Default)]
pub struct FrozenBuffer {
    pub lists: HashMap<Tab, (Generation, ListData)>,
    pub details: HashMap<DetailKey, Result<DetailData, String>>,
    pub pool: Option<Box<PoolSnapshot>>,
}

impl FrozenBuffer {
    pub fn pending_count(&self) -> usize {
        self.lists.len() + self.details.len() + usize::from(self.pool.is_some())
    }
}

#[derive(Debug, Clone)]
pub struct Frozen {
    /// Unix seconds when `p` was pressed.
    pub since: f64,
    pub buffer: FrozenBuffer,
}

#[derive(Debug, Clone)]
pub struct App {
    pub cfg: AppConfig,
    pub now: f64,
    pub tab: Tab,
    pub images: ListState<ImageRow>,
    pub sources: ListState<SourceRow>,
    pub jobs: ListState<JobRow>,
    pub ms: ListState<MsRow>,
    pub pool: Option<Box<PoolSnapshot>>,
    pub pool_state: PoolTabState,
    pub details: Vec<DetailView>,
    pub headers: HeaderCache,
    /// Health per data source: `None` is the database as a whole.
    pub health: HashMap<Option<Tab>, SourceHealth>,
    /// The task queue's health, once the connector has said anything.
    pub queue_health: Option<SourceHealth>,
    /// The triage view, drawn over the body while open.
    pub triage: Option<TriageView>,
    /// Keep the open job pane scrolled to its end as new log lines arrive.
    pub follow_log: bool,
    pub refresh: Duration,
    pub frozen: Option<Frozen>,
    /// The text being typed, when the `/` prompt is open, and what it is for.
    pub filter_input: Option<String>,
    pub input_target: InputTarget,
    pub show_help: bool,
    pub show_log: bool,
    /// Terminal size (cols, rows), from `Msg::Resize`.
    pub size: (u16, u16),
    /// An image to open as soon as the Images list shows it (after a jump from a source).
    pub pending_image_open: Option<String>,
    /// Pool saturation alerts not yet acknowledged (from the pool service, never frozen).
    pub alerts: Vec<crate::pool::sources::SaturationAlert>,
    /// Alerts the bell has already rung for, so it rings once per alert.
    pub(crate) alerts_rung: std::collections::HashSet<(crate::pool::sources::PoolKey, u64)>,
    pub(crate) next_generation: Generation,
    pub(crate) quit: bool,
    /// Something on screen changed since the last frame ([`App::take_redraw`]).
    pub(crate) redraw: bool,
}

impl App {
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether a frame must be drawn now (something on screen changed since the last call).
    /// Changes that can wait are left for the next clock tick, which always redraws.
    pub fn take_redraw(&mut self) -> bool {
        std::mem::take(&mut self.redraw)
    }

    /// Whether a list tab has shown its first page.
    pub fn tab_loaded(&self, tab: Tab) -> bool {
        match tab {
            Tab::Images => self.images.loaded,
            Tab::Sources => self.sources.loaded,
            Tab::Jobs => self.jobs.loaded,
            Tab::Ms => self.ms.loaded,
            Tab::Pool => self.pool.is_some(),
        }
    }

    pub fn keymap(&self) -> &Keymap {
        &self.cfg.keymap
    }

    /// The detail pane drawn over the current tab, if any.
    pub fn open_detail(&self) -> Option<&DetailView> {
        self.details.last().filter(|d| d.tab == self.tab)
    }

    /// Whether `action` does something in the pane in front (footer hints leave out the rest).
    pub fn action_applies(&self, action: Action) -> bool {
        let pane = self.open_detail().map(|d| &d.pane);
        match action {
            Action::JumpMs => matches!(pane, Some(PaneState::Job(_) | PaneState::Image(_))),
            Action::JumpImage => matches!(pane, Some(PaneState::Ms(_) | PaneState::Source(_))),
            Action::JumpJob => matches!(pane, Some(PaneState::Ms(_))),
            Action::Open if pane.is_some() => {
                matches!(pane, Some(PaneState::Ms(_) | PaneState::Source(_)))
            }
            Action::NextSection | Action::PrevSection => {
                matches!(pane, Some(PaneState::Ms(_) | PaneState::Image(_)))
            }
            Action::FollowLog => matches!(pane, Some(PaneState::Job(_))),
            Action::ToggleRaw
            | Action::ToggleComments
            | Action::Search
            | Action::NextMatch
            | Action::PrevMatch => matches!(pane, Some(PaneState::Image(_))),
            _ => true,
        }
    }

    /// Which keymap context the keys go to now.
    pub fn context(&self) -> Context {
        if self.filter_input.is_some() {
            Context::FilterInput
        } else if self.triage.is_some() {
            Context::Triage
        } else if self.open_detail().is_some() {
            Context::Detail
        } else {
            match self.tab {
                Tab::Pool => Context::Pool,
                Tab::Jobs => Context::Jobs,
                _ => Context::List,
            }
        }
    }

    /// Data rows a list shows at the current terminal size (the log pane takes a third).
    pub fn list_viewport_rows(&self) -> usize {
        let body = self.size.1.saturating_sub(CHROME_ROWS);
        let body = if self.show_log { body - body / 3 } else { body };
        usize::from(body.max(1))
    }

    /// Number of rows in a list tab and whether more exist beyond them.
    pub fn tab_count(&self, tab: Tab) -> Option<(usize, Option<u64>, bool)> {
        match tab {
            Tab::Images => Some(count(&self.images)),
            Tab::Sources => Some(count(&self.sources)),
            Tab::Jobs => Some(count(&self.jobs)),
            Tab::Ms => Some(count(&self.ms)),
            Tab::Pool => None,
        }
    }

    /// The filter shown for a list tab.
    pub fn filter_text(&self, tab: Tab) -> &str {
        match tab {
            Tab::Images => &self.images.filter_text,
            Tab::Sources => &self.sources.filter_text,
            Tab::Jobs => &self.jobs.filter_text,
            Tab::Ms => &self.ms.filter_text,
            Tab::Pool => "",
        }
    }

    pub fn sort_of(&self, tab: Tab) -> Option<&crate::query::Sort> {
        match tab {
            Tab::Images => self.images.sort.as_ref(),
            Tab::Sources => self.sources.sort.as_ref(),
            Tab::Jobs => self.jobs.sort.as_ref(),
            Tab::Ms => self.ms.sort.as_ref(),
            Tab::Pool => None,
        }
    }

    pub fn selected_image(&self) -> Option<&ImageRow> {
        self.images.selected_row()
    }
}

fn count<R: crate::app::list::Keyed + Clone>(l: &ListState<R>) -> (usize, Option<u64>, bool) {
    (l.rows.len(), l.total, l.has_more)
}
