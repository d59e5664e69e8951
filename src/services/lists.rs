//! One poller per list tab. Each runs its current query on its own interval — every refresh
//! while its tab is on screen, every few while hidden ([`crate::services::shown`]) —
//! immediately when the query or the connection changes or its tab comes on screen, and never
//! overlaps itself (one loop, one query at a time). A timed poll of a database at rest is
//! skipped ([`crate::services::quiet`]), and a page equal to the last one sent is not sent
//! again (only the health moves on), so an unchanged list costs the app nothing. A failure
//! keeps the app's last good page and marks the tab stale.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::app::{Generation, ListData, Msg};
use crate::db::stamp::FileStamp;
use crate::db::{Db, DbError, Schema, SourceAggregate};
use crate::query::ListQuery;
use crate::queue::Queue;
use crate::services::clock::now_unix;
use crate::services::connection::DbSlot;
use crate::services::queue::{QueueSlot, merge_jobs, tasks_page};
use crate::services::quiet::Quiet;
use crate::services::shown::Shown;
use crate::snapshot::{JobRow, Page, SourceHealth, SourceRow, Tab};

/// A query slower than this many refresh intervals is abandoned and reported.
const TIMEOUT_INTERVALS: u32 = 3;
const TIMEOUT_MIN: Duration = Duration::from_secs(5);
/// Between chunks of a first load: enough for the other pollers and the UI to get a turn.
const FIRST_LOAD_PAUSE: Duration = Duration::from_millis(20);

/// The app's handle on one poller.
pub struct ListHandle {
    query: watch::Sender<(Generation, ListQuery)>,
    more: mpsc::UnboundedSender<(Generation, ListQuery)>,
}

impl ListHandle {
    pub fn set_query(&self, generation: Generation, query: ListQuery) {
        let _ = self.query.send((generation, query));
    }
    pub fn load_more(&self, generation: Generation, query: ListQuery) {
        let _ = self.more.send((generation, query));
    }
}

/// State a poller keeps between fetches (only the Sources tab needs any).
#[derive(Default)]
pub struct ListCache {
    pub sources: SourceAggregate,
    /// The last Sources page, with the aggregate's revision and the query it answered:
    /// sorting every source again is only needed when one of them changed.
    sources_page: Option<(u64, ListQuery, Page<SourceRow>)>,
}

impl ListCache {
    fn sources_page(&mut self, query: &ListQuery) -> Result<Page<SourceRow>, DbError> {
        let revision = self.sources.revision();
        if let Some((r, q, page)) = &self.sources_page
            && *r == revision
            && q == query
        {
            return Ok(page.clone());
        }
        let page = self.sources.page(query)?;
        self.sources_page = Some((revision, query.clone(), page.clone()));
        Ok(page)
    }
}

/// Fetch one page of `tab`. Shared by the pollers and the headless commands. The Jobs tab
/// merges the queue's tasks in when `queue` answers (its own health is the connector's).
pub async fn fetch(
    db: &Db,
    queue: Option<&Queue>,
    tab: Tab,
    query: &ListQuery,
    cache: &mut ListCache,
) -> Result<ListData, DbError> {
    Ok(match tab {
        Tab::Images => ListData::Images(db.images(query).await?),
        Tab::Jobs => ListData::Jobs(jobs_page(db, queue, query).await?),
        Tab::Ms => ListData::Ms(db.ms_list(query).await?),
        Tab::Sources => {
            db.refresh_sources(&mut cache.sources).await?;
            ListData::Sources(cache.sources_page(query)?)
        }
        Tab::Pool => unreachable!("the Pool tab is fed by services::pools"),
    })
}

/// One page of the Jobs list: the database's jobs and, when the queue answers, its tasks.
async fn jobs_page(
    db: &Db,
    queue: Option<&Queue>,
    query: &ListQuery,
) -> Result<Page<JobRow>, DbError> {
    let Some(queue) = queue else {
        return db.jobs(query).await;
    };
    let (db_page, tasks) = tokio::join!(db.jobs(query), tasks_page(queue, query));
    let descending = query.sort.as_ref().is_none_or(|s| s.descending);
    match (db_page, tasks) {
        (Ok(jobs), Ok(tasks)) => Ok(merge_jobs(jobs, tasks, query.limit, descending)),
        // No job tables in this database: the queue alone is the list.
        (Err(e), Ok(tasks)) if e.is_missing() => Ok(tasks),
        (Ok(jobs), Err(e)) => {
            tracing::warn!("Jobs: queue tasks left out: {e}");
            Ok(jobs)
        }
        (Err(e), _) => Err(e),
    }
}

/// What a tab is missing although it lists fine (a fallback source, an absent job table, an
/// older layout): shown next to its health so the operator knows why columns are empty.
pub fn missing_note(schema: &Schema, tab: Tab) -> Option<String> {
    let absent = |tables: &[&str]| -> Vec<String> {
        tables
            .iter()
            .filter(|t| !schema.has_table(t))
            .map(|t| t.to_string())
            .collect()
    };
    match tab {
        Tab::Sources if !schema.has_table("photometry") => {
            Some("photometry (listing the sources table; no light curves)".into())
        }
        Tab::Jobs => {
            let missing = absent(&["jobs", "ms_state", "batch_job_items"]);
            (!missing.is_empty()).then(|| missing.join(", "))
        }
        Tab::Images
            if schema.has_table("images") && !schema.has_column("images", "beam_minor_arcsec") =>
        {
            Some("older images layout: beam, centre and size come from the FITS headers".into())
        }
        _ => None,
    }
}

pub fn spawn(
    tab: Tab,
    mut db: DbSlot,
    mut queue: QueueSlot,
    mut refresh: watch::Receiver<Duration>,
    mut shown: Shown,
    out: mpsc::UnboundedSender<Msg>,
) -> ListHandle {
    let (query_tx, mut query_rx) = watch::channel((0, ListQuery::default()));
    let (more_tx, mut more_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut cache = ListCache::default();
        // A weak reference pins the allocation, so a new connection can never alias the old one.
        let mut cache_db: Option<std::sync::Weak<Db>> = None;
        let mut health = SourceHealth::default();
        let mut last_sent: Option<(Generation, ListData)> = None;
        let mut quiet = Quiet::default();
        // Whether the poller woke for its interval (not for a new query, connection or tab).
        let mut timed = false;
        let mut slowest = Duration::ZERO;
        // Nothing runs until the app sends its first query.
        if query_rx.changed().await.is_err() {
            return;
        }
        loop {
            let (generation, query) = query_rx.borrow_and_update().clone();
            let connection = db.current();
            match &connection {
                Some(conn) => {
                    // A new connection may be a different file: start the aggregate afresh.
                    if !cache_db
                        .as_ref()
                        .is_some_and(|w| std::sync::Weak::ptr_eq(w, &Arc::downgrade(conn)))
                    {
                        cache = ListCache::default();
                        cache_db = Some(Arc::downgrade(conn));
                        quiet.forget();
                    }
                    let stamp = FileStamp::of(conn.path());
                    let queue_now = queue.current();
                    // The queue's tasks and a first load still in progress change without
                    // the file changing.
                    let at_rest = queue_now.is_none() || tab != Tab::Jobs;
                    let loading = tab == Tab::Sources && !cache.sources.progress().is_complete();
                    if timed && at_rest && !loading && quiet.skip(&stamp, generation, &query) {
                        // Nothing was committed since the last fetch: its rows are current.
                        health.last_attempt = Some(now_unix());
                        health.last_ok = health.last_attempt;
                        let _ = out.send(Msg::Health {
                            tab: Some(tab),
                            health: health.clone(),
                        });
                    } else {
                        let timeout = (*refresh.borrow() * TIMEOUT_INTERVALS).max(TIMEOUT_MIN);
                        let ok = run_once(
                            conn,
                            queue_now.as_ref(),
                            tab,
                            generation,
                            &query,
                            false,
                            timeout,
                            &mut cache,
                            &mut health,
                            &mut last_sent,
                            &db,
                            &out,
                        )
                        .await;
                        if ok {
                            quiet.fetched(stamp, generation, &query);
                        } else {
                            quiet.forget();
                        }
                        if let Some(latency) = health.latency.filter(|l| *l > slowest) {
                            slowest = latency;
                            tracing::info!(
                                "{} refresh took {} ms (slowest so far)",
                                tab.title(),
                                latency.as_millis()
                            );
                        }
                    }
                }
                None => {
                    health.last_attempt = Some(now_unix());
                    health.error = Some("database not open".into());
                    let _ = out.send(Msg::Health {
                        tab: Some(tab),
                        health: health.clone(),
                    });
                }
            }
            if out.is_closed() {
                return;
            }
            // Wait for the next reason to fetch; load-more requests are served in between.
            let fetched_at = tokio::time::Instant::now();
            timed = false;
            // A first load still under way goes on almost at once (a chunk per fetch), even
            // while hidden, so a year of photometry is read in seconds rather than a chunk per
            // refresh interval.
            let loading = health.loading.is_some() && health.error.is_none();
            loop {
                let every = if loading {
                    FIRST_LOAD_PAUSE
                } else {
                    shown.every(tab, *refresh.borrow())
                };
                let deadline = fetched_at + every;
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => {
                        timed = true;
                        break;
                    }
                    // On screen now: fetch at once. Off screen: wait the longer interval.
                    _ = shown.changed() => {
                        if shown.is(tab) { break; }
                    }
                    changed = query_rx.changed() => {
                        if changed.is_err() { return; }
                        break;
                    }
                    _ = db.changed() => break,
                    // Tasks join or leave the Jobs list as the queue comes and goes.
                    _ = queue.changed(), if tab == Tab::Jobs => break,
                    _ = refresh.changed() => break,
                    more = more_rx.recv() => {
                        let Some((generation, query)) = more else { return };
                        if let Some(conn) = db.current() {
                            let timeout = (*refresh.borrow() * TIMEOUT_INTERVALS).max(TIMEOUT_MIN);
                            run_once(&conn, queue.current().as_ref(), tab, generation, &query, true, timeout, &mut cache, &mut health, &mut last_sent, &db, &out).await;
                        }
                    }
                }
            }
        }
    });
    ListHandle {
        query: query_tx,
        more: more_tx,
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_once(
    conn: &Db,
    queue: Option<&Queue>,
    tab: Tab,
    generation: Generation,
    query: &ListQuery,
    append: bool,
    timeout: Duration,
    cache: &mut ListCache,
    health: &mut SourceHealth,
    last_sent: &mut Option<(Generation, ListData)>,
    slot: &DbSlot,
    out: &mpsc::UnboundedSender<Msg>,
) -> bool {
    let started = Instant::now();
    health.last_attempt = Some(now_unix());
    let result = tokio::time::timeout(timeout, fetch(conn, queue, tab, query, cache)).await;
    health.latency = Some(started.elapsed());
    let ok = matches!(result, Ok(Ok(_)));
    match result {
        Ok(Ok(data)) => {
            health.last_ok = health.last_attempt;
            health.error = None;
            health.missing = missing_note(&conn.schema(), tab);
            let progress = cache.sources.progress();
            health.loading =
                (tab == Tab::Sources && !progress.is_complete()).then(|| progress.fraction());
            // The same first page again changes nothing on screen: say only that it is fresh.
            let unchanged = !append
                && last_sent
                    .as_ref()
                    .is_some_and(|(g, d)| *g == generation && *d == data);
            if !unchanged {
                if !append {
                    *last_sent = Some((generation, data.clone()));
                }
                let _ = out.send(Msg::List {
                    generation,
                    append,
                    data,
                });
            }
        }
        Ok(Err(e)) if e.is_missing() => {
            health.error = None;
            health.missing = Some(e.to_string());
        }
        Ok(Err(e)) => {
            tracing::warn!("{} refresh failed: {e}", tab.title());
            if e.suggests_reopen() {
                slot.request_reopen();
            }
            health.error = Some(e.to_string());
        }
        Err(_) => {
            let msg = format!(
                "query took over {} (database locked or slow?)",
                crate::text::fmt_duration(timeout.as_secs_f64())
            );
            tracing::warn!("{} refresh: {msg}", tab.title());
            health.error = Some(msg);
        }
    }
    let _ = out.send(Msg::Health {
        tab: Some(tab),
        health: health.clone(),
    });
    ok
}
