//! A simulated PD (TiKV's Placement Driver) for `tikv-lens demo`, the integration tests and the
//! benchmarks: an HTTP server that answers PD v8.5's API byte for byte as a real PD would (the
//! same renderers, field order, `omitempty` rules, value formats, status codes and content types;
//! see `tests/fixtures/pd/UPSTREAM-NOTES.md`), over a cluster that lives through time.
//!
//! The cluster is a pure function of a [`SimConfig`] and an instant: two simulators built from the
//! same configuration answer byte-identical bodies at the same [`Clock::Fixed`] time. Regions are
//! derived on demand from `(seed, index, time)`, so a million regions cost no per-region memory.
//!
//! # Scenario (t = `SimConfig::epoch`)
//!
//! - 3 PD members (`pd-0`…`pd-2`), one leader, all healthy. Stores `tikv-<i>` with ids 1, 4, 5, …,
//!   started a week before t = 0, heartbeating every 10 s; one extra tombstone store.
//! - Every 10 minutes the last store stops at 2:00 (Disconnected 20 s after its last heartbeat,
//!   Down after `max_store_down_time`), restarts at 8:00 (new start time, uptime resets). It
//!   hands its leaders over to the other stores from 1:30 to 1:50, as a graceful restart does;
//!   while it is not Up its peers are down and pending; after the restart its peers catch up
//!   (pending) over a minute and leaders return over 2 minutes. TiKV's leader-drops rule (more
//!   than 10 leaders lost within 30 s) fires on it at the handover (from about 40 regions), and on
//!   the others as the leaders return (from about 200).
//! - The hot table's last region splits every `split_interval` (up to `max_splits`), so the region
//!   count grows; leaders rotate slowly; a few regions gain a learner for 4 of every 40 minutes.
//! - Traffic follows a daily sine (peak at noon UTC) with short hourly spikes (3 minutes at a
//!   seeded minute); hot regions change every 5 minutes. The spike pushes `tikv-0`'s raftstore
//!   threads over the 1.6 cores of TiKV's alert rule for about a minute and fills its raftstore
//!   channel for 40 s; `tikv-1` stalls writes for the spike's middle minute, and its scheduler
//!   rejects writes as too busy meanwhile. Available bytes shrink as the hot table splits: once
//!   six hours of splits are behind, a runway of about two months at the default sizes.
//! - PD's own work: balance-leader transfers a leader every 15 s; the hot-region scheduler is
//!   paused for 10 of every 30 minutes; GC runs every 10 minutes (life time 10 minutes) and a BR
//!   backup every half hour holds GC back with its service safe point while it runs; resolved
//!   timestamps trail by 0.4–2 s.
//! - With `scale_cycle` (the demo's), every 30 minutes a store (`tikv-<stores+1>`, id 2000 + cycle)
//!   joins, prepares (regions move onto it), serves, is scaled in at 10:00 of its cycle (an
//!   evict-leader scheduler holds it from then until 2:00 of the next cycle, outliving it) and is a
//!   tombstone once its regions have left. With three stores, the moves stall while the flapping
//!   store is not up (a replica has nowhere to go), so its removal pauses and resumes. Its regions
//!   are not modelled one by one: its region count and size follow the schedule, and region
//!   endpoints do not list its peers. The first cycle starts 12 minutes before t = 0, so a
//!   removal is under way from the start.
//!
//! # Layout
//!
//! Lowest first; a module uses only modules above it here, never one below or beside it:
//!
//! - `mix`: the seeded hashing everything derives from. `go_format`: Go's wire formats (PD's two
//!   JSON renderers, byte sizes, durations, timestamps, `strconv` errors). `clock`: where "now"
//!   comes from.
//! - `keys`: TiDB's memcomparable key encoding, as region boundaries carry it.
//! - `layout`: where region boundaries fall (TiDB tables, indexes, rows).
//! - `timeline`: the scenario's knobs ([`SimConfig`]) and the stores through time: process
//!   starts, heartbeats, the outage cycle and what PD calls a store ([`SimStoreState`]), store
//!   ids, the load curve. Knows nothing of regions.
//! - `regions`: any region ([`SimRegion`]) at any instant, derived from the layout and the
//!   timeline; `Moment`, what all regions share at one instant.
//! - `tally`: per-store region, leader and pending totals without walking every region. `hot`:
//!   the hot peers PD reports.
//! - `cluster`: [`SimCluster`], which holds the timeline and the regions, and PD's view of its
//!   members and stores ([`SimStore`]).
//! - `activity`: what PD is doing at an instant: schedulers, operators, store progress, GC and
//!   service safe points, resolved timestamps.
//! - `bodies`: PD's response objects. `metrics`: the TiKV and PD series the simulated Prometheus
//!   scrapes.
//! - `promql_eval`: a small PromQL evaluator over those series.
//! - `pd`: PD's HTTP API (router and handlers). `prometheus`: Prometheus' query API.
//!
//! In one line (`tests/module_order.rs` holds the sources to it):
//!
//! mix, go_format, clock → keys → layout → timeline → regions → tally, hot → cluster →
//! activity → bodies, metrics → promql_eval → pd, prometheus

mod activity;
mod bodies;
mod clock;
mod cluster;
mod go_format;
mod hot;
mod keys;
mod layout;
mod metrics;
mod mix;
mod pd;
mod prometheus;
mod promql_eval;
mod regions;
mod tally;
mod timeline;

pub use clock::Clock;
pub use cluster::{SimCluster, SimMember, SimStore};
pub use keys::RegionKey;
pub use pd::{CONTENT_TYPE_DATA, CONTENT_TYPE_JSON, CONTENT_TYPE_TEXT, pd_router, serve_pd};
pub use prometheus::{prometheus_router, serve_prometheus};
pub use regions::{
    EMPTY_MIB, OVERSIZED_KEYS, OVERSIZED_MIB, PeerRole, RegionCheck, SimPeer, SimRegion,
    UNDERSIZED_KEYS, UNDERSIZED_MIB,
};
pub use timeline::{
    OUTAGE_PERIOD, OUTAGE_RESTART_AT, OUTAGE_STOP_AT, SCALE_ID_BASE, SCALE_PERIOD, ScalePhase,
    SimConfig, SimStoreState, store_id,
};
