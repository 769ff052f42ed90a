//! Upstream clients and their raw wire types, one folder per upstream.
//!
//! Wire types (`pub(crate)`, never `ToSchema`) accept what upstreams really send: omitted zero
//! fields, unknown new fields, `null` where Go wrote a nil slice, shapes of older versions. They
//! do not decide what a value means; [`crate::normalize`] does. The clients' deadlines, caps and
//! cache TTLs are types of this module ([`UpstreamLimits`], [`CacheTtls`]): configuration fills
//! them in, and nothing here imports [`crate::config`].

pub(crate) mod cache;
mod error;
pub mod freshness;
mod http;
mod limits;
pub mod pd;
pub mod prometheus;

pub use cache::UpstreamCaches;
pub use error::{Upstream, UpstreamError};
pub use limits::{CacheTtls, UpstreamLimits};

/// An upstream URL as it may appear in answers and logs: without credentials, and without the
/// trailing slash of an empty path.
pub fn display_url(url: &url::Url) -> String {
    let mut url = url.clone();
    // Both setters fail only for URLs that cannot have credentials, which then have none.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let text = url.to_string();
    match text.strip_suffix('/') {
        Some(bare) if url.path() == "/" => bare.to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn display_url_drops_credentials() {
        let url: url::Url = "http://admin:s3cret@pd-0:2379/".parse().unwrap();
        assert_eq!(super::display_url(&url), "http://pd-0:2379");
        let url: url::Url = "https://proxy/pd-east".parse().unwrap();
        assert_eq!(super::display_url(&url), "https://proxy/pd-east");
    }
}
