//! The read-only data layer over the pipeline's SQLite database (`pipeline.sqlite3`).
//!
//! [`Db`] opens the file with `mode=ro` and hands out pages of the four lists (keyset, newest
//! first, filters pushed into SQL as bound parameters) and the detail of one row. Every query
//! goes through the monitor's [`InstrumentedPool`], so the Pool tab sees the monitor's own
//! waits. Queries are built from the live [`Schema`]: drifted or missing columns read as NULL,
//! missing tables give [`DbError::MissingTable`].

pub mod access;
pub mod details;
pub mod error;
pub mod failures;
pub mod filter;
pub mod images;
pub mod jobs;
pub mod keyset;
pub mod list;
pub mod logs;
pub mod ms;
pub mod plan;
pub mod records;
pub mod schema;
pub mod side_tables;
pub mod sources;
pub mod sql;
pub mod stamp;
pub mod summary;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteRow};
use sqlx::{AssertSqlSafe, Row, Sqlite};

use crate::pool::{AcquireError, InstrumentedPool};
use crate::query::ListQuery;
use crate::snapshot::{
    ImageRow, JobDetail, JobKey, JobRow, MsDetail, MsRow, Page, SourceDetail, Tab,
};

pub use error::DbError;
pub use schema::Schema;

pub use sources::{SourceAggregate, SourceProgress};
pub use summary::{DbSummary, FailedJob, JobStatusCount, TableCount};

use sql::{Bind, SqlBuf};

/// How the monitor's pool on the pipeline database behaves.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// How long a read waits on a lock (the pipeline's writer) before failing as `Locked`.
    pub busy_timeout: Duration,
    /// Queries slower than this are logged with `tracing::warn!`.
    pub slow_query: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            max_connections: 4,
            acquire_timeout: Duration::from_secs(2),
            busy_timeout: Duration::from_secs(2),
            slow_query: Duration::from_millis(250),
        }
    }
}

/// The pipeline database, opened read-only.
#[derive(Clone)]
pub struct Db {
    pool: InstrumentedPool<Sqlite>,
    path: PathBuf,
    slow_query: Duration,
    schema: Arc<RwLock<Arc<Schema>>>,
    gate: Arc<Gate>,
}

/// Chooses, before every statement, how the next connection may open the file
/// ([`access::decide`]), and retires pooled connections opened another way.
struct Gate {
    /// The `mode=ro` options every connection starts from.
    base: SqliteConnectOptions,
    /// The look the pool's connect options were last set from.
    current: Mutex<Option<access::Look>>,
    /// When the connect options last changed: a pooled connection older than this was opened
    /// the old way and is closed instead of reused (`before_acquire`).
    switched: Arc<Mutex<Instant>>,
}

impl Gate {
    fn options(&self, access: &access::Access) -> SqliteConnectOptions {
        let immutable = matches!(access, access::Access::Snapshot { .. });
        self.base.clone().immutable(immutable)
    }

    /// The look for this statement; re-points the pool when the way to open has changed, or
    /// when a snapshot's file changed (an immutable connection never re-reads its cache).
    fn prepare(
        &self,
        path: &Path,
        pool: &InstrumentedPool<Sqlite>,
    ) -> Result<access::Look, DbError> {
        let look = access::decide(path);
        if let access::Access::Refused(refusal) = &look.access {
            return Err(DbError::Unsafe(refusal.to_string()));
        }
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let stale = match current.as_ref() {
            None => true,
            Some(old) => {
                old.access != look.access
                    || (matches!(look.access, access::Access::Snapshot { .. })
                        && old.stamp != look.stamp)
            }
        };
        if stale {
            if let Some(old) = current.as_ref()
                && old.access != look.access
            {
                tracing::info!(
                    db = %path.display(),
                    was = old.access.describe(),
                    now = look.access.describe(),
                    "database access changed"
                );
            }
            pool.inner().set_connect_options(self.options(&look.access));
            *self.switched.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
            *current = Some(look.clone());
        }
        Ok(look)
    }

    /// How the data now on screen was read, for the status line and `once`.
    fn describe(&self) -> Option<&'static str> {
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        current.as_ref().map(|l| l.access.describe())
    }
}

/// SQLite files start with this 16-byte magic string.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

impl Db {
    /// Open `path` read-only and read its schema, creating nothing beside it: `mode=ro` while
    /// the pipeline's WAL is there to share, an immutable snapshot (validated after each read)
    /// while it is idle, nothing when its side files are unreadable ([`access`]). Fails with
    /// `NotFound`, `NotADatabase` (with a one-line reason) or `Unsafe`.
    pub async fn open(path: &Path, opts: &DbOptions) -> Result<Db, DbError> {
        check_file(path).await?;
        // sqlx's defaults set only connection-level pragmas (foreign_keys); journal_mode is
        // left alone unless asked for, so the file is never converted or touched.
        let base = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false)
            .busy_timeout(opts.busy_timeout)
            // Each connection's page cache is held to 512 KiB (SQLite's default: 2 MiB). On a
            // year of data the four connections' caches filled as the Jobs pages scanned
            // `ms_state`: the monitor's RSS grew from 57.8 to 62.8 MiB over two minutes. The
            // smaller cache cost the failed-only Jobs page 2 ms p50 in one A/B run and nothing
            // visible in the next full run (the OS page cache still holds the file).
            .pragma("cache_size", "-512");
        let switched = Arc::new(Mutex::new(Instant::now()));
        let retire = switched.clone();
        // Connections are opened lazily, each after the gate has chosen how (below, in
        // `fetch_map`): the first statement is the schema read.
        let pool = SqlitePoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(opts.acquire_timeout)
            .before_acquire(move |_conn, meta| {
                let since = retire.lock().unwrap_or_else(|p| p.into_inner()).elapsed();
                Box::pin(async move { Ok(meta.age < since) })
            })
            .connect_lazy_with(base.clone());
        let db = Db {
            pool: InstrumentedPool::new("monitor", "sqlite", pool),
            path: path.to_path_buf(),
            slow_query: opts.slow_query,
            schema: Arc::new(RwLock::new(Arc::new(Schema::default()))),
            gate: Arc::new(Gate {
                base,
                current: Mutex::new(None),
                switched,
            }),
        };
        db.reload_schema().await?;
        Ok(db)
    }

    /// How the database is being read (shared, idle snapshot, …), once a statement has run.
    pub fn access(&self) -> Option<&'static str> {
        self.gate.describe()
    }

    /// The monitor's pool on this database; every query goes through its `acquire()`.
    pub fn pool(&self) -> &InstrumentedPool<Sqlite> {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema as last read.
    pub fn schema(&self) -> Arc<Schema> {
        self.schema
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Read tables, columns and indexes again (after "no such column", or periodically: the
    /// pipeline migrates its schema while running).
    pub async fn reload_schema(&self) -> Result<(), DbError> {
        let rows = self
            .fetch(
                "schema",
                SqlBuf::new(
                    "SELECT m.name AS tbl, p.name AS col FROM sqlite_master AS m \
                     JOIN pragma_table_info(m.name) AS p \
                     WHERE m.type IN ('table','view') AND m.name NOT LIKE 'sqlite_%'",
                ),
            )
            .await?;
        let columns = rows
            .iter()
            .filter_map(|r| Some((sql::text(r, "tbl")?, sql::text(r, "col")?)));
        let index_rows = self
            .fetch(
                "schema indexes",
                SqlBuf::new(
                    "SELECT tbl_name AS tbl, name AS idx FROM sqlite_master WHERE type = 'index'",
                ),
            )
            .await?;
        let indexes = index_rows
            .iter()
            .filter_map(|r| Some((sql::text(r, "tbl")?, sql::text(r, "idx")?)));
        let schema = Schema::from_parts(columns, indexes);
        *self.schema.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(schema);
        Ok(())
    }

    /// One page of images (default: newest `created_at` first).
    pub async fn images(&self, q: &ListQuery) -> Result<Page<ImageRow>, DbError> {
        self.drift_retry(|| self.images_now(q)).await
    }

    /// One page of Measurement Sets (default: newest observation first).
    pub async fn ms_list(&self, q: &ListQuery) -> Result<Page<MsRow>, DbError> {
        self.drift_retry(|| self.ms_list_now(q)).await
    }

    /// One page of jobs merged from `jobs`, `ms_state` and `batch_job_items`, newest first.
    pub async fn jobs(&self, q: &ListQuery) -> Result<Page<JobRow>, DbError> {
        self.drift_retry(|| self.jobs_now(q)).await
    }

    /// One image by id.
    pub async fn image(&self, id: i64) -> Result<Option<ImageRow>, DbError> {
        self.drift_retry(|| self.image_now(id)).await
    }

    /// Everything about one job; `None` when it no longer exists. `logs` is where the
    /// pipeline writes its logs (`PIPELINE_LOG_DIR`), searched for the job's lines.
    pub async fn job_detail(
        &self,
        key: &JobKey,
        logs: Option<&logs::LogSource>,
    ) -> Result<Option<JobDetail>, DbError> {
        self.drift_retry(|| self.job_detail_now(key, logs)).await
    }

    /// Everything about one Measurement Set; parts whose table is missing are empty.
    pub async fn ms_detail(&self, ms_path: &str) -> Result<MsDetail, DbError> {
        self.drift_retry(|| self.ms_detail_now(ms_path)).await
    }

    /// One source: its row and its newest light-curve points, oldest first.
    pub async fn source_detail(&self, source_id: &str) -> Result<SourceDetail, DbError> {
        self.drift_retry(|| self.source_detail_now(source_id)).await
    }

    /// Table sizes, jobs by normalised status and the last 24 h of failures, as of `now`.
    pub async fn summary(&self, now: f64) -> Result<DbSummary, DbError> {
        self.drift_retry(|| self.summary_now(now)).await
    }

    /// The pipeline migrates its schema while running: when a table or column we expected
    /// is gone (or one we lacked may have appeared), read the schema again and retry once.
    async fn drift_retry<T, Fut>(&self, run: impl Fn() -> Fut) -> Result<T, DbError>
    where
        Fut: Future<Output = Result<T, DbError>>,
    {
        match run().await {
            Err(e) if e.is_schema_drift() => {
                self.reload_schema().await?;
                run().await
            }
            other => other,
        }
    }

    /// Run one statement on a pooled connection, timing it.
    pub(crate) async fn fetch(&self, what: &str, sql: SqlBuf) -> Result<Vec<SqliteRow>, DbError> {
        self.fetch_map(what, sql, Some).await
    }

    /// [`Db::fetch`] keeping only what `keep` makes of each row, as the rows arrive. sqlx
    /// holds a copy of every value of a row it returns (~117 bytes a value under massif), so
    /// collecting the 700 000 values of a year's `variability_stats` before converting them
    /// took ~80 MB.
    /// The kept values go straight into the collection the caller wants (a map, say).
    ///
    /// A statement read from an idle snapshot is checked afterwards: if the file or its WAL
    /// changed meanwhile (the pipeline woke), its rows are thrown away and it runs again the
    /// way the gate now chooses. `keep` may then see rows twice: callers only fold them.
    pub(crate) async fn fetch_map<T, C: Default + Extend<T>>(
        &self,
        what: &str,
        sql: SqlBuf,
        mut keep: impl FnMut(SqliteRow) -> Option<T>,
    ) -> Result<C, DbError> {
        const ATTEMPTS: usize = 3;
        for attempt in 1..=ATTEMPTS {
            let look = self.gate.prepare(&self.path, &self.pool)?;
            let result = self.run_statement(what, &sql, &mut keep).await;
            let snapshot = matches!(look.access, access::Access::Snapshot { .. });
            if snapshot && attempt < ATTEMPTS && stamp::FileStamp::of(&self.path) != look.stamp {
                tracing::debug!(
                    query = what,
                    "database changed under a snapshot read; reading again"
                );
                continue;
            }
            return result;
        }
        unreachable!("the last attempt returns")
    }

    async fn run_statement<T, C: Default + Extend<T>>(
        &self,
        what: &str,
        sql: &SqlBuf,
        keep: &mut impl FnMut(SqliteRow) -> Option<T>,
    ) -> Result<C, DbError> {
        // Connections open lazily (after the gate chose how), so opening errors — a damaged
        // or foreign file — arrive here and are classified like a query's.
        let mut conn = self.pool.acquire().await.map_err(|e| match e {
            AcquireError::Other(e) => DbError::from_sqlx(e, &self.path),
            other => DbError::Acquire(other),
        })?;
        let started = Instant::now();
        let mut query = sqlx::query(AssertSqlSafe(sql.text.clone()));
        for bind in sql.binds.iter().cloned() {
            query = match bind {
                Bind::Int(v) => query.bind(v),
                Bind::Real(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
            };
        }
        let mut kept = C::default();
        let mut rows = query.fetch(&mut *conn);
        let result = loop {
            match rows.try_next().await {
                Ok(Some(row)) => kept.extend(keep(row)),
                Ok(None) => break Ok(kept),
                Err(e) => break Err(e),
            }
        };
        drop(rows);
        let took = started.elapsed();
        if took > self.slow_query {
            tracing::warn!(
                query = what,
                took_ms = took.as_millis() as u64,
                "slow query"
            );
        }
        result.map_err(|e| {
            self.pool.record_error();
            DbError::from_sqlx(e, &self.path)
        })
    }

    /// Run page segments in order until `limit + 1` rows are in: the extra row only says
    /// there is more.
    pub(crate) async fn fetch_page(
        &self,
        what: &str,
        queries: Vec<SqlBuf>,
        limit: usize,
    ) -> Result<(Vec<SqliteRow>, bool), DbError> {
        let limit = page_limit(limit);
        let wanted = limit + 1;
        let mut rows = Vec::new();
        for mut query in queries {
            let remaining = wanted - rows.len();
            if remaining == 0 {
                break;
            }
            query.push(" LIMIT ?");
            query.bind(Bind::Int(remaining as i64));
            rows.extend(self.fetch(what, query).await?);
        }
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        Ok((rows, has_more))
    }

    /// One integer from a statement that returns one row and one column (`COUNT`, `MAX`).
    pub(crate) async fn scalar(&self, what: &str, sql: SqlBuf) -> Result<Option<i64>, DbError> {
        let rows = self.fetch(what, sql).await?;
        Ok(rows
            .first()
            .and_then(|r| r.try_get::<Option<i64>, _>(0).ok().flatten()))
    }
}

/// Most rows one page returns, whatever the request says: a page is what a screen shows.
pub const MAX_PAGE_ROWS: usize = 10_000;

/// The page size actually served for a requested `limit`.
pub fn page_limit(limit: usize) -> usize {
    limit.clamp(1, MAX_PAGE_ROWS)
}

/// Refuse what is clearly not an SQLite database before SQLite gives a vaguer error.
async fn check_file(path: &Path) -> Result<(), DbError> {
    let not_db = |reason: &str| DbError::NotADatabase {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let meta = match tokio::fs::metadata(path).await {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DbError::NotFound(path.to_path_buf()));
        }
        Err(e) => return Err(not_db(&format!("cannot read it: {e}"))),
    };
    if meta.is_dir() {
        return Err(not_db("it is a directory"));
    }
    if meta.len() == 0 {
        return Err(not_db("the file is empty"));
    }
    let mut head = [0u8; 16];
    let read = async {
        use tokio::io::AsyncReadExt;
        let mut f = tokio::fs::File::open(path).await?;
        f.read_exact(&mut head).await
    };
    match read.await {
        Ok(_) if &head == SQLITE_MAGIC => Ok(()),
        Ok(_) => Err(not_db("no SQLite header (is it a text or other file?)")),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(not_db(
            "the file is shorter than an SQLite header (truncated?)",
        )),
        Err(e) => Err(not_db(&format!("cannot read it: {e}"))),
    }
}

/// What `s` cycles through on a tab, default first.
pub fn sort_columns(tab: Tab) -> &'static [&'static str] {
    match tab {
        Tab::Images => images::LIST.sort_names,
        Tab::Ms => ms::LIST.sort_names,
        Tab::Jobs => jobs::SORT_NAMES,
        Tab::Sources => sources::SORT_NAMES,
        Tab::Pool => &[],
    }
}

/// The field names `field:value` accepts on a tab.
pub fn filter_fields(tab: Tab) -> &'static [&'static str] {
    match tab {
        Tab::Images => images::LIST.field_names,
        Tab::Ms => ms::LIST.field_names,
        Tab::Jobs => jobs::FIELD_NAMES,
        Tab::Sources => sources::FIELD_NAMES,
        Tab::Pool => &[],
    }
}
