//! The real app and the real data layer, driven one step at a time with no timers: each
//! command the app emits is carried out at once and its answer fed back, until the app asks
//! for nothing more. `snapshot` renders its frames; tests press keys and read the screen.

use std::path::PathBuf;
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::{App, AppConfig, Command, ListData, Msg};
use crate::db::logs::LogSource;
use crate::db::{Db, DbError, DbOptions};
use crate::fits::worker::FitsWorker;
use crate::pool::PoolRegistry;
use crate::pool::sqlite_file::sqlite_file_view;
use crate::query::ListQuery;
use crate::queue::Queue;
use crate::services::triage::{self, QueueSource, TriageCache};
use crate::services::{detail, lists};
use crate::snapshot::{PoolSnapshot, SourceHealth, Tab};
use crate::triage::Thresholds;

/// How many rounds of command → answer → command a step may take before giving up
/// (a detail that opens a header that selects… is three).
const MAX_ROUNDS: usize = 16;

pub struct Harness {
    pub app: App,
    db: Option<Arc<Db>>,
    /// The task queue, when the harness was given one ([`Harness::with_queue`]).
    queue: Option<Queue>,
    thresholds: Thresholds,
    triage_cache: TriageCache,
    db_path: PathBuf,
    logs: Option<LogSource>,
    fits: FitsWorker,
    cache: lists::ListCache,
    registry: PoolRegistry,
    now: f64,
    /// Hide what changes from run to run (latencies, pids), for snapshot tests.
    deterministic: bool,
    /// Read only this tab's list (`snapshot --tab T` shows one tab: reading every
    /// photometry row for a frame of Images would take seconds at a year).
    only_tab: Option<Tab>,
}

impl Harness {
    /// Open `db_path` read-only (a failure is shown in the app, as the TUI would) and run the
    /// app's first queries.
    pub async fn open(
        app_config: AppConfig,
        db_path: PathBuf,
        db_options: &DbOptions,
        logs: Option<LogSource>,
        now: f64,
        deterministic: bool,
    ) -> Harness {
        Self::open_showing(
            app_config,
            db_path,
            db_options,
            logs,
            now,
            deterministic,
            None,
        )
        .await
    }

    /// [`Harness::open`] reading only `only_tab`'s list when given: the other tabs stay
    /// unread (their counts blank), as nobody looks at them.
    pub async fn open_showing(
        app_config: AppConfig,
        db_path: PathBuf,
        db_options: &DbOptions,
        logs: Option<LogSource>,
        now: f64,
        deterministic: bool,
        only_tab: Option<Tab>,
    ) -> Harness {
        let (app, commands) = App::new(app_config, now);
        let registry = PoolRegistry::default();
        let mut harness = Harness {
            app,
            db: None,
            queue: None,
            thresholds: Thresholds::default(),
            triage_cache: TriageCache::default(),
            db_path: db_path.clone(),
            logs,
            fits: FitsWorker::spawn(16),
            cache: lists::ListCache::default(),
            registry: registry.clone(),
            now,
            deterministic,
            only_tab,
        };
        match Db::open(&db_path, db_options).await {
            Ok(db) => {
                registry.register(Arc::new(db.pool().clone()));
                harness.db = Some(Arc::new(db));
                let health = harness.ok_health();
                harness.feed(vec![Msg::Health { tab: None, health }]);
            }
            Err(e) => {
                harness.feed(vec![Msg::Health {
                    tab: None,
                    health: SourceHealth {
                        last_attempt: Some(now),
                        error: Some(e.to_string()),
                        ..Default::default()
                    },
                }]);
            }
        }
        harness.execute(commands).await;
        harness.refresh_pool();
        harness
    }

    /// Merge this queue's tasks into the Jobs list and the triage view, with these
    /// thresholds; the lists are read again.
    pub async fn with_queue(mut self, queue: Option<Queue>, thresholds: Thresholds) -> Harness {
        self.queue = queue;
        self.thresholds = thresholds;
        if self.queue.is_some() {
            let health = self.ok_health();
            self.feed(vec![Msg::QueueHealth(health)]);
        }
        let commands: Vec<Command> = [Tab::Images, Tab::Sources, Tab::Jobs, Tab::Ms]
            .into_iter()
            .filter_map(|tab| self.app.restart_query_for(tab))
            .collect();
        self.execute(commands).await;
        self
    }

    fn ok_health(&self) -> SourceHealth {
        SourceHealth {
            last_ok: Some(self.now),
            last_attempt: Some(self.now),
            latency: None,
            error: None,
            missing: None,
            loading: None,
        }
    }

    fn feed(&mut self, messages: Vec<Msg>) -> Vec<Command> {
        messages
            .into_iter()
            .flat_map(|m| self.app.update(m))
            .collect()
    }

    /// Press a key and carry out everything it leads to.
    pub async fn press(&mut self, key: KeyEvent) {
        let commands = self.app.update(Msg::Key(key));
        self.execute(commands).await;
        self.refresh_pool();
    }

    /// Type each character of `keys` as a key press (`\n` is Enter, `\x1b` is Esc).
    pub async fn type_keys(&mut self, keys: &str) {
        for c in keys.chars() {
            let code = match c {
                '\n' => KeyCode::Enter,
                '\x1b' => KeyCode::Esc,
                '\t' => KeyCode::Tab,
                c => KeyCode::Char(c),
            };
            self.press(KeyEvent::new(code, KeyModifiers::NONE)).await;
        }
    }

    /// Carry out commands and feed their answers back until the app is quiet.
    pub async fn execute(&mut self, mut commands: Vec<Command>) {
        for _ in 0..MAX_ROUNDS {
            if commands.is_empty() {
                return;
            }
            let mut answers = Vec::new();
            for command in commands {
                answers.extend(self.answer(command).await);
            }
            commands = self.feed(answers);
        }
    }

    /// One list page, as the poller would show it once a first load has finished: a frame
    /// rendered once must not show the partial counts of a large table's first load.
    async fn fetch_whole(
        &mut self,
        db: &Db,
        tab: Tab,
        query: &ListQuery,
    ) -> Result<ListData, DbError> {
        if tab == Tab::Sources {
            db.load_sources(&mut self.cache.sources).await?;
        }
        lists::fetch(db, self.queue.as_ref(), tab, query, &mut self.cache).await
    }

    async fn answer(&mut self, command: Command) -> Vec<Msg> {
        match command {
            Command::Query {
                tab,
                generation,
                query,
            }
            | Command::LoadMore {
                tab,
                generation,
                query,
            } if tab != Tab::Pool && self.only_tab.is_none_or(|only| only == tab) => {
                let append = query.after.is_some();
                let Some(db) = self.db.clone() else {
                    return vec![];
                };
                match self.fetch_whole(&db, tab, &query).await {
                    Ok(data) => vec![
                        Msg::List {
                            generation,
                            append,
                            data,
                        },
                        Msg::Health {
                            tab: Some(tab),
                            health: SourceHealth {
                                missing: lists::missing_note(&db.schema(), tab),
                                ..self.ok_health()
                            },
                        },
                    ],
                    Err(e) => {
                        let mut health = SourceHealth {
                            last_attempt: Some(self.now),
                            ..Default::default()
                        };
                        if e.is_missing() {
                            health.missing = Some(e.to_string());
                        } else {
                            health.error = Some(e.to_string());
                        }
                        vec![Msg::Health {
                            tab: Some(tab),
                            health,
                        }]
                    }
                }
            }
            Command::OpenDetail(key) => {
                let mut out = Vec::new();
                if let crate::app::DetailKey::Image { path, .. } = &key {
                    out.push(self.header(path.clone()).await);
                }
                let result = detail::fetch(
                    self.db.as_deref(),
                    self.queue.as_ref(),
                    &key,
                    self.logs.as_ref(),
                )
                .await
                .map_err(|e| e.to_string());
                out.push(Msg::Detail { key, result });
                out
            }
            Command::Triage(Some(window_s)) => {
                let source = match &self.queue {
                    Some(q) => QueueSource::Up(q),
                    None => QueueSource::NotConfigured,
                };
                let report = triage::gather(
                    self.db.as_deref(),
                    source,
                    self.now,
                    window_s,
                    self.thresholds,
                    &mut self.triage_cache,
                )
                .await;
                vec![Msg::Triage {
                    window_s,
                    result: Ok(Box::new(report)),
                }]
            }
            Command::ReadFitsHeader { path } => vec![self.header(path).await],
            _ => vec![],
        }
    }

    async fn header(&self, path: String) -> Msg {
        let result = self.fits.header(PathBuf::from(&path)).await;
        Msg::FitsHeader { path, result }
    }

    fn refresh_pool(&mut self) {
        let mut pools = self.registry.sample_all(self.now);
        let mut sqlite = sqlite_file_view(&self.db_path, None, std::time::Duration::from_secs(1));
        if self.deterministic {
            for p in &mut pools {
                p.wait_p50_ms = None;
                p.wait_p95_ms = None;
                p.wait_max_ms = None;
            }
            // The test process itself holds the file; its name changes with every build.
            sqlite.holders.retain(|h| h.pid != std::process::id());
            for h in &mut sqlite.holders {
                h.pid = 0;
            }
            sqlite.holders.sort_by(|a, b| a.command.cmp(&b.command));
            sqlite.holders.dedup();
            sqlite.hidden_processes = 0;
        }
        let snapshot = PoolSnapshot {
            history: pools.iter().map(|_| Arc::new(Vec::new())).collect(),
            saturated_since: pools.iter().map(|_| None).collect(),
            alerts: Vec::new(),
            pools,
            sqlite: Some(sqlite),
        };
        let commands = self.feed(vec![Msg::Pool(Box::new(snapshot))]);
        debug_assert!(commands.iter().all(|c| !matches!(c, Command::Query { .. })));
    }

    /// Tell the app the screen's size (it pages and reads ahead by it), as the TUI does.
    pub async fn resize(&mut self, cols: u16, rows: u16) {
        let commands = self.app.update(Msg::Resize(cols, rows));
        self.execute(commands).await;
    }

    /// Draw one frame at `cols` x `rows` and return it as text, one line per row.
    pub fn render(&self, cols: u16, rows: u16) -> String {
        buffer_text(&self.render_buffer(cols, rows))
    }

    pub fn render_buffer(&self, cols: u16, rows: u16) -> Buffer {
        let mut terminal = Terminal::new(TestBackend::new(cols, rows)).expect("test backend");
        terminal
            .draw(|frame| crate::ui::draw(frame, &self.app))
            .expect("drawing into a test backend");
        terminal.backend().buffer().clone()
    }
}

/// A buffer as plain text: one line per row, trailing spaces trimmed.
pub fn buffer_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        for x in area.left()..area.right() {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
