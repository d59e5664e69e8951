//! The state of one list tab: its rows, the selection (kept by key, so it follows an item
//! across refreshes), the query that produced the rows and its generation.

use std::collections::HashSet;
use std::hash::Hash;

use crate::app::msg::Generation;
use crate::query::{Cursor, Filter, ListQuery, Sort};
use crate::snapshot::{ImageRow, JobKey, JobRow, MsRow, Page, SourceRow};

/// A row with a key that identifies it across refreshes.
pub trait Keyed {
    type Key: Clone + PartialEq + Eq + Hash + std::fmt::Debug;
    fn key(&self) -> Self::Key;
}

impl Keyed for ImageRow {
    type Key = i64;
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for SourceRow {
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}

impl Keyed for JobRow {
    type Key = JobKey;
    fn key(&self) -> JobKey {
        self.key.clone()
    }
}

impl Keyed for MsRow {
    type Key = String;
    fn key(&self) -> String {
        self.path.clone()
    }
}

#[derive(Debug, Clone)]
pub struct ListState<R: Keyed> {
    /// The latest first page followed by pages appended by "load more".
    pub rows: Vec<R>,
    /// How many of `rows` came from the latest first page (the rest were appended).
    head_len: usize,
    pub has_more: bool,
    pub total: Option<u64>,
    pub next: Option<Cursor>,
    pub selected: usize,
    pub selected_key: Option<R::Key>,
    /// First visible row; the renderer clamps it so the selection stays visible.
    pub offset: usize,
    pub filter_text: String,
    pub filter: Filter,
    pub sort: Option<Sort>,
    pub generation: Generation,
    /// A first page for the current generation has arrived.
    pub loaded: bool,
    /// A `LoadMore` is in flight; no second one until it answers.
    pub loading_more: bool,
}

impl<R: Keyed> Default for ListState<R> {
    fn default() -> Self {
        ListState {
            rows: Vec::new(),
            head_len: 0,
            has_more: false,
            total: None,
            next: None,
            selected: 0,
            selected_key: None,
            offset: 0,
            filter_text: String::new(),
            filter: Filter::default(),
            sort: None,
            generation: 0,
            loaded: false,
            loading_more: false,
        }
    }
}

impl<R: Keyed + Clone> ListState<R> {
    pub fn selected_row(&self) -> Option<&R> {
        self.rows.get(self.selected)
    }

    pub fn query(&self, limit: usize) -> ListQuery {
        ListQuery {
            filter: self.filter.clone(),
            sort: self.sort.clone(),
            limit,
            after: None,
        }
    }

    /// Start a new query: later pages of older generations are dropped.
    pub fn restart(&mut self, generation: Generation) {
        self.generation = generation;
        self.rows.clear();
        self.head_len = 0;
        self.has_more = false;
        self.total = None;
        self.next = None;
        self.loaded = false;
        self.loading_more = false;
        self.offset = 0;
    }

    /// A refreshed first page replaces the head; rows appended earlier stay after it (minus
    /// duplicates) so the operator does not lose what they scrolled to.
    ///
    /// A selection on the first row follows the head, like `tail -f`: an operator watching the
    /// newest rows keeps seeing the newest, while one who moved down keeps their row.
    pub fn replace_head(&mut self, page: Page<R>) {
        let follow_head = self.selected == 0;
        let had_tail = self.rows.len() > self.head_len;
        let head_keys: HashSet<R::Key> = page.rows.iter().map(Keyed::key).collect();
        let tail: Vec<R> = self
            .rows
            .drain(self.head_len.min(self.rows.len())..)
            .filter(|r| !head_keys.contains(&r.key()))
            .collect();
        self.head_len = page.rows.len();
        self.rows = page.rows;
        self.rows.extend(tail);
        if !had_tail {
            self.has_more = page.has_more;
            self.next = page.next;
        }
        self.total = page.total;
        self.loaded = true;
        if follow_head {
            self.selected_key = self.rows.first().map(Keyed::key);
        }
        self.reselect();
    }

    pub fn append(&mut self, page: Page<R>) {
        let known: HashSet<R::Key> = self.rows.iter().map(Keyed::key).collect();
        self.rows
            .extend(page.rows.into_iter().filter(|r| !known.contains(&r.key())));
        self.has_more = page.has_more;
        self.next = page.next;
        if page.total.is_some() {
            self.total = page.total;
        }
        self.loading_more = false;
        self.loaded = true;
        self.reselect();
    }

    /// Put the selection back on the selected key, or on the same index when it is gone.
    fn reselect(&mut self) {
        if let Some(key) = &self.selected_key
            && let Some(i) = self.rows.iter().position(|r| r.key() == *key)
        {
            self.selected = i;
            return;
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        self.selected_key = self.rows.get(self.selected).map(Keyed::key);
    }

    /// Move the selection by `delta` rows (clamped); returns whether it changed.
    pub fn move_by(&mut self, delta: isize) -> bool {
        if self.rows.is_empty() {
            return false;
        }
        let last = self.rows.len() - 1;
        let target = self.selected.saturating_add_signed(delta).min(last);
        self.select(target)
    }

    pub fn select(&mut self, index: usize) -> bool {
        let Some(row) = self.rows.get(index) else {
            return false;
        };
        let changed = self.selected != index || self.selected_key.as_ref() != Some(&row.key());
        self.selected = index;
        self.selected_key = Some(row.key());
        changed
    }

    /// Keep `offset` such that the selection is visible in `height` rows.
    pub fn scroll_to_selection(&mut self, height: usize) {
        self.offset = visible_offset(self.selected, self.offset, height);
    }

    /// Whether the selection is within one screen of the end and more rows exist.
    pub fn wants_more(&self, screen: usize) -> bool {
        self.has_more
            && !self.loading_more
            && self.next.is_some()
            && self.selected + screen.max(1) >= self.rows.len()
    }

    pub fn load_more_query(&self, limit: usize) -> Option<ListQuery> {
        Some(ListQuery {
            after: Some(self.next.clone()?),
            ..self.query(limit)
        })
    }
}

/// The first visible row so that `selected` is on screen, moving as little as possible.
pub fn visible_offset(selected: usize, offset: usize, height: usize) -> usize {
    let height = height.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::SqlValue;

    fn ms(path: &str) -> MsRow {
        MsRow {
            path: path.into(),
            ..Default::default()
        }
    }

    fn page(paths: &[&str], has_more: bool) -> Page<MsRow> {
        Page {
            rows: paths.iter().map(|p| ms(p)).collect(),
            has_more,
            total: None,
            next: has_more.then(|| Cursor {
                value: SqlValue::Null,
                key: paths.last().unwrap_or(&"").to_string(),
            }),
        }
    }

    #[test]
    fn a_refresh_keeps_rows_loaded_further_down() {
        let mut list = ListState::<MsRow>::default();
        list.replace_head(page(&["c", "b"], true));
        list.append(page(&["a"], false));
        list.replace_head(page(&["d", "c"], true));
        let paths: Vec<&str> = list.rows.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["d", "c", "a"]);
        assert!(!list.has_more, "the tail's end still holds");
    }

    #[test]
    fn the_offset_moves_only_when_the_selection_leaves_the_screen() {
        assert_eq!(visible_offset(5, 0, 10), 0);
        assert_eq!(visible_offset(12, 0, 10), 3);
        assert_eq!(visible_offset(2, 3, 10), 2);
    }
}
