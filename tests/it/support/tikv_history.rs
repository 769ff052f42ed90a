//! TiKV-shaped metric history as OpenMetrics text, for `promtool tsdb create-blocks-from
//! openmetrics`. Every value is a simple function of the store and the time, so tests can
//! assert exact numbers after Prometheus has computed rates and quantiles.
//!
//! The scenario: four TiKV stores, index `i` = 0..4, PD store ids 1, 4, 5, 6 (deliberately not
//! `i + 1`), status address (= Prometheus `instance`) `tikv-<i>:20180`, one sample every
//! [`STEP_S`] seconds over the hour before [`END_S`]. Store index 3 (id 6) dies at 40 % of the
//! window: all its series stop, so over the last 30 minutes it has none.
//!
//! Names, types and labels are those TiKV exports and its Grafana dashboards query.

use std::fmt::Write;

/// The last grid point of the history, Unix seconds (2026-11-27T00:00:00Z).
pub(crate) const END_S: i64 = 1_795_737_600;
/// Scrape interval, seconds.
pub(crate) const STEP_S: i64 = 15;
/// Window length, seconds.
pub(crate) const WINDOW_S: i64 = 3600;
/// Stores in the history.
pub(crate) const STORES: usize = 4;
/// The store index that dies, and when (seconds before [`END_S`]).
pub(crate) const DEAD_INDEX: usize = 3;
pub(crate) const DEAD_BEFORE_END_S: i64 = WINDOW_S * 60 / 100;

/// PD's id for store index `i`.
pub(crate) fn store_id(i: usize) -> u64 {
    if i == 0 { 1 } else { 3 + i as u64 }
}

/// The `instance` label (PD's `status_address`) of store index `i`.
pub(crate) fn instance(i: usize) -> String {
    format!("tikv-{i}:20180")
}

/// PD's `address` of store index `i`.
pub(crate) fn address(i: usize) -> String {
    format!("tikv-{i}:20160")
}

pub(crate) const GIB: u64 = 1 << 30;

/// CPU cores store `i` uses (its counter grows by exactly this many seconds per second).
pub(crate) fn cpu_cores(i: usize) -> f64 {
    (i + 1) as f64
}

/// Resident memory of store `i`, bytes.
pub(crate) fn memory_bytes(i: usize) -> u64 {
    (i as u64 + 1) * GIB
}

/// gRPC requests per second of store `i` (GC excluded).
pub(crate) fn grpc_qps(i: usize) -> f64 {
    100.0 * (i + 1) as f64
}

/// gRPC histogram buckets, TiKV's: 50 µs doubling, 22 of them, then +Inf.
pub(crate) fn grpc_buckets() -> Vec<f64> {
    (0..22).map(|k| 5e-5 * f64::from(1u32 << k)).collect()
}

/// Every observation falls in (0.0008, 0.0016], so Prometheus' linear interpolation puts the
/// p99 at 0.0008 + 0.0008 × 0.99.
pub(crate) const GRPC_P99_SECONDS: f64 = 0.0008 + 0.0008 * 0.99;
const OBSERVATION_SECONDS: f64 = 0.001;

pub(crate) fn region_count(i: usize) -> u64 {
    1000 + 10 * i as u64
}

pub(crate) fn leader_count(i: usize) -> u64 {
    300 + i as u64
}

pub(crate) const CAPACITY_BYTES: u64 = 500 * GIB;

pub(crate) fn used_bytes(i: usize) -> u64 {
    40 * GIB + i as u64 * GIB + 12_345
}

pub(crate) fn available_bytes(i: usize) -> u64 {
    CAPACITY_BYTES - used_bytes(i) - 100 * GIB
}

fn alive(i: usize, t: i64) -> bool {
    i != DEAD_INDEX || t < END_S - DEAD_BEFORE_END_S
}

/// The sample time of store `i` for grid time `t`: scrapes land a little before the grid,
/// each store at its own offset, as real scrapes do.
fn stamp(i: usize, t: i64) -> String {
    let ms = t * 1000 - 200 * (i as i64 + 1);
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// Writes one sample line (or a few) for store `i` at grid time `t`, the `k`-th grid point.
type SampleWriter = Box<dyn FnMut(&mut String, usize, i64, u64)>;

/// The whole history as OpenMetrics text (families contiguous, `# EOF` last).
pub(crate) fn openmetrics() -> String {
    let times: Vec<i64> = (0..=WINDOW_S / STEP_S)
        .map(|k| END_S - WINDOW_S + k * STEP_S)
        .collect();
    let mut out = String::with_capacity(4 << 20);
    let labels = |i: usize| format!("instance=\"{}\",job=\"tikv\"", instance(i));
    // Each family is one block: every time, every live store.
    let family = |out: &mut String, header: &str, mut line: SampleWriter| {
        out.push_str(header);
        for (k, &t) in times.iter().enumerate() {
            for i in 0..STORES {
                if alive(i, t) {
                    line(out, i, t, k as u64);
                }
            }
        }
    };

    family(
        &mut out,
        "# TYPE up gauge\n",
        Box::new(move |out, i, t, _| {
            let _ = writeln!(out, "up{{{}}} 1 {}", labels(i), stamp(i, t));
        }),
    );
    family(
        &mut out,
        "# TYPE process_cpu_seconds counter\n",
        Box::new(move |out, i, t, k| {
            // An IntCounter in TiKV: whole seconds.
            let v = 1000 + k * STEP_S as u64 * (i as u64 + 1);
            let _ = writeln!(
                out,
                "process_cpu_seconds_total{{{}}} {v} {}",
                labels(i),
                stamp(i, t)
            );
        }),
    );
    family(
        &mut out,
        "# TYPE process_resident_memory_bytes gauge\n",
        Box::new(move |out, i, t, _| {
            let _ = writeln!(
                out,
                "process_resident_memory_bytes{{{}}} {} {}",
                labels(i),
                memory_bytes(i),
                stamp(i, t)
            );
        }),
    );
    let buckets = grpc_buckets();
    family(
        &mut out,
        "# TYPE tikv_grpc_msg_duration_seconds histogram\n",
        Box::new(move |out, i, t, k| {
            for (kind, qps) in [("kv_get", grpc_qps(i)), ("kv_gc", 0.0)] {
                let count = 5000 + k * (qps as u64) * STEP_S as u64;
                let series = format!("{},priority=\"medium\",type=\"{kind}\"", labels(i));
                for le in &buckets {
                    let n = if *le >= 0.0016 { count } else { 0 };
                    let _ = writeln!(
                        out,
                        "tikv_grpc_msg_duration_seconds_bucket{{{series},le=\"{le}\"}} {n} {}",
                        stamp(i, t)
                    );
                }
                let _ = writeln!(
                    out,
                    "tikv_grpc_msg_duration_seconds_bucket{{{series},le=\"+Inf\"}} {count} {}",
                    stamp(i, t)
                );
                let sum = count as f64 * OBSERVATION_SECONDS;
                let _ = writeln!(
                    out,
                    "tikv_grpc_msg_duration_seconds_sum{{{series}}} {sum} {}",
                    stamp(i, t)
                );
                let _ = writeln!(
                    out,
                    "tikv_grpc_msg_duration_seconds_count{{{series}}} {count} {}",
                    stamp(i, t)
                );
            }
        }),
    );
    family(
        &mut out,
        "# TYPE tikv_raftstore_region_count gauge\n",
        Box::new(move |out, i, t, _| {
            for (kind, v) in [
                ("region", region_count(i)),
                ("leader", leader_count(i)),
                ("buckets", 7),
            ] {
                let _ = writeln!(
                    out,
                    "tikv_raftstore_region_count{{{},type=\"{kind}\"}} {v} {}",
                    labels(i),
                    stamp(i, t)
                );
            }
        }),
    );
    family(
        &mut out,
        "# TYPE tikv_store_size_bytes gauge\n",
        Box::new(move |out, i, t, _| {
            for (kind, v) in [
                ("capacity", CAPACITY_BYTES),
                ("available", available_bytes(i)),
                ("used", used_bytes(i)),
            ] {
                let _ = writeln!(
                    out,
                    "tikv_store_size_bytes{{{},type=\"{kind}\"}} {v} {}",
                    labels(i),
                    stamp(i, t)
                );
            }
        }),
    );
    out.push_str("# EOF\n");
    out
}
