//! Finished answers, and the HTTP caching headers on them: `Age`, `Cache-Control`, a strong
//! `ETag`, and `304 Not Modified` when the client already has the bytes. Event streams pass
//! through untouched: they are not answers that finish.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use bytes::Bytes;
use rapidhash::v3::{RapidSecrets, RapidStreamHasherV3};

use crate::budget::Share;
use crate::upstream::freshness::Freshness;

/// `Age`, `Cache-Control` and a strong `ETag` on every successful answer, and `304 Not
/// Modified` (no body) when the client already has it (`If-None-Match`).
///
/// `max-age` is how long the upstream data behind the answer stays fresh in tikv-lens's cache,
/// and `Age` how long ago it was fetched: a dashboard polling faster than that gets the same
/// bytes and can revalidate them for free.
pub(crate) async fn http_caching(
    State(answers): State<AnswerCache>,
    request: Request,
    next: Next,
) -> Response {
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let key = AnswerCache::key(&request);
    if let Some(answer) = key.as_ref().and_then(|k| answers.get(k)) {
        crate::telemetry::cache_read("answers", "hit");
        let head = request.method() == Method::HEAD;
        return answer.respond(if_none_match.as_ref(), head);
    }
    let (response, freshness) = crate::upstream::freshness::scope(next.run(request)).await;
    if is_stream(&response) {
        // An event stream never ends by itself: collecting it would hold it forever. It goes
        // out as it is written, uncached (its own `Cache-Control: no-cache` stays).
        return response;
    }
    if response.status() != StatusCode::OK {
        let mut response = response;
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Every other 200 answer is a body tikv-lens built in memory, so collecting it cannot grow
    // unbounded; its chunks are kept as they are (never copied into one buffer) and hashed as
    // they come for the ETag.
    let Ok((chunks, etag)) = collect(body, parts.headers.get(header::CONTENT_ENCODING)).await
    else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    parts.headers.insert(header::ETAG, header_value(&etag));
    let answer = Arc::new(Answer {
        status: parts.status,
        headers: parts.headers,
        len: chunks.iter().map(Bytes::len).sum(),
        chunks,
        etag,
        freshness,
    });
    if let Some(key) = key {
        answers.keep(key, &answer);
    }
    answer.respond(if_none_match.as_ref(), false)
}

/// A finished 200 answer and what its data's freshness was.
struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    /// The body, in the chunks it was written in.
    chunks: Vec<Bytes>,
    /// Its length, bytes.
    len: usize,
    etag: String,
    freshness: Freshness,
}

impl Answer {
    /// The answer with `Age` and `Cache-Control` as of now, or a 304 when the client has it.
    fn respond(&self, if_none_match: Option<&HeaderValue>, head: bool) -> Response {
        let now = jiff::Timestamp::now();
        let mut headers = self.headers.clone();
        let cache_control = match self.freshness.max_age_seconds(now) {
            Some(seconds) => format!("max-age={seconds}"),
            None => "no-cache".to_owned(),
        };
        headers.insert(header::CACHE_CONTROL, header_value(&cache_control));
        if let Some(age) = self.freshness.age_seconds(now) {
            headers.insert(header::AGE, header_value(&age.to_string()));
        }
        if if_none_match.is_some_and(|v| etag_matches(v, &self.etag)) {
            headers.remove(header::CONTENT_LENGTH);
            headers.remove(header::CONTENT_TYPE);
            headers.remove(header::CONTENT_ENCODING);
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            *response.headers_mut() = headers;
            return response;
        }
        let body = if head {
            Body::empty()
        } else {
            crate::chunked::body(self.chunks.iter().cloned())
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        *response.headers_mut() = headers;
        response
    }
}

/// Whether `response` is a stream of events (`text/event-stream`) rather than a finished answer.
fn is_stream(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// Finished answers, kept while the data behind them is fresh: a dashboard polling an endpoint
/// faster than its TTL gets the same bytes without the handler decoding, normalizing and
/// serializing them again. Keyed by the request's path, query and whether it takes gzip;
/// bounded by the answers' share of the memory budget, and an answer larger than the share's
/// entry limit (a big page of regions) is sent but not kept.
#[derive(Clone)]
pub(crate) struct AnswerCache {
    answers: moka::sync::Cache<String, Arc<Answer>>,
    max_entry_bytes: u64,
}

struct UntilStale;

impl moka::Expiry<String, Arc<Answer>> for UntilStale {
    fn expire_after_create(
        &self,
        _key: &String,
        answer: &Arc<Answer>,
        _created_at: std::time::Instant,
    ) -> Option<std::time::Duration> {
        let left = answer
            .freshness
            .fresh_until
            .map(|until| until.duration_since(jiff::Timestamp::now()));
        Some(
            left.and_then(|d| std::time::Duration::try_from(d).ok())
                .unwrap_or_default(),
        )
    }
}

fn weigh_answer(key: &str, answer: &Arc<Answer>) -> u32 {
    u32::try_from(key.len() + answer.len).unwrap_or(u32::MAX)
}

impl AnswerCache {
    /// A cache within `share` of the memory budget.
    pub(crate) fn new(share: Share) -> Self {
        Self {
            answers: moka::sync::Cache::builder()
                .max_capacity(share.capacity_bytes)
                .weigher(|key: &String, answer: &Arc<Answer>| weigh_answer(key, answer))
                .expire_after(UntilStale)
                .build(),
            max_entry_bytes: share.max_entry_bytes,
        }
    }

    /// Bytes (keys and bodies) held now.
    pub(crate) fn weighted_bytes(&self) -> u64 {
        self.answers.run_pending_tasks();
        self.answers.weighted_size()
    }

    /// Only reads are kept; `None` for anything else.
    fn key(request: &Request) -> Option<String> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return None;
        }
        let gzip = request
            .headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("gzip"));
        let uri = request.uri().path_and_query().map_or("", |p| p.as_str());
        Some(format!("{}|{uri}", if gzip { "gzip" } else { "identity" }))
    }

    fn get(&self, key: &str) -> Option<Arc<Answer>> {
        self.answers.get(key)
    }

    /// Keeps an answer while it is fresh for at least a second, not stale, and within the
    /// entry limit.
    fn keep(&self, key: String, answer: &Arc<Answer>) {
        let fresh_for = answer
            .freshness
            .max_age_seconds(jiff::Timestamp::now())
            .unwrap_or(0);
        let fits = u64::from(weigh_answer(&key, answer)) <= self.max_entry_bytes;
        if fresh_for >= 1 && !answer.freshness.stale && fits {
            self.answers.insert(key, Arc::clone(answer));
        }
    }
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Reads a finished body's chunks, and computes its strong validator: a hash of the exact bytes
/// sent (and their content coding) and their length.
async fn collect(
    mut body: Body,
    encoding: Option<&HeaderValue>,
) -> Result<(Vec<Bytes>, String), axum::Error> {
    use http_body_util::BodyExt;
    // rapidhash's stream hasher: the hash of the chunks is the hash of the whole, however the
    // body was cut, and it runs at memory speed (SipHash cost about half a millisecond per MB
    // of answer, a noticeable part of serving a large range query or region page).
    let mut hasher = RapidStreamHasherV3::new(&ETAG_SECRETS);
    let mut chunks = Vec::new();
    let mut len = 0usize;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            hasher.write(&data);
            len += data.len();
            chunks.push(data);
        }
    }
    // The coding is part of what is sent (a gzip and an identity answer differ); the body's
    // length in the tag keeps it apart from the body's last bytes.
    hasher.write(encoding.map_or(&b""[..], HeaderValue::as_bytes));
    Ok((chunks, format!("\"{:016x}-{len:x}\"", hasher.finish())))
}

/// Fixed, so that a restarted tikv-lens gives the same bytes the same tag.
const ETAG_SECRETS: RapidSecrets = RapidSecrets::seed(0x7469_6b76_6c65_6e73);

/// `If-None-Match` uses the weak comparison: `*`, or any listed tag equal once `W/` is dropped.
fn etag_matches(if_none_match: &HeaderValue, etag: &str) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn tag(chunks: &[&[u8]], encoding: Option<&'static str>) -> String {
        let chunks: Vec<Bytes> = chunks.iter().map(|c| Bytes::copy_from_slice(c)).collect();
        let body = crate::chunked::body(chunks);
        let encoding = encoding.map(HeaderValue::from_static);
        collect(body, encoding.as_ref()).await.unwrap().1
    }

    #[tokio::test]
    async fn the_tag_is_of_the_bytes_and_their_coding_not_of_how_they_were_cut() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let whole = tag(&[&data], None).await;
        let cut = tag(&[&data[..7], &data[7..150_001], &data[150_001..]], None).await;
        assert_eq!(whole, cut);
        assert!(whole.ends_with(&format!("-{:x}\"", data.len())), "{whole}");
        assert_ne!(whole, tag(&[&data], Some("gzip")).await);
        let mut other = data.clone();
        other[123_456] ^= 1;
        assert_ne!(whole, tag(&[&other], None).await);
        // The coding cannot pass for the body's last bytes: the length tells them apart.
        assert_ne!(
            tag(&[b"abcgzip"], None).await,
            tag(&[b"abc"], Some("gzip")).await
        );
    }
}
