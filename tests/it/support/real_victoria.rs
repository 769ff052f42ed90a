//! A real VictoriaMetrics for the tests: Debian's `victoria-metrics` package (single-node,
//! 1.79 on bookworm), loaded with the history of [`super::tikv_history`] through its
//! `/api/v1/import/prometheus` endpoint, listening on 127.0.0.1. Like the real Prometheus it
//! lives in a temporary directory and dies with the test process: it runs under a shell that
//! kills it when the test process closes the shell's stdin (on exit, even a panic).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::real_prometheus::{find_binary_or, free_port, scratch_dir};
use super::tikv_history;

const HOW_TO_INSTALL: &str = "the VictoriaMetrics tests need Debian's victoria-metrics package: \
run scripts/test.sh, which installs it, or \
`sudo apt-get install --no-install-recommends victoria-metrics`";

/// The per-query sample limit the test instance runs with: large enough for every curated
/// query over the history (one store over 30 minutes reads about 6,000), small enough that a
/// query over every sample of every series (about 48,000) fails
/// with VictoriaMetrics' own execution error.
pub(crate) const MAX_SAMPLES_PER_QUERY: u64 = 30_000;

/// A running VictoriaMetrics; dropping it stops the server and removes its data.
pub(crate) struct RealVictoria {
    pub url: String,
    _child: Mutex<Child>,
    /// Held open for the life of the server; closing it stops the server.
    _lifeline: Mutex<Option<ChildStdin>>,
}

/// The shared VictoriaMetrics of the test binary, started and loaded on first use.
pub(crate) fn shared() -> &'static RealVictoria {
    static SHARED: OnceLock<RealVictoria> = OnceLock::new();
    SHARED.get_or_init(|| {
        start(
            &prometheus_text(&tikv_history::openmetrics()),
            Some(MAX_SAMPLES_PER_QUERY),
        )
    })
}

/// A VictoriaMetrics of its own holding `body` (Prometheus text format, millisecond
/// timestamps; it must have `up` series), without a sample limit.
pub(crate) fn private(body: &str) -> RealVictoria {
    start(body, None)
}

fn start(body: &str, max_samples_per_query: Option<u64>) -> RealVictoria {
    let binary = find_binary_or("victoria-metrics", HOW_TO_INSTALL);
    let dir = scratch_dir("victoria");
    let port = free_port();
    let log = dir.join("victoria-metrics.log");
    // A retention of 100 years: the history lies in the past, and VictoriaMetrics drops samples
    // older than its retention on import.
    let limit = max_samples_per_query
        .map(|n| format!("-search.maxSamplesPerQuery={n}"))
        .unwrap_or_default();
    let command = format!(
        "'{bin}' -httpListenAddr=127.0.0.1:{port} -storageDataPath='{data}' -retentionPeriod=100y \
         {limit} -loggerLevel=ERROR >'{log}' 2>&1 & p=$!; \
         cat >/dev/null; kill $p 2>/dev/null; wait $p; rm -rf '{dir}'",
        bin = binary.display(),
        data = dir.join("data").display(),
        log = log.display(),
        dir = dir.display(),
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lifeline = child.stdin.take();
    wait_for(port, &log, "/health", |status, _| status == 200);
    let up_series = body
        .lines()
        .filter(|l| l.starts_with("up{"))
        .map(|l| l.rsplitn(3, ' ').nth(2))
        .collect::<std::collections::HashSet<_>>()
        .len();
    let (status, answer) = http(port, "POST", "/api/v1/import/prometheus", body.as_bytes())
        .expect("VictoriaMetrics import");
    assert_eq!(status, 204, "import answered {answer}");
    // Imported rows become searchable once flushed; then wait until every series is seen.
    let _ = http(port, "GET", "/internal/force_flush", b"");
    let probe = format!(
        "/api/v1/query?query=count(last_over_time(up%5B2h%5D))&time={}",
        tikv_history::END_S
    );
    wait_for(port, &log, &probe, |status, answer| {
        status == 200 && answer.contains(&format!("\"{up_series}\""))
    });
    RealVictoria {
        url: format!("http://127.0.0.1:{port}"),
        _child: Mutex::new(child),
        _lifeline: Mutex::new(lifeline),
    }
}

/// The OpenMetrics history as the Prometheus text format VictoriaMetrics imports: no
/// `# EOF`, timestamps in integer milliseconds instead of decimal seconds.
pub(crate) fn prometheus_text(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (sample, stamp) = line.rsplit_once(' ').expect("a timestamped sample");
        let (seconds, millis) = stamp.split_once('.').unwrap_or((stamp, "0"));
        let ms: i64 = seconds.parse::<i64>().unwrap() * 1000
            + format!("{millis:0<3}")[..3].parse::<i64>().unwrap();
        out.push_str(sample);
        out.push(' ');
        out.push_str(&ms.to_string());
        out.push('\n');
    }
    out
}

fn wait_for(port: u16, log: &Path, path: &str, ready: impl Fn(u16, &str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if http(port, "GET", path, b"").is_some_and(|(status, body)| ready(status, &body)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "VictoriaMetrics on 127.0.0.1:{port} did not answer {path} as expected in 60 s; its log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// A minimal HTTP/1.0 exchange, so that start-up needs no async runtime.
fn http(port: u16, method: &str, path: &str, body: &[u8]) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .ok()?;
    stream.write_all(body).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, response))
}
