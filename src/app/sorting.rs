//! The columns each list can be sorted by (names the db layer accepts) and the `s`/`S` cycle.

use crate::query::Sort;
use crate::snapshot::Tab;

/// Sortable column names per tab; the first is the default order's column (newest first).
/// The data layer owns the list (it refuses other names), so the app asks it.
pub fn sortable_columns(tab: Tab) -> &'static [&'static str] {
    crate::db::sort_columns(tab)
}

/// `s`: default → first column → … → last column → default. A new column starts descending
/// (newest/largest first), which is what an operator usually wants.
pub fn cycle_sort(tab: Tab, current: Option<&Sort>) -> Option<Sort> {
    let columns = sortable_columns(tab);
    let next_index = match current {
        None => 0,
        Some(sort) => match columns.iter().position(|c| *c == sort.column) {
            Some(i) => i + 1,
            None => 0,
        },
    };
    columns.get(next_index).map(|c| Sort {
        column: (*c).to_string(),
        descending: true,
    })
}

/// `S`: flip the order; the default order (newest first) flips to oldest first.
pub fn reverse_sort(tab: Tab, current: Option<&Sort>) -> Option<Sort> {
    match current {
        Some(sort) => Some(Sort {
            column: sort.column.clone(),
            descending: !sort.descending,
        }),
        None => sortable_columns(tab).first().map(|c| Sort {
            column: (*c).to_string(),
            descending: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_cycles_through_every_column_and_back_to_the_default() {
        let mut sort = None;
        let mut seen = Vec::new();
        for _ in 0..=sortable_columns(Tab::Ms).len() {
            sort = cycle_sort(Tab::Ms, sort.as_ref());
            seen.push(sort.as_ref().map(|s| s.column.clone()));
        }
        assert_eq!(seen.first().cloned().flatten().as_deref(), Some("mjd"));
        assert_eq!(seen.last().cloned().flatten(), None);
    }
}
