//! The `tikv-lens` binary: parse the command line, set up logging, serve.

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

#[cfg(feature = "demo")]
mod demo;

use tikv_lens::config::{Cli, Command, LogFormat, ServeArgs, ServeConfig};
use tikv_lens::state::AppState;
use tikv_lens::tls::CertKey;
use tracing_subscriber::EnvFilter;

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
        #[cfg(feature = "demo")]
        Command::Demo(args) => {
            let tls = match args.tls.load() {
                Ok(tls) => tls,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(USAGE_ERROR);
                }
            };
            init_tracing(args.log_format);
            block_on(demo::demo(args, tls))
        }
        #[cfg(feature = "demo")]
        Command::SimulatePd(args) => {
            init_tracing(LogFormat::Text);
            block_on(demo::simulate_pd(args))
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

/// Serves the API on `listener`, over HTTPS when a certificate is configured, until SIGINT or
/// SIGTERM.
pub(crate) async fn serve_on(
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

fn serve(args: ServeArgs) -> ExitCode {
    let config = match args.into_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE_ERROR);
        }
    };
    init_tracing(config.log_format);
    block_on(run(config))
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
pub(crate) async fn shutdown_signal() {
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
