//! Reading upstream bodies: a size cap that stops reading (not one checked after the fact), and
//! JSON decoding that names the field that failed.

use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::{Upstream, UpstreamError};

/// Sends a request and reads its whole body within `timeout`, buffering at most `cap` bytes.
/// Every status is returned as is; deciding what a status means is the caller's job.
pub(crate) async fn exchange(
    request: reqwest::RequestBuilder,
    upstream: Upstream,
    path: &str,
    timeout: Duration,
    cap: usize,
) -> Result<(reqwest::StatusCode, Bytes), UpstreamError> {
    let transport = |e: reqwest::Error| UpstreamError::Unreachable {
        upstream,
        path: path.to_owned(),
        // The URL is the caller's to show (without credentials); reqwest's would include them.
        detail: error_chain(&e.without_url()),
    };
    let work = async {
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let body = read_capped(response, cap).await.map_err(|e| match e {
            BodyError::TooLarge => UpstreamError::TooLarge {
                upstream,
                path: path.to_owned(),
                limit: cap,
            },
            BodyError::Transport(e) => transport(e),
        })?;
        Ok((status, body))
    };
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| {
            Err(UpstreamError::Timeout {
                upstream,
                path: path.to_owned(),
                after: timeout,
            })
        });
    let outcome = match &result {
        Ok((status, _)) if status.is_success() => "ok".to_owned(),
        Ok((status, _)) => format!("http_{}", status.as_u16()),
        Err(UpstreamError::Timeout { .. }) => "timeout".to_owned(),
        Err(UpstreamError::TooLarge { .. }) => "too_large".to_owned(),
        Err(_) => "unreachable".to_owned(),
    };
    crate::telemetry::upstream_request(
        upstream.as_str(),
        &crate::telemetry::endpoint_label(path),
        &outcome,
        started.elapsed(),
    );
    result
}

/// reqwest's Display hides the cause ("error sending request"); the chain says "connection refused".
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Why a body could not be read in full.
enum BodyError {
    TooLarge,
    Transport(reqwest::Error),
}

/// Reads a response body, refusing to buffer more than `cap` bytes. The body is assembled in
/// one allocation, never in a buffer that doubles and copies itself as a large answer arrives,
/// and each chunk is copied into it as it arrives and then dropped, so that the connection's
/// read buffer serves the next chunk instead of every chunk being held to the end.
///
/// With a `Content-Length` the allocation is the body's exact size. Without one (Prometheus and
/// PD send large answers chunked) it is reserved at the cap (at most [`RESERVE_BYTES`]) as
/// address space: only the pages the body fills are ever touched, so memory is what the body
/// holds. A body of one chunk is kept as it came, without a copy.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Bytes, BodyError> {
    let exact = match response.content_length() {
        Some(len) if len > cap as u64 => return Err(BodyError::TooLarge),
        Some(len) => Some(len as usize),
        None => None,
    };
    let Some(first) = response.chunk().await.map_err(BodyError::Transport)? else {
        return Ok(Bytes::new());
    };
    if first.len() > cap {
        return Err(BodyError::TooLarge);
    }
    let Some(mut next) = response.chunk().await.map_err(BodyError::Transport)? else {
        return Ok(first);
    };
    let mut body = Vec::new();
    let room = exact.unwrap_or(cap.min(RESERVE_BYTES));
    // A reservation the system refuses (a huge configured cap) only means growing as it comes.
    if body.try_reserve_exact(room).is_err() {
        body.reserve(first.len() + next.len());
    }
    body.extend_from_slice(&first);
    drop(first);
    loop {
        if body.len() + next.len() > cap {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&next);
        drop(next);
        match response.chunk().await.map_err(BodyError::Transport)? {
            Some(chunk) => next = chunk,
            None => {
                // The unused reservation is given back (in place: the allocator splits it off),
                // so a body kept in the cache holds no more address space than its length.
                body.shrink_to_fit();
                return Ok(Bytes::from(body));
            }
        }
    }
}

/// The most address space a body without `Content-Length` reserves up front (the default cap);
/// a larger body grows its buffer beyond it.
const RESERVE_BYTES: usize = 64 * 1024 * 1024;

/// Decodes a JSON body; on failure the error names the field path (`stores[2].status.capacity`).
pub(crate) fn decode_json<T: DeserializeOwned>(
    upstream: Upstream,
    path: &str,
    body: &[u8],
) -> Result<T, UpstreamError> {
    let decode_error = |field: String, message: String| UpstreamError::Decode {
        upstream,
        path: path.to_owned(),
        field,
        message,
    };
    // The fast path: tracking the field path costs about a quarter of the decoding time of a
    // large answer, so it only runs again, to name the field, when decoding failed.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        decode_error(field, e.into_inner().to_string())
    })?;
    de.end()
        .map_err(|e| decode_error(".".into(), e.to_string()))?;
    Ok(value)
}

/// The start of an error body as text, for messages: at most 512 bytes, lossily decoded, with
/// the JSON-string quoting PD puts around its messages removed.
pub(crate) fn body_excerpt(body: &[u8]) -> String {
    let head = &body[..body.len().min(512)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim();
    match serde_json::from_str::<String>(trimmed) {
        Ok(unquoted) => unquoted,
        Err(_) => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Outer {
        #[allow(dead_code)]
        items: Vec<Inner>,
    }
    #[derive(Debug, serde::Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        n: u64,
    }

    #[test]
    fn decode_error_names_the_field() {
        let err = decode_json::<Outer>(Upstream::Pd, "/x", br#"{"items":[{"n":1},{"n":"two"}]}"#)
            .unwrap_err();
        match err {
            UpstreamError::Decode { field, .. } => assert_eq!(field, "items[1].n"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn trailing_garbage_and_truncation_are_decode_errors() {
        assert!(decode_json::<Outer>(Upstream::Pd, "/x", br#"{"items":[]} x"#).is_err());
        assert!(decode_json::<Outer>(Upstream::Pd, "/x", br#"{"items":[{"n":1}"#).is_err());
        assert!(decode_json::<Outer>(Upstream::Pd, "/x", b"<html>502</html>").is_err());
        assert!(decode_json::<Outer>(Upstream::Pd, "/x", b"\xff\xfe").is_err());
    }

    #[test]
    fn excerpt_unquotes_pd_json_strings() {
        assert_eq!(
            body_excerpt(b"\"[PD:core:ErrStoreNotFound]store 42 not found\"\n"),
            "[PD:core:ErrStoreNotFound]store 42 not found"
        );
        assert_eq!(body_excerpt(b"404 page not found\n"), "404 page not found");
        assert_eq!(body_excerpt(&[b'a'; 2000]).len(), 512);
    }
}
