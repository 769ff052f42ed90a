//! A real Prometheus for the tests: Debian's `prometheus` package, loaded with the history of
//! [`super::tikv_history`] through `promtool tsdb create-blocks-from openmetrics`, listening on
//! 127.0.0.1. It lives in a temporary directory and dies with the test process: it runs under
//! a shell that kills it when the test process closes the shell's stdin (on exit, even a panic).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::tikv_history;

const HOW_TO_INSTALL: &str = "the real-Prometheus tests need Debian's prometheus package \
(prometheus and promtool on PATH): run scripts/test.sh, which installs it, or \
`sudo apt-get install --no-install-recommends prometheus`";

/// A running Prometheus.
pub(crate) struct RealPrometheus {
    pub url: String,
    child: Mutex<Child>,
    /// Held open for the life of the server; closing it stops the server.
    _lifeline: Mutex<Option<ChildStdin>>,
}

impl RealPrometheus {
    /// Stops the server now (for tests of a Prometheus that dies).
    pub(crate) fn kill(&self) {
        if let Ok(mut lifeline) = self._lifeline.lock() {
            lifeline.take();
        }
        if let Ok(mut child) = self.child.lock() {
            let _ = child.wait();
        }
    }
}

/// The shared Prometheus of the test binary, started on first use.
pub(crate) fn shared() -> &'static RealPrometheus {
    static SHARED: OnceLock<RealPrometheus> = OnceLock::new();
    SHARED.get_or_init(|| start_with_history(&blocks_dir()))
}

/// A Prometheus of its own over a copy of the same history, for tests that kill it.
pub(crate) fn private() -> RealPrometheus {
    let source = blocks_dir();
    let copy = scratch_dir("tsdb-copy").join("data");
    copy_dir(&source, &copy);
    start_with_history(&copy)
}

/// The backfilled TSDB blocks, made once per test binary.
fn blocks_dir() -> PathBuf {
    static BLOCKS: OnceLock<PathBuf> = OnceLock::new();
    BLOCKS
        .get_or_init(|| {
            let promtool = find_binary("promtool");
            let dir = scratch_dir("history");
            let input = dir.join("tikv.om");
            std::fs::write(&input, tikv_history::openmetrics()).unwrap();
            let blocks = dir.join("data");
            let out = Command::new(promtool)
                .args(["tsdb", "create-blocks-from", "openmetrics"])
                .arg(&input)
                .arg(&blocks)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "promtool failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let _ = std::fs::remove_file(&input);
            blocks
        })
        .clone()
}

fn start_with_history(data: &Path) -> RealPrometheus {
    let prometheus = find_binary("prometheus");
    let dir = data.parent().unwrap().to_path_buf();
    let config = dir.join("prometheus.yml");
    // No scrape targets: the history is all there is, so answers never change.
    std::fs::write(
        &config,
        "global:\n  scrape_interval: 15s\nscrape_configs: []\n",
    )
    .unwrap();
    let port = free_port();
    let command = format!(
        "'{bin}' --config.file='{config}' --storage.tsdb.path='{data}' --storage.tsdb.retention.time=100y \
         --web.listen-address=127.0.0.1:{port} --log.level=warn >'{log}' 2>&1 & p=$!; \
         cat >/dev/null; kill $p 2>/dev/null; wait $p; rm -rf '{dir}'",
        bin = prometheus.display(),
        config = config.display(),
        data = data.display(),
        log = dir.join("prometheus.log").display(),
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
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(port, &dir.join("prometheus.log"));
    RealPrometheus {
        url,
        child: Mutex::new(child),
        _lifeline: Mutex::new(lifeline),
    }
}

fn wait_ready(port: u16, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if http_get(port, "/-/ready").is_some_and(|(status, _)| status == 200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "Prometheus on 127.0.0.1:{port} did not become ready in 60 s; its log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// A minimal HTTP/1.0 GET, so that readiness polling needs no async runtime.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, response))
}

pub(crate) fn find_binary(name: &str) -> PathBuf {
    find_binary_or(name, HOW_TO_INSTALL)
}

/// `name` on `PATH` (or in `/usr/bin`, `/usr/sbin`); panics with `how_to_install` when missing.
pub(crate) fn find_binary_or(name: &str, how_to_install: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{name} not found: {how_to_install}"))
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn scratch_dir(what: &str) -> PathBuf {
    static COUNTER: Mutex<u32> = Mutex::new(0);
    let n = {
        let mut c = COUNTER.lock().unwrap();
        *c += 1;
        *c
    };
    let dir = std::env::temp_dir().join(format!("tikv-lens-it-{}-{what}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
