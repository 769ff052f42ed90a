//! The metrics the simulated cluster exports to its simulated Prometheus: what TiKV's status
//! server and PD's `/metrics` would show, scraped every 15 s.
//!
//! Nothing is stored per sample. A sample is a pure function of the configuration, the series and
//! the scrape instant: gauges read the simulated PD's own view at that instant
//! ([`SimCluster::stores_at`]), so `tikv_raftstore_region_count` and `tikv_store_size_bytes` equal
//! what PD reports at the same time; counters are closed-form integrals of rate functions that
//! follow the cluster's load curve ([`SimCluster::load_factor`]) from the process start, so they
//! are monotonic while a process lives and start again from 0 when the simulation restarts it.
//!
//! # Scrapes
//!
//! Every target is scraped at each multiple of 15 s (Unix time, no jitter), so an instant query
//! reads the last scrape: equal to PD's view at scrape instants, up to 15 s older in between. A
//! TiKV target answers while PD sees its store `Up` and the process runs; otherwise the scrape
//! fails: `up` is 0 and its other series end with a stale marker, so an instant selector finds
//! nothing for them at once (as Prometheus does with live scrapes; the 5-minute lookback only
//! bridges missing scrapes, and there are none here), while a `[1m]` range still holds the samples
//! before the failure for a minute. The tombstone store and the scale cycle's stores are not
//! targets. PD (`pd-0:2379`) always answers.
//!
//! # Series
//!
//! TiKV (`instance` = the store's status address, `job="tikv"`): `up`, `process_cpu_seconds_total`
//! (an integer counter, as TiKV's), `process_resident_memory_bytes`, `process_start_time_seconds`,
//! `tikv_grpc_msg_duration_seconds_{bucket,sum,count}` (`type` kv_get, kv_prewrite, kv_commit,
//! coprocessor, kv_gc; `priority="medium"`; 22 buckets 5e-5·2^k plus `+Inf`),
//! `tikv_raftstore_region_count{type=region|leader|buckets}`,
//! `tikv_store_size_bytes{type=capacity|available|used}` (PD's exact bytes),
//! `tikv_engine_size_bytes{db="kv",type=default|lock|write|raft}` (shares of `used`), and what
//! TiKV's alert rules read:
//!
//! - `tikv_thread_cpu_seconds_total{name,tid}` (a counter of 1/100 s ticks, as TiKV reads
//!   `/proc`) for the two raftstore threads (`raftstore_<store id>_0|1`) and the two apply
//!   threads (`apply_0|1`): raftstore cores follow the daily load (0.5 to 0.7 per store), and the
//!   hourly load spike adds a half sine, 1.25 cores at its peak on `tikv-0` (which crosses the
//!   1.6 cores of TiKV's rule for about a minute) and 0.3 elsewhere. Apply threads stay under
//!   half a core.
//! - On `tikv-1`, writes stall for the middle minute of each hourly spike (its 60th to 120th
//!   second): `tikv_engine_write_stall{db="kv",type=write_stall_*}` are statistics of the
//!   stalled writes' delays (µs) since the process started, as RocksDB keeps them, so they rise
//!   with each stall (slowly: they cover a week of stalls) and are 0 before the first; and the
//!   scheduler rejects writes as too busy meanwhile: `tikv_scheduler_too_busy_total{type}`
//!   (prewrite 30/s, acquire_pessimistic_lock 12/s, commit 8/s; every store has the series, at 0
//!   where nothing was rejected, as TiKV's static counters do).
//! - On `tikv-0`, the raftstore's channel is full for 40 s at the spike's peak (its 70th to
//!   110th second): `tikv_channel_full_total{type="normal"}`, 25 a second. TiKV creates the
//!   series at the first full channel, so other stores have none.
//!
//! Leader drops (TiKV's rule) read `tikv_raftstore_region_count{type="leader"}`: the flapping
//! store's leaders are transferred away in the 30 s before it stops, and come back after it
//! restarts.
//!
//! PD (`instance="pd-0:2379"`, `job="pd"`): `up`, `pd_cluster_status{engine="tikv",store,type}`
//! (store state counts, region/leader/learner/witness counts, storage size and capacity per
//! store), `pd_regions_status{type=<check>-region-count}` (the sizes of PD's
//! `/regions/check/<check>` lists) and `pd_scheduler_store_status{address,store,type}`.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::f64::consts::{PI, TAU};
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use super::cluster::{SimCluster, SimStore};
use super::mix::{hash, unit};
use super::regions::{Moment, RegionCheck, SimRegion};
use super::tally::SplitBornSizes;
use super::timeline::{SECOND, SimStoreState, store_id};

/// Prometheus' scrape interval in the simulation.
pub(crate) const SCRAPE_MS: i64 = 15_000;

/// The PD target's `instance`.
pub(crate) const PD_INSTANCE: &str = "pd-0:2379";

/// A label set sorted by name, `__name__` included.
pub(crate) type Labels = Vec<(String, String)>;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// `timeline::SALT_SPIKE`: which minute of each hour the load spike starts at.
const SALT_SPIKE: u64 = 4;
/// This module's own salts, apart from the cluster's.
const SALT_PROFILE: u64 = 300;

/// The gRPC message types the histogram carries: (type, share of the store's requests, median
/// latency in seconds). `kv_gc` is bursty (see [`gc_active_seconds`]) and has no share.
const GRPC_TYPES: [(&str, f64, f64); 5] = [
    ("kv_get", 0.40, 0.000_45),
    ("kv_prewrite", 0.16, 0.002_2),
    ("kv_commit", 0.16, 0.001_6),
    ("coprocessor", 0.28, 0.003_5),
    ("kv_gc", 0.0, 0.025),
];
const KV_GC: usize = 4;
/// Finite bucket bounds: 5e-5·2^k for k in 0..22 (50 µs to 104.8576 s).
const GRPC_BUCKETS: usize = 22;
/// Log-normal spread of the fast and the slow part of each latency distribution.
const SIGMA_FAST: f64 = 0.9;
const SIGMA_SLOW: f64 = 0.7;
/// Slow requests: this share always, plus `SPIKE_SLOW` of the extra load of a spike.
const SLOW_SHARE: f64 = 0.01;
const SPIKE_SLOW: f64 = 0.1;
const SLOW_FACTOR: f64 = 8.0;
/// Amplitude of each store's own slow wobble on top of the cluster load (load is at least 0.5).
const WOBBLE: f64 = 0.06;
/// kv_gc runs during the first minute of every 10.
const GC_PERIOD_MS: i64 = 600_000;
const GC_ACTIVE_MS: i64 = 60_000;

/// The store whose raftstore the hourly spike saturates (its channel fills): `tikv-0`, which
/// never flaps.
const HOT_STORE: usize = 0;
/// The store whose writes stall during the hourly spike: `tikv-1`, which never flaps either.
const STALL_STORE: usize = 1;
/// Raftstore cores per store, `w · (RAFT_BASE + RAFT_DAILY · daily)`, plus the spike's half sine
/// times `RAFT_SPIKE_HOT` on [`HOT_STORE`] and `RAFT_SPIKE` elsewhere. Two raftstore threads
/// share it (51% and 49%), and neither ever exceeds a core.
const RAFT_BASE: f64 = 0.4;
const RAFT_DAILY: f64 = 0.2;
const RAFT_SPIKE_HOT: f64 = 1.25;
const RAFT_SPIKE: f64 = 0.3;
/// Apply cores per store: `w · (APPLY_BASE + APPLY_DAILY · daily)` plus the spike's half sine
/// times `APPLY_SPIKE_HOT` or `APPLY_SPIKE`, 55% and 45% on two threads.
const APPLY_BASE: f64 = 0.15;
const APPLY_DAILY: f64 = 0.15;
const APPLY_SPIKE_HOT: f64 = 0.4;
const APPLY_SPIKE: f64 = 0.1;
/// The thread series of a store, in label order: two apply threads, two raftstore threads.
const THREADS: usize = 4;
/// Within each hourly spike (180 s), writes stall on [`STALL_STORE`] over this span (seconds)...
const STALL_SPAN: (i64, i64) = (60, 120);
/// ...and the raftstore channel of [`HOT_STORE`] is full over this one.
const FULL_SPAN: (i64, i64) = (70, 110);
/// `tikv_engine_write_stall` types (sorted) and their ratio to the average stall.
const WRITE_STALL_TYPES: [(&str, f64); 6] = [
    ("write_stall_average", 1.0),
    ("write_stall_max", 12.0),
    ("write_stall_median", 0.6),
    ("write_stall_percentile95", 2.2),
    ("write_stall_percentile99", 3.5),
    ("write_stall_standard_deviation", 1.3),
];
/// The average stalled write's delay (µs) after the first stall; it grows with the log of the
/// stall time since the process started.
const STALL_AVERAGE_US: f64 = 900.0;
/// `tikv_scheduler_too_busy_total` types (sorted) and their rejections per second while writes
/// stall.
const TOO_BUSY_TYPES: [(&str, f64); 3] = [
    ("acquire_pessimistic_lock", 12.0),
    ("commit", 8.0),
    ("prewrite", 30.0),
];
/// Channel-full events per second while the channel is full.
const CHANNEL_FULL_RATE: f64 = 25.0;

const CF_SHARES: [(&str, f64); 4] = [
    ("default", 0.62),
    ("lock", 0.002),
    ("raft", 0.018),
    ("write", 0.36),
];
const REGION_COUNT_TYPES: [&str; 3] = ["buckets", "leader", "region"];
const STORE_SIZE_TYPES: [&str; 3] = ["available", "capacity", "used"];

/// `pd_cluster_status` types (per store).
const CLUSTER_STATUS_TYPES: [&str; 18] = [
    "leader_count",
    "learner_count",
    "region_count",
    "storage_capacity",
    "storage_size",
    "store_disconnected_count",
    "store_down_count",
    "store_low_space_count",
    "store_offline_count",
    "store_preparing_count",
    "store_removed_count",
    "store_removing_count",
    "store_serving_count",
    "store_slow_count",
    "store_tombstone_count",
    "store_unhealth_count",
    "store_up_count",
    "witness_count",
];

/// `pd_scheduler_store_status` types (per live store).
const SCHEDULER_STATUS_TYPES: [&str; 9] = [
    "leader_count",
    "leader_score",
    "leader_size",
    "region_count",
    "region_score",
    "region_size",
    "store_available",
    "store_capacity",
    "store_used",
];

/// Every metric name the simulation exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Metric {
    Up,
    CpuSeconds,
    ResidentMemory,
    StartTime,
    GrpcBucket,
    GrpcSum,
    GrpcCount,
    RegionCount,
    StoreSize,
    EngineSize,
    ThreadCpu,
    EngineWriteStall,
    ChannelFull,
    SchedulerTooBusy,
    PdClusterStatus,
    PdRegionsStatus,
    PdSchedulerStoreStatus,
}

impl Metric {
    pub(crate) const ALL: [Metric; 17] = [
        Metric::Up,
        Metric::CpuSeconds,
        Metric::ResidentMemory,
        Metric::StartTime,
        Metric::GrpcBucket,
        Metric::GrpcSum,
        Metric::GrpcCount,
        Metric::RegionCount,
        Metric::StoreSize,
        Metric::EngineSize,
        Metric::ThreadCpu,
        Metric::EngineWriteStall,
        Metric::ChannelFull,
        Metric::SchedulerTooBusy,
        Metric::PdClusterStatus,
        Metric::PdRegionsStatus,
        Metric::PdSchedulerStoreStatus,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Metric::Up => "up",
            Metric::CpuSeconds => "process_cpu_seconds_total",
            Metric::ResidentMemory => "process_resident_memory_bytes",
            Metric::StartTime => "process_start_time_seconds",
            Metric::GrpcBucket => "tikv_grpc_msg_duration_seconds_bucket",
            Metric::GrpcSum => "tikv_grpc_msg_duration_seconds_sum",
            Metric::GrpcCount => "tikv_grpc_msg_duration_seconds_count",
            Metric::RegionCount => "tikv_raftstore_region_count",
            Metric::StoreSize => "tikv_store_size_bytes",
            Metric::EngineSize => "tikv_engine_size_bytes",
            Metric::ThreadCpu => "tikv_thread_cpu_seconds_total",
            Metric::EngineWriteStall => "tikv_engine_write_stall",
            Metric::ChannelFull => "tikv_channel_full_total",
            Metric::SchedulerTooBusy => "tikv_scheduler_too_busy_total",
            Metric::PdClusterStatus => "pd_cluster_status",
            Metric::PdRegionsStatus => "pd_regions_status",
            Metric::PdSchedulerStoreStatus => "pd_scheduler_store_status",
        }
    }
}

/// One series: the metric, the target (a store index, or `PD_TARGET`) and up to two label
/// choices (a `type` index, a bucket index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SeriesKey {
    pub(crate) metric: Metric,
    pub(crate) target: u32,
    pub(crate) kind: u16,
    pub(crate) bucket: u16,
}

const PD_TARGET: u32 = u32::MAX;

/// The seeded constants of one TiKV store.
#[derive(Clone, Debug)]
struct StoreProfile {
    /// CPU cores at load factor 1.
    cores: f64,
    /// gRPC requests per second at load factor 1.
    qps: f64,
    /// kv_gc requests per second while GC runs.
    gc_rate: f64,
    /// Resident bytes once warmed up.
    rss: f64,
    /// (period ms, phase) of the CPU wobble, then of each gRPC type's, then of memory's.
    wobbles: [(i64, f64); GRPC_TYPES.len() + 2],
    /// The raftstore and apply threads' share of the daily load (1 on [`HOT_STORE`], whose
    /// spike is sized against TiKV's threshold).
    thread_weight: f64,
    /// `(name, tid)` labels of the store's threads, in label order.
    threads: [(String, String); THREADS],
}

/// Cumulative bucket fractions of a log-normal latency distribution, per finite bucket and +Inf.
type Cdf = [f64; GRPC_BUCKETS + 1];

/// Static region-check counts over the regions whose shape never changes (the "plain" base
/// regions): computed once, on first use, by one walk.
#[derive(Clone, Copy, Debug, Default)]
struct RegionBase {
    empty: u64,
    oversized: u64,
    undersized: u64,
    /// Whether a split-born region can be oversized by keys (never with TiDB-sized rows); if so
    /// they are checked one by one.
    split_born_may_be_oversized: bool,
}

/// The metrics model over one simulated cluster.
pub(crate) struct MetricsModel {
    cluster: Arc<SimCluster>,
    flapping: usize,
    instances: Vec<String>,
    addresses: Vec<String>,
    /// Decimal store ids of the live stores, then the tombstone.
    store_ids: Vec<String>,
    /// Unix ms each store's first process started.
    first_start_ms: Vec<i64>,
    profiles: Vec<StoreProfile>,
    fast: [Cdf; GRPC_TYPES.len()],
    slow: [Cdf; GRPC_TYPES.len()],
    le: Vec<String>,
    /// Day-aligned origin of the load integral, before every process start.
    anchor_ms: i64,
    region_base: OnceLock<RegionBase>,
}

impl std::fmt::Debug for MetricsModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsModel")
            .field("stores", &self.instances.len())
            .finish_non_exhaustive()
    }
}

/// Whether each target answered the scrape at one instant, and since when its process runs.
#[derive(Clone, Copy, Debug)]
struct TargetsAt {
    flapping_ok: bool,
    flapping_start_secs: i64,
}

/// PD's view at one scrape instant.
struct Heavy {
    moment: Moment,
    stores: Vec<SimStore>,
    checks: OnceCell<[u64; 9]>,
}

/// Per-request memo of what several samples share: nothing survives the request, so memory stays
/// bounded by what one query touches.
#[derive(Default)]
pub(crate) struct Cx {
    targets: HashMap<i64, TargetsAt>,
    load: HashMap<i64, (f64, f64)>,
    /// `(store, gRPC type, ts)` → observations, shared by the 23 bucket series, sum and count.
    observations: HashMap<(usize, usize, i64), (f64, f64)>,
    heavy: HashMap<i64, Rc<Heavy>>,
    episodes: HashMap<i64, Episodes>,
    /// Live stores' `[capacity, available, used]` bytes by scrape instant (a six-hour range of
    /// `tikv_store_size_bytes` reads 1,441 of them).
    sizes: HashMap<i64, Rc<Vec<Option<[u64; 3]>>>>,
    /// The split-born regions' sizes, carried from one scrape instant to the next.
    born: SplitBornSizes,
}

impl MetricsModel {
    pub(crate) fn new(cluster: Arc<SimCluster>) -> Self {
        let seed = cluster.config().seed;
        let live = cluster.timeline.stores.len();
        let flapping = cluster.flapping_store_index();
        let instances = (0..live).map(|i| format!("tikv-{i}:20180")).collect();
        let addresses = (0..live).map(|i| format!("tikv-{i}:20160")).collect();
        let store_ids = (0..=live).map(|i| store_id(i).to_string()).collect();
        let first_start_ms: Vec<i64> = cluster
            .timeline
            .stores
            .iter()
            .map(|s| s.start_secs * 1000)
            .collect();
        let earliest = first_start_ms.iter().copied().min().unwrap_or(0);
        let anchor_ms = earliest.div_euclid(DAY_MS) * DAY_MS - DAY_MS;
        let profiles = (0..live)
            .map(|i| {
                let r = |k: u64| unit(hash(seed, SALT_PROFILE, (i as u64) << 8 | k));
                let weight = 0.85 + 0.3 * r(0);
                let mut wobbles = [(0, 0.0); GRPC_TYPES.len() + 2];
                for (k, w) in wobbles.iter_mut().enumerate() {
                    let period_s = 420 + (r(10 + k as u64) * 600.0) as i64;
                    *w = (period_s * 1000, TAU * r(40 + k as u64));
                }
                let id = store_id(i);
                let names = [
                    "apply_0".to_owned(),
                    "apply_1".to_owned(),
                    format!("raftstore_{id}_0"),
                    format!("raftstore_{id}_1"),
                ];
                // Linux thread ids of a process that has run a while.
                let tid = |k: u64| (4_000 + (r(60 + k) * 60_000.0) as u64).to_string();
                StoreProfile {
                    cores: (0.3 + 1.7 * weight) * (0.9 + 0.2 * r(1)),
                    qps: 2_400.0 * weight * (0.9 + 0.2 * r(2)),
                    gc_rate: 0.4 + 0.2 * r(3),
                    rss: (5.0 + 3.0 * r(4)) * (1u64 << 30) as f64,
                    wobbles,
                    thread_weight: if i == HOT_STORE {
                        1.0
                    } else {
                        0.85 + 0.2 * r(5)
                    },
                    threads: std::array::from_fn(|k| (names[k].clone(), tid(k as u64))),
                }
            })
            .collect();
        let bounds: Vec<f64> = (0..GRPC_BUCKETS).map(bucket_bound).collect();
        let mut fast = [[0.0; GRPC_BUCKETS + 1]; GRPC_TYPES.len()];
        let mut slow = [[0.0; GRPC_BUCKETS + 1]; GRPC_TYPES.len()];
        for (k, &(_, _, median)) in GRPC_TYPES.iter().enumerate() {
            fast[k] = cdf_table(&bounds, median, SIGMA_FAST);
            slow[k] = cdf_table(&bounds, median * SLOW_FACTOR, SIGMA_SLOW);
        }
        let mut le: Vec<String> = bounds.iter().map(|b| format!("{b}")).collect();
        le.push("+Inf".to_owned());
        Self {
            cluster,
            flapping,
            instances,
            addresses,
            store_ids,
            first_start_ms,
            profiles,
            fast,
            slow,
            le,
            anchor_ms,
            region_base: OnceLock::new(),
        }
    }

    // ---- series and labels ---------------------------------------------------------------

    /// Every series of `metric`, in a fixed order.
    fn series_of(&self, metric: Metric, out: &mut Vec<SeriesKey>) {
        let live = self.instances.len() as u32;
        let key = |target: u32, kind: usize, bucket: usize| SeriesKey {
            metric,
            target,
            kind: kind as u16,
            bucket: bucket as u16,
        };
        match metric {
            Metric::Up => {
                out.extend((0..live).map(|s| key(s, 0, 0)));
                out.push(key(PD_TARGET, 0, 0));
            }
            Metric::CpuSeconds | Metric::ResidentMemory | Metric::StartTime => {
                out.extend((0..live).map(|s| key(s, 0, 0)));
            }
            Metric::GrpcBucket => {
                for s in 0..live {
                    for k in 0..GRPC_TYPES.len() {
                        out.extend((0..=GRPC_BUCKETS).map(|b| key(s, k, b)));
                    }
                }
            }
            Metric::GrpcSum | Metric::GrpcCount => {
                for s in 0..live {
                    out.extend((0..GRPC_TYPES.len()).map(|k| key(s, k, 0)));
                }
            }
            Metric::RegionCount | Metric::StoreSize => {
                for s in 0..live {
                    out.extend((0..3).map(|k| key(s, k, 0)));
                }
            }
            Metric::EngineSize => {
                for s in 0..live {
                    out.extend((0..CF_SHARES.len()).map(|k| key(s, k, 0)));
                }
            }
            Metric::ThreadCpu => {
                for s in 0..live {
                    out.extend((0..THREADS).map(|k| key(s, k, 0)));
                }
            }
            Metric::EngineWriteStall => {
                for s in 0..live {
                    out.extend((0..WRITE_STALL_TYPES.len()).map(|k| key(s, k, 0)));
                }
            }
            Metric::ChannelFull => out.push(key(HOT_STORE as u32, 0, 0)),
            Metric::SchedulerTooBusy => {
                for s in 0..live {
                    out.extend((0..TOO_BUSY_TYPES.len()).map(|k| key(s, k, 0)));
                }
            }
            Metric::PdClusterStatus => {
                for s in 0..=live {
                    out.extend((0..CLUSTER_STATUS_TYPES.len()).map(|k| key(s, k, 0)));
                }
            }
            Metric::PdRegionsStatus => {
                out.extend((0..RegionCheck::ALL.len()).map(|k| key(PD_TARGET, k, 0)));
            }
            Metric::PdSchedulerStoreStatus => {
                for s in 0..live {
                    out.extend((0..SCHEDULER_STATUS_TYPES.len()).map(|k| key(s, k, 0)));
                }
            }
        }
    }

    /// The label set of a series, sorted by name.
    pub(crate) fn labels(&self, key: SeriesKey) -> Labels {
        let s = key.target as usize;
        let kind = usize::from(key.kind);
        let mut labels: Vec<(&str, &str)> = vec![("__name__", key.metric.name())];
        let instance = self.instances.get(s).map_or("", String::as_str);
        let tikv = [("instance", instance), ("job", "tikv")];
        match key.metric {
            Metric::Up if key.target == PD_TARGET => {
                labels.push(("instance", PD_INSTANCE));
                labels.push(("job", "pd"));
            }
            Metric::Up | Metric::CpuSeconds | Metric::ResidentMemory | Metric::StartTime => {
                labels.extend(tikv);
            }
            Metric::GrpcBucket | Metric::GrpcSum | Metric::GrpcCount => {
                labels.extend(tikv);
                if key.metric == Metric::GrpcBucket {
                    labels.push(("le", &self.le[usize::from(key.bucket)]));
                }
                labels.push(("priority", "medium"));
                labels.push(("type", GRPC_TYPES[kind].0));
            }
            Metric::RegionCount => {
                labels.extend(tikv);
                labels.push(("type", REGION_COUNT_TYPES[kind]));
            }
            Metric::StoreSize => {
                labels.extend(tikv);
                labels.push(("type", STORE_SIZE_TYPES[kind]));
            }
            Metric::EngineSize => {
                labels.push(("db", "kv"));
                labels.extend(tikv);
                labels.push(("type", CF_SHARES[kind].0));
            }
            Metric::ThreadCpu => {
                let (name, tid) = &self.profiles[s].threads[kind];
                labels.extend(tikv);
                labels.push(("name", name));
                labels.push(("tid", tid));
            }
            Metric::EngineWriteStall => {
                labels.push(("db", "kv"));
                labels.extend(tikv);
                labels.push(("type", WRITE_STALL_TYPES[kind].0));
            }
            Metric::ChannelFull => {
                labels.extend(tikv);
                labels.push(("type", "normal"));
            }
            Metric::SchedulerTooBusy => {
                labels.extend(tikv);
                labels.push(("type", TOO_BUSY_TYPES[kind].0));
            }
            Metric::PdClusterStatus => {
                labels.push(("engine", "tikv"));
                labels.push(("instance", PD_INSTANCE));
                labels.push(("job", "pd"));
                labels.push(("store", &self.store_ids[s]));
                labels.push(("type", CLUSTER_STATUS_TYPES[kind]));
            }
            Metric::PdRegionsStatus => {
                labels.push(("instance", PD_INSTANCE));
                labels.push(("job", "pd"));
                labels.push(("type", check_type_name(RegionCheck::ALL[kind])));
            }
            Metric::PdSchedulerStoreStatus => {
                labels.push(("address", &self.addresses[s]));
                labels.push(("instance", PD_INSTANCE));
                labels.push(("job", "pd"));
                labels.push(("store", &self.store_ids[s]));
                labels.push(("type", SCHEDULER_STATUS_TYPES[kind]));
            }
        }
        labels.sort_unstable_by(|a, b| a.0.cmp(b.0));
        labels
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// Every series whose metric name passes `name` and whose label set passes `labels`, sorted
    /// by label set (the order Prometheus' storage returns series in).
    pub(crate) fn select(
        &self,
        name: impl Fn(&str) -> bool,
        labels: impl Fn(&Labels) -> bool,
    ) -> Vec<(SeriesKey, Labels)> {
        let mut keys = Vec::new();
        let mut out = Vec::new();
        for metric in Metric::ALL {
            if !name(metric.name()) {
                continue;
            }
            keys.clear();
            self.series_of(metric, &mut keys);
            for &key in &keys {
                let set = self.labels(key);
                if labels(&set) {
                    out.push((key, set));
                }
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1));
        out
    }

    // ---- samples --------------------------------------------------------------------------

    /// The sample of `key` scraped at `ts_ms` (a multiple of [`SCRAPE_MS`]), or `None` when the
    /// scrape failed (the series is stale) or the process had not started.
    pub(crate) fn sample(&self, key: SeriesKey, ts_ms: i64, cx: &mut Cx) -> Option<f64> {
        match key.metric {
            Metric::Up if key.target == PD_TARGET => return Some(1.0),
            Metric::PdClusterStatus | Metric::PdRegionsStatus | Metric::PdSchedulerStoreStatus => {
                return Some(self.pd_sample(key, ts_ms, cx));
            }
            _ => {}
        }
        let store = key.target as usize;
        let (ok, start_secs) = self.target(store, ts_ms, cx);
        if key.metric == Metric::Up {
            return Some(if ok { 1.0 } else { 0.0 });
        }
        if !ok {
            return None;
        }
        let kind = usize::from(key.kind);
        let start_ms = start_secs * 1000;
        Some(match key.metric {
            Metric::StartTime => start_secs as f64,
            Metric::CpuSeconds => self
                .cpu_seconds(store, start_ms, ts_ms, cx)
                .floor()
                .max(0.0),
            Metric::ResidentMemory => {
                let p = &self.profiles[store];
                let uptime = (ts_ms - start_ms) as f64 / 1000.0;
                let warm = 0.35 + 0.65 * (uptime / 1800.0).clamp(0.0, 1.0);
                let (period, phase) = p.wobbles[GRPC_TYPES.len() + 1];
                (p.rss * warm * (1.0 + 0.01 * phase_at(ts_ms, period, phase).sin())).floor()
            }
            Metric::GrpcBucket | Metric::GrpcSum | Metric::GrpcCount => {
                let (fast, slow) = self.grpc_observations(store, kind, start_ms, ts_ms, cx);
                match key.metric {
                    Metric::GrpcSum => {
                        let median = GRPC_TYPES[kind].2;
                        fast * median * (SIGMA_FAST * SIGMA_FAST / 2.0).exp()
                            + slow * median * SLOW_FACTOR * (SIGMA_SLOW * SIGMA_SLOW / 2.0).exp()
                    }
                    Metric::GrpcCount => (fast + slow).floor().max(0.0),
                    _ => {
                        let b = usize::from(key.bucket);
                        (fast * self.fast[kind][b] + slow * self.slow[kind][b])
                            .floor()
                            .max(0.0)
                    }
                }
            }
            Metric::RegionCount => {
                let heavy = self.heavy(ts_ms, cx);
                let st = &heavy.stores[store];
                match kind {
                    0 => 0.0,
                    1 => st.leader_count as f64,
                    _ => st.region_count as f64,
                }
            }
            Metric::StoreSize | Metric::EngineSize => {
                let [capacity, available, used] = self.store_bytes(ts_ms, cx)[store]?;
                match (key.metric, kind) {
                    (Metric::StoreSize, 0) => available as f64,
                    (Metric::StoreSize, 1) => capacity as f64,
                    (Metric::StoreSize, _) => used as f64,
                    (_, cf) => (used as f64 * CF_SHARES[cf].1).floor(),
                }
            }
            Metric::ThreadCpu => self.thread_cpu_seconds(store, kind, start_ms, ts_ms, cx),
            Metric::EngineWriteStall => {
                let stalled = if store == STALL_STORE {
                    self.episodes_between(start_ms, ts_ms, cx).stall
                } else {
                    0.0
                };
                if stalled <= 0.0 {
                    0.0
                } else {
                    let average = STALL_AVERAGE_US * (1.0 + 0.2 * (1.0 + stalled / 60.0).ln());
                    (average * WRITE_STALL_TYPES[kind].1 * 100.0).round() / 100.0
                }
            }
            Metric::SchedulerTooBusy => {
                if store != STALL_STORE {
                    0.0
                } else {
                    let stalled = self.episodes_between(start_ms, ts_ms, cx).stall;
                    (TOO_BUSY_TYPES[kind].1 * stalled).floor()
                }
            }
            Metric::ChannelFull => {
                let full = self.episodes_between(start_ms, ts_ms, cx).full;
                let count = (CHANNEL_FULL_RATE * full).floor();
                // TiKV creates the series at the first full channel.
                if store != HOT_STORE || count < 1.0 {
                    return None;
                }
                count
            }
            _ => return None,
        })
    }

    /// Live stores' `[capacity, available, used]` bytes at a scrape instant, as PD reports them.
    fn store_bytes(&self, ts_ms: i64, cx: &mut Cx) -> Rc<Vec<Option<[u64; 3]>>> {
        if let Some(sizes) = cx.sizes.get(&ts_ms) {
            return sizes.clone();
        }
        let moment = self.cluster.moment_at_ns(ms_to_ns(ts_ms));
        let mib = self.cluster.store_region_sizes(&moment, &mut cx.born);
        let sizes = Rc::new(self.cluster.live_store_bytes(&moment, &mib));
        cx.sizes.insert(ts_ms, sizes.clone());
        sizes
    }

    fn pd_sample(&self, key: SeriesKey, ts_ms: i64, cx: &mut Cx) -> f64 {
        let heavy = self.heavy(ts_ms, cx);
        let kind = usize::from(key.kind);
        match key.metric {
            Metric::PdRegionsStatus => {
                let checks = heavy
                    .checks
                    .get_or_init(|| self.region_checks(&heavy.moment, &heavy.stores));
                checks[kind] as f64
            }
            Metric::PdSchedulerStoreStatus => {
                let st = &heavy.stores[key.target as usize];
                match SCHEDULER_STATUS_TYPES[kind] {
                    "leader_count" => st.leader_count as f64,
                    "leader_score" => st.leader_score,
                    "leader_size" => st.leader_size_mib as f64,
                    "region_count" => st.region_count as f64,
                    "region_score" => st.region_score,
                    "region_size" => st.region_size_mib as f64,
                    "store_available" => st.available_bytes as f64,
                    "store_capacity" => st.capacity_bytes as f64,
                    _ => st.used_bytes as f64,
                }
            }
            _ => {
                let st = &heavy.stores[key.target as usize];
                let tombstone = st.state == SimStoreState::Tombstone;
                let flag = |b: bool| if b { 1.0 } else { 0.0 };
                match CLUSTER_STATUS_TYPES[kind] {
                    "leader_count" => st.leader_count as f64,
                    "learner_count" => st.learner_count as f64,
                    "region_count" => st.region_count as f64,
                    "storage_capacity" => st.capacity_bytes as f64,
                    "storage_size" => st.used_bytes as f64,
                    "store_disconnected_count" => flag(st.state == SimStoreState::Disconnected),
                    "store_down_count" => flag(st.state == SimStoreState::Down),
                    "store_removed_count" | "store_tombstone_count" => flag(tombstone),
                    "store_serving_count" => flag(!tombstone),
                    "store_up_count" => flag(st.state == SimStoreState::Up),
                    _ => 0.0,
                }
            }
        }
    }

    /// Whether the store's scrape at `ts_ms` succeeded, and when its process started (Unix s).
    fn target(&self, store: usize, ts_ms: i64, cx: &mut Cx) -> (bool, i64) {
        if store != self.flapping {
            let start = self.first_start_ms[store];
            return (ts_ms >= start, start.div_euclid(1000));
        }
        let at = *cx.targets.entry(ts_ms).or_insert_with(|| {
            let moment = self.cluster.moment_at_ns(ms_to_ns(ts_ms));
            TargetsAt {
                flapping_ok: moment.down.alive && !moment.down.not_up,
                flapping_start_secs: moment.down.start_secs,
            }
        });
        (at.flapping_ok, at.flapping_start_secs)
    }

    fn heavy(&self, ts_ms: i64, cx: &mut Cx) -> Rc<Heavy> {
        cx.heavy
            .entry(ts_ms)
            .or_insert_with(|| {
                let moment = self.cluster.moment_at_ns(ms_to_ns(ts_ms));
                let stores = self.cluster.stores_at_moment(&moment);
                Rc::new(Heavy {
                    moment,
                    stores,
                    checks: OnceCell::new(),
                })
            })
            .clone()
    }

    // ---- counters -------------------------------------------------------------------------

    /// `(∫ load, ∫ spike part of load)` from the anchor to `ts_ms`, in load-seconds.
    fn load_integral(&self, ts_ms: i64, cx: &mut Cx) -> (f64, f64) {
        if let Some(&v) = cx.load.get(&ts_ms) {
            return v;
        }
        let v = cumulative_load(self.cluster.config().seed, self.anchor_ms, ts_ms);
        cx.load.insert(ts_ms, v);
        v
    }

    fn cpu_seconds(&self, store: usize, start_ms: i64, ts_ms: i64, cx: &mut Cx) -> f64 {
        let p = &self.profiles[store];
        let (load_now, _) = self.load_integral(ts_ms, cx);
        let (load_start, _) = self.load_integral(start_ms, cx);
        let (period, phase) = p.wobbles[0];
        p.cores * (load_now - load_start + WOBBLE * wobble_integral(start_ms, ts_ms, period, phase))
    }

    /// The spike, stall and channel-full time from `start_ms` to `ts_ms`.
    fn episodes_between(&self, start_ms: i64, ts_ms: i64, cx: &mut Cx) -> Episodes {
        let seed = self.cluster.config().seed;
        let mut at = |ms: i64| {
            *cx.episodes
                .entry(ms)
                .or_insert_with(|| cumulative_episodes(seed, self.anchor_ms, ms))
        };
        let (now, start) = (at(ts_ms), at(start_ms));
        Episodes {
            spike: now.spike - start.spike,
            stall: now.stall - start.stall,
            full: now.full - start.full,
        }
    }

    /// CPU seconds of one raftstore or apply thread since the process start, in 1/100 s ticks.
    fn thread_cpu_seconds(
        &self,
        store: usize,
        thread: usize,
        start_ms: i64,
        ts_ms: i64,
        cx: &mut Cx,
    ) -> f64 {
        let p = &self.profiles[store];
        let (load_now, spike_load_now) = self.load_integral(ts_ms, cx);
        let (load_start, spike_load_start) = self.load_integral(start_ms, cx);
        let daily = (load_now - spike_load_now) - (load_start - spike_load_start);
        let seconds = (ts_ms - start_ms) as f64 / 1000.0;
        let spike = self.episodes_between(start_ms, ts_ms, cx).spike;
        let hot = store == HOT_STORE;
        let (base, amplitude, burst, share) = match thread {
            0 | 1 => (
                APPLY_BASE,
                APPLY_DAILY,
                if hot { APPLY_SPIKE_HOT } else { APPLY_SPIKE },
                if thread == 0 { 0.55 } else { 0.45 },
            ),
            _ => (
                RAFT_BASE,
                RAFT_DAILY,
                if hot { RAFT_SPIKE_HOT } else { RAFT_SPIKE },
                if thread == 2 { 0.51 } else { 0.49 },
            ),
        };
        let total = p.thread_weight * (base * seconds + amplitude * daily) + burst * spike;
        (share * total * 100.0).floor().max(0.0) / 100.0
    }

    /// Requests of one type since the process start: `(fast, slow)` observations (not floored).
    fn grpc_observations(
        &self,
        store: usize,
        kind: usize,
        start_ms: i64,
        ts_ms: i64,
        cx: &mut Cx,
    ) -> (f64, f64) {
        if let Some(&v) = cx.observations.get(&(store, kind, ts_ms)) {
            return v;
        }
        let v = self.count_observations(store, kind, start_ms, ts_ms, cx);
        cx.observations.insert((store, kind, ts_ms), v);
        v
    }

    fn count_observations(
        &self,
        store: usize,
        kind: usize,
        start_ms: i64,
        ts_ms: i64,
        cx: &mut Cx,
    ) -> (f64, f64) {
        let p = &self.profiles[store];
        if kind == KV_GC {
            let n = p.gc_rate * (gc_active_seconds(ts_ms) - gc_active_seconds(start_ms));
            return (n.max(0.0), 0.0);
        }
        let (load_now, spike_now) = self.load_integral(ts_ms, cx);
        let (load_start, spike_start) = self.load_integral(start_ms, cx);
        let (period, phase) = p.wobbles[1 + kind];
        let rate = p.qps * GRPC_TYPES[kind].1;
        let load = load_now - load_start;
        let total = rate * (load + WOBBLE * wobble_integral(start_ms, ts_ms, period, phase));
        let slow = rate * (SLOW_SHARE * load + SPIKE_SLOW * (spike_now - spike_start));
        ((total - slow).max(0.0), slow.max(0.0))
    }

    // ---- region checks --------------------------------------------------------------------

    fn region_base(&self) -> RegionBase {
        *self.region_base.get_or_init(|| {
            let cluster = &*self.cluster;
            let regions = &cluster.region_model;
            let n = regions.base_regions;
            // Before the epoch there are no splits, so key-order index = uid.
            let before = cluster.moment_at_ns(cluster.timeline.epoch_ns.saturating_sub(SECOND));
            let mut base = RegionBase::default();
            for region in regions.regions_at_moment(0..n, &before) {
                let uid = region.index;
                if (n >= 2 && uid == n - 1) || regions.learner_regions.binary_search(&uid).is_ok() {
                    continue;
                }
                base.empty += u64::from(region.is_empty_region());
                base.oversized += u64::from(region.is_oversized());
                base.undersized += u64::from(region.is_undersized());
            }
            // Split-born regions are 88 to 100 MiB: never empty or undersized, and oversized only
            // if the hot table's rows were small enough for 100 MiB to hold 1,440,000 keys.
            base.split_born_may_be_oversized = regions
                .layout
                .tables()
                .last()
                .is_some_and(|hot| 100 * (1 << 20) / hot.row_bytes.max(1) >= 1_440_000);
            base
        })
    }

    /// The sizes of PD's nine `/regions/check/<kind>` lists at a moment, in `RegionCheck::ALL`
    /// order, without walking every region: plain and split-born regions only differ in whether
    /// they have a peer on the flapping store (known from its store totals), so only the few
    /// special regions (the growing tail, the learner regions) are built.
    fn region_checks(&self, moment: &Moment, stores: &[SimStore]) -> [u64; 9] {
        let regions = &self.cluster.region_model;
        let base = self.region_base();
        let n = regions.base_regions;
        let flapping = &stores[self.flapping];
        let flapping_id = flapping.id;
        let mut specials: Vec<SimRegion> = Vec::new();
        let mut uids: Vec<u64> = regions.learner_regions.clone();
        if n >= 2 {
            uids.push(n - 1);
        }
        for uid in uids {
            if let Some(region) = regions.region_by_id_at(8 * uid + 2, moment) {
                specials.push(region);
            }
        }
        let on_flapping = |r: &SimRegion| r.peers().iter().any(|p| p.store_id == flapping_id);
        let pending_on_flapping =
            |r: &SimRegion| r.pending_peers().iter().any(|p| p.store_id == flapping_id);
        let special_on = specials.iter().filter(|r| on_flapping(r)).count() as u64;
        let special_pending = specials.iter().filter(|r| pending_on_flapping(r)).count() as u64;
        let plain_on = flapping.region_count.saturating_sub(special_on);
        let plain_pending = flapping.pending_peer_count.saturating_sub(special_pending);

        let mut out = [0u64; 9];
        for (slot, check) in RegionCheck::ALL.into_iter().enumerate() {
            let special = specials
                .iter()
                .filter(|r| regions.region_matches(r, check, moment))
                .count() as u64;
            let plain = match check {
                RegionCheck::MissPeer if moment.down.is_down => plain_on,
                RegionCheck::DownPeer if moment.down.not_up => plain_on,
                RegionCheck::PendingPeer => plain_pending,
                RegionCheck::EmptyRegion => base.empty,
                RegionCheck::OversizedRegion => {
                    base.oversized + self.split_born_oversized(base, moment)
                }
                RegionCheck::UndersizedRegion => base.undersized,
                _ => 0,
            };
            out[slot] = plain + special;
        }
        out
    }

    fn split_born_oversized(&self, base: RegionBase, moment: &Moment) -> u64 {
        if !base.split_born_may_be_oversized {
            return 0;
        }
        let regions = &self.cluster.region_model;
        let n = regions.base_regions;
        (n..n + moment.splits)
            .filter_map(|uid| regions.region_by_id_at(8 * uid + 2, moment))
            .filter(|r| r.is_oversized())
            .count() as u64
    }
}

/// PD's metric type name of a region check (`miss-peer-region-count`, …, `empty-region-count`).
fn check_type_name(check: RegionCheck) -> &'static str {
    match check {
        RegionCheck::MissPeer => "miss-peer-region-count",
        RegionCheck::ExtraPeer => "extra-peer-region-count",
        RegionCheck::DownPeer => "down-peer-region-count",
        RegionCheck::PendingPeer => "pending-peer-region-count",
        RegionCheck::OfflinePeer => "offline-peer-region-count",
        RegionCheck::LearnerPeer => "learner-peer-region-count",
        RegionCheck::EmptyRegion => "empty-region-count",
        RegionCheck::OversizedRegion => "oversized-region-count",
        RegionCheck::UndersizedRegion => "undersized-region-count",
    }
}

fn ms_to_ns(ms: i64) -> i64 {
    ms.saturating_mul(1_000_000)
}

/// 5e-5·2^k, printed by Rust's shortest fixed notation as TiKV's Rust client prints it.
fn bucket_bound(k: usize) -> f64 {
    5e-5 * (1u64 << k) as f64
}

/// Cumulative log-normal fractions at each bound, non-decreasing, exactly 1 at +Inf.
fn cdf_table(bounds: &[f64], median: f64, sigma: f64) -> Cdf {
    let mut out = [1.0; GRPC_BUCKETS + 1];
    let mut previous = 0.0f64;
    for (slot, &bound) in out.iter_mut().zip(bounds) {
        let z = (bound.ln() - median.ln()) / (sigma * std::f64::consts::SQRT_2);
        let p = (0.5 * erfc(-z)).clamp(previous, 1.0);
        *slot = p;
        previous = p;
    }
    out
}

/// The complementary error function (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The phase of a periodic wobble at `ms`: reduced in integers first, so it stays precise.
fn phase_at(ms: i64, period_ms: i64, phase: f64) -> f64 {
    TAU * ms.rem_euclid(period_ms) as f64 / period_ms as f64 + phase
}

/// `∫ sin(phase(t)) dt` from `from_ms` to `to_ms`, in seconds.
fn wobble_integral(from_ms: i64, to_ms: i64, period_ms: i64, phase: f64) -> f64 {
    let omega = TAU / (period_ms as f64 / 1000.0);
    (phase_at(from_ms, period_ms, phase).cos() - phase_at(to_ms, period_ms, phase).cos()) / omega
}

/// Seconds of kv_gc activity (the first minute of every 10) from the Unix epoch to `ms`.
fn gc_active_seconds(ms: i64) -> f64 {
    let periods = ms.div_euclid(GC_PERIOD_MS);
    let into = ms.rem_euclid(GC_PERIOD_MS).min(GC_ACTIVE_MS);
    (periods * GC_ACTIVE_MS + into) as f64 / 1000.0
}

/// The cluster's load factor at `ms`, exactly as [`SimCluster::load_factor`] computes it: a daily
/// sine times hourly three-minute spikes. (What [`cumulative_load`] integrates.)
#[cfg(test)]
fn load_at(seed: u64, ms: i64) -> f64 {
    let daily = 1.0 - 0.5 * day_phase(ms).cos();
    let hour = ms.div_euclid(HOUR_MS);
    let spike_start = spike_start_ms(seed, hour);
    let into = (ms - spike_start) as f64 / 1000.0;
    let spike = if (0.0..SPIKE_SECONDS).contains(&into) {
        1.5 * (PI * into / SPIKE_SECONDS).sin()
    } else {
        0.0
    };
    daily * (1.0 + spike)
}

const SPIKE_SECONDS: f64 = 180.0;

/// `2π · (time of day)`; the daily factor is `1 − cos(phase)/2` (0.5 at midnight, 1.5 at noon).
fn day_phase(ms: i64) -> f64 {
    TAU * ms.rem_euclid(DAY_MS) as f64 / DAY_MS as f64
}

fn spike_start_ms(seed: u64, hour: i64) -> i64 {
    hour * HOUR_MS + (hash(seed, SALT_SPIKE, hour as u64) % 56) as i64 * 60_000
}

/// `(∫ load, ∫ daily·spike)` over `[anchor, ms]` in seconds, in closed form: the daily sine
/// integrates directly, and each hour's spike (a half sine times the daily sine) by the
/// product-to-sum identity. O(hours since the anchor), summed in a fixed order so that every
/// query sees the same counter values.
fn cumulative_load(seed: u64, anchor_ms: i64, ms: i64) -> (f64, f64) {
    if ms <= anchor_ms {
        return (0.0, 0.0);
    }
    let omega = TAU / 86_400.0;
    let daily = (ms - anchor_ms) as f64 / 1000.0
        - 0.5 / omega * (day_phase(ms).sin() - day_phase(anchor_ms).sin());
    let alpha = PI / SPIKE_SECONDS;
    let mut spikes = 0.0;
    let first = anchor_ms.div_euclid(HOUR_MS);
    let last = ms.div_euclid(HOUR_MS);
    for hour in first..=last {
        let start = spike_start_ms(seed, hour);
        if start < anchor_ms || start >= ms {
            continue;
        }
        let u1 = ((ms - start) as f64 / 1000.0).min(SPIKE_SECONDS);
        let p = day_phase(start);
        // ∫0^u1 1.5·sin(αu)·(1 − cos(p + ωu)/2) du
        let plain = 1.5 / alpha * (1.0 - (alpha * u1).cos());
        let sum = omega + alpha;
        let diff = omega - alpha;
        let cross = 0.5
            * ((p.cos() - (p + sum * u1).cos()) / sum - (p.cos() - (p + diff * u1).cos()) / diff);
        spikes += plain - 0.75 * cross;
    }
    (daily + spikes, spikes)
}

/// Time spent in the hourly episodes, in seconds: the spike's half sine integrated (0 to 1 at
/// its peak), the stall span and the channel-full span.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Episodes {
    spike: f64,
    stall: f64,
    full: f64,
}

/// The hourly spike's half sine at `ms`, 0 to 1 (the shape [`load_at`]'s spike has, without the
/// daily factor).
#[cfg(test)]
fn spike_shape(seed: u64, ms: i64) -> f64 {
    let start = spike_start_ms(seed, ms.div_euclid(HOUR_MS));
    let into = (ms - start) as f64 / 1000.0;
    if (0.0..SPIKE_SECONDS).contains(&into) {
        (PI * into / SPIKE_SECONDS).sin()
    } else {
        0.0
    }
}

/// [`Episodes`] over `[anchor, ms]`, in closed form per hour (O(hours since the anchor), summed
/// in a fixed order like [`cumulative_load`]).
fn cumulative_episodes(seed: u64, anchor_ms: i64, ms: i64) -> Episodes {
    let mut out = Episodes::default();
    if ms <= anchor_ms {
        return out;
    }
    let alpha = PI / SPIKE_SECONDS;
    let span = |start: i64, (from, to): (i64, i64)| {
        ((ms - start - from * 1000) as f64 / 1000.0).clamp(0.0, (to - from) as f64)
    };
    for hour in anchor_ms.div_euclid(HOUR_MS)..=ms.div_euclid(HOUR_MS) {
        let start = spike_start_ms(seed, hour);
        if start < anchor_ms || start >= ms {
            continue;
        }
        let u1 = ((ms - start) as f64 / 1000.0).min(SPIKE_SECONDS);
        out.spike += (1.0 - (alpha * u1).cos()) / alpha;
        out.stall += span(start, STALL_SPAN);
        out.full += span(start, FULL_SPAN);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SimConfig, SimStoreState};
    use jiff::Timestamp;

    fn model(stores: usize, regions: u64) -> MetricsModel {
        let cluster = SimCluster::new(SimConfig {
            stores,
            regions,
            seed: 11,
            epoch: Timestamp::constant(1_741_593_600, 0),
            ..SimConfig::default()
        });
        MetricsModel::new(Arc::new(cluster))
    }

    #[test]
    fn the_load_curve_is_the_clusters() {
        let m = model(3, 100);
        let seed = m.cluster.config().seed;
        for k in 0..5_000i64 {
            let ms = 1_741_593_600_000 + k * 7_919_000 + k % 1000;
            let want = m
                .cluster
                .load_factor(Timestamp::from_millisecond(ms).unwrap());
            let got = load_at(seed, ms);
            assert!((want - got).abs() < 1e-9, "{ms}: {want} vs {got}");
        }
    }

    #[test]
    fn the_load_integral_matches_a_numeric_one() {
        let seed = 11;
        let anchor = 1_741_478_400_000; // a midnight
        let mut numeric = 0.0;
        let mut spike_numeric = 0.0;
        let step = 50;
        let mut ms = anchor;
        let end = anchor + 30 * HOUR_MS + 123_500;
        while ms < end {
            let mid = ms + step / 2;
            let load = load_at(seed, mid);
            let daily = 1.0 - 0.5 * day_phase(mid).cos();
            numeric += load * step as f64 / 1000.0;
            spike_numeric += (load - daily) * step as f64 / 1000.0;
            ms += step;
        }
        let (got, spikes) = cumulative_load(seed, anchor, end);
        assert!((got - numeric).abs() < 1e-3, "{got} vs {numeric}");
        assert!(
            (spikes - spike_numeric).abs() < 1e-3,
            "{spikes} vs {spike_numeric}"
        );
        assert!(spikes > 30.0 * 100.0, "{spikes}");
    }

    #[test]
    fn counters_are_monotonic_and_reset_on_restart() {
        let m = model(3, 100);
        let mut cx = Cx::default();
        let epoch_ms: i64 = 1_741_593_600_000;
        let flapping = m.flapping as u32;
        for metric in [
            Metric::CpuSeconds,
            Metric::GrpcCount,
            Metric::GrpcBucket,
            Metric::ThreadCpu,
        ] {
            for target in 0..3u32 {
                let key = SeriesKey {
                    metric,
                    target,
                    kind: 1,
                    bucket: 9,
                };
                let mut previous: Option<f64> = None;
                let mut resets = 0;
                for k in 0..(3_600_000 / SCRAPE_MS) {
                    let ts = epoch_ms + k * SCRAPE_MS;
                    let Some(v) = m.sample(key, ts, &mut cx) else {
                        continue;
                    };
                    if let Some(p) = previous
                        && v < p
                    {
                        resets += 1;
                        assert!(v < p / 4.0, "{metric:?} {target}: {p} -> {v}");
                    }
                    previous = Some(v);
                }
                let want = if target == flapping { 6 } else { 0 };
                assert_eq!(resets, want, "{metric:?} {target}");
            }
        }
    }

    #[test]
    fn buckets_are_cumulative_and_inf_equals_count() {
        let m = model(4, 100);
        let mut cx = Cx::default();
        let ts = 1_741_593_600_000 + 40 * SCRAPE_MS;
        for kind in 0..GRPC_TYPES.len() as u16 {
            let mut previous = 0.0;
            for bucket in 0..=GRPC_BUCKETS as u16 {
                let key = SeriesKey {
                    metric: Metric::GrpcBucket,
                    target: 0,
                    kind,
                    bucket,
                };
                let v = m.sample(key, ts, &mut cx).unwrap();
                assert!(v >= previous);
                previous = v;
            }
            let count = SeriesKey {
                metric: Metric::GrpcCount,
                target: 0,
                kind,
                bucket: 0,
            };
            assert_eq!(m.sample(count, ts, &mut cx), Some(previous));
        }
        assert_eq!(m.le[0], "0.00005");
        assert_eq!(m.le[1], "0.0001");
        assert_eq!(m.le[21], "104.8576");
        assert_eq!(m.le[22], "+Inf");
    }

    /// The shortcut region-check counts equal a full walk with PD's own predicates.
    #[test]
    fn region_checks_match_a_full_walk() {
        for (stores, regions) in [(3, 400), (5, 1_500)] {
            let m = model(stores, regions);
            let cluster = &*m.cluster;
            let epoch = cluster.timeline.epoch_ns;
            let mut saw_down = false;
            let mut saw_learner = false;
            for seconds in (-30..5_000).step_by(37) {
                let moment = cluster.moment_at_ns(epoch + seconds * SECOND);
                let stores_now = cluster.stores_at_moment(&moment);
                let got = m.region_checks(&moment, &stores_now);
                let count = cluster.region_model.region_count_at(&moment);
                let mut want = [0u64; 9];
                for region in cluster.region_model.regions_at_moment(0..count, &moment) {
                    for (slot, check) in RegionCheck::ALL.into_iter().enumerate() {
                        want[slot] +=
                            u64::from(cluster.region_model.region_matches(&region, check, &moment));
                    }
                }
                assert_eq!(got, want, "{stores} stores, t = {seconds}s");
                saw_down |= stores_now.iter().any(|s| s.state == SimStoreState::Down);
                saw_learner |= want[5] > 0;
            }
            assert!(saw_down && saw_learner);
        }
    }

    #[test]
    fn labels_are_sorted_with_the_name_first() {
        let m = model(3, 100);
        let labels = m.labels(SeriesKey {
            metric: Metric::EngineSize,
            target: 2,
            kind: 3,
            bucket: 0,
        });
        let names: Vec<&str> = labels.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["__name__", "db", "instance", "job", "type"]);
        assert_eq!(labels[2].1, "tikv-2:20180");
        let thread = m.labels(SeriesKey {
            metric: Metric::ThreadCpu,
            target: 1,
            kind: 2,
            bucket: 0,
        });
        let names: Vec<&str> = thread.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["__name__", "instance", "job", "name", "tid"]);
        assert_eq!(thread[3].1, "raftstore_4_0", "tikv-1 is store 4");
    }

    fn key(metric: Metric, target: usize, kind: usize) -> SeriesKey {
        SeriesKey {
            metric,
            target: target as u32,
            kind: kind as u16,
            bucket: 0,
        }
    }

    /// A counter's mean rate per second over `[from, to]`, when both ends were scraped.
    fn per_second(
        m: &MetricsModel,
        keys: &[SeriesKey],
        from: i64,
        to: i64,
        cx: &mut Cx,
    ) -> Option<f64> {
        let mut sum = 0.0;
        for &k in keys {
            sum += m.sample(k, to, cx)? - m.sample(k, from, cx)?;
        }
        Some(sum / ((to - from) as f64 / 1000.0))
    }

    #[test]
    fn raftstore_threads_follow_the_load_and_cross_tikvs_rule_at_the_spike_on_one_store() {
        let m = model(3, 100);
        let seed = m.cluster.config().seed;
        let mut cx = Cx::default();
        let raft = |s| [key(Metric::ThreadCpu, s, 2), key(Metric::ThreadCpu, s, 3)];
        let epoch_ms: i64 = 1_741_593_600_000;
        // A whole day of spikes, so that the daily factor takes every value.
        for hour in 0..24 {
            let start = spike_start_ms(seed, epoch_ms.div_euclid(HOUR_MS) + hour);
            let peak = start + 90_000;
            let hot = per_second(&m, &raft(HOT_STORE), peak - 30_000, peak + 30_000, &mut cx);
            let hot = hot.unwrap();
            assert!(hot > 1.6 && hot < 2.0, "hour {hour}: {hot}");
            let calm = per_second(
                &m,
                &raft(HOT_STORE),
                start - 600_000,
                start - 540_000,
                &mut cx,
            );
            let calm = calm.unwrap();
            assert!((0.45..0.75).contains(&calm), "hour {hour}: {calm}");
            for other in 1..3 {
                if let Some(v) = per_second(&m, &raft(other), peak - 30_000, peak + 30_000, &mut cx)
                {
                    assert!(v < 1.2, "hour {hour}, store {other}: {v}");
                }
            }
            // No thread ever runs more than a core, nor an apply thread near TiKV's 0.9.
            for k in 0..13 {
                let from = start - 15_000 + k * 15_000;
                for thread in 0..THREADS {
                    let v = per_second(
                        &m,
                        &[key(Metric::ThreadCpu, HOT_STORE, thread)],
                        from,
                        from + 15_000,
                        &mut cx,
                    );
                    let limit = if thread < 2 { 0.5 } else { 1.0 };
                    assert!(
                        v.unwrap() <= limit + 0.01 / 15.0,
                        "hour {hour}, thread {thread}: {v:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn stalls_rejections_and_full_channels_happen_only_inside_their_spans() {
        let m = model(3, 100);
        let seed = m.cluster.config().seed;
        let mut cx = Cx::default();
        let epoch_ms: i64 = 1_741_593_600_000;
        let stall = |s| key(Metric::EngineWriteStall, s, 0);
        let busy: Vec<SeriesKey> = (0..3)
            .map(|k| key(Metric::SchedulerTooBusy, STALL_STORE, k))
            .collect();
        let full = key(Metric::ChannelFull, HOT_STORE, 0);
        for hour in 0..6 {
            let start = spike_start_ms(seed, epoch_ms.div_euclid(HOUR_MS) + hour);
            let at = |secs: i64| start + secs * 1000;
            let mut read = |k: SeriesKey, secs: i64| m.sample(k, at(secs), &mut cx);
            // The stall's statistics are flat before and after its minute, and rise within it.
            let before = read(stall(STALL_STORE), 59).unwrap();
            assert_eq!(read(stall(STALL_STORE), -600), Some(before), "hour {hour}");
            let during = read(stall(STALL_STORE), 90).unwrap();
            let after = read(stall(STALL_STORE), 121).unwrap();
            assert!(
                before > 0.0 && before < during && during < after,
                "{before} {during} {after}"
            );
            assert_eq!(read(stall(STALL_STORE), 700), Some(after));
            // Never on another store.
            assert_eq!(read(stall(HOT_STORE), 90), Some(0.0));
            // Rejections: 50 a second during the stall, none outside it.
            let rejected = per_second(&m, &busy, at(60), at(120), &mut cx).unwrap();
            assert!((rejected - 50.0).abs() < 0.05, "{rejected}");
            assert_eq!(per_second(&m, &busy, at(-300), at(60), &mut cx), Some(0.0));
            assert_eq!(per_second(&m, &busy, at(120), at(900), &mut cx), Some(0.0));
            // The full channel: 25 a second over 40 s.
            let full_rate = per_second(&m, &[full], at(70), at(110), &mut cx).unwrap();
            assert!((full_rate - 25.0).abs() < 0.05, "{full_rate}");
            assert_eq!(
                per_second(&m, &[full], at(110), at(900), &mut cx),
                Some(0.0)
            );
        }
        // Only the hot store has a channel-full series.
        let series = m.select(|n| n == "tikv_channel_full_total", |_| true);
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].1[1].1, "tikv-0:20180");
    }

    #[test]
    fn the_episode_integrals_match_a_numeric_one() {
        let seed = 11;
        let anchor = 1_741_478_400_000;
        let end = anchor + 30 * HOUR_MS + 123_500;
        let (mut spike, mut stall, mut full) = (0.0, 0.0, 0.0);
        let step = 50;
        let mut ms = anchor;
        while ms < end {
            let mid = ms + step / 2;
            spike += spike_shape(seed, mid) * step as f64 / 1000.0;
            let into = mid - spike_start_ms(seed, mid.div_euclid(HOUR_MS));
            let inside = |(from, to): (i64, i64)| (from * 1000..to * 1000).contains(&into);
            stall += if inside(STALL_SPAN) {
                step as f64 / 1000.0
            } else {
                0.0
            };
            full += if inside(FULL_SPAN) {
                step as f64 / 1000.0
            } else {
                0.0
            };
            ms += step;
        }
        let got = cumulative_episodes(seed, anchor, end);
        assert!((got.spike - spike).abs() < 1e-3, "{got:?} vs {spike}");
        assert!((got.stall - stall).abs() < 1e-3, "{got:?} vs {stall}");
        assert!((got.full - full).abs() < 1e-3, "{got:?} vs {full}");
        assert!(got.stall > 30.0 * 59.0, "{got:?}");
    }

    /// The cheap store sizes are PD's, scale cycle and outages included.
    #[test]
    fn store_sizes_are_what_pd_reports() {
        let cluster = SimCluster::new(SimConfig {
            stores: 4,
            regions: 300,
            seed: 5,
            epoch: Timestamp::constant(1_741_593_600, 0),
            scale_cycle: true,
            ..SimConfig::default()
        });
        let m = MetricsModel::new(Arc::new(cluster));
        let mut cx = Cx::default();
        let epoch_ms: i64 = 1_741_593_600_000;
        let mut checked = 0;
        for k in -20..400 {
            let ts = epoch_ms + k * 4 * SCRAPE_MS;
            let pd = m
                .cluster
                .stores_at(Timestamp::from_millisecond(ts).unwrap());
            for (s, sizes) in m.store_bytes(ts, &mut cx).iter().enumerate() {
                let st = &pd[s];
                match sizes {
                    Some(bytes) => {
                        assert_eq!(
                            *bytes,
                            [st.capacity_bytes, st.available_bytes, st.used_bytes],
                            "t {k}"
                        );
                        checked += 1;
                    }
                    None => assert!(!st.alive, "t {k}"),
                }
            }
        }
        assert!(checked > 1_300, "{checked}");
    }
}
