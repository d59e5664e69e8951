//! `App::new` and `App::update`: pure state transitions. No I/O and no clock reads; time
//! arrives in `Msg::Tick` and the commands returned ask the services for everything else.

use std::collections::HashMap;
use std::time::Duration;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::header_cache::HeaderCache;
use crate::app::keymap::Action;
use crate::app::list::{Keyed, ListState};
use crate::app::msg::{Command, DetailData, DetailKey, Generation, ListData, Msg};
use crate::app::sorting::{cycle_sort, reverse_sort};
use crate::app::state::{
    App, AppConfig, DetailView, Frozen, FrozenBuffer, InputTarget, PaneState, REFRESH_STEPS,
};
use crate::query::{Filter, Term};
use crate::snapshot::{Page, Tab};
use crate::ui::pool::PoolTabState;

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

/// The `f` key's term: failed jobs only.
pub fn failed_term() -> Term {
    Term {
        field: Some("status".into()),
        value: "failed".into(),
        negated: false,
    }
}

fn field_filter(field: &str, value: &str) -> Filter {
    Filter {
        terms: vec![Term {
            field: Some(field.into()),
            value: value.into(),
            negated: false,
        }],
    }
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
            refresh,
            frozen: None,
            filter_input: None,
            input_target: InputTarget::Filter,
            show_help: false,
            show_log: false,
            size: (80, 24),
            pending_image_open: None,
            next_generation: 0,
            quit: false,
        };
        let commands = [Tab::Images, Tab::Sources, Tab::Jobs, Tab::Ms]
            .into_iter()
            .filter_map(|tab| app.restart_query(tab))
            .collect();
        (app, commands)
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Command> {
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
            Msg::Pool(snapshot) => {
                match &mut self.frozen {
                    Some(frozen) => frozen.buffer.pool = Some(snapshot),
                    None => self.pool = Some(snapshot),
                }
                Vec::new()
            }
            Msg::Detail { key, result } => {
                match &mut self.frozen {
                    Some(frozen) => {
                        frozen.buffer.details.insert(key, result);
                    }
                    None => self.apply_detail(key, result),
                }
                Vec::new()
            }
            Msg::FitsHeader { path, result } => {
                self.headers.insert(path, result);
                Vec::new()
            }
        }
    }

    fn next_gen(&mut self) -> Generation {
        self.next_generation += 1;
        self.next_generation
    }

    /// Start `tab`'s query over (new filter or sort): new generation, rows cleared.
    fn restart_query(&mut self, tab: Tab) -> Option<Command> {
        let generation = self.next_gen();
        let limit = self.cfg.page_size;
        on_list!(self, tab, l => {
            l.restart(generation);
            Command::Query { tab, generation, query: l.query(limit) }
        })
    }

    /// Ask again for the same query (the `r` key); the answer replaces the first page.
    fn resend_query(&mut self, tab: Tab) -> Option<Command> {
        let limit = self.cfg.page_size;
        on_list!(self, tab, l => Command::Query { tab, generation: l.generation, query: l.query(limit) })
    }

    // ----- keys ---------------------------------------------------------------------------

    fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if self.filter_input.is_some() {
            return self.on_filter_key(key);
        }
        let action = self.cfg.keymap.lookup(self.context(), key);
        if self.show_help {
            // Any key closes the help; quitting still quits.
            self.show_help = false;
            return match action {
                Some(Action::Quit) => self.do_action(Action::Quit),
                _ => Vec::new(),
            };
        }
        match action {
            Some(action) => self.do_action(action),
            None => Vec::new(),
        }
    }

    fn on_filter_key(&mut self, key: KeyEvent) -> Vec<Command> {
        match self.cfg.keymap.lookup(self.context(), key) {
            Some(Action::FilterApply) => {
                let text = self.filter_input.take().unwrap_or_default();
                match self.input_target {
                    InputTarget::Filter => self.apply_filter_text(self.tab, text),
                    InputTarget::HeaderSearch => {
                        if let Some(PaneState::Image(view)) = self.open_pane_mut() {
                            view.set_search(text.trim());
                        }
                        Vec::new()
                    }
                }
            }
            Some(Action::FilterCancel) => {
                self.filter_input = None;
                Vec::new()
            }
            _ => {
                if let Some(input) = &mut self.filter_input {
                    match key.code {
                        KeyCode::Backspace => {
                            input.pop();
                        }
                        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                            input.clear();
                        }
                        KeyCode::Char(c)
                            if !key
                                .modifiers
                                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                        {
                            input.push(c);
                        }
                        _ => {}
                    }
                }
                Vec::new()
            }
        }
    }

    fn do_action(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::Quit => {
                self.quit = true;
                vec![Command::Quit]
            }
            Action::Help => {
                self.show_help = true;
                Vec::new()
            }
            Action::TabImages => self.switch_tab(Tab::Images),
            Action::TabSources => self.switch_tab(Tab::Sources),
            Action::TabJobs => self.switch_tab(Tab::Jobs),
            Action::TabMs => self.switch_tab(Tab::Ms),
            Action::TabPool => self.switch_tab(Tab::Pool),
            Action::NextTab => self.switch_tab(Tab::ALL[(self.tab.index() + 1) % Tab::ALL.len()]),
            Action::PrevTab => {
                self.switch_tab(Tab::ALL[(self.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()])
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.on_move(action),
            Action::Open if self.open_detail().is_some() => self.open_from_pane(),
            Action::Open => self.open_selected(),
            Action::Back => self.close_detail(),
            Action::Filter => {
                if self.tab != Tab::Pool {
                    self.filter_input = Some(self.filter_text(self.tab).to_string());
                    self.input_target = InputTarget::Filter;
                }
                Vec::new()
            }
            Action::Search => {
                if let Some(PaneState::Image(view)) = self.open_pane_mut() {
                    let current = view.search().to_string();
                    self.filter_input = Some(current);
                    self.input_target = InputTarget::HeaderSearch;
                }
                Vec::new()
            }
            Action::NextSection
            | Action::PrevSection
            | Action::ToggleRaw
            | Action::ToggleComments
            | Action::NextMatch
            | Action::PrevMatch => {
                self.on_pane_action(action);
                Vec::new()
            }
            Action::CycleSort => {
                let tab = self.tab;
                let sort = cycle_sort(tab, self.sort_of(tab));
                on_list!(self, tab, l => l.sort = sort);
                self.restart_query(tab).into_iter().collect()
            }
            Action::ReverseSort => {
                let tab = self.tab;
                let sort = reverse_sort(tab, self.sort_of(tab));
                on_list!(self, tab, l => l.sort = sort);
                self.restart_query(tab).into_iter().collect()
            }
            Action::FailedOnly => {
                if self.tab != Tab::Jobs {
                    return Vec::new();
                }
                let term = failed_term();
                let filter = if self.jobs.filter.terms.contains(&term) {
                    self.jobs.filter.without_term(&term)
                } else {
                    self.jobs.filter.with_term(term)
                };
                self.set_filter(Tab::Jobs, filter)
            }
            Action::Freeze => self.toggle_freeze(),
            Action::SlowerRefresh => self.step_refresh(1),
            Action::FasterRefresh => self.step_refresh(-1),
            Action::ToggleLog => {
                self.show_log = !self.show_log;
                self.scroll_current();
                Vec::new()
            }
            Action::Refresh => self.refresh_now(),
            Action::JumpMs => self.jump_to_ms(),
            Action::JumpImage => self.jump_to_image(),
            Action::JumpJob => self.jump_to_job(),
            Action::FilterApply | Action::FilterCancel => Vec::new(),
        }
    }

    fn switch_tab(&mut self, tab: Tab) -> Vec<Command> {
        if tab == self.tab {
            return Vec::new();
        }
        self.tab = tab;
        let mut commands = Vec::new();
        // A manual tab switch leaves any detail pane behind: stop refreshing it.
        if !self.details.is_empty() {
            self.details.clear();
            commands.push(Command::CloseDetail);
        }
        commands.extend(self.after_selection_change());
        commands
    }

    /// The open pane's view state, for keys that drive it.
    fn open_pane_mut(&mut self) -> Option<&mut PaneState> {
        let tab = self.tab;
        self.details
            .last_mut()
            .filter(|d| d.tab == tab)
            .map(|d| &mut d.pane)
    }

    /// Movement keys go to the open pane, the Pool tab or the list, whichever is in front.
    fn on_move(&mut self, action: Action) -> Vec<Command> {
        if self.open_detail().is_some() {
            self.move_in_pane(action);
            return Vec::new();
        }
        if self.tab == Tab::Pool {
            if let Some(snapshot) = &self.pool {
                match action {
                    Action::Up | Action::PageUp | Action::Top => self.pool_state.select_prev(),
                    _ => self.pool_state.select_next(snapshot),
                }
            }
            return Vec::new();
        }
        let screen = self.list_viewport_rows() as isize;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -screen,
            Action::PageDown => screen,
            Action::Top => isize::MIN / 2,
            _ => isize::MAX / 2,
        };
        self.move_selection(delta)
    }

    fn move_in_pane(&mut self, action: Action) {
        let tab = self.tab;
        let Some(view) = self.details.last_mut().filter(|d| d.tab == tab) else {
            return;
        };
        let DetailView { data, pane, .. } = view;
        let data = data.as_ref().and_then(|r| r.as_ref().ok());
        match (pane, data) {
            (PaneState::Job(st), _) => match action {
                Action::Up => st.scroll_up(),
                Action::Down => st.scroll_down(),
                Action::PageUp => st.page_up(),
                Action::PageDown => st.page_down(),
                Action::Top => st.scroll_top(),
                _ => st.scroll_bottom(),
            },
            (PaneState::Image(st), _) => match action {
                Action::Up => st.scroll_up(),
                Action::Down => st.scroll_down(),
                Action::PageUp => st.page_up(),
                Action::PageDown => st.page_down(),
                Action::Top => st.scroll_top(),
                _ => st.scroll_bottom(),
            },
            (PaneState::Ms(st), Some(DetailData::Ms(d))) => match action {
                Action::Up | Action::PageUp | Action::Top => st.select_prev(d),
                _ => st.select_next(d),
            },
            (PaneState::Source(st), Some(DetailData::Source(d))) => match action {
                Action::Up | Action::PageUp => st.select_prev(d),
                Action::Down | Action::PageDown => st.select_next(d),
                Action::Top => st.select_first(),
                _ => st.select_last(d),
            },
            _ => {}
        }
    }

    /// Section, header-view and search-match keys of the open pane.
    fn on_pane_action(&mut self, action: Action) {
        let tab = self.tab;
        let Some(view) = self.details.last_mut().filter(|d| d.tab == tab) else {
            return;
        };
        match (&mut view.pane, &view.key) {
            (PaneState::Ms(st), _) => match action {
                Action::NextSection => st.next_section(),
                Action::PrevSection => st.prev_section(),
                _ => {}
            },
            (PaneState::Image(st), DetailKey::Image { path, .. }) => {
                let Some(doc) = self.headers.header(path) else {
                    return;
                };
                match action {
                    Action::NextSection => st.next_hdu(doc),
                    Action::PrevSection => st.prev_hdu(doc),
                    Action::ToggleRaw => st.toggle_raw(),
                    Action::ToggleComments => st.toggle_commentary(),
                    Action::NextMatch => st.next_match(doc),
                    Action::PrevMatch => st.prev_match(doc),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Enter in a pane: the MS pane's selected image or job, a source's selected measurement's
    /// image.
    fn open_from_pane(&mut self) -> Vec<Command> {
        let Some(view) = self.open_detail() else {
            return Vec::new();
        };
        match (&view.pane, self.current_detail_data()) {
            (PaneState::Ms(st), Some(DetailData::Ms(ms))) => {
                let ms_path = ms.row.as_ref().map(|r| r.path.clone());
                match st.selected_target(ms) {
                    Some(key @ DetailKey::Image { .. }) => {
                        self.jump_filtered(Tab::Images, ms_path, key)
                    }
                    Some(key @ DetailKey::Job(_)) => self.jump_filtered(Tab::Jobs, ms_path, key),
                    _ => Vec::new(),
                }
            }
            (PaneState::Source(st), Some(DetailData::Source(source))) => {
                match st.selected_image(source).map(str::to_string) {
                    Some(path) => self.jump_to_image_path(path),
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// Open `key` on `tab`, with the tab's list filtered to the MS it belongs to.
    fn jump_filtered(&mut self, tab: Tab, ms_path: Option<String>, key: DetailKey) -> Vec<Command> {
        let mut commands = match ms_path {
            Some(p) if !p.is_empty() => self.set_filter(tab, field_filter("ms", &p)),
            _ => Vec::new(),
        };
        commands.extend(self.push_detail(tab, key));
        commands
    }

    fn move_selection(&mut self, delta: isize) -> Vec<Command> {
        let tab = self.tab;
        let changed = on_list!(self, tab, l => l.move_by(delta)).unwrap_or(false);
        self.scroll_current();
        let mut commands = self.load_more_if_needed(tab);
        if changed {
            commands.extend(self.after_selection_change());
        }
        commands
    }

    fn scroll_current(&mut self) {
        let height = self.list_viewport_rows();
        let tab = self.tab;
        on_list!(self, tab, l => l.scroll_to_selection(height));
    }

    fn load_more_if_needed(&mut self, tab: Tab) -> Vec<Command> {
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
    fn after_selection_change(&mut self) -> Vec<Command> {
        if self.tab != Tab::Images {
            return Vec::new();
        }
        let Some(path) = self.images.selected_row().map(|r| r.path.clone()) else {
            return Vec::new();
        };
        self.request_header(&path)
    }

    fn request_header(&mut self, path: &str) -> Vec<Command> {
        if path.is_empty() || !self.headers.should_request(path) {
            return Vec::new();
        }
        self.headers.mark_pending(path);
        vec![Command::ReadFitsHeader {
            path: path.to_string(),
        }]
    }

    fn apply_filter_text(&mut self, tab: Tab, text: String) -> Vec<Command> {
        let filter = Filter::parse(&text);
        self.set_filter(tab, filter)
    }

    fn set_filter(&mut self, tab: Tab, filter: Filter) -> Vec<Command> {
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

    fn toggle_freeze(&mut self) -> Vec<Command> {
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
    fn release(&mut self, buffer: FrozenBuffer) -> Vec<Command> {
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

    fn step_refresh(&mut self, direction: i32) -> Vec<Command> {
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

    fn refresh_now(&mut self) -> Vec<Command> {
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

    // ----- details and jumps --------------------------------------------------------------

    fn open_selected(&mut self) -> Vec<Command> {
        let key = match self.tab {
            Tab::Images => self.images.selected_row().map(|r| DetailKey::Image {
                id: r.id,
                path: r.path.clone(),
            }),
            Tab::Sources => self
                .sources
                .selected_row()
                .map(|r| DetailKey::Source(r.id.clone())),
            Tab::Jobs => self.jobs.selected_row().map(|r| DetailKey::Job(r.key())),
            Tab::Ms => self
                .ms
                .selected_row()
                .map(|r| DetailKey::Ms(r.path.clone())),
            Tab::Pool => None,
        };
        match key {
            Some(key) => self.push_detail(self.tab, key),
            None => Vec::new(),
        }
    }

    fn push_detail(&mut self, tab: Tab, key: DetailKey) -> Vec<Command> {
        self.tab = tab;
        self.details.push(DetailView {
            tab,
            key: key.clone(),
            data: None,
            pane: PaneState::for_key(&key),
        });
        let mut commands = vec![Command::OpenDetail(key.clone())];
        if let DetailKey::Image { path, .. } = &key {
            commands.extend(self.request_header(path));
        }
        commands
    }

    fn close_detail(&mut self) -> Vec<Command> {
        if self.details.pop().is_none() {
            return Vec::new();
        }
        match self.details.last() {
            Some(previous) => {
                self.tab = previous.tab;
                vec![Command::OpenDetail(previous.key.clone())]
            }
            None => vec![Command::CloseDetail],
        }
    }

    fn apply_detail(&mut self, key: DetailKey, result: Result<DetailData, String>) {
        // Only the pane showing this key takes it; answers for closed panes are dropped.
        if let Some(view) = self.details.iter_mut().rev().find(|d| d.key == key) {
            view.data = Some(result);
        }
    }

    fn current_detail_data(&self) -> Option<&DetailData> {
        self.open_detail()?.data.as_ref()?.as_ref().ok()
    }

    /// Job or image → its Measurement Set: the MS tab filtered on that path, and its detail.
    fn jump_to_ms(&mut self) -> Vec<Command> {
        let Some(detail) = self.open_detail() else {
            return Vec::new();
        };
        let ms_path = match (&detail.key, self.current_detail_data()) {
            (_, Some(DetailData::Job(job))) => job.row.target.clone(),
            (_, Some(DetailData::Image(row))) => {
                row.as_ref().as_ref().and_then(|r| r.ms_path.clone())
            }
            (DetailKey::Job(key), _) => self
                .jobs
                .rows
                .iter()
                .find(|r| r.key == *key)
                .and_then(|r| r.target.clone()),
            (DetailKey::Image { id, .. }, _) => self
                .images
                .rows
                .iter()
                .find(|r| r.id == *id)
                .and_then(|r| r.ms_path.clone()),
            _ => None,
        };
        let Some(ms_path) = ms_path.filter(|p| !p.is_empty()) else {
            return Vec::new();
        };
        let mut commands = self.set_filter(Tab::Ms, field_filter("path", &ms_path));
        commands.extend(self.push_detail(Tab::Ms, DetailKey::Ms(ms_path)));
        commands
    }

    /// MS → its newest image (opened); source → the image of its newest measurement (the
    /// Images tab filtered on that path; its detail opens when the row arrives).
    fn jump_to_image(&mut self) -> Vec<Command> {
        let pane = self.open_detail().map(|d| d.pane.clone());
        match (pane, self.current_detail_data()) {
            (Some(PaneState::Ms(st)), Some(DetailData::Ms(ms))) => {
                // The image selected in the pane's Images list, else the newest.
                let selected = match st.selected_target(ms) {
                    Some(key @ DetailKey::Image { .. }) => Some(key),
                    _ => ms.images.first().map(|image| DetailKey::Image {
                        id: image.id,
                        path: image.path.clone(),
                    }),
                };
                let ms_path = ms.row.as_ref().map(|r| r.path.clone());
                match selected {
                    Some(key) => self.jump_filtered(Tab::Images, ms_path, key),
                    None => Vec::new(),
                }
            }
            (Some(PaneState::Source(st)), Some(DetailData::Source(source))) => {
                let path = st.selected_image(source).map(str::to_string).or_else(|| {
                    source
                        .points
                        .iter()
                        .rev()
                        .find_map(|p| p.image_path.clone())
                });
                match path.filter(|p| !p.is_empty()) {
                    Some(path) => self.jump_to_image_path(path),
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// The Images tab filtered on one file; its pane opens as soon as its row is listed.
    fn jump_to_image_path(&mut self, path: String) -> Vec<Command> {
        let mut commands = self.set_filter(Tab::Images, field_filter("path", &path));
        commands.extend(self.request_header(&path));
        self.pending_image_open = Some(path);
        self.details.retain(|d| d.tab != Tab::Images);
        self.tab = Tab::Images;
        commands.extend(self.open_pending_image());
        commands
    }

    /// MS → its newest job, on the Jobs tab filtered on the MS.
    fn jump_to_job(&mut self) -> Vec<Command> {
        let pane = self.open_detail().map(|d| d.pane.clone());
        let Some(DetailData::Ms(ms)) = self.current_detail_data() else {
            return Vec::new();
        };
        // The job selected in the pane's Jobs list, else the newest.
        let selected = match pane.and_then(|p| match p {
            PaneState::Ms(st) => st.selected_target(ms),
            _ => None,
        }) {
            Some(key @ DetailKey::Job(_)) => Some(key),
            _ => ms.jobs.first().map(|j| DetailKey::Job(j.key.clone())),
        };
        let ms_path = ms.row.as_ref().map(|r| r.path.clone());
        match selected {
            Some(key) => self.jump_filtered(Tab::Jobs, ms_path, key),
            None => Vec::new(),
        }
    }

    fn open_pending_image(&mut self) -> Vec<Command> {
        let Some(path) = self.pending_image_open.clone() else {
            return Vec::new();
        };
        let Some(index) = self.images.rows.iter().position(|r| r.path == path) else {
            return Vec::new();
        };
        self.pending_image_open = None;
        self.images.select(index);
        let id = self.images.rows[index].id;
        self.push_detail(Tab::Images, DetailKey::Image { id, path })
    }

    // ----- data -----------------------------------------------------------------------------

    fn on_list(&mut self, generation: Generation, append: bool, data: ListData) -> Vec<Command> {
        let tab = data.tab();
        let current = on_list!(self, tab, l => l.generation).unwrap_or(0);
        if generation != current {
            return Vec::new();
        }
        if !append && let Some(frozen) = &mut self.frozen {
            frozen.buffer.lists.insert(tab, (generation, data));
            return Vec::new();
        }
        self.apply_list(generation, append, data)
    }

    fn apply_list(&mut self, generation: Generation, append: bool, data: ListData) -> Vec<Command> {
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
        if tab == self.tab {
            if selection_changed {
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
