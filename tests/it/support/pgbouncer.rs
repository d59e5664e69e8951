//! A real pgbouncer in front of the test PostgreSQL, on a free loopback port.
//!
//! Needs the Debian package `pgbouncer`. Without it the tests are skipped loudly, or fail
//! when `CONTIMG_REQUIRE_POSTGRES=1` (CI) says the servers must be there. pgbouncer will
//! not run as root: under root it runs as the same unprivileged user as PostgreSQL.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::postgres::PgServer;

pub const SKIP_MESSAGE: &str = "pgbouncer tests SKIPPED: no pgbouncer binary found";
const REQUIRE_ENV: &str = "CONTIMG_REQUIRE_POSTGRES";
/// Users PostgreSQL's support may run the server as; pgbouncer runs as the first that exists.
const SERVICE_USERS: [&str; 2] = ["postgres", "contimg-test"];
const PORT_ATTEMPTS: u32 = 5;
const READY_WITHIN: Duration = Duration::from_secs(10);

/// How the pooler is set up for a test: the demo's settings (transaction pooling).
pub use contimg_monitor::demo::pgbouncer::PoolerSettings;

pub struct Pgbouncer {
    root: tempfile::TempDir,
    port: u16,
    child: Child,
}

impl Pgbouncer {
    /// Start pgbouncer in front of `server` (all its databases, user `postgres`, trust auth;
    /// `postgres` is also the admin). `None`, after a loud message, when it is not installed.
    pub fn start(server: &PgServer, settings: PoolerSettings) -> Option<Pgbouncer> {
        let Some(bin) = contimg_monitor::demo::pgbouncer::find_binary() else {
            if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
                panic!("{SKIP_MESSAGE} ({REQUIRE_ENV}=1 requires it)");
            }
            eprintln!("\n========================================================");
            eprintln!("  {SKIP_MESSAGE}");
            eprintln!("  (install the Debian package `pgbouncer` to run them)");
            eprintln!("========================================================\n");
            return None;
        };
        let root = tempfile::Builder::new()
            .prefix("contimg-pgbouncer-")
            .tempdir()
            .expect("temporary directory for pgbouncer");
        let ids = service_ids();
        if let Some((uid, gid)) = ids {
            chown(root.path(), uid, gid);
        }
        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            write_config(root.path(), port, server.port(), settings);
            let mut command = Command::new(&bin);
            command
                .arg(root.path().join("pgbouncer.ini"))
                .current_dir(root.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Some((uid, gid)) = ids {
                command.uid(uid).gid(gid);
            }
            let mut child = command.spawn().expect("run pgbouncer");
            if contimg_monitor::demo::pgbouncer::wait_until_listening(port, &mut child) {
                return Some(Pgbouncer { root, port, child });
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log =
                std::fs::read_to_string(root.path().join("pgbouncer.log")).unwrap_or_default();
        }
        panic!("pgbouncer would not start after {PORT_ATTEMPTS} ports:\n{last_log}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A database through the pooler, as `postgres`.
    pub fn url_for(&self, database: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The admin console.
    pub fn admin_url(&self) -> String {
        self.url_for("pgbouncer")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for Pgbouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The demo's pgbouncer.ini (one source for both), and the user list trust auth still needs.
fn write_config(root: &Path, port: u16, pg_port: u16, settings: PoolerSettings) {
    let ini = contimg_monitor::demo::pgbouncer::config_text(root, port, pg_port, settings);
    std::fs::write(root.join("pgbouncer.ini"), ini).expect("write pgbouncer.ini");
    // trust still needs the user listed.
    std::fs::write(root.join("userlist.txt"), "\"postgres\" \"\"\n").expect("write userlist");
}

/// The uid/gid to run as when we are root (pgbouncer refuses root), else `None`.
fn service_ids() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let id = |flag: &str, user: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    let ids = SERVICE_USERS
        .iter()
        .find_map(|user| Some((id("-u", user)?, id("-g", user)?)));
    Some(ids.expect("PostgreSQL's support created an unprivileged user to run servers as"))
}

fn chown(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown the pgbouncer directory");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free TCP port on 127.0.0.1")
}
