//! Upstream clients and their raw wire types, one folder per upstream.
//!
//! Wire types (`pub(crate)`, never `ToSchema`) accept what upstreams really send: omitted zero
//! fields, unknown new fields, `null` where Go wrote a nil slice, shapes of older versions. They
//! do not decide what a value means; [`crate::normalize`] does.

mod error;
mod http;
pub mod pd;

pub use error::{Upstream, UpstreamError};
