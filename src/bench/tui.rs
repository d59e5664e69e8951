//! The real TUI on a benchmark database, in a tmux pane of 120x40 at the default refresh:
//! start-up times from the monitor's own log, then a window at rest measured from outside
//! the process — CPU share from /proc, peak RSS, and the bytes it wrote to the terminal
//! (tmux `pipe-pane`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::report::{Row, Target, Unit};

pub const FIRST_FRAME: Duration = Duration::from_millis(100);
pub const ALL_TABS: Duration = Duration::from_millis(500);
pub const IDLE_CPU_PERCENT: f64 = 1.0;
pub const PEAK_RSS_MIB: f64 = 60.0;
pub const IDLE_OUTPUT_KIB_S: f64 = 2.0;
/// Longest wait for the Sources aggregate's first load before the window at rest begins.
const LOAD_TIMEOUT: Duration = Duration::from_secs(600);

pub struct TuiRun<'a> {
    pub bin: &'a Path,
    pub db: &'a Path,
    /// Where the pane's output, the monitor's log and an empty log directory go.
    pub work: &'a Path,
    /// The window at rest.
    pub rest: Duration,
}

/// Milestones the monitor logs, in ms since its start.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Milestones {
    pub first_frame_ms: Option<f64>,
    pub all_tabs_ms: Option<f64>,
    pub sources_loaded_ms: Option<f64>,
}

/// Read the milestones out of the monitor's log text.
pub fn milestones(log: &str) -> Milestones {
    let after = |needle: &str| {
        log.lines().find_map(|l| {
            let rest = &l[l.find(needle)? + needle.len()..];
            rest.split_whitespace().next()?.parse().ok()
        })
    };
    Milestones {
        first_frame_ms: after("first frame after"),
        all_tabs_ms: after("all tabs filled after"),
        sources_loaded_ms: after("every photometry row read after"),
    }
}

fn tmux(sock: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("tmux")
        .arg("-L")
        .arg(sock)
        .args(args)
        .output()
        .map_err(|e| format!("tmux not runnable: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tmux {}: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// CPU seconds (user + system) of a process so far.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces, closed by the last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(ticks / hz)
}

/// Peak resident set (VmHWM) in MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Run the TUI and measure it; a missing tmux or a failed start is a skipped row, never a panic.
pub fn measure(run: &TuiRun<'_>, scale: &str) -> Vec<Row> {
    match measure_inner(run, scale) {
        Ok(rows) => rows,
        Err(why) => vec![Row::skipped(scale, "TUI in tmux", why)],
    }
}

fn measure_inner(run: &TuiRun<'_>, scale: &str) -> Result<Vec<Row>, String> {
    let sock = format!("contimg-bench-{}", std::process::id());
    let _ = std::fs::create_dir_all(run.work);
    let pane_out = run.work.join("pane-output.bin");
    let log_file = run.work.join("monitor.log");
    let log_dir = run.work.join("logs");
    let _ = std::fs::remove_file(&pane_out);
    let _ = std::fs::remove_file(&log_file);
    let _ = std::fs::create_dir_all(&log_dir);
    struct KillServer(String);
    impl Drop for KillServer {
        fn drop(&mut self) {
            let _ = Command::new("tmux")
                .args(["-L", &self.0, "kill-server"])
                .output();
        }
    }
    let _guard = KillServer(sock.clone());
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    // The pause lets pipe-pane attach before the monitor writes its first byte.
    let shell = format!(
        "sleep 0.5; exec env TERM=xterm-256color {} --config /dev/null --db {} --log-dir {} --log-file {}",
        quote(run.bin),
        quote(run.db),
        quote(&log_dir),
        quote(&log_file),
    );
    tmux(
        &sock,
        &[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "bench",
            "-x",
            "120",
            "-y",
            "40",
            &shell,
        ],
    )?;
    tmux(
        &sock,
        &[
            "pipe-pane",
            "-t",
            "bench",
            "-o",
            &format!("cat >> {}", quote(&pane_out)),
        ],
    )?;
    let pid: u32 = tmux(
        &sock,
        &["display-message", "-p", "-t", "bench", "#{pane_pid}"],
    )?
    .parse()
    .map_err(|e| format!("no pane pid: {e}"))?;
    let started = Instant::now();
    let read_log = || std::fs::read_to_string(&log_file).unwrap_or_default();
    let mut m = Milestones::default();
    while started.elapsed() < LOAD_TIMEOUT {
        std::thread::sleep(Duration::from_millis(200));
        m = milestones(&read_log());
        if m.sources_loaded_ms.is_some() && m.all_tabs_ms.is_some() {
            break;
        }
        if cpu_seconds(pid).is_none() {
            return Err(format!(
                "the monitor exited early; its log: {}",
                read_log().lines().last().unwrap_or("(empty)")
            ));
        }
    }
    let startup_cpu = cpu_seconds(pid).ok_or("the monitor exited")?;
    let startup_wall = started.elapsed().as_secs_f64();
    // Let the last of the load's redraws pass before the window at rest.
    std::thread::sleep(Duration::from_secs(3));
    let (cpu0, bytes0, t0) = (
        cpu_seconds(pid).ok_or("the monitor exited")?,
        file_len(&pane_out),
        Instant::now(),
    );
    std::thread::sleep(run.rest);
    let (cpu1, bytes1, secs) = (
        cpu_seconds(pid).ok_or("the monitor exited during the window at rest")?,
        file_len(&pane_out),
        t0.elapsed().as_secs_f64(),
    );
    let rss = peak_rss_mib(pid).ok_or("the monitor exited")?;
    let _ = tmux(&sock, &["send-keys", "-t", "bench", "q"]);

    let ms = |v: Option<f64>| v.map(|ms| ms / 1000.0);
    let mut rows = Vec::new();
    let mut milestone = |what: &str, v: Option<f64>, target: Option<Duration>| {
        rows.push(match v {
            Some(s) => Row::single(
                scale,
                what,
                Unit::Seconds,
                s,
                target.map(|t| Target::below(t.as_secs_f64())),
            ),
            None => Row::skipped(scale, what, "not seen in the monitor's log"),
        })
    };
    milestone(
        "TUI start → first frame",
        ms(m.first_frame_ms),
        Some(FIRST_FRAME),
    );
    milestone(
        "TUI start → all tabs filled",
        ms(m.all_tabs_ms),
        Some(ALL_TABS),
    );
    milestone(
        "TUI start → every photometry row read (Sources complete)",
        ms(m.sources_loaded_ms),
        None,
    );
    rows.push(
        Row::single(
            scale,
            "TUI CPU during start-up and first load",
            Unit::Percent,
            100.0 * startup_cpu / startup_wall.max(1e-9),
            None,
        )
        .with_note(format!(
            "{startup_cpu:.1} s of CPU over {startup_wall:.1} s"
        )),
    );
    rows.push(Row::single(
        scale,
        &format!("TUI CPU at rest, 2 s refresh ({secs:.0} s window)"),
        Unit::Percent,
        100.0 * (cpu1 - cpu0) / secs,
        Some(Target::below(IDLE_CPU_PERCENT)),
    ));
    rows.push(Row::single(
        scale,
        "TUI peak RSS",
        Unit::MiB,
        rss,
        Some(Target::below(PEAK_RSS_MIB)),
    ));
    rows.push(
        Row::single(
            scale,
            "TUI terminal output at rest",
            Unit::KiBPerSec,
            (bytes1.saturating_sub(bytes0)) as f64 / 1024.0 / secs,
            Some(Target::below(IDLE_OUTPUT_KIB_S)),
        )
        .with_note(format!("{} bytes in all", file_len(&pane_out))),
    );
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestones_come_from_the_log_lines() {
        let log = "2026-11-26T10:00:00Z INFO contimg_monitor::terminal: first frame after 4 ms\n\
                   ... all tabs filled after 131 ms\n\
                   ... Sources: every photometry row read after 2210 ms (50000 sources)\n";
        assert_eq!(
            milestones(log),
            Milestones {
                first_frame_ms: Some(4.0),
                all_tabs_ms: Some(131.0),
                sources_loaded_ms: Some(2210.0),
            }
        );
        assert_eq!(milestones("nothing"), Milestones::default());
    }
}
