//! tikv-lens: a typed, documented JSON API in front of a TiKV cluster's PD and Prometheus.
//!
//! PD answers in human strings (`"1.747TiB"`, `"169h50m10.79s"`), ids above 2^53, omitted zero
//! fields and shapes that changed between versions. tikv-lens reads those answers and serves one
//! stable, documented shape with units in the field names, so dashboards and `curl | jq` never
//! have to parse PD's formats themselves.
//!
//! # Layout
//!
//! Data flows one way, and `tests/it/layering.rs` fails when an import goes against it:
//!
//! ```text
//! server ─→ middleware                      (the router, its layers in order)
//!   └─→ api (handlers: extract, call, shape) ─→ compose (several upstreams, partial answers)
//!         └──────────────┬───────────────────────────┘
//!                        ↓
//!              normalize (convert, no I/O) ─→ upstream (fetch, cache, wire types)
//!                        └─→ model (the public, documented types)
//! ```
//!
//! `model` and `upstream` never import each other, so a PD field rename cannot leak into the
//! public schema and a public rename cannot break parsing. `state` (the clusters and their
//! clients) and `config` (what they are built from) sit beside the flow: handlers and `compose`
//! read `state`, `state` is built from `config`, and `upstream` imports neither. `event_log`
//! (each cluster's live events, kept and handed out) sits beside `state`, which holds one per
//! cluster: `compose` publishes into it and `api` streams out of it.
//!
//! - [`server`]: [`server::app`] builds the whole router (tests drive it without a socket) and
//!   sets the order of its layers; [`server::run`] and [`server::run_tls`] serve it until
//!   shutdown.
//! - `middleware`: the layers, one concern a file: finished answers with `ETag`/`304`, `Age`
//!   and `Cache-Control`; request metrics; the request deadline; bearer tokens; the per-client
//!   rate limit; CORS.
//! - `api`: one module per resource: handlers, their `routes()`, their parameters and the
//!   problem answers each operation lists (`api/problems.rs`); `api/events.rs` writes the
//!   Server-Sent Events stream.
//! - `compose`: answers built from several upstream reads (the overview, stores joined to
//!   their metrics, a store's series, region health, the schedulers with their configuration,
//!   the schedule configuration with store limits, placement, a store's progress with its
//!   blockers, the health checks and the fleet) and the partial-answer policy: a part that cannot be read is `null` with a
//!   warning, a whole answer fails only when nothing can be read. Also the live events'
//!   poller: one per cluster with listeners, comparing each poll with the last.
//! - `event_log`: each cluster's live events: their numbers, the last ones kept for clients
//!   resuming with `Last-Event-ID`, the broadcast to the streams, the listeners that keep a
//!   poller running, and the process-wide cap on listeners and shutdown signal.
//! - [`normalize`]: pure functions, no I/O: wire types to model types, PD byte sizes, Go
//!   durations and timestamps, sample values, TiDB keys, TSOs, PD's string booleans and
//!   comma-joined lists, operator texts; the one mapping from an upstream to a warning's source.
//!   Two large answers skip the model on the way: a page of regions and a range query's series
//!   are written as JSON while the upstream's body is read (`RenderedRegions`,
//!   `range_body.rs`), byte for byte what serde writes for the model.
//! - [`upstream`]: the HTTP clients, one folder per upstream, with their paths (known once),
//!   raw wire types (never part of the public schema; they accept what PD v4 to v9 really send),
//!   limits and cache TTLs ([`upstream::UpstreamLimits`], [`upstream::CacheTtls`], filled in by
//!   `config`), the cache of upstream bodies ([`upstream::UpstreamCaches`]) and the per-request
//!   record of when the data was fetched ([`upstream::freshness`]: `observed_at`, `Age`,
//!   `Cache-Control`, `stale`).
//! - [`model`]: the public types (`Serialize` + `ToSchema`); their doc comments become the
//!   descriptions in the OpenAPI document. [`model::Meta`] is the block every answer ends with.
//! - `promql`: the PromQL tikv-lens builds itself (curated store metrics), labels escaped, scoped
//!   to one cluster's series of a shared Prometheus (extra matchers, join label, rate window).
//! - `error`: `ApiError`, the one error type handlers return, rendered as
//!   `application/problem+json`.
//! - [`openapi`]: the OpenAPI document: its fixed parts, completed with what the routes declare
//!   and what the middleware adds to every operation (token, rate limit, caching headers).
//! - [`state`]: [`state::AppState`], the clusters this process fronts, their upstream clients,
//!   the caches, and the recent readings of stores being removed (progress where PD has none),
//!   built once from a [`config::ServeConfig`].
//! - [`config`]: the command line (clap, every flag also an environment variable) and the TOML
//!   file for several clusters. Raw input (`config/args.rs`, `config/file.rs`) and what it is
//!   validated into (`config/serve.rs`: [`config::ServeConfig`]) are different types.
//! - `chunked`: response bodies of ready chunks with their exact length (large answers are
//!   written and kept in chunks, never in one buffer that grows by copying itself).
//! - [`budget`]: the one memory budget (`--memory-budget`) and how the caches and the kept
//!   events share it.
//! - [`security`]: per-cluster upstream CAs, PD's client certificate, Prometheus' credentials.
//! - [`tls`]: PEM files checked at startup, and HTTPS serving.
//! - `telemetry`: the service's own metrics (`/metrics`): requests, upstream requests, cache
//!   reads and bytes, event streams, events sent and polls, each with its HELP text.
//!
//! The simulated cluster of `tikv-lens demo` is another crate of the workspace,
//! `crates/tikv-sim` (the `demo` feature, on by default); the binary's `src/demo.rs` only wires
//! it to the service, and `cargo build --no-default-features` builds the service without it.

mod api;
pub mod budget;
mod chunked;
mod compose;
pub mod config;
mod error;
pub mod event_log;
mod middleware;
pub mod model;
pub mod normalize;
pub mod openapi;
mod promql;
pub mod security;
pub mod server;
pub mod state;
mod telemetry;
pub mod tls;
pub mod upstream;
