//! The operator watches the queue's connections from outside the application: through
//! pgbouncer's admin console and through PostgreSQL's `pg_stat_activity`. A pool that
//! fills up must show as busy or saturated within two sampler intervals, and clear again.

use crate::support;

use std::time::{Duration, Instant};

use contimg_monitor::pool::sources::sampler::{NO_DATA_ROW, unix_now};
use contimg_monitor::pool::sources::{PoolKey, PoolSampler, PoolSourceConfig, SaturationTracker};
use contimg_monitor::snapshot::PoolStats;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Executor};
use support::pgbouncer::{Pgbouncer, PoolerSettings};
use support::postgres::PgServer;
use tokio::sync::watch;

const INTERVAL_MS: u64 = 300;
/// Clients need a moment to connect before they can queue; this is on top of two intervals.
const SLACK: Duration = Duration::from_secs(3);

fn source(kind: &str, url: &str, extra: &str) -> PoolSourceConfig {
    toml::from_str(&format!(
        "kind = \"{kind}\"\nurl = \"{url}\"\ninterval_ms = {INTERVAL_MS}\ntimeout_ms = 1000\n{extra}"
    ))
    .expect("source config parses")
}

async fn connect_as(url: &str, app: &str) -> PgConnection {
    let options: PgConnectOptions = url.parse().expect("url");
    options
        .application_name(app)
        .extra_float_digits(None)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

async fn run(conn: &mut PgConnection, sql: &'static str) {
    conn.execute(sqlx::raw_sql(sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Waits for a row of `pool` that satisfies `want`; on timeout, fails showing the last rows.
async fn wait_for_pool(
    rows: &mut watch::Receiver<Vec<PoolStats>>,
    pool: &str,
    within: Duration,
    what: &str,
    want: impl Fn(&PoolStats) -> bool,
) -> PoolStats {
    let matched = match tokio::time::timeout(
        within,
        rows.wait_for(|all| all.iter().any(|r| r.name == pool && want(r))),
    )
    .await
    {
        Ok(Ok(all)) => all.iter().find(|r| r.name == pool && want(r)).cloned(),
        _ => None,
    };
    matched.unwrap_or_else(|| {
        panic!(
            "pool {pool} not {what} within {within:?}; last rows: {:#?}",
            rows.borrow()
        )
    })
}

/// Prints the steady-state query rate over the next `samples` publications (not asserted:
/// it is for the operator deciding on an interval).
async fn print_rate(what: &str, sampler: &PoolSampler, samples: u32) {
    let mut rows = sampler.subscribe();
    rows.borrow_and_update();
    let (start, since) = (sampler.queries_sent(), Instant::now());
    for _ in 0..samples {
        tokio::time::timeout(Duration::from_secs(5), rows.changed())
            .await
            .expect("the sampler keeps publishing")
            .expect("sampler alive");
    }
    let seconds = since.elapsed().as_secs_f64();
    let queries = sampler.queries_sent() - start;
    println!(
        "{what}: {queries} queries in {seconds:.2} s = {:.2} queries/s at interval {INTERVAL_MS} ms",
        queries as f64 / seconds
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_queued_behind_a_small_pgbouncer_pool_show_as_saturated_then_clear() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let db = "poolsrc_bouncer";
    server.create_database(db);
    let settings = PoolerSettings {
        pool_size: 2,
        ..PoolerSettings::default()
    };
    let Some(bouncer) = Pgbouncer::start(server, settings) else {
        return;
    };
    let sampler = PoolSampler::from_config(&[source("pgbouncer", &bouncer.admin_url(), "")])
        .expect("valid config");
    let mut rows = sampler.subscribe();
    let pool = format!("{db}/postgres");
    let url = bouncer.url_for(db);

    // Two open transactions take both server connections…
    let mut holders = Vec::new();
    for _ in 0..settings.pool_size {
        let mut conn = connect_as(&url, "holder").await;
        run(&mut conn, "BEGIN").await;
        run(&mut conn, "SELECT 1").await;
        holders.push(conn);
    }
    // …so three more clients queue.
    let queued_at = Instant::now();
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let mut conn = connect_as(&url, "waiter").await;
                run(&mut conn, "BEGIN; SELECT 1; COMMIT").await;
            })
        })
        .collect();
    let within = Duration::from_millis(2 * INTERVAL_MS) + SLACK;
    let saturated = wait_for_pool(&mut rows, &pool, within, "saturated", |r| {
        r.is_saturated() && r.waiting == 3
    })
    .await;
    println!(
        "saturation seen {:?} after the clients queued: {saturated:?}",
        queued_at.elapsed()
    );
    assert_eq!((saturated.max, saturated.in_use), (2, 2));
    let mut tracker = SaturationTracker::new(Duration::ZERO);
    let raised = tracker.observe(&sampler.latest());
    let key = PoolKey::new("pgbouncer", &pool);
    assert!(tracker.saturated_since(&key).is_some());
    assert_eq!(
        raised.first().map(|a| &a.pool),
        Some(&key),
        "alert for the pool"
    );
    assert!(saturated.stale.is_none());
    assert!(
        saturated
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("transaction mode")),
        "{saturated:?}"
    );

    for mut conn in holders {
        run(&mut conn, "COMMIT").await;
    }
    for waiter in waiters {
        waiter.await.expect("the queued clients get through");
    }
    let calm = wait_for_pool(&mut rows, &pool, within, "back to normal", |r| {
        r.waiting == 0 && r.in_use == 0
    })
    .await;
    assert!(!calm.is_saturated());
    tracker.observe(&sampler.latest());
    assert_eq!(tracker.saturated_since(&key), None);
    assert!(
        tracker.alerts()[0].ended_at.is_some(),
        "the alert stays, ended, until acknowledged"
    );
    assert!(
        calm.wait_max_ms.is_some_and(|w| w == 0.0),
        "nobody waits now: {calm:?}"
    );
    print_rate(
        "pgbouncer source (to pgbouncer, none to PostgreSQL)",
        &sampler,
        5,
    )
    .await;
    drop(bouncer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_holding_its_whole_pool_in_open_transactions_is_busy() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let url = server.create_database("poolsrc_activity");
    let app = "poolsrc-etl";
    let config = source(
        "postgres",
        &url,
        &format!("max_per_app = {{ \"{app}\" = 3 }}"),
    );
    let sampler = PoolSampler::from_config(&[config]).expect("valid config");
    let mut rows = sampler.subscribe();

    let mut sessions = Vec::new();
    for _ in 0..3 {
        let mut conn = connect_as(&url, app).await;
        run(&mut conn, "BEGIN").await;
        run(&mut conn, "SELECT 1").await;
        sessions.push(conn);
    }
    let within = Duration::from_millis(2 * INTERVAL_MS) + SLACK;
    // A sample may catch the last session still running its SELECT (in use, but active):
    // wait for the settled state, all three idle in a transaction.
    let busy = wait_for_pool(&mut rows, app, within, "busy", |r| {
        r.in_use == 3 && r.note.as_deref() == Some("3 idle in transaction")
    })
    .await;
    assert_eq!((busy.max, busy.idle, busy.open), (3, 0, 3));
    assert!(busy.is_busy());
    assert!(busy.oldest_xact_s.is_some_and(|age| age >= 0.0));
    let latest = sampler.latest();
    assert!(
        latest.iter().all(|r| r.name != "contimg-monitor"),
        "the monitor's own session is left out: {latest:#?}"
    );
    let server_row = latest
        .iter()
        .find(|r| r.name == "(server)")
        .expect("a row for the whole server");
    assert_eq!(server_row.max, 60, "max_connections of the test server");
    assert!(server_row.open >= 4, "the apps' and the monitor's sessions");

    for conn in &mut sessions {
        run(conn, "COMMIT").await;
    }
    let idle = wait_for_pool(&mut rows, app, within, "idle again", |r| r.in_use == 0).await;
    assert_eq!(idle.idle, 3);
    assert!(!idle.is_busy());
    print_rate("postgres source (to PostgreSQL)", &sampler, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_blocked_on_a_lock_is_counted_as_waiting() {
    let Some(server) = PgServer::shared() else {
        return;
    };
    let url = server.create_database("poolsrc_locks");
    let app = "poolsrc-locker";
    let mut setup = connect_as(&url, "setup").await;
    run(&mut setup, "CREATE TABLE jobs (id int)").await;
    let sampler = PoolSampler::from_config(&[source("postgres", &url, "")]).expect("valid");
    let mut rows = sampler.subscribe();

    let mut holder = connect_as(&url, app).await;
    run(
        &mut holder,
        "BEGIN; LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE",
    )
    .await;
    let blocked = {
        let url = url.clone();
        tokio::spawn(async move {
            let mut conn = connect_as(&url, app).await;
            run(&mut conn, "SELECT count(*) FROM jobs").await;
        })
    };
    let within = Duration::from_millis(2 * INTERVAL_MS) + SLACK;
    let waiting = wait_for_pool(&mut rows, app, within, "waiting", |r| r.waiting == 1).await;
    assert_eq!(
        waiting.in_use, 2,
        "the holder (idle in transaction) and the blocked query"
    );
    assert_eq!(waiting.max, 0, "no max_per_app configured: size unknown");
    assert!(
        !waiting.is_saturated(),
        "unknown size is never called saturated"
    );

    run(&mut holder, "COMMIT").await;
    blocked.await.expect("the blocked query completes");
    wait_for_pool(&mut rows, app, within, "free of waiters", |r| {
        r.waiting == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_goes_stale_with_the_reason_then_recovers() {
    let Some(server) = PgServer::start() else {
        return;
    };
    let sampler =
        PoolSampler::from_config(&[source("postgres", &server.url(), "")]).expect("valid config");
    let mut rows = sampler.subscribe();
    let within = Duration::from_secs(10);
    let live = wait_for_pool(&mut rows, "(server)", within, "sampled", |r| {
        r.stale.is_none()
    })
    .await;
    assert_eq!(live.max, 60);

    let stopped_at = unix_now();
    server.stop();
    let stale = wait_for_pool(&mut rows, "(server)", within, "stale", |r| {
        r.stale.is_some()
    })
    .await;
    println!("while the server is down: {:?}", stale.stale);
    assert!(
        stale.sampled_at <= stopped_at,
        "the row keeps the time of its last good sample"
    );
    assert_eq!(stale.max, 60, "and its last good figures");

    server.start_again();
    wait_for_pool(&mut rows, "(server)", within, "fresh again", |r| {
        r.stale.is_none()
    })
    .await;
}

#[tokio::test]
async fn a_pgbouncer_that_is_not_running_shows_why_in_place_of_its_pools() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("postgresql://postgres@127.0.0.1:{port}/pgbouncer");
    let sampler = PoolSampler::from_config(&[source("pgbouncer", &url, "")]).expect("valid");
    let mut rows = sampler.subscribe();
    let row = wait_for_pool(
        &mut rows,
        NO_DATA_ROW,
        Duration::from_secs(5),
        "reported",
        |r| r.stale.is_some(),
    )
    .await;
    let reason = row.stale.unwrap_or_default();
    assert!(
        reason.contains(&format!("cannot reach pgbouncer 127.0.0.1:{port}")),
        "{reason}"
    );
}
