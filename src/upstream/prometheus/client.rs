//! The Prometheus client: instant and range queries with a deadline and a body cap.
//!
//! Queries go as GET while the URL stays short and as a POST form beyond that (a store list
//! of a large cluster makes long selectors). Prometheus also gets the deadline as its own
//! `timeout`, so it stops evaluating a query nobody waits for.

use std::convert::Infallible;
use std::time::Duration;

use url::Url;

use super::{SeriesSelection, wire};
use crate::upstream::cache::{ReadKind, ResponseCache};
use crate::upstream::http::{body_excerpt, decode_json, exchange};
use crate::upstream::{CacheTtls, Upstream, UpstreamError, UpstreamLimits};

/// Data older than this is settled: Prometheus will not receive more samples for it.
const SETTLED_AFTER_MS: i64 = 5 * 60 * 1000;

/// Prometheus' query endpoints, known once.
pub(crate) const QUERY_PATH: &str = "/api/v1/query";
pub(crate) const QUERY_RANGE_PATH: &str = "/api/v1/query_range";

/// Above this many bytes of query string, a query is sent as a POST form.
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
        let ttl = self.ttl(until, None);
        self.cached_read(QUERY_PATH, form, ReadKind::Resource, ttl, decline)
            .await
            .map(QueryAnswer::into_decoded)
    }

    /// `/api/v1/query_range`, decoded into the wire types.
    pub(crate) async fn query_range(
        &self,
        query: &str,
        range: RangeParams,
    ) -> Result<wire::Envelope, UpstreamError> {
        self.query_range_read(query, range, decline)
            .await
            .map(QueryAnswer::into_decoded)
    }

    /// `/api/v1/query_range`, its success body read by `read` (the caller's reader of the whole
    /// answer in one pass), or decoded into the wire types where `read` declines. `read` must
    /// accept only bodies that decode as a success answer: what it accepts may be kept.
    pub(crate) async fn query_range_read<T: Send>(
        &self,
        query: &str,
        range: RangeParams,
        read: impl Fn(&[u8]) -> Option<T> + Sync,
    ) -> Result<QueryAnswer<T>, UpstreamError> {
        let form = vec![
            ("query", query.to_owned()),
            ("start", seconds(range.start_ms)),
            ("end", seconds(range.end_ms)),
            ("step", seconds(range.step_ms)),
        ];
        let ttl = self.ttl(Some(range.end_ms), Some(range.step_ms));
        self.cached_read(QUERY_RANGE_PATH, form, ReadKind::Bulk, ttl, read)
            .await
    }

    /// [`Self::call`] through the cache, keyed by path and parameters, the body read once: by
    /// `read`, or else decoded. The request that fetched the body reads it as it checks it; one
    /// served from the cache, or sharing another's fetch, reads the kept body.
    async fn cached_read<T: Send>(
        &self,
        path: &str,
        form: Vec<(&'static str, String)>,
        kind: ReadKind,
        ttl: Duration,
        read: impl Fn(&[u8]) -> Option<T> + Sync,
    ) -> Result<QueryAnswer<T>, UpstreamError> {
        let key: String = url::form_urlencoded::Serializer::new(format!("{path}?"))
            .extend_pairs(&form)
            .finish();
        let mut fetched = None;
        let cached = self
            .cache
            .get_or_fetch(&key, kind, ttl, async {
                let (status, body) = self.call(path, form).await?;
                // Only a success body is kept: one `read` accepts is one.
                let answer = match status.is_success().then(|| read(&body)).flatten() {
                    Some(read) => QueryAnswer::Read(read),
                    None => QueryAnswer::Decoded(success_envelope(path, status, &body)?),
                };
                fetched = Some(answer);
                Ok(body)
            })
            .await?;
        if let Some(answer) = fetched {
            return Ok(answer);
        }
        if let Some(read) = read(&cached.body) {
            return Ok(QueryAnswer::Read(read));
        }
        decode_json::<wire::Envelope>(Upstream::Prometheus, path, &cached.body)
            .map(QueryAnswer::Decoded)
    }

    /// Sends one query and reads its whole body (at most the body cap), whatever its status.
    async fn call(
        &self,
        path: &str,
        mut form: Vec<(&'static str, String)>,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), UpstreamError> {
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
        exchange(
            request,
            Upstream::Prometheus,
            path,
            deadline,
            self.max_body_bytes,
        )
        .await
    }
}

/// A query's answer: what the caller's reader made of the body, or the body decoded into the
/// wire types where that reader declined (or there is none).
#[derive(Debug)]
pub(crate) enum QueryAnswer<T> {
    Read(T),
    Decoded(wire::Envelope),
}

impl QueryAnswer<Infallible> {
    fn into_decoded(self) -> wire::Envelope {
        match self {
            QueryAnswer::Read(never) => match never {},
            QueryAnswer::Decoded(envelope) => envelope,
        }
    }
}

/// The reader of callers that want the wire types.
fn decline(_: &[u8]) -> Option<Infallible> {
    None
}

/// A body decoded as a success answer, or the error it is: Prometheus' own error answer, a
/// status with a body that is not Prometheus' API (plain-text 404s, proxies' HTML), or a body
/// that does not decode.
fn success_envelope(
    path: &str,
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<wire::Envelope, UpstreamError> {
    match decode_json::<wire::Envelope>(Upstream::Prometheus, path, body) {
        Ok(envelope) if envelope.status == "success" && status.is_success() => Ok(envelope),
        Ok(envelope) => Err(UpstreamError::Rejected {
            upstream: Upstream::Prometheus,
            path: path.to_owned(),
            status: status.as_u16(),
            error_type: envelope.error_type.unwrap_or_else(|| "unknown".to_owned()),
            message: envelope.error.unwrap_or_default(),
        }),
        Err(_) if !status.is_success() => Err(UpstreamError::Status {
            upstream: Upstream::Prometheus,
            path: path.to_owned(),
            status: status.as_u16(),
            message: body_excerpt(body),
        }),
        Err(e) => Err(e),
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
