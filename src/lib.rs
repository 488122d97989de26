//! hunt: a terminal console for threat hunting with KQL.
//!
//! Data flows one way: `tui` sends `worker::Command`s, the worker runs them on a
//! `backend::Backend` (the local `engine`, later Microsoft Graph) and answers with
//! `worker::Event`s carrying a `results::ResultSet`. `cli` parses arguments and wires the parts.

pub mod backend;
pub mod cli;
pub mod engine;
pub mod graph;
pub mod kql;
pub mod results;
pub mod store;
pub mod tui;
pub mod worker;
