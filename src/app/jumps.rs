//! Detail panes and the jumps between them: open, go back, and follow a link from one item
//! to a related one on another tab (job → MS, MS → image or job, source → image).

use crate::app::list::Keyed;
use crate::app::msg::{Command, DetailData, DetailKey};
use crate::app::state::{App, DetailView, PaneState};
use crate::app::update::field_filter;
use crate::snapshot::Tab;

impl App {
    /// Enter in a pane: the MS pane's selected image or job, a source's selected measurement's
    /// image.
    pub(super) fn open_from_pane(&mut self) -> Vec<Command> {
        let Some(view) = self.open_detail() else {
            return Vec::new();
        };
        match (&view.pane, self.current_detail_data()) {
            (PaneState::Ms(st), Some(DetailData::Ms(ms))) => {
                let ms_path = ms.row.as_ref().map(|r| r.path.clone());
                match st.selected_target(ms) {
                    Some(key @ DetailKey::Image { .. }) => {
                        self.jump_filtered(Tab::Images, ms_path, key)
                    }
                    Some(key @ DetailKey::Job(_)) => self.jump_filtered(Tab::Jobs, ms_path, key),
                    _ => Vec::new(),
                }
            }
            (PaneState::Source(st), Some(DetailData::Source(source))) => {
                match st.selected_image(source).map(str::to_string) {
                    Some(path) => self.jump_to_image_path(path),
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// Open `key` on `tab`, with the tab's list filtered to the MS it belongs to.
    pub(super) fn jump_filtered(
        &mut self,
        tab: Tab,
        ms_path: Option<String>,
        key: DetailKey,
    ) -> Vec<Command> {
        let mut commands = match ms_path {
            Some(p) if !p.is_empty() => self.set_filter(tab, field_filter("ms", &p)),
            _ => Vec::new(),
        };
        commands.extend(self.push_detail(tab, key));
        commands
    }

    pub(super) fn open_selected(&mut self) -> Vec<Command> {
        let key = match self.tab {
            Tab::Images => self.images.selected_row().map(|r| DetailKey::Image {
                id: r.id,
                path: r.path.clone(),
            }),
            Tab::Sources => self
                .sources
                .selected_row()
                .map(|r| DetailKey::Source(r.id.clone())),
            Tab::Jobs => self.jobs.selected_row().map(|r| DetailKey::Job(r.key())),
            Tab::Ms => self
                .ms
                .selected_row()
                .map(|r| DetailKey::Ms(r.path.clone())),
            Tab::Pool => None,
        };
        match key {
            Some(key) => self.push_detail(self.tab, key),
            None => Vec::new(),
        }
    }

    pub(super) fn push_detail(&mut self, tab: Tab, key: DetailKey) -> Vec<Command> {
        self.tab = tab;
        self.details.push(DetailView {
            tab,
            key: key.clone(),
            data: None,
            pane: PaneState::for_key(&key),
        });
        let mut commands = vec![Command::OpenDetail(key.clone())];
        if let DetailKey::Image { path, .. } = &key {
            commands.extend(self.request_header(path));
        }
        commands
    }

    pub(super) fn close_detail(&mut self) -> Vec<Command> {
        if self.details.pop().is_none() {
            return Vec::new();
        }
        match self.details.last() {
            Some(previous) => {
                self.tab = previous.tab;
                vec![Command::OpenDetail(previous.key.clone())]
            }
            None => vec![Command::CloseDetail],
        }
    }

    pub(super) fn current_detail_data(&self) -> Option<&DetailData> {
        self.open_detail()?.data.as_ref()?.as_ref().ok()
    }

    /// Job or image → its Measurement Set: the MS tab filtered on that path, and its detail.
    pub(super) fn jump_to_ms(&mut self) -> Vec<Command> {
        let Some(detail) = self.open_detail() else {
            return Vec::new();
        };
        let ms_path = match (&detail.key, self.current_detail_data()) {
            // The MS the job's target links to (a queue task's may be derived, e.g. a
            // convert-group's from its group id); a queue task without one has no MS.
            (_, Some(DetailData::Job(job))) => match &job.links.ms {
                Some(ms) => Some(ms.path.clone()),
                None if job.row.key.source == crate::snapshot::JobSource::AbsurdTask => None,
                None => job.row.target.clone(),
            },
            (_, Some(DetailData::Image(d))) => d.row.as_ref().and_then(|r| r.ms_path.clone()),
            // Before the detail arrives: a queue task's target is an MS only when it names
            // one (it may be a group id or a subband file).
            (DetailKey::Job(key), _) => self
                .jobs
                .rows
                .iter()
                .find(|r| r.key == *key)
                .and_then(|r| r.target.clone())
                .filter(|t| {
                    key.source != crate::snapshot::JobSource::AbsurdTask
                        || t.trim_end_matches('/').ends_with(".ms")
                }),
            (DetailKey::Image { id, .. }, _) => self
                .images
                .rows
                .iter()
                .find(|r| r.id == *id)
                .and_then(|r| r.ms_path.clone()),
            _ => None,
        };
        let Some(ms_path) = ms_path.filter(|p| !p.is_empty()) else {
            return Vec::new();
        };
        let mut commands = self.set_filter(Tab::Ms, field_filter("path", &ms_path));
        commands.extend(self.push_detail(Tab::Ms, DetailKey::Ms(ms_path)));
        commands
    }

    /// MS → its newest image (opened); source → the image of its newest measurement (the
    /// Images tab filtered on that path; its detail opens when the row arrives).
    pub(super) fn jump_to_image(&mut self) -> Vec<Command> {
        let pane = self.open_detail().map(|d| d.pane.clone());
        match (pane, self.current_detail_data()) {
            (Some(PaneState::Ms(st)), Some(DetailData::Ms(ms))) => {
                // The image selected in the pane's Images list, else the newest.
                let selected = match st.selected_target(ms) {
                    Some(key @ DetailKey::Image { .. }) => Some(key),
                    _ => ms.images.first().map(|image| DetailKey::Image {
                        id: image.id,
                        path: image.path.clone(),
                    }),
                };
                let ms_path = ms.row.as_ref().map(|r| r.path.clone());
                match selected {
                    Some(key) => self.jump_filtered(Tab::Images, ms_path, key),
                    None => Vec::new(),
                }
            }
            (Some(PaneState::Source(st)), Some(DetailData::Source(source))) => {
                let path = st.selected_image(source).map(str::to_string).or_else(|| {
                    source
                        .points
                        .iter()
                        .rev()
                        .find_map(|p| p.image_path.clone())
                });
                match path.filter(|p| !p.is_empty()) {
                    Some(path) => self.jump_to_image_path(path),
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// The Images tab filtered on one file; its pane opens as soon as its row is listed.
    pub(super) fn jump_to_image_path(&mut self, path: String) -> Vec<Command> {
        let mut commands = self.set_filter(Tab::Images, field_filter("path", &path));
        commands.extend(self.request_header(&path));
        self.pending_image_open = Some(path);
        self.details.retain(|d| d.tab != Tab::Images);
        self.tab = Tab::Images;
        commands.extend(self.open_pending_image());
        commands
    }

    /// MS → its newest job, on the Jobs tab filtered on the MS.
    pub(super) fn jump_to_job(&mut self) -> Vec<Command> {
        let pane = self.open_detail().map(|d| d.pane.clone());
        let Some(DetailData::Ms(ms)) = self.current_detail_data() else {
            return Vec::new();
        };
        // The job selected in the pane's Jobs list, else the newest.
        let selected = match pane.and_then(|p| match p {
            PaneState::Ms(st) => st.selected_target(ms),
            _ => None,
        }) {
            Some(key @ DetailKey::Job(_)) => Some(key),
            _ => ms.jobs.first().map(|j| DetailKey::Job(j.key.clone())),
        };
        let ms_path = ms.row.as_ref().map(|r| r.path.clone());
        match selected {
            Some(key) => self.jump_filtered(Tab::Jobs, ms_path, key),
            None => Vec::new(),
        }
    }

    pub(super) fn open_pending_image(&mut self) -> Vec<Command> {
        let Some(path) = self.pending_image_open.clone() else {
            return Vec::new();
        };
        let Some(index) = self.images.rows.iter().position(|r| r.path == path) else {
            return Vec::new();
        };
        self.pending_image_open = None;
        self.images.select(index);
        let id = self.images.rows[index].id;
        self.push_detail(Tab::Images, DetailKey::Image { id, path })
    }
}
