//! The earlier results a query can name again as tables: `$last` (= `$1`) is the newest, `$2`
//! the one before, … (`kql::earlier` reads the names). The console keeps every result that
//! arrives, from any backend; `hunt run --input FILE.json` keeps the files it is given.
//!
//! Bounded: at most [`KEPT_RESULTS`] results; a new one pushes the oldest out. The results are
//! `Arc`-shared with the grid and the tabs that show them, so keeping one costs no copy; the
//! memory held is at most that many results (each at most the backend's row limit, 100,000
//! rows by default).

use std::collections::VecDeque;
use std::sync::Arc;

use super::format::group_digits;
use super::{KqlType, ResultSet};

/// How many earlier results are kept (`$1` … `$10`).
pub const KEPT_RESULTS: usize = 10;

/// The kept results, newest first. Cloning copies only the `Arc`s (at most [`KEPT_RESULTS`]).
#[derive(Debug, Clone, Default)]
pub struct ResultHistory {
    newest_first: VecDeque<Arc<ResultSet>>,
}

impl ResultHistory {
    /// An empty history.
    pub fn new() -> ResultHistory {
        ResultHistory::default()
    }

    /// Keeps `result` as the newest (`$last`); the oldest goes when more than
    /// [`KEPT_RESULTS`] are held.
    pub fn push(&mut self, result: Arc<ResultSet>) {
        self.newest_first.push_front(result);
        self.newest_first.truncate(KEPT_RESULTS);
    }

    /// How many results are kept.
    pub fn len(&self) -> usize {
        self.newest_first.len()
    }

    pub fn is_empty(&self) -> bool {
        self.newest_first.is_empty()
    }

    /// Result number `number`, counting from 1 for the newest (`$last` = `$1`); `None` for 0
    /// and past the oldest kept.
    pub fn get(&self, number: usize) -> Option<&Arc<ResultSet>> {
        self.newest_first.get(number.checked_sub(1)?)
    }

    /// The tables the language tools know the kept results as: `$last`, then `$1` … `$N`
    /// (newest first), each with its columns and their KQL types.
    pub fn tables(&self) -> Vec<(String, Vec<(String, KqlType)>)> {
        let columns = |result: &ResultSet| {
            result
                .column_names()
                .into_iter()
                .zip(result.column_types().iter().copied())
                .collect::<Vec<_>>()
        };
        let mut tables = Vec::with_capacity(self.len() + 1);
        if let Some(newest) = self.newest_first.front() {
            tables.push((crate::kql::earlier::LAST.to_string(), columns(newest)));
        }
        for (index, result) in self.newest_first.iter().enumerate() {
            tables.push((format!("${}", index + 1), columns(result)));
        }
        tables
    }
}

/// One earlier result as the status line names it: `$last (graph result, 1,234 rows)`. The
/// origin is the first part of the backend label that made it (`graph · contoso` → `graph`).
pub fn describe(name: &str, result: &ResultSet) -> String {
    let origin = result
        .facts
        .backend
        .split(" · ")
        .next()
        .filter(|o| !o.is_empty())
        .unwrap_or("earlier");
    let rows = result.row_count();
    format!(
        "{name} ({origin} result, {} row{})",
        group_digits(rows),
        if rows == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{RunFacts, kql_schema};
    use datafusion::arrow::array::{ArrayRef, Int64Array};
    use datafusion::arrow::record_batch::RecordBatch;

    fn result(rows: i64, backend: &str) -> Arc<ResultSet> {
        let schema = kql_schema(&[("n".to_string(), KqlType::Long)]);
        let values: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows));
        let batch = RecordBatch::try_new(schema.clone(), vec![values]).expect("batch");
        let facts = RunFacts {
            backend: backend.to_string(),
            ..RunFacts::default()
        };
        Arc::new(ResultSet::new(schema, &[batch], vec![KqlType::Long], facts).expect("result"))
    }

    #[test]
    fn newest_first_and_bounded() {
        let mut history = ResultHistory::new();
        assert!(history.is_empty());
        assert!(history.get(1).is_none());
        for rows in 1..=(KEPT_RESULTS as i64 + 3) {
            history.push(result(rows, "lab"));
        }
        assert_eq!(history.len(), KEPT_RESULTS);
        // The newest has the most rows; the three oldest were pushed out.
        assert_eq!(
            history.get(1).map(|r| r.row_count()),
            Some(KEPT_RESULTS + 3)
        );
        assert_eq!(history.get(KEPT_RESULTS).map(|r| r.row_count()), Some(4));
        assert!(history.get(KEPT_RESULTS + 1).is_none());
        assert!(history.get(0).is_none());
    }

    #[test]
    fn shared_not_copied() {
        let mut history = ResultHistory::new();
        let first = result(3, "lab");
        history.push(first.clone());
        let copy = history.clone();
        let kept = copy.get(1).expect("kept");
        assert!(Arc::ptr_eq(kept, &first));
    }

    #[test]
    fn tables_are_named_newest_first() {
        let mut history = ResultHistory::new();
        assert!(history.tables().is_empty());
        history.push(result(1, "lab"));
        history.push(result(2, "graph · contoso"));
        let names: Vec<String> = history.tables().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, vec!["$last", "$1", "$2"]);
        assert_eq!(
            history.tables()[0].1,
            vec![("n".to_string(), KqlType::Long)]
        );
    }

    #[test]
    fn descriptions_name_origin_and_rows() {
        assert_eq!(
            describe("$last", &result(1234, "graph · contoso")),
            "$last (graph result, 1,234 rows)"
        );
        assert_eq!(describe("$2", &result(1, "lab")), "$2 (lab result, 1 row)");
        assert_eq!(
            describe("$1", &result(0, "")),
            "$1 (earlier result, 0 rows)"
        );
    }
}
