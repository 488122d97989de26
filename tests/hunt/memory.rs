//! The local engine's memory limit: spilling where DataFusion can, a clear failure where it
//! cannot, and the engine still answering afterwards.

use hunt::backend::QueryRequest;
use hunt::engine::{Catalog, LocalEngine};

use super::engine::runtime;

const LIMIT: usize = 16 << 20;

fn engine() -> LocalEngine {
    LocalEngine::new(Catalog::default(), "test").with_memory_limit(LIMIT)
}

#[test]
fn an_aggregation_past_the_limit_spills_and_answers() {
    let engine = engine();
    assert_eq!(engine.memory_limit(), LIMIT);
    // Three million distinct string keys hold far more than 16 MiB.
    let result = runtime()
        .block_on(engine.execute(&QueryRequest::new(
            "range x from 1 to 3000000 step 1 | summarize c = count() by s = strcat('key-', x) | summarize groups = count(), rows = sum(c)",
        )))
        .unwrap();
    assert_eq!(result.cell_text(0, 0).as_deref(), Some("3000000"));
    assert_eq!(result.cell_text(0, 1).as_deref(), Some("3000000"));
}

#[test]
fn a_query_past_the_limit_fails_clearly_and_the_engine_goes_on() {
    let engine = engine();
    let error = runtime()
        .block_on(engine.execute(&QueryRequest::new(
            "range x from 1 to 3000000 step 1 | extend s = strcat('key-', x) | order by s asc | extend n = row_number() | where n == 2999999 | project s",
        )))
        .unwrap_err();
    assert_eq!(
        error.message,
        "the query needed more memory than the local engine's limit (16 MiB): narrow it (a shorter time range, fewer columns, a filter before a join or summarize), or raise the limit with --memory-limit or memory_limit in the config file"
    );
    let result = runtime()
        .block_on(engine.execute(&QueryRequest::new("print x = 1")))
        .unwrap();
    assert_eq!(result.cell_text(0, 0).as_deref(), Some("1"));
}

#[test]
fn reduce_past_the_limit_fails_clearly() {
    let engine = engine();
    // Three million distinct values, held whole with their terms' counts: past 16 MiB.
    let error = runtime()
        .block_on(engine.execute(&QueryRequest::new(
            "range x from 1 to 3000000 step 1 | project s = strcat('key-', x) | reduce by s",
        )))
        .unwrap_err();
    assert!(
        error
            .message
            .starts_with("the query needed more memory than the local engine's limit"),
        "{}",
        error.message
    );
}
