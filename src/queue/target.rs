//! Where a task's target lives in its `params`, and what it links to. The one definition: the
//! SQL the lists read and filter on, and the detail's links, are both built from
//! [`TARGET_PATHS`].
//!
//! The pipeline nests params as `{config, inputs, outputs}` and each executor reads its own
//! key (its `absurd/adapter.py` and `absurd/ingestion.py`): `ingest-subband` the subband file
//! at `inputs.file_path`, `normalize-group` and `convert-group` `inputs.group_id`,
//! `convert-uvh5-to-ms` and `catalog-setup` `inputs.input_path`, `calibration-solve`
//! `inputs.ms_path` or else `outputs.ms_path`, the later MS stages `outputs.ms_path`, and
//! `validation`/`crossmatch` `outputs.image_path`. Older queues wrote a flat `params.ms_path`
//! or `params.group_id`; that layout still gives the target.

use std::sync::LazyLock;

use serde_json::Value;

use crate::snapshot::{GroupLink, JobLinks, LinkSource, MsLink};

/// Where `convert-group` writes its MS when `inputs.output_dir` does not say otherwise.
pub const DEFAULT_MS_DIR: &str = "/stage/dsa110-contimg/ms";

/// What kind of thing a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Ms,
    Group,
    /// A UVH5/HDF5 input file (`inputs.input_path`).
    InputFile,
    /// One subband file (`inputs.file_path`).
    SubbandFile,
    Image,
    Directory,
}

/// One place a target may be: a JSON path into `params` and what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetPath {
    pub keys: &'static [&'static str],
    pub kind: TargetKind,
}

impl TargetPath {
    /// `inputs.ms_path`, as shown to the operator.
    pub fn dotted(&self) -> String {
        self.keys.join(".")
    }
}

const fn at(keys: &'static [&'static str], kind: TargetKind) -> TargetPath {
    TargetPath { keys, kind }
}

const IN_MS: TargetPath = at(&["inputs", "ms_path"], TargetKind::Ms);
const OUT_MS: TargetPath = at(&["outputs", "ms_path"], TargetKind::Ms);
const IN_GROUP: TargetPath = at(&["inputs", "group_id"], TargetKind::Group);
const IN_INPUT: TargetPath = at(&["inputs", "input_path"], TargetKind::InputFile);
const IN_FILE: TargetPath = at(&["inputs", "file_path"], TargetKind::SubbandFile);
const OUT_IMAGE: TargetPath = at(&["outputs", "image_path"], TargetKind::Image);
const IN_DIR: TargetPath = at(&["inputs", "incoming_dir"], TargetKind::Directory);
const FLAT_MS: TargetPath = at(&["ms_path"], TargetKind::Ms);
const FLAT_GROUP: TargetPath = at(&["group_id"], TargetKind::Group);

/// Per task name, the keys its executor reads, in the order it reads them.
pub const TARGET_PATHS: &[(&str, &[TargetPath])] = &[
    ("ingest-subband", &[IN_FILE]),
    ("normalize-group", &[IN_GROUP]),
    ("convert-group", &[IN_GROUP]),
    ("scan-ingestion-directory", &[IN_DIR]),
    ("convert-uvh5-to-ms", &[IN_INPUT]),
    ("catalog-setup", &[IN_INPUT]),
    ("calibration-solve", &[IN_MS, OUT_MS]),
    ("calibration-apply", &[OUT_MS]),
    ("imaging", &[OUT_MS]),
    ("photometry", &[OUT_MS]),
    ("organize-files", &[OUT_MS]),
    ("validation", &[OUT_IMAGE]),
    ("crossmatch", &[OUT_IMAGE]),
];

/// Any other task name, or a task whose own keys are absent (the old flat layout among them).
pub const FALLBACK_PATHS: &[TargetPath] = &[
    OUT_MS, IN_MS, IN_GROUP, IN_INPUT, IN_FILE, OUT_IMAGE, FLAT_MS, FLAT_GROUP,
];

fn json_path_sql(column: &str, path: &TargetPath) -> String {
    // Keys are the constants above (no quotes, no commas): safe to write into the text.
    format!("{column} #>> '{{{}}}'", path.keys.join(","))
}

fn coalesce(column: &str, paths: &[TargetPath]) -> String {
    let parts: Vec<String> = paths.iter().map(|p| json_path_sql(column, p)).collect();
    match parts.len() {
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => format!("COALESCE({})", parts.join(", ")),
    }
}

/// The target of a task row (columns `task_name`, `params` unqualified), as SQL text.
pub fn target_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        let arms: String = TARGET_PATHS
            .iter()
            .map(|(name, paths)| format!(" WHEN '{name}' THEN {}", coalesce("params", paths)))
            .collect();
        format!(
            "COALESCE(CASE task_name{arms} END, {})",
            coalesce("params", FALLBACK_PATHS)
        )
    });
    SQL.as_str()
}

/// The MS a task's result names (`result.outputs.ms_path`), as SQL text.
pub const RESULT_MS_SQL: &str = "result #>> '{outputs,ms_path}'";

/// A task's target: the value and where in its params it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub value: String,
    pub path: TargetPath,
}

fn string_at<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a str> {
    let mut v = value;
    for key in keys {
        v = v.get(key)?;
    }
    v.as_str().filter(|s| !s.trim().is_empty())
}

/// The target of a task (the same rule as [`target_sql`]).
pub fn resolve(task_name: &str, params: &Value) -> Option<Target> {
    let own = TARGET_PATHS
        .iter()
        .find(|(name, _)| *name == task_name)
        .map(|(_, paths)| *paths)
        .unwrap_or(&[]);
    own.iter().chain(FALLBACK_PATHS).find_map(|path| {
        string_at(params, path.keys).map(|v| Target {
            value: v.to_string(),
            path: *path,
        })
    })
}

/// `2025-10-21T14:23:19`: the shape of a group id (the timestamp of subband 0).
pub fn looks_like_group_id(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// The group id in a path named after it: `…/2025-10-21T14:23:19.ms` or
/// `…/2025-10-21T14:23:19_sb05.hdf5`.
pub fn group_in_path(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let head = name.get(..19)?;
    let rest = &name[19..];
    let named = rest.is_empty() || rest.starts_with(".ms") || rest.starts_with("_sb");
    (looks_like_group_id(head) && named).then(|| head.to_string())
}

/// What a task's target leads to: its MS and its ingestion group, and how each is known.
/// `params` and `result` are the task's JSON (`Value::Null` when absent).
pub fn links(task_name: &str, params: &Value, result: &Value) -> JobLinks {
    let target = resolve(task_name, params);
    let recorded = |t: &Target| LinkSource::Params(t.path.dotted());
    let ms = match &target {
        Some(t) if t.path.kind == TargetKind::Ms => Some(MsLink {
            path: t.value.clone(),
            source: recorded(t),
        }),
        _ => None,
    }
    .or_else(|| {
        string_at(result, &["outputs", "ms_path"]).map(|p| MsLink {
            path: p.to_string(),
            source: LinkSource::Result("outputs.ms_path".into()),
        })
    })
    .or_else(|| match &target {
        Some(t) if t.path.kind == TargetKind::Group && task_name == "convert-group" => {
            let dir = string_at(params, &["inputs", "output_dir"]).unwrap_or(DEFAULT_MS_DIR);
            Some(MsLink {
                path: format!("{}/{}.ms", dir.trim_end_matches('/'), t.value),
                source: LinkSource::Derived("convert-group writes {output_dir}/{group_id}.ms"),
            })
        }
        _ => None,
    });
    let group = match &target {
        Some(t) if t.path.kind == TargetKind::Group => Some((t.value.clone(), recorded(t))),
        _ => None,
    }
    .or_else(|| {
        ["group_id", "canonical_group_id"].iter().find_map(|key| {
            string_at(result, &["outputs", key])
                .map(|g| (g.to_string(), LinkSource::Result(format!("outputs.{key}"))))
        })
    })
    .or_else(|| {
        let path = ms.as_ref().map(|m| m.path.as_str()).or(match &target {
            Some(t) if t.path.kind == TargetKind::SubbandFile => Some(t.value.as_str()),
            _ => None,
        })?;
        group_in_path(path).map(|g| {
            (
                g,
                LinkSource::Derived("the timestamp the file is named after"),
            )
        })
    })
    .map(|(id, source)| GroupLink {
        id,
        source,
        state: None,
        subbands: None,
        ms_path: None,
    });
    JobLinks { ms, group }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_task_reads_its_own_nested_key_and_the_flat_layout_still_works() {
        let nested =
            json!({"config": {}, "inputs": {"ms_path": "/a.ms"}, "outputs": {"ms_path": "/b.ms"}});
        assert_eq!(
            resolve("calibration-solve", &nested).unwrap().value,
            "/a.ms"
        );
        assert_eq!(resolve("imaging", &nested).unwrap().value, "/b.ms");
        let group = json!({"inputs": {"group_id": "2025-10-21T14:23:19"}});
        let t = resolve("convert-group", &group).unwrap();
        assert_eq!(t.path.dotted(), "inputs.group_id");
        let flat = json!({"ms_path": "/flat.ms"});
        assert_eq!(resolve("imaging", &flat).unwrap().value, "/flat.ms");
        assert_eq!(resolve("imaging", &json!({})), None);
    }

    #[test]
    fn the_sql_has_one_arm_per_task_name_and_the_fallback() {
        let sql = target_sql();
        assert!(sql.contains("WHEN 'calibration-solve' THEN COALESCE(params #>> '{inputs,ms_path}', params #>> '{outputs,ms_path}')"), "{sql}");
        assert!(sql.contains("params #>> '{ms_path}'"));
        assert!(sql.contains("params #>> '{group_id}'"));
    }

    #[test]
    fn a_convert_group_links_to_its_derived_ms_and_its_group() {
        let params = json!({"inputs": {"group_id": "2025-10-21T14:23:19"}});
        let l = links("convert-group", &params, &Value::Null);
        let ms = l.ms.unwrap();
        assert_eq!(ms.path, "/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms");
        assert!(matches!(ms.source, LinkSource::Derived(_)));
        assert_eq!(l.group.unwrap().id, "2025-10-21T14:23:19");
        // Once it completed, the result says where the MS went.
        let result = json!({"status": "success", "outputs": {"ms_path": "/elsewhere/x.ms"}});
        let l = links("convert-group", &params, &result);
        assert_eq!(
            l.ms.unwrap().source,
            LinkSource::Result("outputs.ms_path".into())
        );
    }

    #[test]
    fn a_subband_file_names_its_group_and_an_ms_stem_too() {
        let params =
            json!({"inputs": {"file_path": "/data/incoming/2025-10-21T14:23:19_sb05.hdf5"}});
        let l = links("ingest-subband", &params, &Value::Null);
        assert_eq!(l.ms, None);
        assert_eq!(l.group.unwrap().id, "2025-10-21T14:23:19");
        let params =
            json!({"outputs": {"ms_path": "/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms"}});
        let l = links("imaging", &params, &Value::Null);
        assert_eq!(
            l.ms.unwrap().source,
            LinkSource::Params("outputs.ms_path".into())
        );
        assert_eq!(l.group.unwrap().id, "2025-10-21T14:23:19");
        assert_eq!(group_in_path("/x/conversion_a_b.ms"), None);
    }
}
