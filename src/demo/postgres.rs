//! A throw-away PostgreSQL server for `demo --with-postgres`: `initdb` into a directory of its
//! own, listening on loopback only, on a free port, run as the `postgres` user (or a system
//! user created for it) when the demo runs as root, since PostgreSQL refuses to run as root.
//! Stopped (and its directory removed) when dropped. Blocking: call from `spawn_blocking`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use thiserror::Error;

/// The pipeline's queue database.
pub const QUEUE_DB: &str = "dsa110_absurd";
/// The unprivileged user created when running as root on a machine without `postgres`.
const FALLBACK_USER: &str = "contimg-demo";
/// Attempts at a free port: another program may take ours between probe and bind.
const PORT_ATTEMPTS: u32 = 5;

#[derive(Debug, Error)]
pub enum DemoPgError {
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} failed: {message}")]
    Failed { program: String, message: String },
    #[error("cannot prepare {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub struct DemoPostgres {
    bin: PathBuf,
    root: PathBuf,
    port: u16,
    run_as: Option<String>,
    running: bool,
}

impl DemoPostgres {
    /// Start a fresh server under `root` (created; emptied first). `Ok(None)` when no server
    /// binaries are installed.
    pub fn start(root: &Path) -> Result<Option<DemoPostgres>, DemoPgError> {
        let Some(bin) = find_bin_dir() else {
            return Ok(None);
        };
        let run_as = unprivileged_user()?;
        let dir_err = |source| DemoPgError::Dir {
            path: root.to_path_buf(),
            source,
        };
        if root.exists() {
            std::fs::remove_dir_all(root).map_err(dir_err)?;
        }
        std::fs::create_dir_all(root).map_err(dir_err)?;
        let mut server = DemoPostgres {
            bin,
            root: root.to_path_buf(),
            port: 0,
            run_as,
            running: false,
        };
        if let Some(user) = &server.run_as {
            run_checked(Command::new("chown").args(["-R", user]).arg(root))?;
        }
        run_checked(
            server
                .tool("initdb")
                .arg("-D")
                .arg(server.data_dir())
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8"])
                .args(["--locale=C", "--no-sync", "--no-instructions"]),
        )?;
        server.start_on_free_port()?;
        let port = server.port.to_string();
        run_checked(server.tool("createdb").args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            QUEUE_DB,
        ]))?;
        Ok(Some(server))
    }

    /// The queue database's URL (superuser over loopback, trust authentication).
    pub fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{QUEUE_DB}", self.port)
    }

    /// Where the root must live when the server runs as another user: somewhere that user
    /// can reach (a home under `/root` is not).
    pub fn needs_shared_dir() -> bool {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() == 0 }
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        };
        cmd.current_dir(&self.root);
        cmd.env_remove("PGDATA")
            .env_remove("PGHOST")
            .env_remove("PGPORT");
        cmd
    }

    fn start_on_free_port(&mut self) -> Result<(), DemoPgError> {
        let mut last = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port().map_err(|e| DemoPgError::Failed {
                program: "bind".into(),
                message: e.to_string(),
            })?;
            let options = format!(
                "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} \
                 -c fsync=off -c synchronous_commit=off -c max_connections=40 \
                 -c shared_buffers=32MB",
                self.root.display()
            );
            let out = self
                .tool("pg_ctl")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(self.root.join("server.log"))
                .args(["-o", &options, "-w", "-t", "30", "start"])
                .output()
                .map_err(|source| DemoPgError::Spawn {
                    program: "pg_ctl".into(),
                    source,
                })?;
            if out.status.success() {
                self.port = port;
                self.running = true;
                return Ok(());
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
        }
        Err(DemoPgError::Failed {
            program: "pg_ctl start".into(),
            message: last,
        })
    }

    /// Stop the server and remove its directory.
    pub fn stop(&mut self) {
        if std::mem::take(&mut self.running) {
            let _ = self
                .tool("pg_ctl")
                .arg("-D")
                .arg(self.data_dir())
                .args(["stop", "-m", "fast", "-w", "-t", "20"])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Drop for DemoPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run_checked(cmd: &mut Command) -> Result<Output, DemoPgError> {
    let program = format!("{:?}", cmd.get_program());
    let out = cmd.output().map_err(|source| DemoPgError::Spawn {
        program: program.clone(),
        source,
    })?;
    if !out.status.success() {
        return Err(DemoPgError::Failed {
            program,
            message: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(out)
}

/// The newest `/usr/lib/postgresql/N/bin`, else the directory of `pg_ctl` on PATH.
pub fn find_bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres", "createdb", "dropdb"]
            .iter()
            .all(|t| dir.join(t).is_file())
    };
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_tools(bin))
        .collect();
    versioned.sort();
    if let Some((_, bin)) = versioned.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("pg_ctl"))
        .filter(|p| p.is_file())
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .find(|dir| has_tools(dir))
}

/// PostgreSQL refuses to run as root: pick (or create) a user to run it as.
fn unprivileged_user() -> Result<Option<String>, DemoPgError> {
    if !DemoPostgres::needs_shared_dir() {
        return Ok(None);
    }
    let exists = |user: &str| {
        Command::new("id")
            .args(["-u", user])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if exists("postgres") {
        return Ok(Some("postgres".into()));
    }
    if !exists(FALLBACK_USER) {
        run_checked(
            Command::new("useradd")
                .args([
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                ])
                .arg(FALLBACK_USER),
        )?;
    }
    Ok(Some(FALLBACK_USER.into()))
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
