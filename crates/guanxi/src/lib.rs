//! Guanxi (关系): the binary's library — the REST adapter, the CLI, configuration,
//! start-up and benchmarks. `main.rs` only calls `cli::main`.

pub mod api;
pub mod bench;
pub mod cli;
pub mod config;
pub mod mail;
pub mod startup;
pub mod web;
