//! The last FITS headers read, bounded so memory stays flat over days of scrolling.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use crate::fits::{FitsError, HeaderDoc};

pub const DEFAULT_CAPACITY: usize = 64;

pub type HeaderResult = Result<Arc<HeaderDoc>, FitsError>;

#[derive(Debug, Clone)]
pub struct HeaderCache {
    capacity: usize,
    /// Oldest first.
    entries: VecDeque<(String, HeaderResult)>,
    /// Paths asked for and not answered yet, so one selection does not ask twice.
    pending: HashSet<String>,
}

impl Default for HeaderCache {
    fn default() -> Self {
        HeaderCache::with_capacity(DEFAULT_CAPACITY)
    }
}

impl HeaderCache {
    pub fn with_capacity(capacity: usize) -> Self {
        HeaderCache {
            capacity: capacity.max(1),
            entries: VecDeque::new(),
            pending: HashSet::new(),
        }
    }

    pub fn get(&self, path: &str) -> Option<&HeaderResult> {
        self.entries
            .iter()
            .rev()
            .find(|(p, _)| p == path)
            .map(|(_, r)| r)
    }

    pub fn header(&self, path: &str) -> Option<&HeaderDoc> {
        self.get(path)
            .and_then(|r| r.as_ref().ok())
            .map(Arc::as_ref)
    }

    pub fn is_pending(&self, path: &str) -> bool {
        self.pending.contains(path)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `path` should be read: not cached and not already asked for.
    pub fn should_request(&self, path: &str) -> bool {
        !self.pending.contains(path) && self.get(path).is_none()
    }

    pub fn mark_pending(&mut self, path: &str) {
        self.pending.insert(path.to_string());
    }

    /// Forget a failed read so the next selection tries again.
    pub fn forget_error(&mut self, path: &str) {
        self.entries.retain(|(p, r)| !(p == path && r.is_err()));
    }

    pub fn insert(&mut self, path: String, result: HeaderResult) {
        self.pending.remove(&path);
        self.entries.retain(|(p, _)| *p != path);
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((path, result));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_forgets_the_oldest_header_first() {
        let mut cache = HeaderCache::with_capacity(2);
        for p in ["a", "b", "c"] {
            cache.insert(p.into(), Err(FitsError::NotFound(p.into())));
        }
        assert_eq!(cache.len(), 2);
        assert!(cache.get("a").is_none());
        assert!(cache.get("c").is_some());
    }
}
