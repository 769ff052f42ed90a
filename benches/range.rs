//! Reading a large range answer: the one-pass reader (`normalize::render_range`, on one thread
//! and on two) against the
//! general decoder (serde into the wire types, normalization, serialization), with serde_json
//! merely parsing the same bytes into the wire types as the floor.
//!
//! `cargo bench --bench range [-- SERIES]` (default 1,000 series of 240 points, measure 4 of
//! `scripts/bench.sh`). Two bodies, written as Prometheus writes them: gauges with short
//! decimals (the benchmark's data: the reader copies their texts) and rates with 16-17 digits
//! (it parses and prints every one). Each side runs 15 times, interleaved; medians are printed.

use std::time::{Duration, Instant};

use tikv_lens::normalize::render_range_json_len;
use tikv_lens::normalize::sample::{decode_range_json_len, parse_range_wire_only};
use tikv_lens::upstream::prometheus::RangeParams;

const POINTS: i64 = 240;
const RUNS: usize = 15;
const END_S: i64 = 1_793_491_200;

fn main() {
    // `cargo test --all-targets` runs bench binaries too, without `--bench`: only build then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("range benchmark: run it with `cargo bench --bench range`");
        return;
    }
    let series: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let start_s = END_S - (POINTS - 1) * 15;
    let range = RangeParams {
        start_ms: start_s * 1000,
        end_ms: END_S * 1000,
        step_ms: 15_000,
    };
    let gauges = body(series, start_s, |i, k| {
        ((i as i64 * 7919 + k * 104_729) % 100_000) as f64 / 100.0
    });
    let rates = body(series, start_s, |i, k| {
        (i as f64 + 1.0) / 3.0 + k as f64 / 7.0
    });
    for (name, body) in [("gauges", &gauges), ("rates", &rates)] {
        let out = render_range_json_len(body, range, false).expect("the reader reads it");
        println!(
            "{name}: {series} series x {POINTS} points, {:.2} MB of Prometheus JSON, {:.2} MB of series out",
            body.len() as f64 / 1e6,
            out as f64 / 1e6
        );
        let (mut floor, mut general, mut reader, mut in_two) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..RUNS {
            floor.push(time(|| parse_range_wire_only(body).unwrap()));
            general.push(time(|| decode_range_json_len(body, range).unwrap()));
            reader.push(time(|| render_range_json_len(body, range, false).unwrap()));
            in_two.push(time(|| render_range_json_len(body, range, true).unwrap()));
        }
        let (floor, general) = (median(floor), median(general));
        let (reader, in_two) = (median(reader), median(in_two));
        println!("  parse into wire types only      {:>8.2} ms", ms(floor));
        println!(
            "  general decoder (parse, normalize, serialize) {:>8.2} ms",
            ms(general)
        );
        println!(
            "  one-pass reader                 {:>8.2} ms   ({:.1}x faster than the decoder, {:.2} MB/s)",
            ms(reader),
            general.as_secs_f64() / reader.as_secs_f64(),
            body.len() as f64 / 1e6 / reader.as_secs_f64()
        );
        println!(
            "  one-pass reader, two threads    {:>8.2} ms   ({:.1}x faster than the decoder)",
            ms(in_two),
            general.as_secs_f64() / in_two.as_secs_f64()
        );
    }
}

/// A matrix answer as Prometheus writes it: Go's shortest float texts, compact.
fn body(series: usize, start_s: i64, value: impl Fn(usize, i64) -> f64) -> Vec<u8> {
    let mut out = String::from(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
    for i in 0..series {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"metric":{{"__name__":"bench_gauge","series":"{i}"}},"values":["#
        ));
        for k in 0..POINTS {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&format!("[{},\"{}\"]", start_s + 15 * k, value(i, k)));
        }
        out.push_str("]}");
    }
    out.push_str("]}}");
    out.into_bytes()
}

fn time(f: impl FnOnce() -> usize) -> Duration {
    let started = Instant::now();
    std::hint::black_box(f());
    started.elapsed()
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
