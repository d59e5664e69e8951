//! A real, throw-away PostgreSQL server for the test suite.
//!
//! `PgServer::shared()` starts one server per test binary (tests then make their own
//! databases); `PgServer::start()` gives a test its own server, e.g. to stop and restart it.
//! Without server binaries the tests are skipped loudly, or fail when
//! `CONTIMG_REQUIRE_POSTGRES=1` (CI) says PostgreSQL must be there. On Debian the binaries
//! come from the `postgresql` package (it pulls in `postgresql-15` and its client tools).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

pub const SKIP_MESSAGE: &str = "PostgreSQL tests SKIPPED: no PostgreSQL server binaries found";
const REQUIRE_ENV: &str = "CONTIMG_REQUIRE_POSTGRES";
/// The database the pipeline uses; `url()` points at it.
pub const QUEUE_DB: &str = "dsa110_absurd";
/// The unprivileged user created when running as root on a machine without `postgres`.
const FALLBACK_USER: &str = "contimg-test";
/// Attempts at a free port: another test binary may take ours between probe and bind.
const PORT_ATTEMPTS: u32 = 5;

pub struct PgServer {
    bin: PathBuf,
    /// Holds the data directory, the socket and the log; `None` once removed.
    root: Option<tempfile::TempDir>,
    port: AtomicU32,
    /// Run server tools as this user (when the tests run as root).
    run_as: Option<String>,
    running: AtomicBool,
}

impl PgServer {
    /// Start a fresh server, or `None` (after a loud message) when PostgreSQL is not installed.
    /// Panics when the binaries exist but the server will not start: that is a real failure.
    pub fn start() -> Option<PgServer> {
        let Some(bin) = find_bin_dir() else {
            if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
                panic!("{SKIP_MESSAGE} ({REQUIRE_ENV}=1 requires them)");
            }
            eprintln!("\n========================================================");
            eprintln!("  {SKIP_MESSAGE}");
            eprintln!("  (install the Debian package `postgresql` to run them)");
            eprintln!("========================================================\n");
            return None;
        };
        let run_as = unprivileged_user();
        let root = tempfile::Builder::new()
            .prefix("contimg-pg-")
            .tempdir()
            .expect("temporary directory for PostgreSQL");
        if let Some(user) = &run_as {
            run_checked(Command::new("chown").args(["-R", user]).arg(root.path()));
        }
        let server = PgServer {
            bin,
            root: Some(root),
            port: AtomicU32::new(0),
            run_as,
            running: AtomicBool::new(false),
        };
        server.initdb();
        server.start_on_free_port();
        server.create_database(QUEUE_DB);
        Some(server)
    }

    /// One server for the whole test binary, stopped when the process exits.
    pub fn shared() -> Option<&'static PgServer> {
        static SHARED: OnceLock<Option<PgServer>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let server = PgServer::start()?;
                // Statics are never dropped: an exit hook stops the server instead.
                let _ =
                    SHARED_ROOT.set((server.data_dir(), server.bin.clone(), server.run_as.clone()));
                // SAFETY: `stop_shared_at_exit` is a plain `extern "C" fn()` that only runs
                // `pg_ctl` and removes a directory; registering it has no other effect.
                unsafe {
                    libc::atexit(stop_shared_at_exit);
                }
                Some(server)
            })
            .as_ref()
    }

    pub fn port(&self) -> u16 {
        self.port.load(Ordering::SeqCst) as u16
    }

    /// The pipeline's queue database, as the superuser `postgres` over TCP.
    pub fn url(&self) -> String {
        self.url_for(QUEUE_DB)
    }

    /// The server's own `postgres` database, for administrative statements.
    pub fn admin_url(&self) -> String {
        self.url_for("postgres")
    }

    pub fn url_for(&self, database: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{database}", self.port())
    }

    /// Create an empty database (dropping any earlier one of that name) and return its URL.
    pub fn create_database(&self, name: &str) -> String {
        let port = self.port().to_string();
        let common = ["-h", "127.0.0.1", "-p", &port, "-U", "postgres"];
        run_checked(self.tool("dropdb").args(common).args(["--if-exists", name]));
        run_checked(self.tool("createdb").args(common).arg(name));
        self.url_for(name)
    }

    /// Stop the server (fast shutdown: sessions are cut, as when the host restarts it).
    pub fn stop(&self) {
        if self.running.swap(false, Ordering::SeqCst) {
            run_checked(self.pg_ctl().args(["stop", "-m", "fast", "-w", "-t", "30"]));
        }
    }

    /// Start the stopped server again on the same port and data.
    pub fn start_again(&self) {
        if !self.running.load(Ordering::SeqCst) {
            let out = self.try_start(self.port());
            assert!(
                out.status.success(),
                "PostgreSQL did not restart on port {}: {}\n{}",
                self.port(),
                String::from_utf8_lossy(&out.stderr),
                self.server_log()
            );
            self.running.store(true, Ordering::SeqCst);
        }
    }

    fn root(&self) -> &Path {
        self.root
            .as_ref()
            .map(|r| r.path())
            .expect("server directory exists while the server does")
    }

    fn data_dir(&self) -> PathBuf {
        self.root().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.root().join("server.log")
    }

    fn server_log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn tool(&self, name: &str) -> Command {
        tool_command(&self.bin, self.run_as.as_deref(), name, self.root())
    }

    fn pg_ctl(&self) -> Command {
        let mut cmd = self.tool("pg_ctl");
        cmd.arg("-D").arg(self.data_dir());
        cmd
    }

    fn initdb(&self) {
        run_checked(
            self.tool("initdb")
                .arg("-D")
                .arg(self.data_dir())
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8"])
                .args(["--locale=C", "--no-sync", "--no-instructions"]),
        );
    }

    fn start_on_free_port(&self) {
        let mut last_error = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            let out = self.try_start(port);
            if out.status.success() {
                self.port.store(u32::from(port), Ordering::SeqCst);
                self.running.store(true, Ordering::SeqCst);
                return;
            }
            last_error = format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.server_log()
            );
        }
        panic!("PostgreSQL would not start after {PORT_ATTEMPTS} ports: {last_error}");
    }

    fn try_start(&self, port: u16) -> Output {
        // Durability settings are off: this data lives for one test run.
        let server_options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c dynamic_shared_memory_type=mmap -c max_connections=60 -c shared_buffers=32MB",
            self.root().display()
        );
        self.pg_ctl()
            .arg("-l")
            .arg(self.log_path())
            .args(["-o", &server_options, "-w", "-t", "30", "start"])
            .output()
            .expect("run pg_ctl")
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.running.swap(false, Ordering::SeqCst) {
            // Immediate: nothing here needs a clean shutdown, and tests should not wait.
            let _ = self
                .pg_ctl()
                .args(["stop", "-m", "immediate", "-w", "-t", "10"])
                .output();
        }
        if let Some(root) = self.root.take() {
            let _ = root.close();
        }
    }
}

/// What the exit hook needs to stop the shared server: data dir, bin dir, user.
static SHARED_ROOT: OnceLock<(PathBuf, PathBuf, Option<String>)> = OnceLock::new();

extern "C" fn stop_shared_at_exit() {
    if let Some((data, bin, run_as)) = SHARED_ROOT.get() {
        let root = data
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| data.clone());
        let _ = tool_command(bin, run_as.as_deref(), "pg_ctl", &root)
            .arg("-D")
            .arg(data)
            .args(["stop", "-m", "immediate", "-w", "-t", "10"])
            .output();
        let _ = std::fs::remove_dir_all(&root);
    }
}

fn tool_command(bin: &Path, run_as: Option<&str>, name: &str, cwd: &Path) -> Command {
    let program = bin.join(name);
    let mut cmd = match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    // The server user may not be allowed into the test's working directory.
    cmd.current_dir(cwd);
    cmd.env_remove("PGDATA")
        .env_remove("PGHOST")
        .env_remove("PGPORT");
    cmd
}

fn run_checked(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The same PostgreSQL binaries the demo uses.
fn find_bin_dir() -> Option<PathBuf> {
    contimg_monitor::demo::postgres::find_bin_dir()
}

/// PostgreSQL refuses to run as root: pick (or create) a user to run it as.
fn unprivileged_user() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let exists = |user: &str| {
        Command::new("id")
            .args(["-u", user])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if exists("postgres") {
        return Some("postgres".into());
    }
    if !exists(FALLBACK_USER) {
        // Another test binary may create it at the same moment; only its existence matters.
        let _ = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(FALLBACK_USER)
            .output();
        assert!(
            exists(FALLBACK_USER),
            "could not create user {FALLBACK_USER}"
        );
    }
    Some(FALLBACK_USER.into())
}

/// A port the kernel considers free right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free TCP port on 127.0.0.1")
}
