//! Queries over earlier results: a query that names `$last`, `$1`, `$2` … (`kql::earlier`)
//! runs on the local engine with those results as in-memory tables, whatever backend made
//! them (no Graph call: no quota). When the backend is the local engine, its own tables stay
//! beside them; otherwise the results are the only tables.
//!
//! The time window does not filter a result table (the planner skips `$` names): the result
//! already answered a query over its own window.

use std::sync::Arc;

use super::{Catalog, LocalEngine, clean_engine_message};
use crate::backend::{ErrorKind, QueryError, QueryRequest};
use crate::kql::earlier::{self, Reference};
use crate::results::ResultSet;
use crate::results::history::{ResultHistory, describe};

/// The label of a result computed over earlier results (`RunFacts::backend`).
pub const LABEL: &str = "local";

/// The results `source` names, each under the name it is written with (`$last` and `$1` both
/// when both are written), in text order without repeats. `context` ends the message when a
/// name has no result (where results come from: `the console keeps its last 10 results`).
///
/// Errors (`Semantic`, at the name): `$0`, and a number past the results kept, saying how many
/// there are.
pub fn resolve(
    source: &str,
    history: &ResultHistory,
    context: &str,
) -> Result<Vec<(String, Arc<ResultSet>)>, QueryError> {
    let mut tables: Vec<(String, Arc<ResultSet>)> = Vec::new();
    for Reference { name, number, span } in earlier::references(source) {
        if tables.iter().any(|(known, _)| *known == name) {
            continue;
        }
        let Some(result) = history.get(number) else {
            return Err(QueryError::at(
                ErrorKind::Semantic,
                missing(&name, number, history.len(), context),
                span,
                source,
            ));
        };
        tables.push((name, result.clone()));
    }
    Ok(tables)
}

/// Why `name` has no result, with how many there are.
fn missing(name: &str, number: usize, kept: usize, context: &str) -> String {
    if number == 0 {
        return format!("'{name}' names no result: the newest is $last (or $1), then $2 …");
    }
    let count = match kept {
        0 => "there is none".to_string(),
        1 => "there is only 1".to_string(),
        n => format!("there are only {n}"),
    };
    format!(
        "'{name}' names {}, but {count} ({context})",
        earlier::describe(number)
    )
}

/// What the status line says a query ran on: each result once, in text order
/// (`$last (graph result, 1,234 rows), $2 (lab result, 3 rows)`).
pub fn ran_on(tables: &[(String, Arc<ResultSet>)]) -> String {
    let mut seen: Vec<&Arc<ResultSet>> = Vec::new();
    let mut parts = Vec::new();
    for (name, result) in tables {
        if seen.iter().any(|s| Arc::ptr_eq(s, result)) {
            continue;
        }
        seen.push(result);
        parts.push(describe(name, result));
    }
    parts.join(", ")
}

impl LocalEngine {
    /// This engine with `tables` (earlier results under their names) added to its catalog,
    /// labelled [`LABEL`]. The results' arrays are shared, not copied (see
    /// `Catalog::insert_result`). Errors when a result cannot be made a table.
    pub fn over_results(
        &self,
        tables: &[(String, Arc<ResultSet>)],
    ) -> Result<LocalEngine, QueryError> {
        let mut catalog = Catalog::clone(&self.catalog);
        for (name, result) in tables {
            catalog.insert_result(name, result).map_err(|e| {
                QueryError::new(
                    ErrorKind::Execution,
                    format!(
                        "{name} cannot be queried as a table: {}",
                        clean_engine_message(&e)
                    ),
                )
            })?;
        }
        let mut engine = self.clone();
        engine.catalog = Arc::new(catalog);
        engine.label = LABEL.to_string();
        Ok(engine)
    }
}

/// Runs `request` over the earlier results it names (see the module documentation): beside
/// `base`'s tables when the backend is the local engine, else on an engine of its own. The
/// result's `RunFacts::ran_on` says which results it ran on; `context` is as for [`resolve`].
pub async fn run_on_results(
    base: Option<&LocalEngine>,
    history: &ResultHistory,
    request: &QueryRequest,
    context: &str,
) -> Result<ResultSet, QueryError> {
    let tables = resolve(&request.query, history, context)?;
    let engine = match base {
        Some(base) => base.over_results(&tables)?,
        None => LocalEngine::new(Catalog::default(), LABEL).over_results(&tables)?,
    };
    let mut result = engine.execute(request).await?;
    result.facts.ran_on = Some(ran_on(&tables));
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{KqlType, RunFacts, kql_schema};
    use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
    use datafusion::arrow::record_batch::RecordBatch;

    /// A result of `rows` rows: `n` (0, 1, …) and `s` (`"v0"`, `"v1"`, …, every third null).
    fn result(rows: i64, backend: &str) -> Arc<ResultSet> {
        let schema = kql_schema(&[
            ("n".to_string(), KqlType::Long),
            ("s".to_string(), KqlType::String),
        ]);
        let n: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows));
        let s: ArrayRef = Arc::new(StringArray::from_iter(
            (0..rows).map(|i| (i % 3 != 2).then(|| format!("v{i}"))),
        ));
        let batch = RecordBatch::try_new(schema.clone(), vec![n, s]).expect("batch");
        let facts = RunFacts {
            backend: backend.to_string(),
            ..RunFacts::default()
        };
        Arc::new(
            ResultSet::new(
                schema,
                &[batch],
                vec![KqlType::Long, KqlType::String],
                facts,
            )
            .expect("result"),
        )
    }

    fn history(results: &[Arc<ResultSet>]) -> ResultHistory {
        let mut history = ResultHistory::new();
        // Oldest first in, so the last one given is the newest.
        for result in results {
            history.push(result.clone());
        }
        history
    }

    #[test]
    fn names_resolve_newest_first() {
        let (old, new) = (result(2, "lab"), result(5, "graph · t"));
        let kept = history(&[old.clone(), new.clone()]);
        let tables = resolve("$last | union $2, $1, $last", &kept, "here").expect("resolved");
        let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["$last", "$2", "$1"]);
        assert!(Arc::ptr_eq(&tables[0].1, &new));
        assert!(Arc::ptr_eq(&tables[1].1, &old));
        assert!(Arc::ptr_eq(&tables[2].1, &new));
        assert_eq!(
            ran_on(&tables),
            "$last (graph result, 5 rows), $2 (lab result, 2 rows)"
        );
    }

    #[test]
    fn missing_results_say_how_many_there_are() {
        let kept = history(&[result(1, "lab"), result(1, "lab")]);
        let error = resolve("$last\n| join ($3) on n", &kept, "the console keeps 10")
            .expect_err("only two");
        assert_eq!(error.kind, ErrorKind::Semantic);
        assert_eq!(
            error.message,
            "'$3' names the 3rd newest result, but there are only 2 (the console keeps 10)"
        );
        assert_eq!(error.to_string().split(':').next(), Some("2"));
        let one = history(&[result(1, "lab")]);
        assert!(
            resolve("$2", &one, "c")
                .expect_err("one")
                .message
                .contains("there is only 1")
        );
        let none = resolve("$last", &ResultHistory::new(), "c").expect_err("none");
        assert_eq!(
            none.message,
            "'$last' names the newest result, but there is none (c)"
        );
        let zero = resolve("$0", &one, "c").expect_err("zero");
        assert!(zero.message.starts_with("'$0' names no result"));
    }

    #[tokio::test]
    async fn a_query_runs_over_results_with_their_types() {
        let kept = history(&[result(4, "lab"), result(7, "graph · t")]);
        let request = QueryRequest::new(
            "$last | where n > 2 | join kind=inner ($2 | project n, t = s) on n | project n, s, t | order by n asc",
        );
        let answer = run_on_results(None, &kept, &request, "c")
            .await
            .expect("ran");
        assert_eq!(answer.row_count(), 1);
        assert_eq!(answer.cell_text(0, 0), Some("3".to_string()));
        assert_eq!(
            answer.column_types(),
            &[KqlType::Long, KqlType::String, KqlType::String]
        );
        assert_eq!(answer.facts.backend, LABEL);
        assert_eq!(
            answer.facts.ran_on.as_deref(),
            Some("$last (graph result, 7 rows), $2 (lab result, 4 rows)")
        );
        // A null string of the result reads as KQL's empty string.
        let empty = run_on_results(
            None,
            &kept,
            &QueryRequest::new("$1 | where isempty(s) | count"),
            "c",
        )
        .await
        .expect("ran");
        assert_eq!(empty.cell_text(0, 0), Some("2".to_string()));
    }

    #[tokio::test]
    async fn a_result_without_columns_still_has_its_rows() {
        // Graph may answer `{"schema":[],"results":[{},{}]}`.
        let decoded =
            crate::graph::decode::decode_results(br#"{"schema":[],"results":[{},{}]}"#, "graph")
                .expect("decoded");
        let kept = history(&[Arc::new(decoded)]);
        let answer = run_on_results(None, &kept, &QueryRequest::new("$last | count"), "c")
            .await
            .expect("ran");
        assert_eq!(answer.cell_text(0, 0), Some("2".to_string()));
    }

    #[tokio::test]
    async fn results_sit_beside_the_local_tables_and_outside_the_window() {
        let mut catalog = Catalog::default();
        let schema = kql_schema(&[("n".to_string(), KqlType::Long)]);
        let n: ArrayRef = Arc::new(Int64Array::from_iter_values([1, 3]));
        catalog
            .insert_batch(
                "Local",
                vec![("n".to_string(), KqlType::Long)],
                RecordBatch::try_new(schema, vec![n]).expect("batch"),
            )
            .expect("table");
        let base = LocalEngine::new(catalog, "lab");
        let kept = history(&[result(3, "lab")]);
        let request = QueryRequest {
            query: "Local | join kind=inner ($last) on n | project n".to_string(),
            timespan: Some("P1D".to_string()),
        };
        let answer = run_on_results(Some(&base), &kept, &request, "c")
            .await
            .expect("ran");
        assert_eq!(answer.row_count(), 1);
        assert_eq!(answer.cell_text(0, 0), Some("1".to_string()));
        // The base engine is unchanged: the result is no table of it.
        assert!(base.catalog().get("$last").is_none());

        // A result's Timestamp outside the window still counts: the window is not applied to
        // earlier results.
        let schema = kql_schema(&[("Timestamp".to_string(), KqlType::DateTime)]);
        let year_2000 = crate::kql::time::parse_datetime("2000-01-01").expect("date");
        let ts: ArrayRef = Arc::new(Int64Array::from_iter_values([year_2000, year_2000]));
        let dated = ResultSet::new(
            schema.clone(),
            &[RecordBatch::try_new(schema, vec![ts]).expect("batch")],
            vec![KqlType::DateTime],
            RunFacts::default(),
        )
        .expect("result");
        let kept = history(&[Arc::new(dated)]);
        let request = QueryRequest {
            query: "$last | count".to_string(),
            timespan: Some("P1D".to_string()),
        };
        let answer = run_on_results(Some(&base), &kept, &request, "c")
            .await
            .expect("ran");
        assert_eq!(answer.cell_text(0, 0), Some("2".to_string()));
    }
}
