//! Load through the demo's pgbouncer, as the pipeline's API backend would make it: a steady
//! trickle of short reads of the queue, and now and then a burst of clients that each hold a
//! transaction open for a few seconds. A burst outnumbers the pooler's server connections,
//! so clients queue (`cl_waiting > 0` while `sv_active` equals the pool size): saturation the
//! Pool tab can show.
//!
//! Its connections are plain sqlx connections of its own (never the monitor's pools), all on
//! loopback, named by `application_name` so `pg_stat_activity` can tell them apart. Bounded:
//! at most [`MAX_LIVE_CLIENTS`] burst clients at once, each cut off after its hold plus
//! [`CLIENT_SLACK`]; everything stops on the shutdown watch.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until, timeout};

/// The application the load pretends to be.
pub const API_APP: &str = "contimg-api";
/// Burst clients alive at once, whatever the plan asks.
pub const MAX_LIVE_CLIENTS: usize = 16;
/// How long past its planned hold a burst client may take (queueing included) before it
/// is cut off.
pub const CLIENT_SLACK: Duration = Duration::from_secs(30);
/// A trickle read slower than this is given up (and its connection dropped).
const READ_TIMEOUT: Duration = Duration::from_secs(15);
/// After a failed read the trickle waits this long before reconnecting.
const RECONNECT_AFTER: Duration = Duration::from_secs(2);
/// The backend's everyday question to the queue.
const TRICKLE_SQL: &str = "SELECT count(*) FROM absurd.tasks WHERE status = 'pending'";

/// How much load, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadPlan {
    /// `application_name` of every connection.
    pub app: String,
    /// Gap between trickle reads, drawn uniformly from this range.
    pub trickle_every: (Duration, Duration),
    /// The first burst comes this soon, so the demo shows one early.
    pub first_burst_after: Duration,
    /// Gap between bursts after that.
    pub burst_every: (Duration, Duration),
    /// Clients in one burst.
    pub burst_clients: (u32, u32),
    /// How long each burst client keeps its transaction open.
    pub hold: (Duration, Duration),
    pub seed: u64,
}

impl LoadPlan {
    /// The demo's: a read every 0.5–1.5 s, a burst of 8–12 clients holding 1–4 s every
    /// 45–90 s (the first after 20 s).
    pub fn demo() -> Self {
        LoadPlan {
            app: API_APP.to_string(),
            trickle_every: (Duration::from_millis(500), Duration::from_millis(1500)),
            first_burst_after: Duration::from_secs(20),
            burst_every: (Duration::from_secs(45), Duration::from_secs(90)),
            burst_clients: (8, 12),
            hold: (Duration::from_secs(1), Duration::from_secs(4)),
            seed: 110,
        }
    }
}

/// What the load did, for the caller's log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Trickle reads answered.
    pub reads: u64,
    pub bursts: u64,
    /// Burst transactions held and committed.
    pub held: u64,
    /// Reads and burst clients that failed (or were cut off).
    pub failures: u64,
}

/// A duration drawn uniformly from `range` (its ends in either order).
pub fn draw(rng: &mut impl Rng, range: (Duration, Duration)) -> Duration {
    let (lo, hi) = if range.0 <= range.1 {
        range
    } else {
        (range.1, range.0)
    };
    if lo == hi {
        return lo;
    }
    rng.random_range(lo..=hi)
}

/// One burst: each client's hold, at most `room` clients.
pub fn plan_burst(plan: &LoadPlan, rng: &mut impl Rng, room: usize) -> Vec<Duration> {
    let (lo, hi) = plan.burst_clients;
    let clients = rng.random_range(lo.min(hi)..=hi.max(lo)) as usize;
    (0..clients.min(room))
        .map(|_| draw(rng, plan.hold))
        .collect()
}

/// Run the load against `url` (through the pooler) until `shutdown` turns true or its
/// sender goes away. Failures are counted and logged, never fatal: the demo goes on.
pub async fn run_load(url: String, plan: LoadPlan, shutdown: watch::Receiver<bool>) -> LoadReport {
    let options = match url.parse::<PgConnectOptions>() {
        Ok(options) => options
            .application_name(&plan.app)
            // pgbouncer refuses startup parameters it does not know.
            .extra_float_digits(None)
            .disable_statement_logging(),
        Err(e) => {
            tracing::warn!("demo load not started: bad url: {e}");
            return LoadReport::default();
        }
    };
    let ((reads, read_failures), burst) = tokio::join!(
        trickle(&options, &plan, shutdown.clone()),
        bursts(&options, &plan, shutdown)
    );
    LoadReport {
        reads,
        failures: read_failures + burst.failures,
        ..burst
    }
}

/// Resolves once the demo is shutting down (or nobody can tell it to any more).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

fn timed_out() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("no answer within {READ_TIMEOUT:?}"),
    ))
}

async fn connect(options: &PgConnectOptions) -> Result<PgConnection, sqlx::Error> {
    timeout(READ_TIMEOUT, options.connect())
        .await
        .map_err(|_| timed_out())?
}

/// Short reads on one connection, kept open between reads as a backend's pool would.
/// Returns (reads answered, reads failed).
async fn trickle(
    options: &PgConnectOptions,
    plan: &LoadPlan,
    mut shutdown: watch::Receiver<bool>,
) -> (u64, u64) {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let (mut reads, mut failures) = (0u64, 0u64);
    let mut conn: Option<PgConnection> = None;
    loop {
        let read = async {
            let mut open = match conn.take() {
                Some(open) => open,
                None => connect(options).await?,
            };
            // Simple protocol: named prepared statements do not survive transaction pooling.
            timeout(READ_TIMEOUT, open.execute(sqlx::raw_sql(TRICKLE_SQL)))
                .await
                .map_err(|_| timed_out())??;
            Ok::<_, sqlx::Error>(open)
        };
        let gap = tokio::select! {
            _ = stopped(&mut shutdown) => break,
            result = read => match result {
                Ok(open) => {
                    conn = Some(open);
                    reads += 1;
                    draw(&mut rng, plan.trickle_every)
                }
                Err(e) => {
                    failures += 1;
                    tracing::debug!("demo load: a read through pgbouncer failed: {e}");
                    RECONNECT_AFTER
                }
            },
        };
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            _ = sleep(gap) => {}
        }
    }
    if let Some(open) = conn {
        let _ = timeout(Duration::from_secs(1), open.close()).await;
    }
    (reads, failures)
}

/// Bursts of clients each holding a transaction open; the clients run on their own tasks,
/// aborted at shutdown.
async fn bursts(
    options: &PgConnectOptions,
    plan: &LoadPlan,
    mut shutdown: watch::Receiver<bool>,
) -> LoadReport {
    let mut rng = StdRng::seed_from_u64(plan.seed.wrapping_add(1));
    let mut report = LoadReport::default();
    let mut clients: JoinSet<Result<(), String>> = JoinSet::new();
    let mut next_burst = Instant::now() + plan.first_burst_after;
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            _ = sleep_until(next_burst) => {
                let room = MAX_LIVE_CLIENTS.saturating_sub(clients.len());
                let holds = plan_burst(plan, &mut rng, room);
                tracing::debug!(clients = holds.len(), "demo load: a burst through pgbouncer");
                report.bursts += 1;
                for hold in holds {
                    clients.spawn(hold_transaction(options.clone(), hold));
                }
                next_burst = Instant::now() + draw(&mut rng, plan.burst_every);
            }
            Some(done) = clients.join_next(), if !clients.is_empty() => {
                match done {
                    Ok(Ok(())) => report.held += 1,
                    Ok(Err(e)) => {
                        report.failures += 1;
                        tracing::debug!("demo load: a burst client failed: {e}");
                    }
                    // Only panics land here: clients are aborted after the loop.
                    Err(e) => {
                        report.failures += 1;
                        tracing::warn!("demo load: a burst client crashed: {e}");
                    }
                }
            }
        }
    }
    clients.shutdown().await;
    report
}

/// One client: connect, BEGIN, keep the transaction (and so a server connection) for
/// `hold`, COMMIT. Cut off after `hold` + [`CLIENT_SLACK`].
async fn hold_transaction(options: PgConnectOptions, hold: Duration) -> Result<(), String> {
    let work = async {
        let mut conn = options.connect().await?;
        conn.execute(sqlx::raw_sql("BEGIN")).await?;
        let sleep_sql = format!("SELECT pg_sleep({:.3})", hold.as_secs_f64());
        conn.execute(sqlx::raw_sql(AssertSqlSafe(sleep_sql)))
            .await?;
        conn.execute(sqlx::raw_sql("COMMIT")).await?;
        conn.close().await
    };
    match timeout(hold + CLIENT_SLACK, work).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("cut off after {:?}", hold + CLIENT_SLACK)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_demo_burst_outnumbers_the_pool_and_each_client_holds_one_to_four_seconds() {
        let plan = LoadPlan::demo();
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let burst = plan_burst(&plan, &mut rng, MAX_LIVE_CLIENTS);
            assert!((8..=12).contains(&burst.len()), "{} clients", burst.len());
            // At least twice the pool: half of the clients queue.
            assert!(burst.len() >= crate::demo::pgbouncer::DEMO_POOL_SIZE as usize * 2);
            for hold in burst {
                assert!(hold >= Duration::from_secs(1) && hold <= Duration::from_secs(4));
            }
        }
    }

    #[test]
    fn a_burst_never_takes_more_clients_than_there_is_room_for() {
        let plan = LoadPlan::demo();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(plan_burst(&plan, &mut rng, 3).len(), 3);
        assert!(plan_burst(&plan, &mut rng, 0).is_empty());
    }

    #[test]
    fn bursts_come_every_45_to_90_seconds_and_reads_every_second_or_so() {
        let plan = LoadPlan::demo();
        let mut rng = StdRng::seed_from_u64(3);
        let gaps: Vec<Duration> = (0..500).map(|_| draw(&mut rng, plan.burst_every)).collect();
        assert!(
            gaps.iter()
                .all(|g| g.as_secs() >= 45 && g.as_secs_f64() <= 90.0)
        );
        assert!(gaps.iter().any(|g| g.as_secs() < 55) && gaps.iter().any(|g| g.as_secs() > 80));
        let read = draw(&mut rng, plan.trickle_every);
        assert!(read >= Duration::from_millis(500) && read <= Duration::from_millis(1500));
    }

    #[test]
    fn a_fixed_range_is_that_duration_and_a_reversed_one_still_works() {
        let mut rng = StdRng::seed_from_u64(0);
        let two = Duration::from_secs(2);
        assert_eq!(draw(&mut rng, (two, two)), two);
        let d = draw(&mut rng, (two, Duration::from_secs(1)));
        assert!(d >= Duration::from_secs(1) && d <= two);
    }
}
