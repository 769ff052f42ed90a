//! `tikv-lens demo` and `tikv-lens simulate-pd`: the simulated cluster of the `tikv-sim` crate
//! (PD and Prometheus on ephemeral loopback ports) with the service in front of it. Only glue
//! lives here; the simulation itself is `tikv-sim`'s, and a build without the `demo` feature
//! has none of it.

use std::sync::Arc;
use std::time::Duration;

use tikv_lens::config::{ClusterConfig, DemoArgs, ServeConfig, SimArgs, SimulatePdArgs};
use tikv_lens::normalize::CheckThresholds;
use tikv_lens::state::AppState;
use tikv_lens::tls::CertKey;
use tikv_lens::upstream::UpstreamLimits;
use tikv_sim::{Clock, SimCluster, SimConfig};

use crate::{serve_on, shutdown_signal};

fn sim_cluster(args: &SimArgs) -> Arc<SimCluster> {
    Arc::new(SimCluster::new(SimConfig {
        stores: usize::from(args.stores),
        regions: args.regions,
        seed: args.seed,
        // The scenario starts now (or `--scenario-offset` ago): the first store outage comes two
        // minutes in, and a scale-in (begun two minutes before) is under way.
        epoch: jiff::Timestamp::now()
            .checked_sub(jiff::SignedDuration::try_from(args.scenario_offset).unwrap_or_default())
            .unwrap_or_else(|_| jiff::Timestamp::now()),
        scale_cycle: true,
        ..SimConfig::default()
    }))
}

/// `tikv-lens demo`: a simulated PD on an ephemeral loopback port, and tikv-lens in front of it,
/// talking to it over HTTP exactly as to a real PD.
pub(crate) async fn demo(args: DemoArgs, tls: Option<Arc<CertKey>>) -> anyhow::Result<()> {
    use anyhow::Context;
    let sim = sim_cluster(&args.sim);
    let pd_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot open a port for the simulated PD")?;
    let pd_addr = pd_listener.local_addr()?;
    tokio::spawn(tikv_sim::serve_pd(
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
    tokio::spawn(tikv_sim::serve_prometheus(
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
            // The simulated GC runs every 10 minutes and a BR backup holds it back for up to half
            // an hour, far below the production thresholds (a day, three days); the demo's are
            // minutes, so that the lagging service safe point shows as a check changing status.
            checks: CheckThresholds {
                gc_age_warning: Duration::from_secs(15 * 60),
                gc_age_critical: Duration::from_secs(60 * 60),
                ..CheckThresholds::default()
            },
            security: Default::default(),
            prometheus_selection: Default::default(),
            events_poll_interval: None,
        }],
        upstream: UpstreamLimits::default(),
        memory_budget: Default::default(),
        access: Default::default(),
        events: args.events.into_config()?,
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
         \n  Page      {base}/ui/\
         \n  API       {base}/api/v1/clusters/default\
         \n  Docs      {base}/docs\
         \n  Try       curl -s {base}/api/v1/clusters/default/stores | jq .\
         \n  PD (sim)  http://{pd_addr}\
         \n  Prometheus (sim)  http://{prometheus_addr}\n\
         \nThe cluster lives: load follows the day, regions split, leaders move, and every 10 minutes\n\
         the last store goes disconnected (2:00), then down, and comes back (8:00). Every 30 minutes\n\
         a store joins, serves and is scaled in (one is being removed now: see\n\
         {base}/api/v1/clusters/default/stores?state=offline). Once an hour a 3-minute load spike\n\
         overloads store 1's raftstore and stalls store 4's writes; the health checks follow it all:\n\
         {base}/api/v1/clusters/default/checks. Ctrl-C stops.",
        args.sim.stores, args.sim.regions, args.sim.seed
    );
    serve_on(listener, state, config.tls.as_deref()).await
}

/// `tikv-lens simulate-pd`: only the simulated PD, for benchmarks against a separate tikv-lens.
pub(crate) async fn simulate_pd(args: SimulatePdArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let sim = sim_cluster(&args.sim);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    println!("simulated PD at http://{}", listener.local_addr()?);
    tikv_sim::serve_pd(listener, sim, Clock::System, shutdown_signal()).await?;
    Ok(())
}
