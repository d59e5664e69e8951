//! The simulated backend publishes its pool the way a real service would: OpenTelemetry's
//! `db.client.connection.*` metrics in the Prometheus text format on a loopback HTTP endpoint,
//! which the monitor scrapes like any other Prometheus pool source.
//!
//! The HTTP side is deliberately tiny (one GET, `Connection: close`, loopback only): it serves
//! the demo, not the world, and pulling a web framework in for it would cost more than these
//! lines.

use std::fmt::Write as _;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::pool::PoolRegistry;
use crate::pool::instrumented::WaitHistogram;
use crate::snapshot::PoolStats;

/// Longest request head read before answering anyway.
const MAX_REQUEST: usize = 8 * 1024;

/// Serve `registry`'s pools on `listener` until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    registry: PoolRegistry,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let body = exposition(&registry.sample_all_with_waits(crate::services::now_unix()));
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(2), answer(stream, body)).await;
                });
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
            }
        }
    }
}

async fn answer(mut stream: TcpStream, body: String) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// Pure: the pools in the Prometheus text exposition format, OpenTelemetry names.
pub fn exposition(pools: &[(PoolStats, Option<WaitHistogram>)]) -> String {
    let mut out = String::new();
    let label = |p: &PoolStats| format!("pool_name=\"{}\"", escape(&p.name));
    out.push_str("# HELP db_client_connection_count The number of connections that are currently in state described by the state attribute\n");
    out.push_str("# TYPE db_client_connection_count gauge\n");
    for (p, _) in pools {
        let _ = writeln!(
            out,
            "db_client_connection_count{{{},state=\"used\"}} {}",
            label(p),
            p.in_use
        );
        let _ = writeln!(
            out,
            "db_client_connection_count{{{},state=\"idle\"}} {}",
            label(p),
            p.idle
        );
    }
    out.push_str("# TYPE db_client_connection_max gauge\n");
    for (p, _) in pools {
        let _ = writeln!(out, "db_client_connection_max{{{}}} {}", label(p), p.max);
    }
    out.push_str("# TYPE db_client_connection_pending_requests gauge\n");
    for (p, _) in pools {
        let _ = writeln!(
            out,
            "db_client_connection_pending_requests{{{}}} {}",
            label(p),
            p.waiting
        );
    }
    out.push_str("# TYPE db_client_connection_timeouts_total counter\n");
    for (p, _) in pools {
        let _ = writeln!(
            out,
            "db_client_connection_timeouts_total{{{}}} {}",
            label(p),
            p.timeouts
        );
    }
    out.push_str("# TYPE db_client_connection_wait_time_seconds histogram\n");
    for (p, h) in pools {
        let Some(h) = h else { continue };
        for (bound, count) in &h.buckets {
            let _ = writeln!(
                out,
                "db_client_connection_wait_time_seconds_bucket{{{},le=\"{bound}\"}} {count}",
                label(p)
            );
        }
        let _ = writeln!(
            out,
            "db_client_connection_wait_time_seconds_bucket{{{},le=\"+Inf\"}} {}",
            label(p),
            h.count
        );
        let _ = writeln!(
            out,
            "db_client_connection_wait_time_seconds_sum{{{}}} {}",
            label(p),
            h.sum_s
        );
        let _ = writeln!(
            out,
            "db_client_connection_wait_time_seconds_count{{{}}} {}",
            label(p),
            h.count
        );
    }
    out
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::sources::prometheus::exposition::parse;
    use crate::pool::sources::prometheus::mapping::{Mapping, pool_rows};

    #[test]
    fn the_exposition_parses_back_with_the_monitors_own_parser() {
        let stats = PoolStats {
            source: "demo".into(),
            name: "pipeline \"writer\"".into(),
            max: 4,
            in_use: 4,
            idle: 0,
            waiting: 7,
            timeouts: 2,
            ..Default::default()
        };
        let histogram = WaitHistogram {
            buckets: vec![(0.005, 3), (10.0, 9)],
            sum_s: 4.5,
            count: 10,
        };
        let text = exposition(&[(stats, Some(histogram))]);
        let parsed = parse(&text).expect("valid exposition");
        let rows = pool_rows(&parsed, &Mapping::from_config(None), "demo-api", 0.0);
        assert_eq!(rows.len(), 1, "{text}");
        let row = &rows[0];
        assert_eq!(row.name, "pipeline \"writer\"");
        assert_eq!((row.max, row.in_use, row.idle, row.waiting), (4, 4, 0, 7));
        assert!(row.is_saturated());
    }
}
