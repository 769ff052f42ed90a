//! The `tikv-lens` binary: parse the command line, set up logging, serve.

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use std::sync::Arc;

use tikv_lens::config::{
    Cli, ClusterConfig, Command, DemoArgs, LogFormat, ServeArgs, ServeConfig, SimArgs,
    SimulatePdArgs, UpstreamLimits,
};
use tikv_lens::demo::{Clock, SimCluster, SimConfig};
use tikv_lens::state::AppState;
use tikv_lens::tls::CertKey;
use tracing_subscriber::EnvFilter;

/// Exit code for a usage or configuration error (as clap uses).
const USAGE_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap renders a usage block after the error; the first line says what is wrong.
            let rendered = e.to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("error: invalid arguments");
            eprintln!("{first} (see 'tikv-lens --help')");
            return ExitCode::from(USAGE_ERROR);
        }
    };
    match cli.command {
        Command::Openapi => {
            print!("{}", tikv_lens::openapi::document_json());
            ExitCode::SUCCESS
        }
        Command::Serve(args) => serve(args),
        Command::Demo(args) => {
            let tls = match args.tls.load() {
                Ok(tls) => tls,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(USAGE_ERROR);
                }
            };
            init_tracing(args.log_format);
            block_on(demo(args, tls))
        }
        Command::SimulatePd(args) => {
            init_tracing(LogFormat::Text);
            block_on(simulate_pd(args))
        }
    }
}

fn block_on(work: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(work) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn sim_cluster(args: &SimArgs) -> Arc<SimCluster> {
    Arc::new(SimCluster::new(SimConfig {
        stores: usize::from(args.stores),
        regions: args.regions,
        seed: args.seed,
        // The scenario starts now: the first store outage comes two minutes after launch.
        epoch: jiff::Timestamp::now(),
        ..SimConfig::default()
    }))
}

/// `tikv-lens demo`: a simulated PD on an ephemeral loopback port, and tikv-lens in front of it,
/// talking to it over HTTP exactly as to a real PD.
async fn demo(args: DemoArgs, tls: Option<Arc<CertKey>>) -> anyhow::Result<()> {
    use anyhow::Context;
    let sim = sim_cluster(&args.sim);
    let pd_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot open a port for the simulated PD")?;
    let pd_addr = pd_listener.local_addr()?;
    tokio::spawn(tikv_lens::demo::serve_pd(
        pd_listener,
        Arc::clone(&sim),
        Clock::System,
        std::future::pending(),
    ));
    // The simulated Prometheus scrapes the same simulated stores (a store's status address is
    // its `instance`), so the joins and charts of the API have data.
    let prometheus_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot open a port for the simulated Prometheus")?;
    let prometheus_addr = prometheus_listener.local_addr()?;
    tokio::spawn(tikv_lens::demo::serve_prometheus(
        prometheus_listener,
        sim,
        Clock::System,
        std::future::pending(),
    ));

    let config = ServeConfig {
        listen: args.listen,
        tls,
        clusters: vec![ClusterConfig {
            name: "default".to_owned(),
            pd_endpoints: vec![format!("http://{pd_addr}").parse()?],
            prometheus: Some(format!("http://{prometheus_addr}").parse()?),
            cache: Default::default(),
            security: Default::default(),
        }],
        upstream: UpstreamLimits::default(),
        access: Default::default(),
        log_format: args.log_format,
    };
    let state = AppState::new(&config).context("cannot build the HTTP client")?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (pick another with --listen)",
                config.listen
            )
        })?;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let base = format!("{scheme}://{}", listener.local_addr()?);
    println!(
        "tikv-lens demo: a simulated TiKV cluster ({} stores, {} regions, seed {}) behind tikv-lens\n\
         \n  API       {base}/api/v1/clusters/default\
         \n  Docs      {base}/docs\
         \n  Try       curl -s {base}/api/v1/clusters/default/stores | jq .\
         \n  PD (sim)  http://{pd_addr}\
         \n  Prometheus (sim)  http://{prometheus_addr}\n\
         \nThe cluster lives: load follows the day, regions split, leaders move, and every 10 minutes\n\
         the last store goes disconnected (2:00), then down, and comes back (8:00). Ctrl-C stops.",
        args.sim.stores, args.sim.regions, args.sim.seed
    );
    serve_on(listener, state, config.tls.as_deref()).await
}

/// Serves the API on `listener`, over HTTPS when a certificate is configured, until SIGINT or
/// SIGTERM.
async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    tls: Option<&CertKey>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    match tls {
        Some(identity) => {
            let tls = tikv_lens::tls::server_config(identity)
                .context("cannot set up TLS with --tls-cert and --tls-key")?;
            tikv_lens::server::run_tls(listener, tls, state, shutdown_signal()).await?;
        }
        None => tikv_lens::server::run(listener, state, shutdown_signal()).await?,
    }
    Ok(())
}

/// `tikv-lens simulate-pd`: only the simulated PD, for benchmarks against a separate tikv-lens.
async fn simulate_pd(args: SimulatePdArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let sim = sim_cluster(&args.sim);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    println!("simulated PD at http://{}", listener.local_addr()?);
    tikv_lens::demo::serve_pd(listener, sim, Clock::System, shutdown_signal()).await?;
    Ok(())
}

fn serve(args: ServeArgs) -> ExitCode {
    let config = match args.into_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE_ERROR);
        }
    };
    init_tracing(config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: ServeConfig) -> anyhow::Result<()> {
    use anyhow::Context;
    let state = AppState::new(&config).context("cannot build the HTTP client")?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let names: Vec<&str> = config.clusters.iter().map(|c| c.name.as_str()).collect();
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(%addr, scheme, clusters = ?names, "tikv-lens listening; API at /api/v1, docs at /docs");
    serve_on(listener, state, config.tls.as_deref()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down; finishing requests in flight");
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
