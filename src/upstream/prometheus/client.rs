//! The Prometheus client: instant and range queries with a deadline and a body cap.
//!
//! Queries go as GET while the URL stays short and as a POST form beyond that (a store list
//! of a large cluster makes long selectors). Prometheus also gets the deadline as its own
//! `timeout`, so it stops evaluating a query nobody waits for.

use std::time::Duration;

use url::Url;

use super::{SeriesSelection, wire};
use crate::upstream::cache::{ReadKind, ResponseCache};
use crate::upstream::http::{body_excerpt, decode_json, exchange};
use crate::upstream::{CacheTtls, Upstream, UpstreamError, UpstreamLimits};

/// Data older than this is settled: Prometheus will not receive more samples for it.
const SETTLED_AFTER_MS: i64 = 5 * 60 * 1000;

/// Above this many bytes of query string, a query is sent as a POST form.
/// Prometheus' query endpoints, known once.
pub(crate) const QUERY_PATH: &str = "/api/v1/query";
pub(crate) const QUERY_RANGE_PATH: &str = "/api/v1/query_range";

const MAX_GET_QUERY_BYTES: usize = 2048;

/// A client for one cluster's Prometheus (or anything speaking its query API: Thanos,
/// VictoriaMetrics, Mimir). The base URL may carry a path prefix.
#[derive(Debug)]
pub struct PrometheusClient {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
    max_body_bytes: usize,
    /// Answers by request; concurrent identical queries share one request.
    cache: ResponseCache,
    ttls: CacheTtls,
    /// Queries in flight at most; more wait, up to the deadline.
    permits: tokio::sync::Semaphore,
    max_concurrency: usize,
    /// Which of this Prometheus' series are the cluster's.
    selection: SeriesSelection,
}

/// When an instant query is evaluated: Prometheus' "now", or a Unix time in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalTime {
    Now,
    AtMs(i64),
}

/// A range query's grid, in Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeParams {
    pub start_ms: i64,
    pub end_ms: i64,
    pub step_ms: i64,
}

impl PrometheusClient {
    /// Builds a client reading through `cache`.
    pub(crate) fn new(
        http: reqwest::Client,
        base: Url,
        limits: UpstreamLimits,
        ttls: CacheTtls,
        cache: ResponseCache,
        selection: SeriesSelection,
    ) -> Self {
        Self {
            http,
            base,
            timeout: limits.prometheus_timeout,
            max_body_bytes: limits.max_body_bytes,
            cache,
            ttls,
            permits: tokio::sync::Semaphore::new(limits.prometheus_max_concurrency),
            max_concurrency: limits.prometheus_max_concurrency,
            selection,
        }
    }

    /// How long an answer about data up to `until_ms` (`None`: now) is reused; a range query
    /// over recent data also at most one step.
    fn ttl(&self, until_ms: Option<i64>, step_ms: Option<i64>) -> Duration {
        let now_ms = jiff::Timestamp::now().as_millisecond();
        match until_ms {
            Some(t) if t < now_ms - SETTLED_AFTER_MS => self.ttls.prometheus_past,
            _ => {
                let step =
                    step_ms.map_or(Duration::MAX, |s| Duration::from_millis(s.unsigned_abs()));
                self.ttls.prometheus_recent.min(step)
            }
        }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Which of this Prometheus' series are the cluster's.
    pub fn selection(&self) -> &SeriesSelection {
        &self.selection
    }

    /// `/api/v1/query`.
    pub(crate) async fn query(
        &self,
        query: &str,
        time: EvalTime,
    ) -> Result<wire::Envelope, UpstreamError> {
        let mut form = vec![("query", query.to_owned())];
        let until = match time {
            EvalTime::AtMs(ms) => {
                form.push(("time", seconds(ms)));
                Some(ms)
            }
            EvalTime::Now => None,
        };
        self.cached_call(QUERY_PATH, form, ReadKind::Resource, self.ttl(until, None))
            .await
    }

    /// `/api/v1/query_range`.
    pub(crate) async fn query_range(
        &self,
        query: &str,
        range: RangeParams,
    ) -> Result<wire::Envelope, UpstreamError> {
        let form = vec![
            ("query", query.to_owned()),
            ("start", seconds(range.start_ms)),
            ("end", seconds(range.end_ms)),
            ("step", seconds(range.step_ms)),
        ];
        let ttl = self.ttl(Some(range.end_ms), Some(range.step_ms));
        self.cached_call(QUERY_RANGE_PATH, form, ReadKind::Bulk, ttl)
            .await
    }

    /// [`Self::call`] through the cache, keyed by path and parameters.
    async fn cached_call(
        &self,
        path: &str,
        form: Vec<(&'static str, String)>,
        kind: ReadKind,
        ttl: Duration,
    ) -> Result<wire::Envelope, UpstreamError> {
        let key: String = url::form_urlencoded::Serializer::new(format!("{path}?"))
            .extend_pairs(&form)
            .finish();
        let cached = self
            .cache
            .get_or_fetch(&key, kind, ttl, self.call(path, form))
            .await?;
        decode_json::<wire::Envelope>(Upstream::Prometheus, path, &cached.body)
    }

    /// Sends one query; a success answer's body is returned for the cache, anything else is
    /// an error (never cached).
    async fn call(
        &self,
        path: &str,
        mut form: Vec<(&'static str, String)>,
    ) -> Result<bytes::Bytes, UpstreamError> {
        form.push((
            "timeout",
            seconds(i64::try_from(self.timeout.as_millis()).unwrap_or(i64::MAX)),
        ));
        let permit = tokio::time::timeout(self.timeout, self.permits.acquire()).await;
        let Ok(Ok(_permit)) = permit else {
            return Err(UpstreamError::Saturated {
                upstream: Upstream::Prometheus,
                path: path.to_owned(),
                limit: self.max_concurrency,
            });
        };
        let url = format!("{}{}", self.base.as_str().trim_end_matches('/'), path);
        let encoded_len: usize = form.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let request = if encoded_len > MAX_GET_QUERY_BYTES {
            self.http.post(&url).form(&form)
        } else {
            self.http.get(&url).query(&form)
        };
        // A little slack over Prometheus' own timeout, so that its timeout answer (with its
        // message) arrives before ours fires.
        let deadline = self.timeout + Duration::from_millis(500);
        let (status, body) = exchange(
            request,
            Upstream::Prometheus,
            path,
            deadline,
            self.max_body_bytes,
        )
        .await?;
        match decode_json::<wire::Envelope>(Upstream::Prometheus, path, &body) {
            Ok(envelope) if envelope.status == "success" && status.is_success() => Ok(body),
            Ok(envelope) => Err(UpstreamError::Rejected {
                upstream: Upstream::Prometheus,
                path: path.to_owned(),
                status: status.as_u16(),
                error_type: envelope.error_type.unwrap_or_else(|| "unknown".to_owned()),
                message: envelope.error.unwrap_or_default(),
            }),
            // Plain-text 404/405 pages, proxies' HTML: an answer, but not Prometheus' API.
            Err(_) if !status.is_success() => Err(UpstreamError::Status {
                upstream: Upstream::Prometheus,
                path: path.to_owned(),
                status: status.as_u16(),
                message: body_excerpt(&body),
            }),
            Err(e) => Err(e),
        }
    }
}

/// Unix milliseconds as the decimal seconds Prometheus accepts (`1795744800.25`).
fn seconds(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    match abs % 1000 {
        0 => format!("{sign}{}", abs / 1000),
        frac => format!("{sign}{}.{frac:03}", abs / 1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_print_as_decimal_seconds() {
        assert_eq!(seconds(1_795_744_800_000), "1795744800");
        assert_eq!(seconds(1_795_744_800_250), "1795744800.250");
        assert_eq!(seconds(15_000), "15");
        assert_eq!(seconds(500), "0.500");
        assert_eq!(seconds(-1500), "-1.500");
    }
}
