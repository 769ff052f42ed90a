//! tikv-lens: a typed, documented JSON API in front of a TiKV cluster's PD and Prometheus.
//!
//! PD answers in human strings (`"1.747TiB"`, `"169h50m10.79s"`), ids above 2^53, omitted zero
//! fields and shapes that changed between versions. tikv-lens reads those answers and serves one
//! stable, documented shape with units in the field names, so dashboards and `curl | jq` never
//! have to parse PD's formats themselves.
//!
//! # Layout
//!
//! Data flows one way: `api` → `normalize` → {`upstream`, `model`}. `model` and `upstream` never
//! import each other, so a PD field rename cannot leak into the public schema.
//!
//! - [`config`]: the command line (clap, every flag also an environment variable) and the TOML
//!   file for several clusters. Raw input (`config/args.rs`, `config/file.rs`) and what it is
//!   validated into (`config/serve.rs`: [`config::ServeConfig`]) are different types.
//! - [`server`]: [`server::app`] builds the whole router (tests drive it without a socket) and
//!   sets the order of its layers; [`server::run`] serves it until shutdown.
//! - [`middleware`]: the layers, one concern a file: finished answers with `ETag`/`304`, `Age`
//!   and `Cache-Control`; request metrics; the request deadline; bearer tokens; the per-client
//!   rate limit; CORS.
//! - [`tls`]: PEM files checked at startup, and HTTPS serving ([`server::run_tls`]).
//! - [`security`]: per-cluster upstream CAs, PD's client certificate, Prometheus' credentials.
//! - [`telemetry`]: the service's own metrics (`/metrics`): requests, upstream requests, cache.
//! - [`state`]: [`state::AppState`], the clusters this process fronts and their upstream clients.
//! - [`openapi`]: the OpenAPI document, derived from the handlers and model types.
//! - [`freshness`]: when each answer's upstream data was fetched and until when it is fresh
//!   (`observed_at`, `Age`, `Cache-Control`), recorded by the upstream cache per request.
//! - [`error`]: [`error::ApiError`], the one error type handlers return, rendered as
//!   `application/problem+json`.
//! - [`upstream`]: raw wire types and HTTP clients, one folder per upstream. Wire types accept
//!   what PD v4 to v9 really send; they are never part of the public schema. The clients' limits
//!   and cache TTLs ([`upstream::UpstreamLimits`], [`upstream::CacheTtls`]) are upstream's own
//!   types, filled in by `config`: `upstream` never imports `config`.
//! - [`normalize`]: pure functions, no I/O: wire types to model types, PD byte sizes, Go
//!   durations and timestamps.
//! - [`model`]: the public types (`Serialize` + `ToSchema`); their doc comments become the
//!   descriptions in the OpenAPI document.
//! - [`promql`]: the PromQL tikv-lens builds itself (curated store metrics), labels escaped.
//! - [`api`]: one module per resource: handlers and their `routes()`.
//! - [`demo`]: a simulated PD (v8.5, byte-compatible) over a living, seeded cluster, for
//!   `tikv-lens demo`, the integration tests and benchmarks.

pub mod api;
pub mod budget;
mod compose;
pub mod config;
pub mod error;
pub mod middleware;
pub mod model;
pub mod normalize;
pub mod openapi;
pub mod promql;
pub mod security;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod upstream;
