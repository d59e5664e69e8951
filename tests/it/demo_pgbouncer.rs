//! `demo --with-postgres` puts pgbouncer in front of its PostgreSQL and drives a backend's
//! load through it. The operator watching the Pool tab sees the pooler saturate during a
//! burst (clients queued behind a full pool) and the API's connections busy on the server;
//! when the demo ends, the pooler, the load and the server are all gone.

use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use contimg_monitor::demo::pg_load::{API_APP, LoadPlan, run_load};
use contimg_monitor::demo::pgbouncer::{
    DEMO_POOL_SIZE, DemoPgbouncer, PoolerSettings, find_binary,
};
use contimg_monitor::demo::postgres::{DemoPostgres, QUEUE_DB, find_bin_dir};
use contimg_monitor::demo::queue_feed::seed_history;
use contimg_monitor::pool::sources::PoolSampler;
use contimg_monitor::services::now_unix;
use contimg_monitor::snapshot::PoolStats;
use sqlx::Connection;
use tokio::sync::watch;

const REQUIRE_ENV: &str = "CONTIMG_REQUIRE_POSTGRES";
/// Bursts come every few seconds here, so one is seen well within this.
const SEEN_WITHIN: Duration = Duration::from_secs(25);
/// How long the monitor's query rate is measured.
const RATE_OVER: Duration = Duration::from_secs(10);

/// The same loud skip (or CI failure) as every PostgreSQL and pgbouncer test.
fn servers_installed() -> bool {
    if find_bin_dir().is_none() {
        assert!(support::postgres::PgServer::start().is_none());
        return false;
    }
    if find_binary().is_none() {
        if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
            panic!(
                "{} ({REQUIRE_ENV}=1 requires it)",
                support::pgbouncer::SKIP_MESSAGE
            );
        }
        eprintln!("\n========================================================");
        eprintln!("  {}", support::pgbouncer::SKIP_MESSAGE);
        eprintln!("========================================================\n");
        return false;
    }
    true
}

/// The demo's plan, but with a burst every few seconds instead of every minute or so.
fn quick_plan() -> LoadPlan {
    LoadPlan {
        first_burst_after: Duration::from_millis(500),
        burst_every: (Duration::from_secs(4), Duration::from_secs(6)),
        ..LoadPlan::demo()
    }
}

/// Waits for a row satisfying `want`; on timeout, fails showing the last rows.
async fn wait_for_row(
    rows: &mut watch::Receiver<Vec<PoolStats>>,
    what: &str,
    want: impl Fn(&PoolStats) -> bool,
) -> PoolStats {
    let seen = tokio::time::timeout(SEEN_WITHIN, rows.wait_for(|all| all.iter().any(&want)))
        .await
        .ok()
        .and_then(|r| r.ok().and_then(|all| all.iter().find(|r| want(r)).cloned()));
    seen.unwrap_or_else(|| {
        panic!(
            "{what} not seen within {SEEN_WITHIN:?}; last rows: {:#?}",
            rows.borrow()
        )
    })
}

/// Processes whose command line names `dir` (the servers are started with paths under it).
fn processes_under(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .filter(|cmd| cmd.contains(&needle))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_through_the_demo_pooler_saturates_it_and_everything_stops_with_the_demo() {
    if !servers_installed() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("contimg-demo-pgb-test-{}", std::process::id()));
    let (pg_root, pgb_root) = (dir.join("postgres"), dir.join("pgbouncer"));
    let start_root = pg_root.clone();
    let server = tokio::task::spawn_blocking(move || DemoPostgres::start(&start_root))
        .await
        .expect("no panic")
        .expect("the demo's PostgreSQL starts")
        .expect("binaries were found");
    let server_url = server.url();
    seed_history(&server_url, now_unix())
        .await
        .expect("queue seeded");
    let pg_port = server_url
        .parse::<sqlx::postgres::PgConnectOptions>()
        .expect("the server's url")
        .get_port();
    let start_root = pgb_root.clone();
    let bouncer = tokio::task::spawn_blocking(move || {
        DemoPgbouncer::start(&start_root, pg_port, PoolerSettings::default())
    })
    .await
    .expect("no panic")
    .expect("pgbouncer starts")
    .expect("pgbouncer was found");
    let bouncer_port = bouncer.port();

    let (stop_tx, stop_rx) = watch::channel(false);
    let load = tokio::spawn(run_load(bouncer.url_for(QUEUE_DB), quick_plan(), stop_rx));
    // One sampler per source, so each one's queries can be counted apart.
    let sources = bouncer.pool_sources(&server_url, API_APP);
    let console = PoolSampler::from_config(&sources[..1]).expect("a valid pgbouncer source");
    let activity = PoolSampler::from_config(&sources[1..]).expect("a valid postgres source");
    let (mut console_rows, mut activity_rows) = (console.subscribe(), activity.subscribe());

    let pool = format!("{QUEUE_DB}/postgres");
    let started = Instant::now();
    let saturated = wait_for_row(&mut console_rows, "the pooler saturated", |r| {
        r.source == "demo-pgbouncer" && r.name == pool && r.is_saturated()
    })
    .await;
    println!(
        "pgbouncer saturated after {:?}: {saturated:?}",
        started.elapsed()
    );
    assert_eq!(
        (saturated.max, saturated.in_use),
        (DEMO_POOL_SIZE, DEMO_POOL_SIZE)
    );
    assert!(saturated.waiting > 0 && saturated.stale.is_none());

    let api = wait_for_row(
        &mut activity_rows,
        "the API's server connections in use",
        |r| r.source == "demo-postgres" && r.name == API_APP && r.in_use > 0,
    )
    .await;
    println!("contimg-api on the server: {api:?}");
    assert_eq!(
        api.max, DEMO_POOL_SIZE,
        "the pool size is known for the API"
    );
    assert!(
        api.in_use <= DEMO_POOL_SIZE,
        "pgbouncer never opens more: {api:?}"
    );

    // Not asserted: what the monitor's two sources cost the servers, at the demo's intervals.
    let before = (console.queries_sent(), activity.queries_sent());
    let since = Instant::now();
    tokio::time::sleep(RATE_OVER).await;
    let seconds = since.elapsed().as_secs_f64();
    let rate =
        |sampler: &PoolSampler, before: u64| (sampler.queries_sent() - before) as f64 / seconds;
    println!(
        "MEASURED over {seconds:.1} s: {:.2} queries/s to PostgreSQL (pg_stat_activity every \
         2 s), {:.2} queries/s to the pgbouncer console (SHOW POOLS/DATABASES/STATS every 1 s)",
        rate(&activity, before.1),
        rate(&console, before.0),
    );

    stop_tx.send(true).expect("the load listens");
    let report = tokio::time::timeout(Duration::from_secs(5), load)
        .await
        .expect("the load stops promptly on shutdown")
        .expect("the load did not panic");
    println!("load: {report:?}");
    assert!(
        report.reads > 0 && report.bursts > 0 && report.held > 0,
        "{report:?}"
    );
    drop((console, activity));
    tokio::task::spawn_blocking(move || {
        drop(bouncer);
        drop(server);
    })
    .await
    .expect("stopped");

    assert!(
        !pgb_root.exists() && !pg_root.exists(),
        "their directories are removed"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", bouncer_port)).is_err(),
        "pgbouncer no longer listens"
    );
    assert!(sqlx::PgConnection::connect(&server_url).await.is_err());
    assert_eq!(
        processes_under(&dir),
        Vec::<String>::new(),
        "no server left running"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
