//! Turning the operator's filter into SQL for one table. Each list declares its fields (name
//! the operator types → column) and its free-text columns; anything else is an error the UI
//! shows, because a silently ignored `field:value` looks like "no matches".

use crate::db::error::DbError;
use crate::db::schema::Schema;
use crate::db::sql::{Bind, Conditions, SqlBuf, any_of, like_condition, negate};
use crate::query::{Filter, Term};

/// How a field's value is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Case-insensitive substring.
    Text,
    /// Whole integer, equal.
    Int,
    /// Unix-seconds column: `>X`, `<X`, `>=X`, `<=X`, or a UTC day `YYYY-MM-DD`; X is a date,
    /// a date and time (`2025-10-21T14:23`) or Unix seconds.
    Time,
    /// 0/1 column: yes/no/true/false/1/0.
    Flag,
}

/// One `field:value` field of a table.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub column: &'static str,
    pub kind: FieldKind,
}

pub const fn field(name: &'static str, column: &'static str, kind: FieldKind) -> FieldSpec {
    FieldSpec { name, column, kind }
}

/// Every field term must name a known field.
pub fn check_fields(filter: &Filter, known: &'static [&'static str]) -> Result<(), DbError> {
    for term in &filter.terms {
        if let Some(name) = &term.field
            && !known.iter().any(|k| k.eq_ignore_ascii_case(name))
        {
            return Err(DbError::UnknownField {
                field: name.clone(),
                known,
            });
        }
    }
    Ok(())
}

/// The WHERE conditions of `filter` on `table` (aliased `alias`, may be empty).
pub fn compile(
    filter: &Filter,
    schema: &Schema,
    table: &str,
    alias: &str,
    specs: &[FieldSpec],
    free_columns: &[&str],
) -> Result<Conditions, DbError> {
    let mut out = Conditions::default();
    for term in &filter.terms {
        let cond = match &term.field {
            None => {
                let conds = free_columns
                    .iter()
                    .map(|c| schema.col(table, alias, c))
                    .filter(|expr| expr != "NULL")
                    .map(|expr| like_condition(&expr, &term.value))
                    .collect();
                any_of(conds).unwrap_or_else(|| SqlBuf::new("0"))
            }
            Some(name) => {
                let Some(spec) = specs.iter().find(|s| s.name.eq_ignore_ascii_case(name)) else {
                    // check_fields ran first with the same list; a spec without a name is a bug
                    // in our tables, not the operator's: treat as a field that never matches.
                    out.add(SqlBuf::new(if term.negated { "1" } else { "0" }));
                    continue;
                };
                let expr = schema.col(table, alias, spec.column);
                term_condition(spec, &expr, term)?
            }
        };
        out.add(if term.negated && !is_time_term(specs, term) {
            negate(cond)
        } else {
            cond
        });
    }
    Ok(out)
}

fn is_time_term(specs: &[FieldSpec], term: &Term) -> bool {
    term.field.as_deref().is_some_and(|name| {
        specs
            .iter()
            .any(|s| s.name.eq_ignore_ascii_case(name) && s.kind == FieldKind::Time)
    })
}

fn term_condition(spec: &FieldSpec, expr: &str, term: &Term) -> Result<SqlBuf, DbError> {
    let bad = |expected: &str| DbError::BadValue {
        field: spec.name.to_string(),
        value: term.value.clone(),
        expected: expected.to_string(),
    };
    Ok(match spec.kind {
        FieldKind::Text => like_condition(expr, &term.value),
        FieldKind::Int => {
            let v: i64 = term
                .value
                .trim()
                .parse()
                .map_err(|_| bad("a whole number"))?;
            SqlBuf::with(format!("IFNULL({expr} = ?, 0)"), vec![Bind::Int(v)])
        }
        FieldKind::Flag => {
            let on = match term.value.to_ascii_lowercase().as_str() {
                "1" | "yes" | "y" | "true" | "on" => true,
                "0" | "no" | "n" | "false" | "off" => false,
                _ => return Err(bad("yes or no")),
            };
            SqlBuf::new(if on {
                format!("IFNULL({expr}, 0) != 0")
            } else {
                format!("IFNULL({expr}, 0) = 0")
            })
        }
        FieldKind::Time => {
            let range = time_range(&term.value)
                .ok_or_else(|| bad(">DATE, <DATE or a day YYYY-MM-DD (UTC), or Unix seconds"))?;
            let cond = range_condition(expr, range);
            // Positive terms stay sargable (index range); a negated one keeps NULL times.
            if term.negated {
                SqlBuf::with(format!("NOT IFNULL(({}), 0)", cond.text), cond.binds)
            } else {
                cond
            }
        }
    })
}

/// `[from, to)` bounds in Unix seconds, either may be open; `inclusive_to` for `<=`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeRange {
    pub from: Option<f64>,
    pub from_inclusive: bool,
    pub to: Option<f64>,
    pub to_inclusive: bool,
}

fn range_condition(expr: &str, r: TimeRange) -> SqlBuf {
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    if let Some(from) = r.from {
        parts.push(format!(
            "{expr} {} ?",
            if r.from_inclusive { ">=" } else { ">" }
        ));
        binds.push(Bind::Real(from));
    }
    if let Some(to) = r.to {
        parts.push(format!(
            "{expr} {} ?",
            if r.to_inclusive { "<=" } else { "<" }
        ));
        binds.push(Bind::Real(to));
    }
    SqlBuf::with(parts.join(" AND "), binds)
}

/// Parse `>X`, `>=X`, `<X`, `<=X` or a bare X (a whole UTC day for a date, else "from X on").
pub fn time_range(value: &str) -> Option<TimeRange> {
    let v = value.trim();
    let (op, rest) = ["<=", ">=", "<", ">"]
        .iter()
        .find_map(|op| v.strip_prefix(op).map(|rest| (*op, rest.trim())))
        .unwrap_or(("", v));
    let (start, day_only) = parse_instant(rest)?;
    let open = TimeRange {
        from: None,
        from_inclusive: false,
        to: None,
        to_inclusive: false,
    };
    Some(match op {
        ">" => TimeRange {
            from: Some(start),
            ..open
        },
        ">=" => TimeRange {
            from: Some(start),
            from_inclusive: true,
            ..open
        },
        "<" => TimeRange {
            to: Some(start),
            ..open
        },
        "<=" => TimeRange {
            to: Some(start),
            to_inclusive: true,
            ..open
        },
        _ if day_only => TimeRange {
            from: Some(start),
            from_inclusive: true,
            to: Some(start + 86_400.0),
            ..open
        },
        _ => TimeRange {
            from: Some(start),
            from_inclusive: true,
            ..open
        },
    })
}

/// Unix seconds from `YYYY-MM-DD[THH[:MM[:SS]]]` (UTC; a space may replace `T`) or a number.
/// The flag says the value was a date without a time.
pub fn parse_instant(s: &str) -> Option<(f64, bool)> {
    if let Ok(n) = s.parse::<f64>()
        && n.is_finite()
    {
        return Some((n, false));
    }
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut dp = date.split('-');
    let y: i64 = dp.next()?.parse().ok()?;
    let m: u32 = dp.next()?.parse().ok()?;
    let d: u32 = dp.next()?.parse().ok()?;
    if dp.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) as f64 * 86_400.0;
    if let Some(t) = time {
        let mut tp = t.split(':');
        let h: u32 = tp.next()?.parse().ok()?;
        let min: u32 = tp.next().map_or(Some(0), |x| x.parse().ok())?;
        let sec: f64 = tp.next().map_or(Some(0.0), |x| x.parse().ok())?;
        if h > 23 || min > 59 || !(0.0..61.0).contains(&sec) {
            return None;
        }
        secs += f64::from(h * 3600 + min * 60) + sec;
    }
    Some((secs, time.is_none()))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[FieldSpec] = &[
        field("path", "path", FieldKind::Text),
        field("id", "id", FieldKind::Int),
        field("created", "created_at", FieldKind::Time),
        field("cal", "cal_applied", FieldKind::Flag),
    ];

    fn schema() -> Schema {
        Schema::from_parts(
            ["id", "path", "created_at", "cal_applied"].map(|c| ("t".into(), c.into())),
            [],
        )
    }

    #[test]
    fn dates_become_unix_seconds() {
        assert_eq!(parse_instant("1970-01-02"), Some((86_400.0, true)));
        assert_eq!(
            parse_instant("2025-10-21T14:23:19"),
            Some((1_761_056_599.0, false))
        );
        assert_eq!(parse_instant("2025-13-01"), None);
        assert_eq!(parse_instant("yesterday"), None);
    }

    #[test]
    fn a_bare_day_is_the_whole_utc_day() {
        let r = time_range("1970-01-02").unwrap();
        assert_eq!((r.from, r.to), (Some(86_400.0), Some(172_800.0)));
        let newer = time_range(">1000").unwrap();
        assert_eq!((newer.from, newer.to), (Some(1000.0), None));
    }

    #[test]
    fn an_unknown_field_is_refused_with_the_known_ones() {
        let err = check_fields(&Filter::parse("colour:red"), &["path", "id"]).unwrap_err();
        assert!(matches!(err, DbError::UnknownField { field, .. } if field == "colour"));
        assert!(check_fields(&Filter::parse("PATH:x free"), &["path"]).is_ok());
    }

    #[test]
    fn a_negated_substring_keeps_rows_whose_column_is_null() {
        let c = compile(
            &Filter::parse("!path:pbcor"),
            &schema(),
            "t",
            "",
            SPECS,
            &[],
        )
        .unwrap();
        assert_eq!(
            c.where_clause().text,
            " WHERE (NOT (IFNULL(path,'') LIKE ? ESCAPE '\\'))"
        );
    }

    #[test]
    fn a_free_word_over_no_existing_column_matches_nothing() {
        let c = compile(
            &Filter::parse("x"),
            &schema(),
            "t",
            "",
            SPECS,
            &["field_name"],
        )
        .unwrap();
        assert_eq!(c.where_clause().text, " WHERE (0)");
    }

    #[test]
    fn bad_values_say_what_was_expected() {
        let err = compile(&Filter::parse("id:abc"), &schema(), "t", "", SPECS, &[]).unwrap_err();
        assert!(matches!(err, DbError::BadValue { .. }));
        let err = compile(&Filter::parse("cal:maybe"), &schema(), "t", "", SPECS, &[]).unwrap_err();
        assert!(err.to_string().contains("yes or no"));
    }
}
