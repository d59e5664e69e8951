//! `contimg-monitor fits-header FILE... [-k KEYWORD]...`: the cards of every HDU, like
//! astropy's `fitsheader`. `format_fitsheader` makes cards inert (a header may hold escapes).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::fits::print::format_fitsheader;
use crate::fits::read::read_header;
use crate::text::sanitize_line;

/// Exit code 0 when every file was read, 1 otherwise (each failure says why on stderr).
pub fn run(files: &[PathBuf], keywords: &[String]) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for (i, file) in files.iter().enumerate() {
        match read_header(file) {
            Ok(doc) => {
                let separator = if i > 0 { "\n" } else { "" };
                if write!(out, "{separator}{}", format_fitsheader(&doc, keywords)).is_err() {
                    return ExitCode::from(1);
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("{}: {}", sanitize_line(&file.display().to_string()), e);
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
