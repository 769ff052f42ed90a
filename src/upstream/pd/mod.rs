//! PD's HTTP API (`/pd/api/v1/...`): the client and the wire types of the endpoints tikv-lens reads.

mod client;
pub(crate) mod paths;
pub(crate) mod wire;

pub use client::PdClient;
pub(crate) use client::{Lookup, Served};
