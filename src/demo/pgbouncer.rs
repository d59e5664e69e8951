//! pgbouncer in front of the demo's PostgreSQL, so `demo --with-postgres` can show a pooler's
//! queue for real: loopback only, a free port, transaction pooling with a small pool, trust
//! authentication, `postgres` as the admin of the `pgbouncer` console. pgbouncer refuses to
//! run as root, so under root it runs as the same unprivileged user as the demo's PostgreSQL
//! (and its directory must be one that user can reach, like the server's).
//!
//! Killed, and its directory removed, when dropped. Blocking: call from `spawn_blocking`.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::pool::sources::{PoolSourceConfig, SourceKind};

/// Server connections per database/user pair: small, so a burst of clients queues.
pub const DEMO_POOL_SIZE: u32 = 4;
/// Client connections pgbouncer accepts in all.
const MAX_CLIENT_CONN: u32 = 100;
/// The console's pseudo-database.
const ADMIN_DB: &str = "pgbouncer";
/// Users the demo's PostgreSQL may run as under root (see `demo::postgres`), in its order.
const SERVICE_USERS: [&str; 2] = ["postgres", "contimg-demo"];
/// Attempts at a free port: another program may take ours between probe and bind.
const PORT_ATTEMPTS: u32 = 5;
const READY_WITHIN: Duration = Duration::from_secs(10);

#[derive(Debug, Error)]
pub enum DemoPgbouncerError {
    #[error("cannot prepare {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error("no unprivileged user to run pgbouncer as (looked for {0})")]
    NoServiceUser(String),
    #[error("pgbouncer did not start after {attempts} ports: {log}")]
    NotListening { attempts: u32, log: String },
}

/// How the demo's pooler is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolerSettings {
    /// `default_pool_size`.
    pub pool_size: u32,
    pub max_client_conn: u32,
}

impl Default for PoolerSettings {
    fn default() -> Self {
        PoolerSettings {
            pool_size: DEMO_POOL_SIZE,
            max_client_conn: MAX_CLIENT_CONN,
        }
    }
}

pub struct DemoPgbouncer {
    root: PathBuf,
    port: u16,
    settings: PoolerSettings,
    child: Child,
}

impl DemoPgbouncer {
    /// Start pgbouncer under `root` (created; emptied first) in front of the PostgreSQL on
    /// loopback port `pg_port`. `Ok(None)` when pgbouncer is not installed.
    pub fn start(
        root: &Path,
        pg_port: u16,
        settings: PoolerSettings,
    ) -> Result<Option<DemoPgbouncer>, DemoPgbouncerError> {
        let Some(bin) = find_binary() else {
            return Ok(None);
        };
        DemoPgbouncer::start_binary(&bin, root, pg_port, settings).map(Some)
    }

    /// Start `bin` as the pooler (see [`DemoPgbouncer::start`]).
    pub fn start_binary(
        bin: &Path,
        root: &Path,
        pg_port: u16,
        settings: PoolerSettings,
    ) -> Result<DemoPgbouncer, DemoPgbouncerError> {
        let run_as = service_ids()?;
        prepare_dir(root, run_as)?;
        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port().map_err(|source| DemoPgbouncerError::Dir {
                path: root.to_path_buf(),
                source,
            })?;
            let write = |name: &str, text: String| {
                let path = root.join(name);
                std::fs::write(&path, text)
                    .map_err(|source| DemoPgbouncerError::Dir { path, source })
            };
            write("pgbouncer.ini", config_text(root, port, pg_port, settings))?;
            // Trust authentication still wants the user listed.
            write("userlist.txt", "\"postgres\" \"\"\n".to_string())?;
            let mut command = Command::new(bin);
            command
                .arg(root.join("pgbouncer.ini"))
                .current_dir(root)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Some((uid, gid)) = run_as {
                command.uid(uid).gid(gid);
            }
            let mut child = command
                .spawn()
                .map_err(|source| DemoPgbouncerError::Spawn {
                    program: bin.to_path_buf(),
                    source,
                })?;
            if wait_until_listening(port, &mut child) {
                return Ok(DemoPgbouncer {
                    root: root.to_path_buf(),
                    port,
                    settings,
                    child,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(root.join("pgbouncer.log")).unwrap_or_default();
        }
        let _ = std::fs::remove_dir_all(root);
        Err(DemoPgbouncerError::NotListening {
            attempts: PORT_ATTEMPTS,
            log: last_log.lines().last().unwrap_or("(empty log)").to_string(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool_size(&self) -> u32 {
        self.settings.pool_size
    }

    /// A database through the pooler, as `postgres` (trust, loopback).
    pub fn url_for(&self, database: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The admin console.
    pub fn admin_url(&self) -> String {
        self.url_for(ADMIN_DB)
    }

    /// The process id, to check that it is gone after a stop.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What pgbouncer logged, for messages when something goes wrong.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("pgbouncer.log")).unwrap_or_default()
    }

    /// The pool sources that watch this pooler and the server behind it (see
    /// [`pool_sources`]).
    pub fn pool_sources(&self, server_url: &str, app: &str) -> Vec<PoolSourceConfig> {
        pool_sources(&self.admin_url(), server_url, app, self.settings.pool_size)
    }

    /// Kill pgbouncer and remove its directory.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Drop for DemoPgbouncer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The pooler's admin console, and `pg_stat_activity` of `server_url` with `app`'s pool size
/// known: every server connection of the pooler carries the client's application_name.
pub fn pool_sources(
    admin_url: &str,
    server_url: &str,
    app: &str,
    pool_size: u32,
) -> Vec<PoolSourceConfig> {
    let source = |kind, name: &str, url: &str, interval_ms| PoolSourceConfig {
        kind,
        name: Some(name.to_string()),
        url: url.to_string(),
        interval_ms,
        timeout_ms: 800,
        enabled: true,
        max_per_app: Default::default(),
        mapping: None,
    };
    let bouncer = source(SourceKind::Pgbouncer, "demo-pgbouncer", admin_url, 1000);
    let mut server = source(SourceKind::Postgres, "demo-postgres", server_url, 2000);
    server.max_per_app.insert(app.to_string(), pool_size);
    vec![bouncer, server]
}

/// Where the demo's pgbouncer lives: beside the PostgreSQL directory `run_demo` picks, i.e.
/// in the demo directory, or under the temporary directory when it runs as another user.
pub fn demo_root(demo_dir: &Path) -> PathBuf {
    if crate::demo::postgres::DemoPostgres::needs_shared_dir() {
        std::env::temp_dir().join(format!("contimg-demo-pgbouncer-{}", std::process::id()))
    } else {
        demo_dir.join("pgbouncer")
    }
}

/// The whole `pgbouncer.ini`: every database of the server behind it, on loopback.
pub fn config_text(root: &Path, port: u16, pg_port: u16, settings: PoolerSettings) -> String {
    format!(
        "[databases]\n\
         * = host=127.0.0.1 port={pg_port}\n\
         \n\
         [pgbouncer]\n\
         listen_addr = 127.0.0.1\n\
         listen_port = {port}\n\
         unix_socket_dir =\n\
         auth_type = trust\n\
         auth_file = {root}/userlist.txt\n\
         admin_users = postgres\n\
         stats_users = postgres\n\
         pool_mode = transaction\n\
         default_pool_size = {size}\n\
         reserve_pool_size = 0\n\
         max_client_conn = {clients}\n\
         ignore_startup_parameters = extra_float_digits,options\n\
         server_login_retry = 1\n\
         logfile = {root}/pgbouncer.log\n\
         pidfile = {root}/pgbouncer.pid\n",
        root = root.display(),
        size = settings.pool_size,
        clients = settings.max_client_conn,
    )
}

fn prepare_dir(root: &Path, run_as: Option<(u32, u32)>) -> Result<(), DemoPgbouncerError> {
    let dir_err = |source| DemoPgbouncerError::Dir {
        path: root.to_path_buf(),
        source,
    };
    if root.exists() {
        std::fs::remove_dir_all(root).map_err(dir_err)?;
    }
    std::fs::create_dir_all(root).map_err(dir_err)?;
    if let Some((uid, gid)) = run_as {
        std::os::unix::fs::chown(root, Some(uid), Some(gid)).map_err(dir_err)?;
    }
    Ok(())
}

/// Whether `child` accepts connections on loopback `port` before giving up (or dying).
pub fn wait_until_listening(port: u16, child: &mut Child) -> bool {
    let deadline = Instant::now() + READY_WITHIN;
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// `/usr/sbin` first: Debian installs it there, outside a normal user's PATH.
pub fn find_binary() -> Option<PathBuf> {
    let mut dirs = vec![PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    find_binary_in(&dirs)
}

/// The first `pgbouncer` file in `dirs`.
pub fn find_binary_in(dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter()
        .map(|d| d.join("pgbouncer"))
        .find(|p| p.is_file())
}

/// The uid/gid to run as when we are root (pgbouncer refuses root), else `None`.
fn service_ids() -> Result<Option<(u32, u32)>, DemoPgbouncerError> {
    if !crate::demo::postgres::DemoPostgres::needs_shared_dir() {
        return Ok(None);
    }
    let id = |flag: &str, user: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    SERVICE_USERS
        .iter()
        .find_map(|user| Some((id("-u", user)?, id("-g", user)?)))
        .map(Some)
        .ok_or_else(|| DemoPgbouncerError::NoServiceUser(SERVICE_USERS.join(", ")))
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::sources::config::validate_all;

    #[test]
    fn the_pooler_queues_clients_behind_a_small_transaction_pool_on_loopback() {
        let ini = config_text(Path::new("/tmp/b"), 6543, 5433, PoolerSettings::default());
        for line in [
            "* = host=127.0.0.1 port=5433",
            "listen_addr = 127.0.0.1",
            "listen_port = 6543",
            "pool_mode = transaction",
            "default_pool_size = 4",
            "max_client_conn = 100",
            "admin_users = postgres",
            "logfile = /tmp/b/pgbouncer.log",
        ] {
            assert!(ini.lines().any(|l| l == line), "{line:?} missing in\n{ini}");
        }
    }

    #[test]
    fn the_monitor_watches_the_console_and_the_server_with_the_pool_size_known() {
        let sources = pool_sources(
            "postgresql://postgres@127.0.0.1:6543/pgbouncer",
            "postgresql://postgres@127.0.0.1:5433/dsa110_absurd",
            "contimg-api",
            DEMO_POOL_SIZE,
        );
        validate_all(&sources).expect("the demo's sources are valid");
        assert_eq!(sources[0].kind, SourceKind::Pgbouncer);
        assert_eq!(sources[1].kind, SourceKind::Postgres);
        assert_eq!(sources[1].max_per_app.get("contimg-api"), Some(&4));
        assert!(sources[1].url.ends_with(":5433/dsa110_absurd"));
    }

    #[test]
    fn without_pgbouncer_installed_there_is_nothing_to_start() {
        assert_eq!(find_binary_in(&[]), None);
        let empty = std::env::temp_dir().join(format!("contimg-no-pgb-{}", std::process::id()));
        assert_eq!(find_binary_in(&[empty]), None);
    }

    #[test]
    fn a_pooler_that_will_not_start_is_an_error_with_its_last_words_and_leaves_no_directory() {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::temp_dir().join(format!("contimg-bad-pgb-{}", std::process::id()));
        std::fs::create_dir_all(&base).expect("temporary directory");
        // Reachable by the unprivileged user too, when the tests run as root.
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let fake = base.join("pgbouncer");
        std::fs::write(
            &fake,
            "#!/bin/sh\necho 'FATAL cannot load config' > pgbouncer.log\nexit 1\n",
        )
        .expect("write the fake");
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(
            find_binary_in(std::slice::from_ref(&base)),
            Some(fake.clone())
        );

        let root = base.join("root");
        let result = DemoPgbouncer::start_binary(&fake, &root, 5432, PoolerSettings::default());
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("did not start"), "{message}");
        assert!(message.contains("FATAL cannot load config"), "{message}");
        assert!(!root.exists(), "nothing left behind");
        let _ = std::fs::remove_dir_all(&base);
    }
}
