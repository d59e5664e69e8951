//! Formatting of values for cells: times, ages, sizes, fluxes and sky coordinates.

/// `2025-10-21 14:23:19` (UTC) from Unix seconds.
pub fn fmt_utc(unix: f64) -> String {
    if !unix.is_finite() {
        return "?".into();
    }
    let secs = unix.floor() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// `10-21 14:23` (UTC): the short form for narrow columns.
pub fn fmt_utc_short(unix: f64) -> String {
    let full = fmt_utc(unix);
    if full.len() >= 16 {
        full[5..16].to_string()
    } else {
        full
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's method).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Modified Julian Date → Unix seconds.
pub fn mjd_to_unix(mjd: f64) -> f64 {
    (mjd - 40_587.0) * 86_400.0
}

/// Unix seconds → Modified Julian Date.
pub fn unix_to_mjd(unix: f64) -> f64 {
    unix / 86_400.0 + 40_587.0
}

/// A compact duration: `45s`, `3m12s`, `2h05m`, `3d04h`.
pub fn fmt_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "?".into();
    }
    if seconds < 10.0 {
        return format!("{seconds:.1}s");
    }
    let s = seconds.round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// Bytes in binary units: `512 B`, `1.5 KiB`, `101.6 MiB`.
pub fn fmt_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A flux density with a unit that keeps 3 significant figures: `1.23 Jy`, `45.6 mJy`, `789 µJy`.
pub fn fmt_flux_jy(jy: f64) -> String {
    if !jy.is_finite() {
        return "?".into();
    }
    let a = jy.abs();
    if a >= 1.0 {
        format!("{jy:.3} Jy")
    } else if a >= 1e-3 {
        format!("{:.2} mJy", jy * 1e3)
    } else {
        format!("{:.1} µJy", jy * 1e6)
    }
}

/// Right ascension in degrees → `hh:mm:ss.ss`.
pub fn fmt_ra(deg: f64) -> String {
    if !deg.is_finite() {
        return "?".into();
    }
    let hours = deg.rem_euclid(360.0) / 15.0;
    let total_cs = (hours * 3600.0 * 100.0).round() as u64 % (24 * 3600 * 100);
    let (h, rem) = (total_cs / 360_000, total_cs % 360_000);
    let (m, cs) = (rem / 6000, rem % 6000);
    format!("{h:02}:{m:02}:{:02}.{:02}", cs / 100, cs % 100)
}

/// Declination in degrees → `±dd:mm:ss.s`.
pub fn fmt_dec(deg: f64) -> String {
    if !deg.is_finite() {
        return "?".into();
    }
    let sign = if deg < 0.0 { '-' } else { '+' };
    let total_ds = (deg.abs() * 3600.0 * 10.0).round() as u64;
    let (d, rem) = (total_ds / 36_000, total_ds % 36_000);
    let (m, ds) = (rem / 600, rem % 600);
    format!("{sign}{d:02}:{m:02}:{:02}.{}", ds / 10, ds % 10)
}

/// An optional number with fixed decimals, or `-` when absent.
pub fn fmt_opt(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_match_known_dates() {
        assert_eq!(fmt_utc(0.0), "1970-01-01 00:00:00");
        assert_eq!(fmt_utc(1_761_056_599.0), "2025-10-21 14:23:19");
        assert_eq!(fmt_utc(951_782_400.0), "2000-02-29 00:00:00");
        assert_eq!(fmt_utc_short(1_761_056_599.0), "10-21 14:23");
    }

    #[test]
    fn mjd_and_unix_agree() {
        assert_eq!(mjd_to_unix(40_587.0), 0.0);
        assert!((unix_to_mjd(mjd_to_unix(60_969.6)) - 60_969.6).abs() < 1e-9);
    }

    #[test]
    fn durations_pick_two_units() {
        assert_eq!(fmt_duration(2.34), "2.3s");
        assert_eq!(fmt_duration(45.0), "45s");
        assert_eq!(fmt_duration(192.0), "3m12s");
        assert_eq!(fmt_duration(7_500.0), "2h05m");
        assert_eq!(fmt_duration(3.0 * 86_400.0 + 4.0 * 3600.0), "3d04h");
        assert_eq!(fmt_duration(-1.0), "?");
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(fmt_bytes(512), "512 B");
        assert_eq!(fmt_bytes(1536), "1.5 KiB");
        assert_eq!(fmt_bytes(101_606_400), "96.9 MiB");
    }

    #[test]
    fn fluxes_choose_a_readable_unit() {
        assert_eq!(fmt_flux_jy(1.5), "1.500 Jy");
        assert_eq!(fmt_flux_jy(0.0456), "45.60 mJy");
        assert_eq!(fmt_flux_jy(0.000789), "789.0 µJy");
    }

    #[test]
    fn coordinates_are_sexagesimal() {
        assert_eq!(fmt_ra(0.0), "00:00:00.00");
        assert_eq!(fmt_ra(187.5), "12:30:00.00");
        assert_eq!(fmt_ra(359.999_999_9), "00:00:00.00");
        assert_eq!(fmt_dec(42.052), "+42:03:07.2");
        assert_eq!(fmt_dec(-0.5), "-00:30:00.0");
    }

    #[test]
    fn missing_numbers_show_a_dash() {
        assert_eq!(fmt_opt(None, 2), "-");
        assert_eq!(fmt_opt(Some(f64::NAN), 2), "-");
        assert_eq!(fmt_opt(Some(1.234), 1), "1.2");
    }
}
