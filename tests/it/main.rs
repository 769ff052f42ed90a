//! Integration tests: the real service over HTTP, in front of a fake PD serving the fixtures.

mod support;

mod caching;
mod checks;
mod cli;
mod clusters;
mod compatible_backends;
mod demo_endpoints;
mod events;
mod faults;
mod hostile;
mod layering;
mod members;
mod openapi;
mod operations;
mod own_metrics;
mod page;
mod pd_config;
mod prometheus_fixtures;
mod readme;
mod real_prometheus;
mod region_walk;
mod regions;
mod safe_points;
mod scale_cycle;
mod scheduling;
mod shared_prometheus;
mod simulated_cluster;
mod smoke;
mod store_metrics_fake;
mod store_progress;
mod stores;
mod tls;
mod upstream_errors;
mod victoria_metrics;
