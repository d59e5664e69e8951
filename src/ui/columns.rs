//! The column model: each column has a desired width, a minimum and a priority. On a narrow
//! terminal low-priority columns drop out first, so the table stays readable at 80x24.

/// One column of a list table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub title: &'static str,
    pub desired: u16,
    pub min: u16,
    /// 0 is the most important; higher numbers drop first.
    pub priority: u8,
    /// Takes the width left over once every kept column has its desired width.
    pub fill: bool,
    pub right: bool,
}

impl Column {
    pub const fn new(title: &'static str, desired: u16, min: u16, priority: u8) -> Column {
        Column {
            title,
            desired,
            min,
            priority,
            fill: false,
            right: false,
        }
    }

    pub const fn fill(mut self) -> Column {
        self.fill = true;
        self
    }

    pub const fn right(mut self) -> Column {
        self.right = true;
        self
    }
}

/// Width of each column in `width` cells (with `spacing` between columns); `None` where the
/// column was dropped. Columns are kept in priority order while their minimums fit; then they
/// grow toward their desired width, most important first; the fill column takes the rest.
pub fn fit_columns(columns: &[Column], width: u16, spacing: u16) -> Vec<Option<u16>> {
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| (columns[i].priority, i));
    let mut kept = vec![false; columns.len()];
    let mut used: u32 = 0;
    for &i in &order {
        let extra = if used == 0 { 0 } else { u32::from(spacing) };
        let need = used + extra + u32::from(columns[i].min);
        if need <= u32::from(width) {
            kept[i] = true;
            used = need;
        }
    }
    let mut widths: Vec<Option<u16>> = columns
        .iter()
        .zip(&kept)
        .map(|(c, k)| k.then_some(c.min))
        .collect();
    let mut left = u32::from(width).saturating_sub(used);
    for &i in &order {
        if let Some(w) = widths[i].as_mut() {
            let grow = u32::from(columns[i].desired.saturating_sub(*w)).min(left);
            *w += grow as u16;
            left -= grow;
        }
    }
    if left > 0
        && let Some(i) = (0..columns.len()).find(|&i| columns[i].fill && kept[i])
        && let Some(w) = widths[i].as_mut()
    {
        *w = w.saturating_add(left.min(u32::from(u16::MAX)) as u16);
    }
    widths
}

/// Cut `text` to `width` characters, marking the cut with `…`.
pub fn clip(text: &str, width: u16) -> String {
    let width = usize::from(width);
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Keep the end of `text` (the informative part of a path), marking the cut with `…`.
pub fn clip_left(text: &str, width: u16) -> String {
    let width = usize::from(width);
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::from("…");
    out.extend(text.chars().skip(count - (width - 1)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Column; 3] = [
        Column::new("name", 30, 10, 0),
        Column::new("when", 11, 11, 1),
        Column::new("extra", 20, 8, 5),
    ];

    #[test]
    fn narrow_tables_drop_the_least_important_columns() {
        let w = fit_columns(&COLS, 25, 1);
        assert_eq!(w, vec![Some(13), Some(11), None]);
    }

    #[test]
    fn wide_tables_give_every_column_its_desired_width() {
        let w = fit_columns(&COLS, 200, 1);
        assert_eq!(w, vec![Some(30), Some(11), Some(20)]);
    }

    #[test]
    fn the_fill_column_takes_what_is_left() {
        let cols = [COLS[0].fill(), COLS[1]];
        assert_eq!(fit_columns(&cols, 60, 1), vec![Some(48), Some(11)]);
    }

    #[test]
    fn clipping_marks_the_cut() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
        assert_eq!(clip("abc", 0), "");
        assert_eq!(clip_left("/data/db/pipeline.sqlite3", 10), "…e.sqlite3");
    }
}
