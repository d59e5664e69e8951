//! Vertical scrolling of a pane whose length is only known when it is laid out.
//!
//! Render functions take their state by shared reference, yet "page down" needs the page
//! height and "scroll up from the end" needs to know where the end was. So the last layout
//! is remembered in a `Cell` when the pane is drawn, and every movement starts from what
//! the operator actually saw.

use std::cell::Cell;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Seen {
    offset: usize,
    total: usize,
    height: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scroll {
    /// Wanted first line; `usize::MAX` means "the end". Clamped when drawn.
    offset: Cell<usize>,
    seen: Cell<Seen>,
}

impl Scroll {
    pub fn down(&mut self, lines: usize) {
        self.offset.set(self.base().saturating_add(lines));
    }

    pub fn up(&mut self, lines: usize) {
        self.offset.set(self.base().saturating_sub(lines));
    }

    pub fn page_down(&mut self) {
        self.down(self.page());
    }

    pub fn page_up(&mut self) {
        self.up(self.page());
    }

    pub fn top(&mut self) {
        self.offset.set(0);
    }

    /// Show the last page and keep following it as lines arrive, like `tail -f`, until the
    /// operator scrolls away (logs are long and the news is at the end).
    pub fn bottom(&mut self) {
        self.offset.set(usize::MAX);
    }

    /// The first line to draw for `total` lines in a view `height` high; remembers the layout.
    pub fn resolve(&self, total: usize, height: usize) -> usize {
        let max = total.saturating_sub(height);
        let offset = self.offset.get().min(max);
        if !self.is_following() {
            self.offset.set(offset);
        }
        self.seen.set(Seen {
            offset,
            total,
            height,
        });
        offset
    }

    /// True after [`Self::bottom`] until the next movement.
    pub fn is_following(&self) -> bool {
        self.offset.get() == usize::MAX
    }

    /// `lines 12-40 of 230`, or empty when everything fits.
    pub fn position_label(&self) -> String {
        let seen = self.seen.get();
        if seen.total <= seen.height || seen.height == 0 {
            return String::new();
        }
        let last = (seen.offset + seen.height).min(seen.total);
        let follow = if self.is_following() {
            ", following"
        } else {
            ""
        };
        format!(
            " lines {}-{} of {}{follow} ",
            seen.offset + 1,
            last,
            seen.total
        )
    }

    /// Draw with `line` near the top (two lines of context above), e.g. a search match.
    pub fn resolve_revealing(&self, line: usize, total: usize, height: usize) -> usize {
        self.offset.set(line.saturating_sub(2));
        self.resolve(total, height)
    }

    fn base(&self) -> usize {
        let seen = self.seen.get();
        if seen.height == 0 {
            // Never drawn: keep the wish, but leave room to move from "the end".
            return self.offset.get().min(u32::MAX as usize);
        }
        self.offset
            .get()
            .min(seen.total.saturating_sub(seen.height))
    }

    fn page(&self) -> usize {
        self.seen.get().height.saturating_sub(1).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolling_up_from_the_end_moves_from_what_was_shown() {
        let mut s = Scroll::default();
        s.bottom();
        assert_eq!(s.resolve(100, 20), 80);
        s.up(1);
        assert_eq!(s.resolve(100, 20), 79);
    }

    #[test]
    fn pages_are_one_line_short_of_the_view_and_never_pass_the_end() {
        let mut s = Scroll::default();
        s.resolve(100, 20);
        s.page_down();
        assert_eq!(s.resolve(100, 20), 19);
        for _ in 0..10 {
            s.page_down();
        }
        assert_eq!(s.resolve(100, 20), 80);
        assert_eq!(s.position_label(), " lines 81-100 of 100 ");
    }

    #[test]
    fn the_end_is_followed_as_lines_arrive_until_the_operator_scrolls() {
        let mut s = Scroll::default();
        s.bottom();
        assert_eq!(s.resolve(100, 20), 80);
        assert_eq!(s.resolve(130, 20), 110);
        assert!(s.position_label().contains("following"));
        s.up(5);
        assert_eq!(s.resolve(130, 20), 105);
        assert_eq!(s.resolve(160, 20), 105);
    }
}
