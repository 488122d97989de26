//! Integration tests, in one binary because each test binary links DataFusion.

mod hunt {
    pub mod activity;
    pub mod cli;
    pub mod console;
    pub mod doc_functions;
    pub mod docs;
    pub mod engine;
    pub mod fake_graph;
    pub mod files;
    pub mod fuzz;
    pub mod graph;
    pub mod kql_graph;
    pub mod lab;
    pub mod make_series;
    pub mod memory;
    pub mod operators;
    pub mod semantics;
    pub mod series;
    pub mod snapshots;
    pub mod terminal;
}
