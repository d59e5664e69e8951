//! `App::new` and `App::update`: pure state transitions. No I/O and no clock reads; time
//! arrives in `Msg::Tick` and the commands returned ask the services for everything else.
//! Keys are handled in `keys`, detail panes and jumps in `jumps`; data and queries here.

use std::collections::HashMap;
use std::time::Duration;

use crate::app::header_cache::HeaderCache;
use crate::app::list::{Keyed, ListState};
use crate::app::msg::{Command, DetailData, DetailKey, Generation, ListData, Msg};
use crate::app::redraw::Before;
use crate::app::state::{App, AppConfig, Frozen, FrozenBuffer, InputTarget, REFRESH_STEPS};
use crate::query::{Filter, Term};
use crate::snapshot::{ImageRow, Page, Tab};
use crate::ui::pool::PoolTabState;

/// The `f` key's term: failed jobs only.
pub fn failed_term() -> Term {
    Term {
        field: Some("status".into()),
        value: "failed".into(),
        negated: false,
    }
}

pub(super) fn field_filter(field: &str, value: &str) -> Filter {
    Filter {
        terms: vec![Term {
            field: Some(field.into()),
            value: value.into(),
            negated: false,
        }],
    }
}

/// At most this many rows on screen have their header read ahead of selection.
pub const HEADER_PREFETCH_ROWS: usize = 40;

/// A row whose beam, cell, centre or frequency the database left empty.
fn lacks_header_values(row: &ImageRow) -> bool {
    row.beam_major_arcsec.is_none()
        || row.cellsize_arcsec.is_none()
        || row.center_ra_deg.is_none()
        || row.freq_ghz.is_none()
}

impl App {
    /// A fresh app at time `now`, with the first query of every list.
    pub fn new(cfg: AppConfig, now: f64) -> (App, Vec<Command>) {
        let refresh = cfg.refresh;
        let mut app = App {
            cfg,
            now,
            tab: Tab::Images,
            images: ListState::default(),
            sources: ListState::default(),
            jobs: ListState::default(),
            ms: ListState::default(),
            pool: None,
            pool_state: PoolTabState::default(),
            details: Vec::new(),
            headers: HeaderCache::default(),
            health: HashMap::new(),
            queue_health: None,
            triage: None,
            follow_log: false,
            refresh,
            frozen: None,
            filter_input: None,
            input_target: InputTarget::Filter,
            show_help: false,
            show_log: false,
            size: (80, 24),
            pending_image_open: None,
            alerts: Vec::new(),
            alerts_rung: Default::default(),
            next_generation: 0,
            quit: false,
            redraw: true,
        };
        let commands = [Tab::Images, Tab::Sources, Tab::Jobs, Tab::Ms]
            .into_iter()
            .filter_map(|tab| app.restart_query(tab))
            .collect();
        (app, commands)
    }

    /// Apply one message. Besides its own commands, a change of the tab on screen is told to
    /// the services (`ShowTab`: hidden tabs poll less often), and whether the screen changed
    /// is noted for [`App::take_redraw`].
    pub fn update(&mut self, msg: Msg) -> Vec<Command> {
        let shown = self.tab;
        let before = Before::of(self, &msg);
        let mut commands = self.apply_msg(msg);
        if self.tab != shown {
            commands.push(Command::ShowTab(self.tab));
        }
        self.redraw |= before.draw_now(self, shown);
        commands
    }

    fn apply_msg(&mut self, msg: Msg) -> Vec<Command> {
        match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Resize(cols, rows) => {
                self.size = (cols, rows);
                self.scroll_current();
                Vec::new()
            }
            Msg::Tick { now } => {
                self.now = now;
                Vec::new()
            }
            Msg::List {
                generation,
                append,
                data,
            } => self.on_list(generation, append, data),
            Msg::Health { tab, health } => {
                self.health.insert(tab, health);
                Vec::new()
            }
            // Freezing holds what is on screen: a first answer (nothing shown yet) goes
            // straight through, later ones wait in the side buffer.
            Msg::Pool(snapshot) => {
                // Alerts are never frozen: an operator reading a frozen screen must still hear
                // about a pool that saturates.
                let commands = self.note_alerts(&snapshot.alerts);
                match &mut self.frozen {
                    Some(frozen) if self.pool.is_some() => frozen.buffer.pool = Some(snapshot),
                    _ => self.pool = Some(snapshot),
                }
                commands
            }
            Msg::Detail { key, result } => {
                let shown = self
                    .details
                    .iter()
                    .any(|d| d.key == key && d.data.is_some());
                match &mut self.frozen {
                    Some(frozen) if shown => {
                        frozen.buffer.details.insert(key, result);
                    }
                    _ => self.apply_detail(key, result),
                }
                Vec::new()
            }
            Msg::FitsHeader { path, result } => {
                self.headers.insert(path, result);
                Vec::new()
            }
            Msg::QueueHealth(health) => {
                self.queue_health = Some(health);
                Vec::new()
            }
            Msg::Triage { window_s, result } => self.on_triage(window_s, result),
        }
    }

    pub(super) fn next_gen(&mut self) -> Generation {
        self.next_generation += 1;
        self.next_generation
    }

    /// Start `tab`'s query over (new filter or sort): new generation, rows cleared.
    pub(super) fn restart_query(&mut self, tab: Tab) -> Option<Command> {
        let generation = self.next_gen();
        let limit = self.cfg.page_size;
        on_list!(self, tab, l => {
            l.restart(generation);
            Command::Query { tab, generation, query: l.query(limit) }
        })
    }

    /// Start `tab`'s query over from the first page (a source joined: the harness).
    pub fn restart_query_for(&mut self, tab: Tab) -> Option<Command> {
        self.restart_query(tab)
    }

    /// Ask again for the same query (the `r` key); the answer replaces the first page.
    pub(super) fn resend_query(&mut self, tab: Tab) -> Option<Command> {
        let limit = self.cfg.page_size;
        on_list!(self, tab, l => Command::Query { tab, generation: l.generation, query: l.query(limit) })
    }

    pub(super) fn scroll_current(&mut self) {
        let height = self.list_viewport_rows();
        let tab = self.tab;
        on_list!(self, tab, l => l.scroll_to_selection(height));
    }

    pub(super) fn load_more_if_needed(&mut self, tab: Tab) -> Vec<Command> {
        let screen = self.list_viewport_rows();
        let limit = self.cfg.page_size;
        on_list!(self, tab, l => {
            if !l.wants_more(screen) {
                return Vec::new();
            }
            let Some(query) = l.load_more_query(limit) else {
                return Vec::new();
            };
            l.loading_more = true;
            vec![Command::LoadMore { tab, generation: l.generation, query }]
        })
        .unwrap_or_default()
    }

    /// On the Images tab, a newly selected image's header is read (once).
    /// On the Images tab, the selected image's header is read (once), then the headers of
    /// the other rows on screen whose database values are missing: the header is where
    /// production images keep their beam, cell, centre and frequency.
    pub(super) fn after_selection_change(&mut self) -> Vec<Command> {
        if self.tab != Tab::Images {
            return Vec::new();
        }
        let mut paths: Vec<String> = self
            .images
            .selected_row()
            .map(|r| r.path.clone())
            .into_iter()
            .collect();
        let start = self.images.offset.min(self.images.rows.len());
        let end = (start + self.list_viewport_rows().min(HEADER_PREFETCH_ROWS))
            .min(self.images.rows.len());
        paths.extend(
            self.images.rows[start..end]
                .iter()
                .filter(|r| lacks_header_values(r))
                .map(|r| r.path.clone()),
        );
        paths
            .iter()
            .flat_map(|path| self.request_header(path))
            .collect()
    }

    pub(super) fn request_header(&mut self, path: &str) -> Vec<Command> {
        if path.is_empty() || !self.headers.should_request(path) {
            return Vec::new();
        }
        self.headers.mark_pending(path);
        vec![Command::ReadFitsHeader {
            path: path.to_string(),
        }]
    }

    pub(super) fn apply_filter_text(&mut self, tab: Tab, text: String) -> Vec<Command> {
        let filter = Filter::parse(&text);
        self.set_filter(tab, filter)
    }

    pub(super) fn set_filter(&mut self, tab: Tab, filter: Filter) -> Vec<Command> {
        let text = filter.to_string();
        let unchanged = on_list!(self, tab, l => {
            let same = l.filter == filter;
            l.filter_text = text;
            l.filter = filter;
            same
        });
        match unchanged {
            Some(false) => self.restart_query(tab).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    pub(super) fn toggle_freeze(&mut self) -> Vec<Command> {
        match self.frozen.take() {
            None => {
                self.frozen = Some(Frozen {
                    since: self.now,
                    buffer: FrozenBuffer::default(),
                });
                Vec::new()
            }
            Some(frozen) => self.release(frozen.buffer),
        }
    }

    /// Apply the newest of everything that arrived while frozen.
    pub(super) fn release(&mut self, buffer: FrozenBuffer) -> Vec<Command> {
        let mut commands = Vec::new();
        // Fixed order so the result never depends on hash order.
        for tab in Tab::ALL {
            if let Some((generation, data)) = buffer.lists.get(&tab).cloned() {
                commands.extend(self.apply_list(generation, false, data));
            }
        }
        for (key, result) in buffer.details {
            self.apply_detail(key, result);
        }
        if let Some(pool) = buffer.pool {
            self.pool = Some(pool);
        }
        commands
    }

    pub(super) fn step_refresh(&mut self, direction: i32) -> Vec<Command> {
        let current = self.refresh.as_secs_f64();
        let next = if direction > 0 {
            REFRESH_STEPS.iter().copied().find(|s| *s > current + 1e-9)
        } else {
            REFRESH_STEPS
                .iter()
                .rev()
                .copied()
                .find(|s| *s < current - 1e-9)
        };
        match next {
            Some(secs) => {
                self.refresh = Duration::from_secs_f64(secs);
                vec![Command::SetRefreshInterval(self.refresh)]
            }
            None => Vec::new(),
        }
    }

    pub(super) fn refresh_now(&mut self) -> Vec<Command> {
        let mut commands: Vec<Command> = self.resend_query(self.tab).into_iter().collect();
        if let Some(detail) = self.open_detail() {
            commands.push(Command::OpenDetail(detail.key.clone()));
        }
        if self.tab == Tab::Images
            && let Some(path) = self.images.selected_row().map(|r| r.path.clone())
        {
            self.headers.forget_error(&path);
            commands.extend(self.request_header(&path));
        }
        commands
    }

    pub(super) fn apply_detail(&mut self, key: DetailKey, result: Result<DetailData, String>) {
        // Only the pane showing this key takes it; answers for closed panes are dropped.
        let follow = self.follow_log;
        if let Some(view) = self.details.iter_mut().rev().find(|d| d.key == key) {
            view.data = Some(result);
            // Follow mode: new log lines arrive at the end, so stay there.
            if follow && let crate::app::state::PaneState::Job(st) = &mut view.pane {
                st.scroll_bottom();
            }
        }
    }

    pub(super) fn on_list(
        &mut self,
        generation: Generation,
        append: bool,
        data: ListData,
    ) -> Vec<Command> {
        let tab = data.tab();
        let (current, loaded) =
            on_list!(self, tab, l => (l.generation, l.loaded)).unwrap_or((0, false));
        if generation != current {
            return Vec::new();
        }
        // A refresh of rows on screen waits while frozen; the first page of a query the
        // operator just asked for (new filter, sort or jump) does not.
        if !append
            && loaded
            && let Some(frozen) = &mut self.frozen
        {
            frozen.buffer.lists.insert(tab, (generation, data));
            return Vec::new();
        }
        self.apply_list(generation, append, data)
    }

    pub(super) fn apply_list(
        &mut self,
        generation: Generation,
        append: bool,
        data: ListData,
    ) -> Vec<Command> {
        fn put<R: Keyed + Clone>(
            l: &mut ListState<R>,
            generation: Generation,
            append: bool,
            page: Page<R>,
        ) -> bool {
            if l.generation != generation {
                return false;
            }
            let before = l.selected_key.clone();
            if append {
                l.append(page);
            } else {
                l.replace_head(page);
            }
            before != l.selected_key
        }
        let tab = data.tab();
        let selection_changed = match data {
            ListData::Images(p) => put(&mut self.images, generation, append, p),
            ListData::Sources(p) => put(&mut self.sources, generation, append, p),
            ListData::Jobs(p) => put(&mut self.jobs, generation, append, p),
            ListData::Ms(p) => put(&mut self.ms, generation, append, p),
        };
        let height = self.list_viewport_rows();
        on_list!(self, tab, l => l.scroll_to_selection(height));
        let mut commands = Vec::new();
        // New rows on the Images tab may need their headers even when the selection stayed.
        if tab == self.tab {
            if selection_changed || tab == Tab::Images {
                commands.extend(self.after_selection_change());
            }
            commands.extend(self.load_more_if_needed(tab));
        }
        if tab == Tab::Images {
            commands.extend(self.open_pending_image());
        }
        commands
    }
}
