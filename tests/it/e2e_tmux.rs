//! End to end: the real binary in a real terminal (tmux) at 80x24, on the fixture database.
//! An operator switches to Jobs, filters to failed jobs, opens one and reads why it failed;
//! then the process is killed with SIGTERM and the terminal must be restored.
//! Waits poll the screen for the expected text; nothing sleeps a fixed time and hopes.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const NOW: f64 = 1_761_056_599.0; // 2025-10-21 14:23:19 UTC

struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("running tmux")
    }

    fn start(socket: &str, command: &str) -> Tmux {
        let t = Tmux {
            socket: socket.to_string(),
            session: "e2e".to_string(),
        };
        let out = t.cmd(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            &t.session,
            "-x",
            "80",
            "-y",
            "24",
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        t.cmd(&["set-option", "-t", &t.session, "remain-on-exit", "on"]);
        let out = t.cmd(&["respawn-pane", "-k", "-t", &t.session, command]);
        assert!(out.status.success(), "tmux respawn-pane: {out:?}");
        t
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(
            &self
                .cmd(&["capture-pane", "-p", "-t", &self.session])
                .stdout,
        )
        .into_owned()
    }

    fn display(&self, format: &str) -> String {
        String::from_utf8_lossy(
            &self
                .cmd(&["display-message", "-p", "-t", &self.session, format])
                .stdout,
        )
        .trim()
        .to_string()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success());
    }

    /// Poll the screen until `predicate` holds, or fail with the last screen.
    fn wait_for(&self, what: &str, predicate: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if predicate(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_finds_why_a_job_failed_and_sigterm_restores_the_terminal() {
    if !tmux_available() {
        assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let paths = contimg_monitor::demo::build_fixture(dir.path(), NOW)
        .await
        .unwrap();
    let bin = env!("CARGO_BIN_EXE_contimg-monitor");
    let command = format!(
        "sh -c \"env -u NO_COLOR TERM=xterm-256color {bin} --config /dev/null --db {} --log-dir {}; \
         echo EXITED \\$?; sleep 60\"",
        quote(&paths.db),
        quote(&paths.logs_dir)
    );
    let socket = format!("contimg-e2e-{}", std::process::id());
    let tmux = Tmux::start(&socket, &command);

    tmux.wait_for("the Images tab with rows", |s| {
        s.contains("Images") && s.contains("pbcor")
    });
    tmux.keys(&["3"]);
    tmux.wait_for("the Jobs tab", |s| {
        s.contains("succeeded") || s.contains("running")
    });
    tmux.keys(&["f"]);
    tmux.wait_for("only failed jobs", |s| {
        s.contains("status:failed")
            && s.matches(" failed").count() >= 3
            && !s.contains("succeeded")
            && !s.contains("running")
            && !s.contains("loading")
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the job's error", |s| {
        s.contains("Error") && (s.contains("Error:") || s.contains("Traceback"))
    });

    // The pane runs a shell that waits after the monitor exits, so the terminal's state can
    // be read afterwards (a dead pane's modes are reset by tmux and would prove nothing).
    let shell = tmux.display("#{pane_pid}");
    let pid = child_of(&shell);
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let after = tmux.wait_for("the monitor to exit", |s| s.contains("EXITED"));
    assert!(
        after.contains("EXITED 0"),
        "exit status after SIGTERM:\n{after}"
    );
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "0",
        "still on the alternate screen"
    );
    assert_eq!(tmux.display("#{cursor_flag}"), "1", "cursor left hidden");
}

/// The pid of the one child of `parent` (the monitor under its shell).
fn child_of(parent: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = Command::new("pgrep").args(["-P", parent]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if let Some(pid) = text.lines().next() {
            return pid.to_string();
        }
        assert!(Instant::now() < deadline, "no child process of {parent}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_missing_database_shows_a_clear_reason_and_the_monitor_keeps_running() {
    if !tmux_available() {
        assert!(std::env::var_os("CI").is_none(), "tmux is required in CI");
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.sqlite3");
    let bin = env!("CARGO_BIN_EXE_contimg-monitor");
    let command = format!("{bin} --config /dev/null --db {}", quote(&missing));
    let socket = format!("contimg-e2e-missing-{}", std::process::id());
    let tmux = Tmux::start(&socket, &command);
    tmux.wait_for("the reason", |s| {
        s.contains("cannot read the pipeline database") && s.contains("not found")
    });
    assert_eq!(tmux.display("#{pane_dead}"), "0", "the monitor exited");
    tmux.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.display("#{pane_dead}") != "1" {
        assert!(Instant::now() < deadline, "q did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(tmux.display("#{alternate_on}"), "0");
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}
