//! The command line and the configuration file, validated into [`ServeConfig`].
//!
//! Raw input and validated configuration are different types, one file each: `args.rs` holds
//! what was typed (clap, every flag also an environment variable), `file.rs` what the `--config`
//! TOML file says, and `serve.rs` the [`ServeConfig`] both are validated into; `error.rs` says
//! why a configuration was refused. Once a [`ServeConfig`] exists, every cluster has a unique
//! name and at least one parseable PD URL, so nothing downstream checks them again. This module
//! does no I/O beyond reading the config file and the certificate, key and secret files named
//! (checked once, here: see [`crate::security`]).

mod args;
mod error;
mod file;
mod serve;

/// The thresholds of the health checks, validated from a cluster's `checks` table.
pub use crate::normalize::CheckThresholds;
pub use args::{Cli, Command, EventsArgs, LogFormat, ServeArgs, ServeTlsArgs};
#[cfg(feature = "demo")]
pub use args::{DemoArgs, SimArgs, SimulatePdArgs};
pub use error::ConfigError;
pub use serve::{AccessConfig, ClusterConfig, EventsConfig, ServeConfig};
