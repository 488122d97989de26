//! The Microsoft Graph backend: advanced hunting through `POST /security/runHuntingQuery`
//! (GRAPH.md). Clouds and endpoints (`cloud`), bearer tokens and their providers (`token`,
//! `auth`), the response decoder (`decode`), the client that implements `Backend` (`client`),
//! and `hunt serve`, the same contract answered by a local backend (`serve`).
//! Nothing here knows about the terminal.

pub mod auth;
pub mod client;
pub mod cloud;
pub mod decode;
pub mod http;
pub mod serve;
pub mod token;
