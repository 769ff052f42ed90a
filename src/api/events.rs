//! `GET /api/v1/clusters/{cluster}/events`: live updates as Server-Sent Events.
//!
//! The handler validates and subscribes (`compose::subscribe_events`); the stream written here
//! turns the subscription into SSE frames: `retry: 3000` first, then a `resync` or the kept
//! events after `Last-Event-ID`, then live events filtered by `types`, with a `: heartbeat`
//! comment at every heartbeat interval. A stream that falls behind the broadcast gets a
//! `resync` instead of the events it missed; every stream ends when the server shuts down.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as Frame, Sse};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problems::{BadParameter, EventStreamErrors};
use super::{ApiPath, ApiQuery, truncate};
use crate::compose;
use crate::error::ApiError;
use crate::event_log::{LastEventId, Published, Start, Subscription};
use crate::model::{Event, EventType};
use crate::state::AppState;

/// How long a client waits before reconnecting (the stream's `retry` field).
const RETRY: Duration = Duration::from_millis(3000);

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Query parameters of the event stream.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// Only events of these types, comma-separated (e.g.
    /// `types=store_state_changed,check_status_changed`). Without it, every type. `resync` is
    /// sent whatever this says.
    #[param(value_type = Option<Vec<EventType>>, style = Form, explode = false)]
    types: Option<String>,
}

/// The event types asked for, or a 400 naming `types`.
fn parse_types(raw: &str) -> Result<Vec<EventType>, ApiError> {
    let mut types = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let kind = EventType::from_name(name).ok_or_else(|| ApiError::BadParameter {
            parameter: "types",
            detail: format!(
                "{:?} is not an event type; use {}",
                truncate(name, 64),
                EventType::ALL.map(EventType::as_str).join(", ")
            ),
        })?;
        if !types.contains(&kind) {
            types.push(kind);
        }
    }
    if types.is_empty() {
        return Err(ApiError::BadParameter {
            parameter: "types",
            detail: "empty; give one or more event types, comma-separated".into(),
        });
    }
    Ok(types)
}

/// The `Last-Event-ID` a reconnecting client sends: an id of this stream, or something that
/// cannot be one (then a `resync`, never a 400: a browser resends whatever it last got).
fn last_event_id(headers: &HeaderMap) -> LastEventId {
    match headers.get("last-event-id").map(|v| v.to_str()) {
        None => LastEventId::Absent,
        Some(Ok(text)) if text.trim().is_empty() => LastEventId::Absent,
        Some(Ok(text)) => text
            .trim()
            .parse()
            .map_or(LastEventId::Unreadable, LastEventId::Seq),
        Some(Err(_)) => LastEventId::Unreadable,
    }
}

/// Live updates of a cluster, as Server-Sent Events (`text/event-stream`).
///
/// Each message is `id: <seq>`, `event: <type>` and `data: <one line of JSON>` (the `Event`
/// schema: a `oneOf` discriminated by `type`). The stream opens with `retry: 3000`; a comment
/// line `: heartbeat` comes every `--events-heartbeat` (15 s). One poller per cluster reads PD
/// every `--events-poll-interval` (2 s) while the cluster has listeners, however many, and the
/// health checks every `--events-checks-every` (5) polls; the first poll sets the baseline and
/// sends nothing. A client sending `Last-Event-ID` gets the kept events after it (the last
/// `--events-retained` of the cluster), then live ones; when that id is unknown or older than
/// what is kept, a `resync` comes first: refetch everything. A client that reads too slowly
/// gets a `resync` too, never an unbounded buffer.
///
/// No `ETag`, no `304`, no gzip: the stream is never cached or compressed. Browsers'
/// `EventSource` cannot send `Authorization`: with bearer tokens configured, read the stream
/// with `fetch`.
#[utoipa::path(
    get,
    path = "/api/v1/clusters/{cluster}/events",
    tag = "events",
    params(
        ("cluster" = String, Path, description = "The cluster's configured name."),
        EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, nullable = false, description = "The `id` of the last event the client saw (browsers send it when they reconnect): the kept events after it are sent first, or a `resync` when it is unknown or older than what is kept."),
    ),
    responses(
        (status = 200, description = "The event stream: SSE messages whose `data` is one `Event`, heartbeat comments, `retry: 3000` first. It ends when the server shuts down.", content_type = "text/event-stream", body = Event),
        BadParameter,
        EventStreamErrors,
    )
)]
async fn events(
    State(state): State<AppState>,
    ApiPath(cluster): ApiPath<String>,
    ApiQuery(query): ApiQuery<EventsQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Frame, Infallible>>>, ApiError> {
    let types = query.types.as_deref().map(parse_types).transpose()?;
    let cluster = state.cluster(&cluster)?;
    let subscription = compose::subscribe_events(&state.events, cluster, last_event_id(&headers))?;
    Ok(Sse::new(stream(
        subscription,
        types,
        state.events.settings.heartbeat,
        state.events.shutdown_signal(),
    )))
}

/// One stream's state between frames.
struct Listener {
    /// Frames ready to send, before waiting for more.
    ready: VecDeque<Frame>,
    subscription: Subscription,
    /// `None`: every type.
    types: Option<Vec<EventType>>,
    /// Live events up to this number were replaced by a `resync` (after falling behind).
    skip_through: u64,
    heartbeat: tokio::time::Interval,
    shutdown: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Listener {
    fn wants(&self, kind: EventType) -> bool {
        kind == EventType::Resync || self.types.as_ref().is_none_or(|t| t.contains(&kind))
    }

    /// The next frame, or `None` when the stream ends (shutdown).
    async fn next(&mut self) -> Option<Frame> {
        loop {
            if let Some(frame) = self.ready.pop_front() {
                return Some(frame);
            }
            tokio::select! {
                biased;
                () = &mut self.shutdown => return None,
                received = self.subscription.live.recv() => match received {
                    Ok(event) if event.seq > self.skip_through && self.wants(event.kind) => {
                        return Some(frame(&event));
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        let seq = self.subscription.log.last_seq();
                        self.skip_through = seq;
                        return Some(frame(&self.subscription.log.resync(seq)));
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = self.heartbeat.tick() => return Some(Frame::default().comment("heartbeat")),
            }
        }
    }
}

/// An event as an SSE message, counted as sent.
fn frame(event: &Published) -> Frame {
    crate::telemetry::sse_event_sent(event.kind.as_str());
    Frame::default()
        .id(event.seq.to_string())
        .event(event.kind.as_str())
        .data(&event.data)
}

/// The frames of one stream: `retry`, the start (a `resync` or the kept events asked for), then
/// live events and heartbeats until shutdown.
fn stream(
    mut subscription: Subscription,
    types: Option<Vec<EventType>>,
    heartbeat: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> impl Stream<Item = Result<Frame, Infallible>> {
    let mut ready = VecDeque::from([Frame::default().retry(RETRY)]);
    let mut skip_through = 0;
    match std::mem::replace(&mut subscription.start, Start::Resume(Vec::new())) {
        Start::Resync { seq } => {
            skip_through = seq;
            ready.push_back(frame(&subscription.log.resync(seq)));
        }
        Start::Resume(kept) => {
            let wanted = |kind: EventType| types.as_ref().is_none_or(|t| t.contains(&kind));
            ready.extend(kept.iter().filter(|e| wanted(e.kind)).map(|e| frame(e)));
        }
    }
    let start = tokio::time::Instant::now() + heartbeat;
    let listener = Listener {
        ready,
        subscription,
        types,
        skip_through,
        heartbeat: tokio::time::interval_at(start, heartbeat),
        shutdown: Box::pin(shutdown),
    };
    futures::stream::unfold(listener, |mut listener| async move {
        let frame = listener.next().await?;
        Some((Ok(frame), listener))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_log::{ClusterEvents, EventHub, HubSettings};
    use crate::model::{EventPayload, LeaderChanged};
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;
    use std::sync::Arc;

    fn leader(n: usize) -> EventPayload {
        EventPayload::LeaderChanged(LeaderChanged {
            from: None,
            to: Some(format!("pd-{n}")),
        })
    }

    /// The next chunk the stream writes, as text; `None` when it writes nothing within 200 ms.
    async fn next_chunk(body: &mut axum::body::Body) -> Option<String> {
        let frame = tokio::time::timeout(Duration::from_millis(200), body.frame())
            .await
            .ok()??
            .ok()?;
        Some(String::from_utf8(frame.into_data().ok()?.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_stream_that_falls_behind_gets_a_resync_and_then_only_newer_events() {
        let hub = EventHub::new(HubSettings {
            max_subscribers: 10,
            heartbeat: Duration::from_secs(60),
            checks_every: 1,
            idle_grace: Duration::from_secs(10),
        });
        // A stream may fall 4 events behind.
        let log = Arc::new(ClusterEvents::new("c", 100, 100, 1 << 20, 4));
        let subscription = hub.subscribe(&log, LastEventId::Absent).unwrap();
        let types = Some(vec![EventType::LeaderChanged]);
        let response = Sse::new(stream(
            subscription,
            types,
            Duration::from_secs(60),
            std::future::pending(),
        ))
        .into_response();
        let mut body = response.into_body();
        assert_eq!(next_chunk(&mut body).await.unwrap(), "retry: 3000\n\n");
        // Ten events while the client reads nothing (the run took 101: they are 102 to 111).
        log.publish(jiff::Timestamp::now(), (0..10).map(leader).collect());
        let resync = next_chunk(&mut body).await.unwrap();
        assert!(
            resync.starts_with("id: 111\nevent: resync\ndata: {\"id\":\"111\",\"type\":\"resync\""),
            "{resync}"
        );
        // What the channel still held of the ten is skipped: the resync covers it.
        assert_eq!(next_chunk(&mut body).await, None);
        log.publish(jiff::Timestamp::now(), vec![leader(11)]);
        let next = next_chunk(&mut body).await.unwrap();
        assert!(
            next.starts_with("id: 112\nevent: leader_changed\n"),
            "{next}"
        );
    }

    #[test]
    fn types_parse_lists_and_name_bad_values() {
        assert_eq!(
            parse_types("store_state_changed, resync,store_state_changed").unwrap(),
            [EventType::StoreStateChanged, EventType::Resync]
        );
        for bad in ["", ",", "store_state", "Resync", "resync,nope"] {
            match parse_types(bad) {
                Err(ApiError::BadParameter { parameter, .. }) => assert_eq!(parameter, "types"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn last_event_ids_are_ours_or_unknown() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("last-event-id", value.parse().unwrap());
            last_event_id(&headers)
        };
        assert_eq!(last_event_id(&HeaderMap::new()), LastEventId::Absent);
        assert_eq!(with(""), LastEventId::Absent);
        assert_eq!(
            with("1795737600000042"),
            LastEventId::Seq(1_795_737_600_000_042)
        );
        assert_eq!(with("abc"), LastEventId::Unreadable);
        assert_eq!(with("-1"), LastEventId::Unreadable);
        assert_eq!(with("99999999999999999999"), LastEventId::Unreadable);
    }
}
