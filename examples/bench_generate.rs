//! Build (or reuse) the benchmark databases and report how long each took and how big it is:
//!
//! ```text
//! cargo run --release --example bench_generate -- [--dir DIR] [--force] [tiny|day|month|year]...
//! ```
//!
//! Default: day, month and year into /tmp/contimg-bench-gen. `--force` removes the version
//! markers first, so every scale is built anew. `RUST_LOG=info` shows each build phase.

use std::path::PathBuf;

use anyhow::{Context, bail};
use contimg_monitor::bench::Scale;
use contimg_monitor::bench::generate::ensure;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let mut dir = PathBuf::from("/tmp/contimg-bench-gen");
    let mut force = false;
    let mut scales = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = args.next().context("--dir needs a directory")?.into(),
            "--force" => force = true,
            name => match Scale::by_name(name) {
                Some(s) => scales.push(s),
                None => bail!("unknown scale {name:?} (tiny, day, month, year)"),
            },
        }
    }
    if scales.is_empty() {
        scales = vec![Scale::DAY, Scale::MONTH, Scale::YEAR];
    }
    println!("| scale | MS | photometry | build | file |");
    println!("|---|---:|---:|---:|---:|");
    for scale in scales {
        if force {
            let _ = std::fs::remove_file(dir.join(format!("{}.sqlite3.version", scale.name)));
        }
        let built = ensure(&dir, &scale).await?;
        let size = std::fs::metadata(&built.path)?.len();
        let took = built.built_in.map_or("reused".to_string(), |d| {
            format!("{:.1} s", d.as_secs_f64())
        });
        println!(
            "| {} | {} | {} | {took} | {:.1} MiB |",
            scale.name,
            scale.ms,
            scale.photometry,
            size as f64 / (1024.0 * 1024.0)
        );
    }
    Ok(())
}
