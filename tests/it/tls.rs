//! Secure clusters, over HTTPS on 127.0.0.1 with certificates generated here (rcgen): a PD that
//! demands a client certificate signed by the cluster's CA, a Prometheus behind a proxy (path
//! prefix) that demands a bearer token or basic auth, and tikv-lens itself serving HTTPS.
//!
//! Every setting goes through the real configuration path (a TOML file, or flags), so the file
//! keys, relative paths and validation are what is tested, not a hand-built struct.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clap::Parser;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::Value;
use tikv_lens::config::{Cli, Command, ConfigError, ServeConfig};
use tikv_lens::state::AppState;
use tikv_lens::tls::{CaBundle, CertKey, TlsListener};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::support::fake_prometheus::{PROM_JSON, prometheus_fixture};
use crate::support::{Canned, FakePd, Lens, PD_JSON, fixture, store_ids, test_limits, tib};

/// Every test here ends within this, whatever happens.
const BOUND: Duration = Duration::from_secs(60);

async fn bounded<T>(work: impl Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, work)
        .await
        .expect("the test did not finish in time")
}

/// A folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "tikv-lens-tls-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A test certificate authority.
struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let pem = params.self_signed(&key).unwrap().pem();
        Self { params, key, pem }
    }

    /// A leaf certificate and its PKCS#8 key, as PEM.
    fn issue(&self, name: &str, sans: &[&str], usage: ExtendedKeyUsagePurpose) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let sans: Vec<String> = sans.iter().map(|s| (*s).to_owned()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![usage];
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// The files of one test: the cluster's CA, a server certificate for 127.0.0.1 (PD's,
/// Prometheus', or tikv-lens' own), tikv-lens' client certificate, and a CA of nobody's.
struct Pki {
    dir: TempDir,
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    other_ca: PathBuf,
}

impl Pki {
    fn new() -> Self {
        let dir = TempDir::new();
        let ca = Ca::new("tikv-lens test CA");
        let (server_cert, server_key) =
            ca.issue("pd", &["127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth);
        let (client_cert, client_key) =
            ca.issue("tikv-lens", &[], ExtendedKeyUsagePurpose::ClientAuth);
        Self {
            ca: dir.write("ca.pem", &ca.pem),
            server_cert: dir.write("server.pem", server_cert),
            server_key: dir.write("server-key.pem", server_key),
            client_cert: dir.write("client.pem", client_cert),
            client_key: dir.write("client-key.pem", client_key),
            other_ca: dir.write("other-ca.pem", Ca::new("someone else's CA").pem),
            dir,
        }
    }

    fn server_identity(&self) -> CertKey {
        CertKey::load(&self.server_cert, &self.server_key).unwrap()
    }

    /// A server that accepts any client (Prometheus behind its proxy).
    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        tikv_lens::tls::server_config(&self.server_identity()).unwrap()
    }

    /// A server that demands a client certificate signed by the CA (PD with TLS enabled).
    fn mtls_server_config(&self) -> Arc<rustls::ServerConfig> {
        let roots = CaBundle::load(&self.ca).unwrap().root_store();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            tikv_lens::tls::provider(),
        )
        .build()
        .unwrap();
        let identity = self.server_identity();
        let config = rustls::ServerConfig::builder_with_provider(tikv_lens::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(identity.certs().to_vec(), identity.key())
            .unwrap();
        Arc::new(config)
    }

    /// A client of tikv-lens' HTTPS that trusts the test CA only.
    fn client(&self) -> reqwest::Client {
        let ca = reqwest::Certificate::from_pem(&std::fs::read(&self.ca).unwrap()).unwrap();
        reqwest::Client::builder()
            .tls_certs_only([ca])
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }
}

/// An HTTPS server on 127.0.0.1:0 running `app`; it stops when the sender is dropped.
async fn serve_https(
    app: axum::Router,
    config: Arc<rustls::ServerConfig>,
) -> (SocketAddr, oneshot::Sender<()>) {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = TlsListener::new(tcp, config).unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    (addr, tx)
}

/// A PD over HTTPS answering `/pd/api/v1/stores` with the v8.5 fixture; counts the requests
/// that got through the handshake.
async fn secure_pd(pki: &Pki) -> (String, Arc<AtomicUsize>, oneshot::Sender<()>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::Relaxed);
            if req.uri() == "/pd/api/v1/stores" {
                ([(header::CONTENT_TYPE, PD_JSON)], fixture("stores.json")).into_response()
            } else {
                (StatusCode::NOT_FOUND, "404 page not found\n").into_response()
            }
        }
    });
    let (addr, stop) = serve_https(app, pki.mtls_server_config()).await;
    (format!("https://127.0.0.1:{}", addr.port()), hits, stop)
}

/// Parses `tikv-lens serve` flags into the validated configuration.
fn serve_config(args: &[&str]) -> Result<ServeConfig, ConfigError> {
    let mut argv = vec!["tikv-lens", "serve"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv).expect("flags parse").command {
        Command::Serve(args) => args.into_config(),
        _ => unreachable!("serve was given"),
    }
}

/// tikv-lens configured by a TOML file written into the test's folder.
async fn lens_with_file(pki: &Pki, toml: &str) -> Lens {
    let path = pki.dir.write("tikv-lens.toml", toml);
    let config = serve_config(&["--config", path.to_str().unwrap()]).unwrap();
    Lens::start(config.clusters, test_limits()).await
}

const STORES: &str = "/api/v1/clusters/secure/stores";

#[tokio::test]
async fn pd_with_client_certificate_serves_stores() {
    bounded(async {
        let pki = Pki::new();
        let (pd_url, hits, _stop) = secure_pd(&pki).await;
        // Relative file names: resolved against the config file's folder.
        let lens = lens_with_file(
            &pki,
            &format!(
                "[[clusters]]\nname = 'secure'\npd = ['{pd_url}']\n\
                 pd_ca = 'ca.pem'\npd_cert = 'client.pem'\npd_key = 'client-key.pem'\n"
            ),
        )
        .await;
        let answer = lens.get(STORES).await;
        let body = answer.ok();
        assert_eq!(body["cluster"], "secure");
        assert_eq!(store_ids(body), ["1", "4", "5"]);
        assert_eq!(body["stores"][0]["capacity_bytes"], tib(1.747));
        assert_eq!(body["stores"][0]["state"], "up");
        assert_eq!(hits.load(Ordering::Relaxed), 1);
    })
    .await;
}

/// The problem a failed PD read answers: 503 (or 502), naming PD, never a panic.
fn assert_pd_problem(answer: &crate::support::Answer) -> String {
    assert!(
        matches!(answer.status, 502 | 503),
        "status {}: {}",
        answer.status,
        answer.json
    );
    let problem = answer.problem(answer.status);
    assert_eq!(problem["upstream"], "pd", "{problem}");
    let detail = problem["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("PD"), "{detail}");
    detail
}

#[tokio::test]
async fn pd_without_client_certificate_is_a_problem_naming_pd() {
    bounded(async {
        let pki = Pki::new();
        let (pd_url, hits, _stop) = secure_pd(&pki).await;
        let lens = lens_with_file(
            &pki,
            &format!("[[clusters]]\nname = 'secure'\npd = ['{pd_url}']\npd_ca = 'ca.pem'\n"),
        )
        .await;
        assert_pd_problem(&lens.get(STORES).await);
        assert_eq!(hits.load(Ordering::Relaxed), 0, "no request got past TLS");
        // The service itself is fine.
        let (status, _) = lens.get_text("/healthz").await;
        assert_eq!(status, 200);
    })
    .await;
}

#[tokio::test]
async fn pd_with_the_wrong_ca_is_refused() {
    bounded(async {
        let pki = Pki::new();
        let (pd_url, hits, _stop) = secure_pd(&pki).await;
        let lens = lens_with_file(
            &pki,
            &format!(
                "[[clusters]]\nname = 'secure'\npd = ['{pd_url}']\n\
                 pd_ca = 'other-ca.pem'\npd_cert = 'client.pem'\npd_key = 'client-key.pem'\n"
            ),
        )
        .await;
        let detail = assert_pd_problem(&lens.get(STORES).await);
        assert!(
            detail.to_lowercase().contains("certificate"),
            "says why: {detail}"
        );
        assert_eq!(hits.load(Ordering::Relaxed), 0);

        // Without any CA, the system's roots do not know the test CA either.
        let pki2 = Pki::new();
        let (pd_url, _hits, _stop2) = secure_pd(&pki2).await;
        let lens = lens_with_file(
            &pki2,
            &format!(
                "[[clusters]]\nname = 'secure'\npd = ['{pd_url}']\n\
                 pd_cert = 'client.pem'\npd_key = 'client-key.pem'\n"
            ),
        )
        .await;
        assert_pd_problem(&lens.get(STORES).await);
    })
    .await;
}

/// A Prometheus behind a proxy over HTTPS: the API under `/select/0/prometheus` (as
/// VictoriaMetrics serves it), and `401 Unauthorized` for any other `Authorization` than
/// `expected`. Records the `Authorization` headers received.
async fn secure_prometheus(
    pki: &Pki,
    expected: &'static str,
) -> (
    String,
    Arc<std::sync::Mutex<Vec<String>>>,
    oneshot::Sender<()>,
) {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/select/0/prometheus/api/v1/query",
        axum::routing::get(move |headers: HeaderMap| {
            let record = record.clone();
            async move {
                let auth = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                record.lock().unwrap().push(auth.clone());
                if auth != expected {
                    let mut response: Response = "Unauthorized\n".into_response();
                    *response.status_mut() = StatusCode::UNAUTHORIZED;
                    response.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Basic realm=\"proxy\""),
                    );
                    return response;
                }
                (
                    [(header::CONTENT_TYPE, PROM_JSON)],
                    prometheus_fixture("query_vector_qps.json"),
                )
                    .into_response()
            }
        }),
    );
    let (addr, stop) = serve_https(app, pki.server_config()).await;
    (
        format!("https://127.0.0.1:{}/select/0/prometheus", addr.port()),
        seen,
        stop,
    )
}

const QUERY: &str = "/api/v1/clusters/secure/metrics/query?query=up";

/// A PD nobody reads here (metric queries go to Prometheus only).
async fn idle_pd() -> FakePd {
    FakePd::start().await
}

#[tokio::test]
async fn prometheus_with_bearer_token_behind_a_path_prefix() {
    bounded(async {
        let pki = Pki::new();
        let (prom_url, seen, _stop) = secure_prometheus(&pki, "Bearer s3cr3t-t0ken").await;
        let pd = idle_pd().await;
        pki.dir.write("token", "s3cr3t-t0ken\n");
        let toml = format!(
            "[[clusters]]\nname = 'secure'\npd = ['{}']\nprometheus = '{prom_url}'\n\
             prometheus_ca = 'ca.pem'\nprometheus_bearer_token_file = 'token'\n",
            pd.url()
        );
        let path = pki.dir.write("tikv-lens.toml", &toml);
        let config = serve_config(&["--config", path.to_str().unwrap()]).unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("s3cr3t"),
            "the token shows in Debug: {shown}"
        );
        let lens = Lens::start(config.clusters, test_limits()).await;

        let answer = lens.get(QUERY).await;
        let body = answer.ok();
        assert_eq!(body["result_type"], "vector");
        assert_eq!(body["samples"][0]["labels"]["instance"], "tikv-0:20180");
        assert_eq!(body["samples"][0]["value"], 3447.9999999999995);
        assert_eq!(*seen.lock().unwrap(), ["Bearer s3cr3t-t0ken"]);

        // A wrong token: the proxy's 401 comes back as a 502 naming Prometheus.
        pki.dir.write("wrong-token", "not-the-token");
        let lens = lens_with_file(&pki, &toml.replace("'token'", "'wrong-token'")).await;
        let answer = lens.get(QUERY).await;
        let problem = answer.problem(502);
        assert_eq!(problem["upstream"], "prometheus", "{problem}");
        assert_eq!(problem["upstream_status"], 401, "{problem}");
        let text = problem.to_string();
        assert!(!text.contains("not-the-token"), "{text}");
        assert_eq!(pd.total_hits(), 0);
    })
    .await;
}

#[tokio::test]
async fn prometheus_with_basic_auth() {
    bounded(async {
        let pki = Pki::new();
        // grafana:pa55 w0rd
        let (prom_url, seen, _stop) =
            secure_prometheus(&pki, "Basic Z3JhZmFuYTpwYTU1IHcwcmQ=").await;
        let pd = idle_pd().await;
        pki.dir.write("password", "pa55 w0rd\n");
        let lens = lens_with_file(
            &pki,
            &format!(
                "[[clusters]]\nname = 'secure'\npd = ['{}']\nprometheus = '{prom_url}/'\n\
                 prometheus_ca = 'ca.pem'\nprometheus_username = 'grafana'\n\
                 prometheus_password_file = 'password'\n",
                pd.url()
            ),
        )
        .await;
        lens.get(QUERY).await.ok();
        assert_eq!(*seen.lock().unwrap(), ["Basic Z3JhZmFuYTpwYTU1IHcwcmQ="]);

        // The same through the single-cluster flags (the password flag stands for its
        // environment variable, TIKV_LENS_PROMETHEUS_PASSWORD).
        let config = serve_config(&[
            "--pd",
            &pd.url(),
            "--cluster",
            "secure",
            "--prometheus",
            &prom_url,
            "--prometheus-ca",
            pki.ca.to_str().unwrap(),
            "--prometheus-username",
            "grafana",
            "--prometheus-password",
            "wrong",
        ])
        .unwrap();
        assert!(!format!("{config:?}").contains("wrong"));
        let lens = Lens::start(config.clusters, test_limits()).await;
        let answer = lens.get(QUERY).await;
        let problem = answer.problem(502);
        assert_eq!(problem["upstream"], "prometheus");
        assert_eq!(problem["upstream_status"], 401);
    })
    .await;
}

#[tokio::test]
async fn prometheus_with_an_untrusted_certificate_is_unavailable() {
    bounded(async {
        let pki = Pki::new();
        let (prom_url, seen, _stop) = secure_prometheus(&pki, "Bearer t").await;
        let pd = idle_pd().await;
        let config = serve_config(&[
            "--pd",
            &pd.url(),
            "--cluster",
            "secure",
            "--prometheus",
            &prom_url,
            "--prometheus-ca",
            pki.other_ca.to_str().unwrap(),
            "--prometheus-bearer-token",
            "t",
        ])
        .unwrap();
        let lens = Lens::start(config.clusters, test_limits()).await;
        let answer = lens.get(QUERY).await;
        let problem = answer.problem(503);
        assert_eq!(problem["upstream"], "prometheus");
        assert!(seen.lock().unwrap().is_empty());
    })
    .await;
}

/// tikv-lens serving HTTPS with `--tls-cert/--tls-key` on 127.0.0.1:0.
async fn https_lens(
    pki: &Pki,
    pd_url: &str,
) -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let config = serve_config(&[
        "--pd",
        pd_url,
        "--tls-cert",
        pki.server_cert.to_str().unwrap(),
        "--tls-key",
        pki.server_key.to_str().unwrap(),
    ])
    .unwrap();
    let tls =
        tikv_lens::tls::server_config(config.tls.as_deref().expect("TLS configured")).unwrap();
    let state = AppState::from_clusters(&config.clusters, test_limits()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(tikv_lens::server::run_tls(listener, tls, state, async {
        let _ = rx.await;
    }));
    (format!("https://127.0.0.1:{port}"), tx, server)
}

#[tokio::test]
async fn lens_serves_https() {
    bounded(async {
        let pki = Pki::new();
        let pd = FakePd::start().await;
        pd.serve_v85_cluster();
        let (base, _stop, _server) = https_lens(&pki, &pd.url()).await;
        let client = pki.client();

        let response = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let response = client
            .get(format!("{base}/api/v1/clusters/default/stores"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(store_ids(&body), ["1", "4", "5"]);

        // Plain HTTP on the TLS port, and a client that does not trust the CA: both fail, and
        // the server goes on.
        let plain = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let http_base = base.replacen("https", "http", 1);
        assert!(
            plain
                .get(format!("{http_base}/healthz"))
                .send()
                .await
                .is_err()
        );
        assert!(plain.get(format!("{base}/healthz")).send().await.is_err());
        let response = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(response.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn https_shutdown_finishes_requests_in_flight() {
    bounded(async {
        let pki = Pki::new();
        let pd = FakePd::start().await;
        pd.serve(
            "/pd/api/v1/stores",
            Canned::json("stores.json").delayed(Duration::from_millis(500)),
        );
        let (base, stop, server) = https_lens(&pki, &pd.url()).await;
        let client = pki.client();
        let in_flight = tokio::spawn({
            let client = client.clone();
            let url = format!("{base}/api/v1/clusters/default/stores");
            async move { client.get(url).send().await.unwrap().status() }
        });
        // Shut down once the request has reached PD.
        while pd.hits("/pd/api/v1/stores") == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.send(()).unwrap();
        assert_eq!(in_flight.await.unwrap(), 200);
        server.await.unwrap().unwrap();
        assert!(client.get(format!("{base}/healthz")).send().await.is_err());
    })
    .await;
}

#[test]
fn incomplete_or_unusable_tls_settings_are_config_errors() {
    let pki = Pki::new();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let err = |args: &[&str]| serve_config(args).unwrap_err().to_string();

    // The complete set is accepted; Debug shows the files, not the key.
    let config = serve_config(&[
        "--pd",
        "https://pd:2379",
        "--pd-ca",
        &s(&pki.ca),
        "--pd-cert",
        &s(&pki.client_cert),
        "--pd-key",
        &s(&pki.client_key),
    ])
    .unwrap();
    let shown = format!("{config:?}");
    assert!(shown.contains("client-key.pem"), "{shown}");
    let key_pem = std::fs::read_to_string(&pki.client_key).unwrap();
    let key_line = key_pem.lines().nth(1).unwrap();
    assert!(!shown.contains(key_line), "{shown}");

    let e = err(&["--pd", "https://pd:2379", "--pd-cert", &s(&pki.client_cert)]);
    assert!(e.contains("--pd-cert is set without --pd-key"), "{e}");
    let e = err(&["--pd", "https://pd:2379", "--tls-key", &s(&pki.server_key)]);
    assert!(e.contains("--tls-key is set without --tls-cert"), "{e}");
    let garbage = pki.dir.write("garbage.pem", "hello\n");
    let e = err(&["--pd", "https://pd:2379", "--pd-ca", &s(&garbage)]);
    assert!(
        e.contains(&s(&garbage)) && e.contains("no PEM certificate"),
        "{e}"
    );
    let e = err(&[
        "--pd",
        "https://pd:2379",
        "--pd-cert",
        &s(&pki.client_cert),
        "--pd-key",
        &s(&pki.server_key),
    ]);
    assert!(
        e.contains(&s(&pki.server_key)) && e.contains("does not hold the private key"),
        "{e}"
    );
    let e = err(&["--pd", "http://pd:2379", "--pd-ca", &s(&pki.ca)]);
    assert!(e.contains("is not https"), "{e}");
    let e = err(&["--pd", "https://pd:2379", "--prometheus-ca", &s(&pki.ca)]);
    assert!(e.contains("no Prometheus URL"), "{e}");
    for e in [
        err(&["--pd", "https://pd:2379", "--pd-ca", "/nonexistent/ca.pem"]),
        err(&[
            "--pd",
            "https://pd:2379",
            "--prometheus",
            "https://prom",
            "--prometheus-bearer-token-file",
            "/nonexistent/token",
        ]),
    ] {
        assert!(e.contains("/nonexistent/"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }
}

fn tikv_lens_binary(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tikv-lens"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("TIKV_LENS_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied()).output().unwrap()
}

#[test]
fn the_binary_refuses_tls_settings_in_one_line_with_exit_2() {
    let pki = Pki::new();
    let cert = pki.client_cert.to_str().unwrap();
    let garbage = pki
        .dir
        .write("garbage-key.pem", "-----BEGIN PRIVATE KEY-----\nzz\n");
    // Arguments, environment, and what stderr must name.
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec!["serve", "--pd", "https://pd:2379", "--pd-cert", cert],
            vec![],
            "--pd-key",
        ),
        (
            vec!["serve", "--pd", "https://pd:2379"],
            vec![("TIKV_LENS_PD_KEY", cert)],
            "--pd-cert",
        ),
        (
            vec![
                "serve",
                "--pd",
                "https://pd:2379",
                "--tls-cert",
                cert,
                "--tls-key",
                garbage.to_str().unwrap(),
            ],
            vec![],
            garbage.to_str().unwrap(),
        ),
        (vec!["demo", "--tls-cert", cert], vec![], "--tls-key"),
        (
            vec![
                "serve",
                "--pd",
                "https://pd:2379",
                "--prometheus",
                "https://prom",
                "--prometheus-username",
                "grafana",
            ],
            vec![("TIKV_LENS_PROMETHEUS_BEARER_TOKEN", "env-s3cret")],
            "both set",
        ),
    ];
    for (args, env, needle) in cases {
        let out = tikv_lens_binary(&args, &env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("s3cret"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
