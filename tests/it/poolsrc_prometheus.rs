//! The operator points the monitor at an application's `/metrics`: pools come out of
//! OpenTelemetry names (or a mapping), and a target that is down, slow or not an exporter
//! says so clearly instead of freezing anything.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use contimg_monitor::pool::sources::{
    PoolSampler, PoolSource, PoolSourceConfig, PrometheusSource, SourceError,
};
use contimg_monitor::snapshot::PoolStats;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const OTEL: &str = r#"# HELP db_client_connection_count Connections by state.
# TYPE db_client_connection_count gauge
db_client_connection_count{pool_name="api",state="used"} 10
db_client_connection_count{pool_name="api",state="idle"} 0
db_client_connection_count{pool_name="api \"main\"\\x\n2",state="used"} 1
# TYPE db_client_connection_max gauge
db_client_connection_max{pool_name="api"} 10
db_client_connection_max{pool_name="api \"main\"\\x\n2"} 5
# TYPE db_client_connection_pending_requests gauge
db_client_connection_pending_requests{pool_name="api"} 7
# TYPE db_client_connection_timeouts_total counter
db_client_connection_timeouts_total{pool_name="api"} 3
# TYPE db_client_connection_wait_time_seconds histogram
db_client_connection_wait_time_seconds_bucket{pool_name="api",le="0.01"} 1000
db_client_connection_wait_time_seconds_bucket{pool_name="api",le="1"} 1000
db_client_connection_wait_time_seconds_bucket{pool_name="api",le="+Inf"} 1000
db_client_connection_wait_time_seconds_sum{pool_name="api"} 2
db_client_connection_wait_time_seconds_count{pool_name="api"} 1000
"#;

/// A minimal HTTP exporter on a loopback port; the response can be changed between scrapes.
struct Exporter {
    url: String,
    response: Arc<Mutex<String>>,
    task: JoinHandle<()>,
}

impl Exporter {
    async fn start(response: String) -> Exporter {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/metrics", listener.local_addr().expect("addr"));
        let response = Arc::new(Mutex::new(response));
        let shared = response.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let reply = shared.lock().expect("lock").clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = socket.write_all(reply.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Exporter {
            url,
            response,
            task,
        }
    }

    fn set(&self, response: String) {
        *self.response.lock().expect("lock") = response;
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn http(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn config(url: &str, extra: &str) -> PoolSourceConfig {
    toml::from_str(&format!(
        "kind = \"prometheus\"\nname = \"api\"\nurl = \"{url}\"\ninterval_ms = 250\ntimeout_ms = 400\n{extra}"
    ))
    .expect("config parses")
}

async fn sample_once(url: &str) -> Result<Vec<PoolStats>, SourceError> {
    PrometheusSource::new(&config(url, "")).sample(0.0).await
}

#[tokio::test]
async fn an_opentelemetry_exporter_gives_one_row_per_pool() {
    let exporter = Exporter::start(http("200 OK", OTEL)).await;
    let rows = sample_once(&exporter.url).await.expect("scrape");
    let api = rows.iter().find(|r| r.name == "api").expect("api pool");
    assert_eq!((api.source.as_str(), api.max, api.in_use), ("api", 10, 10));
    assert_eq!((api.waiting, api.timeouts), (7, 3));
    assert!(api.is_saturated());
    assert_eq!(api.wait_mean_ms, Some(2.0));
    // The label's escapes are undone; the text stays raw for the UI to sanitise.
    let odd = rows.iter().find(|r| r.max == 5).expect("second pool");
    assert_eq!(odd.name, "api \"main\"\\x\n2");
}

#[tokio::test]
async fn wait_percentiles_follow_the_last_interval_not_the_whole_history() {
    let exporter = Exporter::start(http("200 OK", OTEL)).await;
    let mut source = PrometheusSource::new(&config(&exporter.url, ""));
    let first = source.sample(1.0).await.expect("scrape");
    let p95_before = first[0].wait_p95_ms.expect("p95");
    assert!(p95_before <= 10.0, "a thousand fast waits: {p95_before}");
    // Twenty slow acquisitions (two seconds each) since the last scrape.
    exporter.set(http(
        "200 OK",
        &OTEL
            .replace("le=\"+Inf\"} 1000", "le=\"+Inf\"} 1020")
            .replace("_sum{pool_name=\"api\"} 2", "_sum{pool_name=\"api\"} 42")
            .replace(
                "_count{pool_name=\"api\"} 1000",
                "_count{pool_name=\"api\"} 1020",
            ),
    ));
    let second = source.sample(2.0).await.expect("scrape");
    assert_eq!(
        second[0].wait_p95_ms,
        Some(1000.0),
        "above the last finite bucket"
    );
    assert_eq!(second[0].wait_mean_ms, Some(2000.0));
    // Nothing new: nobody waited in this interval.
    let third = source.sample(3.0).await.expect("scrape");
    assert_eq!((third[0].wait_p95_ms, third[0].wait_mean_ms), (None, None));
}

#[tokio::test]
async fn a_hikaricp_application_is_read_through_its_mapping() {
    let hikari = "# TYPE hikaricp_connections_active gauge\n\
        hikaricp_connections_active{pool=\"HikariPool-1\",} 4.0\n\
        hikaricp_connections_idle{pool=\"HikariPool-1\",} 0.0\n\
        hikaricp_connections_max{pool=\"HikariPool-1\",} 4.0\n\
        hikaricp_connections_pending{pool=\"HikariPool-1\",} 2.0\n\
        hikaricp_connections_timeout_total{pool=\"HikariPool-1\",} 1.0\n";
    let exporter = Exporter::start(http("200 OK", hikari)).await;
    let mapping = r#"
        [mapping]
        pool_label = ["pool"]
        in_use = "hikaricp_connections_active"
        idle = "hikaricp_connections_idle"
        max = "hikaricp_connections_max"
        pending = "hikaricp_connections_pending"
        timeouts = "hikaricp_connections_timeout"
    "#;
    let sampler = PoolSampler::from_config(&[config(&exporter.url, mapping)]).expect("valid");
    let mut rows = sampler.subscribe();
    let rows = tokio::time::timeout(Duration::from_secs(5), rows.wait_for(|r| !r.is_empty()))
        .await
        .expect("a sample within 5 s")
        .expect("sampler alive")
        .clone();
    let pool = &rows[0];
    assert_eq!(pool.name, "HikariPool-1");
    assert!(pool.is_saturated(), "{pool:?}");
    assert_eq!((pool.timeouts, pool.timeouts_delta), (1, 0));
}

#[tokio::test]
async fn a_target_that_is_down_says_the_connection_was_refused() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let err = sample_once(&format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect_err("nothing listens");
    match &err {
        SourceError::Unreachable { target, reason } => {
            assert!(target.contains(&port.to_string()));
            assert!(reason.to_lowercase().contains("refused"), "{reason}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_target_that_never_answers_times_out_on_time() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/metrics", listener.local_addr().expect("addr"));
    // Accepts, then says nothing at all.
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let started = Instant::now();
    let err = sample_once(&url).await.expect_err("no answer");
    assert_eq!(err, SourceError::TimedOut(Duration::from_millis(400)));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    silent.abort();
}

#[tokio::test]
async fn an_html_page_is_refused_as_not_prometheus_text() {
    let exporter = Exporter::start(http("200 OK", "<html><body>Login</body></html>")).await;
    let err = sample_once(&exporter.url).await.expect_err("garbage");
    let text = err.to_string();
    assert!(
        text.contains("not Prometheus text format: line 1"),
        "{text}"
    );
}

#[tokio::test]
async fn an_error_status_is_reported_with_its_code() {
    let exporter = Exporter::start(http("503 Service Unavailable", "down")).await;
    let err = sample_once(&exporter.url).await.expect_err("503");
    assert!(
        matches!(err, SourceError::HttpStatus { status: 503, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_exporter_without_pool_metrics_says_what_was_looked_for() {
    let exporter = Exporter::start(http("200 OK", "process_cpu_seconds_total 4.2\n")).await;
    let err = sample_once(&exporter.url).await.expect_err("no pools");
    assert!(
        err.to_string().contains("db_client_connection_count"),
        "{err}"
    );
}
