//! The triage report, kept fresh while the triage view is open (and built once for `once`).
//! Each source is read on its own: a source that fails is named in the report with its
//! reason, and the queue's last good part is kept (marked with its age) while the queue is
//! down, so the view never blanks.

use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::app::Msg;
use crate::db::Db;
use crate::query::{Filter, ListQuery};
use crate::queue::{Backlog, FailureRecord, IngestGroupRow, Queue, QueueError, StatusCounts};
use crate::services::clock::now_unix;
use crate::services::connection::DbSlot;
use crate::services::queue::QueueSlot;
use crate::snapshot::JobRow;
use crate::triage::{SourceState, SourceStatus, Thresholds, TriageInput, TriageReport, build};

/// At most this many collecting groups are read (stuck ones are picked from them).
const COLLECTING_MAX: usize = 500;
/// The newest this-many ingestion groups are listed.
const RECENT_GROUPS: usize = 50;

/// The queue's part of a report.
#[derive(Debug, Clone, Default)]
pub struct QueuePart {
    pub failures: Vec<FailureRecord>,
    pub finished: u64,
    pub counts: StatusCounts,
    pub backlog: Backlog,
    pub collecting: Vec<IngestGroupRow>,
    pub recent_groups: Vec<IngestGroupRow>,
}

/// The last good queue part and when it was read, kept across refreshes.
#[derive(Debug, Clone, Default)]
pub struct TriageCache {
    queue: Option<(f64, f64, QueuePart)>,
}

/// Whether a queue is configured, and the queue when it answers.
#[derive(Clone, Copy)]
pub enum QueueSource<'a> {
    NotConfigured,
    Down,
    Up(&'a Queue),
}

async fn sqlite_part(
    db: &Db,
    since: f64,
) -> Result<(Vec<FailureRecord>, u64, Vec<JobRow>), crate::db::DbError> {
    let failures = db.failures_since(since).await?;
    let finished = db.finished_since(since).await?;
    let running = db.running_jobs().await?;
    Ok((failures, finished, running))
}

async fn queue_part(queue: &Queue, now: f64, since: f64) -> Result<QueuePart, QueueError> {
    let failures = queue.failures_since(since).await?;
    // Succeeded or failed; a no-op completion did not run and is counted apart.
    let counts = queue.status_counts_since(since).await?;
    let finished = counts.finished();
    let backlog = queue.backlog(now).await?;
    let mut collecting = queue
        .ingestion_groups(&ListQuery {
            filter: Filter::parse("state:collecting"),
            limit: COLLECTING_MAX,
            ..ListQuery::default()
        })
        .await?
        .rows;
    // Which subbands a collecting group lacks (the stuck ones name them).
    queue.read_received_subbands(&mut collecting).await?;
    let recent_groups = queue
        .ingestion_groups(&ListQuery {
            limit: RECENT_GROUPS,
            ..ListQuery::default()
        })
        .await?
        .rows;
    Ok(QueuePart {
        failures,
        finished,
        counts,
        backlog,
        collecting,
        recent_groups,
    })
}

/// Read every source and build the report for `window_s` up to `now`.
pub async fn gather(
    db: Option<&Db>,
    queue: QueueSource<'_>,
    now: f64,
    window_s: f64,
    thresholds: Thresholds,
    cache: &mut TriageCache,
) -> TriageReport {
    let since = now - window_s;
    let mut input = TriageInput {
        now,
        window_s,
        ..TriageInput::default()
    };
    let sqlite = match db {
        None => SourceState::Error("database not open".into()),
        Some(db) => match sqlite_part(db, since).await {
            Ok((failures, finished, running)) => {
                input.failures.extend(failures);
                input.finished += finished;
                input.running.extend(running);
                SourceState::Ok
            }
            Err(e) if e.is_missing() => SourceState::Missing(e.to_string()),
            Err(e) => SourceState::Error(e.to_string()),
        },
    };
    input.sources.push(SourceStatus {
        name: "sqlite",
        state: sqlite,
    });
    let (state, part) = match queue {
        QueueSource::NotConfigured => (SourceState::Missing("no queue configured".into()), None),
        QueueSource::Down => (
            SourceState::Error("queue unreachable".into()),
            cached(cache, window_s),
        ),
        QueueSource::Up(queue) => match queue_part(queue, now, since).await {
            Ok(part) => {
                cache.queue = Some((now, window_s, part.clone()));
                (SourceState::Ok, Some(part))
            }
            Err(e) if e.is_missing() => (SourceState::Missing(e.to_string()), None),
            Err(e) => (SourceState::Error(e.to_string()), cached(cache, window_s)),
        },
    };
    // Old data is better than none while the queue is away, and it says how old it is.
    let state = match (state, cache.queue.as_ref(), &part) {
        (SourceState::Error(e), Some((at, _, _)), Some(_)) => SourceState::Error(format!(
            "{e}; its figures are {} old",
            crate::text::fmt_duration((now - at).max(0.0))
        )),
        (s, _, _) => s,
    };
    if let Some(part) = part {
        input.failures.extend(part.failures);
        input.finished += part.finished;
        input.queue_counts = Some(part.counts);
        input.backlog = Some(part.backlog);
        input.collecting = part.collecting;
        input.recent_groups = part.recent_groups;
    }
    input.sources.push(SourceStatus {
        name: "absurd",
        state,
    });
    // Newest first across sources, as each source gave them.
    input.failures.sort_by(|a, b| b.at.total_cmp(&a.at));
    build(input, thresholds)
}

fn cached(cache: &TriageCache, window_s: f64) -> Option<QueuePart> {
    cache
        .queue
        .as_ref()
        .filter(|(_, w, _)| *w == window_s)
        .map(|(_, _, p)| p.clone())
}

/// The app's handle: which window to keep fresh, or none.
pub type TriageHandle = watch::Sender<Option<f64>>;

#[allow(clippy::too_many_arguments)]
pub fn spawn(
    mut db: DbSlot,
    alerts: std::sync::Arc<crate::db::records::AlertsDb>,
    mut queue: QueueSlot,
    queue_configured: bool,
    thresholds: Thresholds,
    mut refresh: watch::Receiver<Duration>,
    out: mpsc::UnboundedSender<Msg>,
) -> TriageHandle {
    let (tx, mut rx) = watch::channel::<Option<f64>>(None);
    tokio::spawn(async move {
        let mut cache = TriageCache::default();
        loop {
            let window = *rx.borrow_and_update();
            if let Some(window_s) = window {
                let conn = db.current();
                let q = queue.current();
                let source = match (&q, queue_configured) {
                    (_, false) => QueueSource::NotConfigured,
                    (None, true) => QueueSource::Down,
                    (Some(q), true) => QueueSource::Up(q),
                };
                let now = now_unix();
                let mut report = gather(
                    conn.as_deref(),
                    source,
                    now,
                    window_s,
                    thresholds,
                    &mut cache,
                )
                .await;
                report.records = crate::services::records::triage_records(
                    conn.as_deref(),
                    &alerts,
                    now - window_s,
                )
                .await;
                if out
                    .send(Msg::Triage {
                        window_s,
                        result: Ok(Box::new(report)),
                    })
                    .is_err()
                {
                    return;
                }
            }
            let every = *refresh.borrow();
            tokio::select! {
                _ = tokio::time::sleep(every), if window.is_some() => {}
                changed = rx.changed() => if changed.is_err() { return },
                _ = db.changed() => {}
                _ = queue.changed() => {}
                _ = refresh.changed() => {}
            }
        }
    });
    tx
}
