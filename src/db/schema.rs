//! What tables and columns the pipeline's database has right now. The pipeline's schema
//! drifts (older `images` has 8 columns, some files lack whole tables), so every query is
//! built from this: a column that does not exist is selected as `NULL`.

use std::collections::{BTreeMap, BTreeSet};

/// Tables, their columns and their indexes, names lower-cased (SQLite names are
/// case-insensitive).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    tables: BTreeMap<String, BTreeSet<String>>,
    indexes: BTreeMap<String, BTreeSet<String>>,
}

impl Schema {
    /// Build from `(table, column)` pairs and `(table, index)` pairs.
    pub fn from_parts(
        columns: impl IntoIterator<Item = (String, String)>,
        indexes: impl IntoIterator<Item = (String, String)>,
    ) -> Schema {
        let mut schema = Schema::default();
        for (table, column) in columns {
            schema
                .tables
                .entry(table.to_ascii_lowercase())
                .or_default()
                .insert(column.to_ascii_lowercase());
        }
        for (table, index) in indexes {
            schema
                .indexes
                .entry(table.to_ascii_lowercase())
                .or_default()
                .insert(index.to_ascii_lowercase());
        }
        schema
    }

    pub fn has_table(&self, table: &str) -> bool {
        self.tables.contains_key(&table.to_ascii_lowercase())
    }

    pub fn has_column(&self, table: &str, column: &str) -> bool {
        self.tables
            .get(&table.to_ascii_lowercase())
            .is_some_and(|cols| cols.contains(&column.to_ascii_lowercase()))
    }

    pub fn has_index(&self, table: &str, index: &str) -> bool {
        self.indexes
            .get(&table.to_ascii_lowercase())
            .is_some_and(|idx| idx.contains(&index.to_ascii_lowercase()))
    }

    pub fn tables(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    pub fn columns(&self, table: &str) -> impl Iterator<Item = &str> {
        self.tables
            .get(&table.to_ascii_lowercase())
            .into_iter()
            .flat_map(|cols| cols.iter().map(String::as_str))
    }

    /// `alias.column` when the column exists, `NULL` otherwise: the expression to select or
    /// filter on. `alias` may be empty. Names come from our own whitelists, never from input.
    pub fn col(&self, table: &str, alias: &str, column: &str) -> String {
        if !self.has_column(table, column) {
            "NULL".to_string()
        } else if alias.is_empty() {
            column.to_string()
        } else {
            format!("{alias}.{column}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legacy() -> Schema {
        Schema::from_parts(
            ["id", "path", "ms_path", "created_at", "type"]
                .map(|c| ("IMAGES".to_string(), c.to_string())),
            [("images".to_string(), "idx_images_type".to_string())],
        )
    }

    #[test]
    fn a_column_the_legacy_table_lacks_is_selected_as_null() {
        let s = legacy();
        assert_eq!(s.col("images", "", "type"), "type");
        assert_eq!(s.col("images", "i", "path"), "i.path");
        assert_eq!(s.col("images", "", "field_name"), "NULL");
        assert_eq!(s.col("jobs", "", "id"), "NULL");
    }

    #[test]
    fn names_are_case_insensitive() {
        let s = legacy();
        assert!(s.has_table("Images"));
        assert!(s.has_column("images", "CREATED_AT"));
        assert!(s.has_index("images", "IDX_IMAGES_TYPE"));
        assert!(!s.has_table("photometry"));
    }
}
