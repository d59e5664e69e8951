//! Async services: one task per data source, each on its own interval, never overlapping
//! itself, never on the render path. They execute the app's `Command`s and answer with `Msg`s.
//!
//! - `connection`: opens the database read-only and keeps it open (reopens when the file goes
//!   away and comes back), with backoff.
//! - `lists`: one poller per list tab; `fetch` is shared with the headless commands.
//! - `shown`: which tab is on screen; hidden tabs poll less often.
//! - `detail`: the open detail pane, kept fresh.
//! - `fits`: FITS header requests, newest first, bounded.
//! - `pools`: samples every pool once a second into a bounded history, plus the SQLite file
//!   view; the Pool tab gets snapshots while it is on screen (and alerts always).
//! - `queue`: the PostgreSQL task queue (when configured): connector, health, Jobs merge.
//! - `triage`: the triage report, kept fresh while the triage view is open.
//! - `clock`: the one-second tick.

pub mod clock;
pub mod connection;
pub mod detail;
pub mod fits;
pub mod lists;
pub mod pools;
pub mod queue;
pub mod quiet;
pub mod records;
pub mod shown;
pub mod triage;

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::app::{Command, Msg};
use crate::db::DbOptions;
use crate::fits::worker::FitsWorker;
use crate::pool::PoolRegistry;
use crate::snapshot::Tab;

pub use clock::now_unix;

/// What the services need to know.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub db_path: PathBuf,
    pub db_options: DbOptions,
    /// `alerts.sqlite3`; `None`: beside the pipeline database.
    pub alerts_db: Option<PathBuf>,
    pub logs: Option<crate::db::logs::LogSource>,
    pub refresh: Duration,
    /// The task queue's URL; `None` runs without the queue, exactly as before.
    pub queue_url: Option<String>,
    pub queue_options: crate::queue::QueueOptions,
    pub thresholds: crate::triage::Thresholds,
    pub pool_sources: Vec<crate::pool::sources::PoolSourceConfig>,
    pub alert_after: Duration,
}

/// The app's side of the services: send commands here.
pub struct Services {
    lists: Vec<(Tab, lists::ListHandle)>,
    detail: mpsc::UnboundedSender<Option<crate::app::DetailKey>>,
    fits: mpsc::UnboundedSender<String>,
    refresh: watch::Sender<Duration>,
    shown: watch::Sender<Tab>,
    triage: triage::TriageHandle,
    ack_alerts: mpsc::UnboundedSender<()>,
}

impl Services {
    /// Start every service. Results arrive on `out`.
    pub fn spawn(
        cfg: ServiceConfig,
        registry: PoolRegistry,
        fits_worker: FitsWorker,
        out: mpsc::UnboundedSender<Msg>,
    ) -> Services {
        let (refresh_tx, refresh_rx) = watch::channel(cfg.refresh);
        // The app starts on Images; it says so again (and on every switch) with `ShowTab`.
        let (shown_tx, shown) = shown::Shown::channel(Tab::Images);
        let db = connection::spawn(
            cfg.db_path.clone(),
            cfg.db_options.clone(),
            registry.clone(),
            refresh_rx.clone(),
            out.clone(),
        );
        let queue_configured = cfg.queue_url.is_some();
        let queue = match cfg.queue_url.clone() {
            Some(url) => queue::spawn(
                url,
                cfg.queue_options.clone(),
                registry.clone(),
                refresh_rx.clone(),
                out.clone(),
            ),
            None => queue::QueueSlot::fixed(None),
        };
        let lists = [Tab::Images, Tab::Sources, Tab::Jobs, Tab::Ms]
            .into_iter()
            .map(|tab| {
                (
                    tab,
                    lists::spawn(
                        tab,
                        db.clone(),
                        queue.clone(),
                        refresh_rx.clone(),
                        shown.clone(),
                        out.clone(),
                    ),
                )
            })
            .collect();
        let (fits_tx, fits_rx) = mpsc::unbounded_channel();
        fits::spawn(fits_worker, fits_rx, out.clone());
        let alerts_path = cfg
            .alerts_db
            .clone()
            .unwrap_or_else(|| crate::db::records::alerts::default_alerts_path(&cfg.db_path));
        let triage = triage::spawn(
            db.clone(),
            std::sync::Arc::new(crate::db::records::AlertsDb::new(
                alerts_path,
                cfg.db_options.clone(),
            )),
            queue.clone(),
            queue_configured,
            cfg.thresholds,
            refresh_rx.clone(),
            out.clone(),
        );
        let detail = detail::spawn(
            db.clone(),
            queue,
            cfg.logs.clone(),
            refresh_rx.clone(),
            out.clone(),
        );
        let ack_alerts = pools::spawn(
            registry,
            pools::PoolServiceConfig {
                db_path: cfg.db_path.clone(),
                sources: cfg.pool_sources.clone(),
                alert_after: cfg.alert_after,
            },
            shown,
            out.clone(),
        );
        clock::spawn(out);
        Services {
            lists,
            detail,
            fits: fits_tx,
            refresh: refresh_tx,
            shown: shown_tx,
            triage,
            ack_alerts,
        }
    }

    /// Carry out one command. `Quit` is the event loop's business and is ignored here.
    pub fn dispatch(&self, command: Command) {
        match command {
            Command::Query {
                tab,
                generation,
                query,
            } => {
                if let Some((_, h)) = self.lists.iter().find(|(t, _)| *t == tab) {
                    h.set_query(generation, query);
                }
            }
            Command::LoadMore {
                tab,
                generation,
                query,
            } => {
                if let Some((_, h)) = self.lists.iter().find(|(t, _)| *t == tab) {
                    h.load_more(generation, query);
                }
            }
            Command::OpenDetail(key) => {
                if let crate::app::DetailKey::Image { path, .. } = &key {
                    let _ = self.fits.send(path.clone());
                }
                let _ = self.detail.send(Some(key));
            }
            Command::CloseDetail => {
                let _ = self.detail.send(None);
            }
            Command::ReadFitsHeader { path } => {
                let _ = self.fits.send(path);
            }
            Command::SetRefreshInterval(d) => {
                let _ = self.refresh.send(d);
            }
            Command::ShowTab(tab) => shown::show(&self.shown, tab),
            Command::Triage(window) => {
                let _ = self.triage.send(window);
            }
            Command::AckAlerts => {
                let _ = self.ack_alerts.send(());
            }
            // The terminal's business: the event loop rings it.
            Command::Bell | Command::Quit => {}
        }
    }
}
