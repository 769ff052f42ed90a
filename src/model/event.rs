//! Live updates: the events of `GET /api/v1/clusters/{cluster}/events` (Server-Sent Events).
//!
//! Each SSE message carries one [`Event`] as its `data`: the common fields (`id`, `type`,
//! `cluster`, `at`) followed by the fields of its type. The OpenAPI document describes the data
//! as a `oneOf` discriminated by `type`, one component schema per type (`StoreStateChangedEvent`
//! and so on); [`Event`]'s schema is written here by hand from the payloads' derived ones, so
//! the common fields are described once.
//!
//! Store and region ids are decimal strings, as in every answer of the API, so that an event
//! joins to `/stores` and `/operators` without conversion.

use std::borrow::Cow;

use jiff::Timestamp;
use serde::{Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    Discriminator, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::{PartialSchema, ToSchema};

use super::{Blocker, CheckStatus, OperatorKind, PdId, ProgressAction, StoreState, WarningSource};

/// The type of an event (the SSE `event` field and the data's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// A store appeared, changed state or disappeared.
    StoreStateChanged,
    /// A health check's status changed.
    CheckStatusChanged,
    /// An operator PD runs appeared.
    OperatorStarted,
    /// An operator is no longer in flight.
    OperatorFinished,
    /// A store being removed or added moved on.
    ScaleInProgress,
    /// The PD leader changed.
    LeaderChanged,
    /// Reading an upstream started failing, or recovered.
    UpstreamStatus,
    /// Events were lost: refetch everything.
    Resync,
}

impl EventType {
    /// Every type, in the order the document lists them.
    pub const ALL: [EventType; 8] = [
        EventType::StoreStateChanged,
        EventType::CheckStatusChanged,
        EventType::OperatorStarted,
        EventType::OperatorFinished,
        EventType::ScaleInProgress,
        EventType::LeaderChanged,
        EventType::UpstreamStatus,
        EventType::Resync,
    ];

    /// The type's name: the SSE `event` field, the data's `type`, and what `?types=` takes.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::StoreStateChanged => "store_state_changed",
            EventType::CheckStatusChanged => "check_status_changed",
            EventType::OperatorStarted => "operator_started",
            EventType::OperatorFinished => "operator_finished",
            EventType::ScaleInProgress => "scale_in_progress",
            EventType::LeaderChanged => "leader_changed",
            EventType::UpstreamStatus => "upstream_status",
            EventType::Resync => "resync",
        }
    }

    /// The type named `name` exactly, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The component schema of this type's events.
    fn schema_name(self) -> &'static str {
        match self {
            EventType::StoreStateChanged => "StoreStateChangedEvent",
            EventType::CheckStatusChanged => "CheckStatusChangedEvent",
            EventType::OperatorStarted => "OperatorStartedEvent",
            EventType::OperatorFinished => "OperatorFinishedEvent",
            EventType::ScaleInProgress => "ScaleInProgressEvent",
            EventType::LeaderChanged => "LeaderChangedEvent",
            EventType::UpstreamStatus => "UpstreamStatusEvent",
            EventType::Resync => "ResyncEvent",
        }
    }
}

/// A store appeared (`from: null`), changed state, or disappeared from PD's store list (`to:
/// null`; PD drops a tombstone when told to).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoreStateChanged {
    /// The store id, a decimal string as everywhere in this API.
    pub store_id: PdId,
    /// The address TiKV serves gRPC on (`host:port`).
    pub address: String,
    /// The state in the previous poll, or `null` when the store is new.
    pub from: Option<StoreState>,
    /// The state now, or `null` when the store is no longer listed.
    pub to: Option<StoreState>,
}

/// A health check (as `/checks` lists them) changed status.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CheckStatusChanged {
    /// The check's id, e.g. `store-down`.
    pub check_id: String,
    /// The status at the previous evaluation, or `null` when the check is new.
    pub from: Option<CheckStatus>,
    /// The status now.
    pub to: CheckStatus,
    /// The check's one-line summary now.
    pub summary: String,
}

/// An operator in PD's `/operators` that the previous poll did not list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OperatorStarted {
    /// The region it changes (a decimal string), or `null` when PD's text of it is not in a
    /// layout this API knows.
    pub region_id: Option<PdId>,
    /// What it does (PD's operator kind flags), e.g. `["leader"]`, `["replica", "region"]`.
    pub kind: Vec<OperatorKind>,
    /// Who made it and why (`balance-leader`, `replace-offline-replica`).
    pub description: String,
    /// PD's short summary of the change (`mv peer: store [1] to [4]`).
    pub brief: String,
}

/// An operator the previous poll listed and this one does not. PD does not say how it ended:
/// it may have succeeded, timed out or been cancelled.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OperatorFinished {
    /// The region it changed (a decimal string), or `null` as for `operator_started`.
    pub region_id: Option<PdId>,
    /// What it did (PD's operator kind flags).
    pub kind: Vec<OperatorKind>,
    /// Who made it and why.
    pub description: String,
}

/// A store being removed or added, as `/stores/{store_id}/progress` reports it: sent when its
/// action changes (`null` once it is done), when its progress moved by 0.01 or more, or when
/// its blockers changed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ScaleInProgress {
    /// The store id, a decimal string as everywhere in this API.
    pub store_id: PdId,
    /// `removing` (its regions move away), `preparing` (regions move onto it before it
    /// serves), or `null` (neither any more: done, or stopped).
    pub action: Option<ProgressAction>,
    /// How far along, from 0 to 1 (as the progress endpoint's `progress`); `null` when unknown
    /// or when nothing is happening.
    pub progress: Option<f64>,
    /// Seconds until done at the current speed; `null` when unknown.
    pub eta_seconds: Option<f64>,
    /// Regions with a peer still on the store; `null` when unknown.
    pub regions_left: Option<u64>,
    /// Why the action cannot finish, as the progress endpoint's `blockers`; empty when nothing
    /// is in the way.
    pub blockers: Vec<Blocker>,
}

/// The PD leader changed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LeaderChanged {
    /// The previous leader's member name, or `null` when there was none (an election).
    pub from: Option<String>,
    /// The new leader's member name, or `null` while none is elected.
    pub to: Option<String>,
}

/// Reading an upstream started failing (`ok: false`) or works again (`ok: true`). PD is read
/// at every poll; Prometheus when the checks are evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UpstreamStatus {
    /// Which upstream: `pd` or `prometheus`.
    pub upstream: WarningSource,
    /// Whether its poll succeeded.
    pub ok: bool,
    /// Why it failed, or `null` when it is ok.
    pub detail: Option<String>,
}

/// What an event says, by type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EventPayload {
    StoreStateChanged(StoreStateChanged),
    CheckStatusChanged(CheckStatusChanged),
    OperatorStarted(OperatorStarted),
    OperatorFinished(OperatorFinished),
    ScaleInProgress(ScaleInProgress),
    LeaderChanged(LeaderChanged),
    UpstreamStatus(UpstreamStatus),
    /// Nothing beyond the common fields.
    Resync,
}

impl EventPayload {
    #[must_use]
    pub fn kind(&self) -> EventType {
        match self {
            EventPayload::StoreStateChanged(_) => EventType::StoreStateChanged,
            EventPayload::CheckStatusChanged(_) => EventType::CheckStatusChanged,
            EventPayload::OperatorStarted(_) => EventType::OperatorStarted,
            EventPayload::OperatorFinished(_) => EventType::OperatorFinished,
            EventPayload::ScaleInProgress(_) => EventType::ScaleInProgress,
            EventPayload::LeaderChanged(_) => EventType::LeaderChanged,
            EventPayload::UpstreamStatus(_) => EventType::UpstreamStatus,
            EventPayload::Resync => EventType::Resync,
        }
    }
}

/// One event: the `data` of an SSE message, one line of JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event's sequence number in its cluster (the SSE `id`).
    pub seq: u64,
    /// The cluster's configured name.
    pub cluster: String,
    /// When the poll that observed the change ran.
    pub at: Timestamp,
    pub payload: EventPayload,
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The order of the keys on the wire: the common fields, then the type's own.
        #[derive(Serialize)]
        struct Wire<'a> {
            id: String,
            #[serde(rename = "type")]
            kind: &'static str,
            cluster: &'a str,
            at: Timestamp,
            #[serde(flatten)]
            payload: &'a EventPayload,
        }
        Wire {
            id: self.seq.to_string(),
            kind: self.payload.kind().as_str(),
            cluster: &self.cluster,
            at: self.at,
            payload: &self.payload,
        }
        .serialize(serializer)
    }
}

/// What each type means, for its component schema.
fn type_description(kind: EventType) -> &'static str {
    match kind {
        EventType::StoreStateChanged => {
            "`store_state_changed`: a store appeared (`from: null`), changed state, or is no \
             longer listed by PD (`to: null`)."
        }
        EventType::CheckStatusChanged => {
            "`check_status_changed`: a health check of `/checks` changed status. The checks are \
             evaluated at a slower cadence than the other polls (every `--events-checks-every` \
             polls)."
        }
        EventType::OperatorStarted => {
            "`operator_started`: an operator in flight in PD's `/operators` that the previous \
             poll did not list."
        }
        EventType::OperatorFinished => {
            "`operator_finished`: an operator the previous poll listed that is no longer in \
             flight. PD does not tell whether it succeeded, timed out or was cancelled; an \
             operator that starts and ends between two polls is never seen."
        }
        EventType::ScaleInProgress => {
            "`scale_in_progress`: a store being removed or added, sent when its action changes \
             (`action: null` once done), when `progress` moved by 0.01 or more since the last \
             event about it, or when its blockers changed."
        }
        EventType::LeaderChanged => "`leader_changed`: the PD leader changed.",
        EventType::UpstreamStatus => {
            "`upstream_status`: polling an upstream started failing (`ok: false`, with why in \
             `detail`) or recovered (`ok: true`). A PD read served from the last good answer \
             (the stale window) counts as failing."
        }
        EventType::Resync => {
            "`resync`: events this client should have seen are gone (its `Last-Event-ID` is \
             unknown or older than the retained events, the poller was stopped in between, or \
             the client read too slowly and fell behind): refetch everything, then apply the \
             events that follow. Sent whatever `types` asks for."
        }
    }
}

/// The common fields every event starts with.
fn common_properties(kind: EventType) -> Vec<(&'static str, RefOr<Schema>)> {
    let string = |description: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(description))
    };
    vec![
        (
            "id",
            string(
                "The event's sequence number in its cluster as a decimal string, the same as the \
                 SSE `id`: it increases with every event of the cluster (gaps are allowed); send \
                 the last one seen as `Last-Event-ID` to resume.",
            )
            .pattern(Some("^[0-9]{1,20}$"))
            .examples(["1795737600000042"])
            .into(),
        ),
        (
            "type",
            string("The event's type, the same as the SSE `event` field.")
                .enum_values(Some([kind.as_str()]))
                .into(),
        ),
        ("cluster", string("The cluster's configured name.").into()),
        (
            "at",
            string(
                "When tikv-lens observed the change (RFC 3339 UTC): when the poll that saw it \
                 ran. Its reads go through tikv-lens' cache, so the upstream data may be up to its \
                 TTL older (2 s for stores and operators by default, 30 s for region health). \
                 Never earlier than the `at` of an event with a lower `id`.",
            )
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .into(),
        ),
    ]
}

/// The component schema of one type's events: the common fields, then `payload`'s properties.
fn event_schema(kind: EventType, payload: Option<RefOr<Schema>>) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new().description(Some(type_description(kind)));
    for (name, schema) in common_properties(kind) {
        object = object.property(name, schema);
    }
    if let Some(RefOr::T(Schema::Object(payload))) = payload {
        for (name, schema) in payload.properties {
            object = object.property(name, schema);
        }
    }
    object.into()
}

type Schemas = Vec<(String, RefOr<Schema>)>;

/// The payload schema of each type (its derived object), and the schemas it references.
fn payload_schema(kind: EventType, referenced: &mut Schemas) -> Option<RefOr<Schema>> {
    fn of<T: ToSchema>(referenced: &mut Schemas) -> Option<RefOr<Schema>> {
        T::schemas(referenced);
        Some(T::schema())
    }
    match kind {
        EventType::StoreStateChanged => of::<StoreStateChanged>(referenced),
        EventType::CheckStatusChanged => of::<CheckStatusChanged>(referenced),
        EventType::OperatorStarted => of::<OperatorStarted>(referenced),
        EventType::OperatorFinished => of::<OperatorFinished>(referenced),
        EventType::ScaleInProgress => of::<ScaleInProgress>(referenced),
        EventType::LeaderChanged => of::<LeaderChanged>(referenced),
        EventType::UpstreamStatus => of::<UpstreamStatus>(referenced),
        EventType::Resync => None,
    }
}

impl PartialSchema for Event {
    fn schema() -> RefOr<Schema> {
        let mut discriminator = Discriminator::new("type");
        let mut one_of = OneOfBuilder::new().description(Some(
            "The `data` of one SSE message: one line of JSON with `id`, `type`, `cluster` and \
             `at`, then the fields of its `type`.",
        ));
        for kind in EventType::ALL {
            let reference = format!("#/components/schemas/{}", kind.schema_name());
            discriminator
                .mapping
                .insert(kind.as_str().to_owned(), reference.clone());
            one_of = one_of.item(utoipa::openapi::Ref::new(reference));
        }
        one_of.discriminator(Some(discriminator)).into()
    }
}

impl ToSchema for Event {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Event")
    }

    fn schemas(schemas: &mut Schemas) {
        for kind in EventType::ALL {
            let payload = payload_schema(kind, schemas);
            schemas.push((kind.schema_name().to_owned(), event_schema(kind, payload)));
        }
        schemas.push((EventType::name().into_owned(), EventType::schema()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(payload: EventPayload) -> serde_json::Value {
        serde_json::to_value(Event {
            seq: 42,
            cluster: "east".into(),
            at: Timestamp::constant(1_795_737_600, 0),
            payload,
        })
        .unwrap()
    }

    #[test]
    fn events_serialize_the_common_fields_then_their_own() {
        let text = serde_json::to_string(&Event {
            seq: 7,
            cluster: "c".into(),
            at: Timestamp::constant(1_795_737_600, 0),
            payload: EventPayload::StoreStateChanged(StoreStateChanged {
                store_id: PdId(4),
                address: "tikv-1:20160".into(),
                from: Some(StoreState::Up),
                to: None,
            }),
        })
        .unwrap();
        assert_eq!(
            text,
            r#"{"id":"7","type":"store_state_changed","cluster":"c","at":"2026-11-27T00:00:00Z","store_id":"4","address":"tikv-1:20160","from":"up","to":null}"#
        );
        assert_eq!(
            event(EventPayload::Resync),
            serde_json::json!({"id": "42", "type": "resync", "cluster": "east", "at": "2026-11-27T00:00:00Z"})
        );
        let up = event(EventPayload::UpstreamStatus(UpstreamStatus {
            upstream: WarningSource::Prometheus,
            ok: false,
            detail: Some("refused".into()),
        }));
        assert_eq!(up["upstream"], "prometheus");
        assert_eq!(up["type"], "upstream_status");
    }

    #[test]
    fn type_names_round_trip_and_match_serde() {
        for kind in EventType::ALL {
            assert_eq!(EventType::from_name(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.as_str())
            );
        }
        assert_eq!(EventType::from_name("Resync"), None);
    }

    #[test]
    fn the_schema_is_a_union_discriminated_by_type() {
        let mut schemas = Vec::new();
        Event::schemas(&mut schemas);
        let names: Vec<&str> = schemas.iter().map(|(n, _)| n.as_str()).collect();
        for kind in EventType::ALL {
            assert!(names.contains(&kind.schema_name()), "{names:?}");
        }
        let union = serde_json::to_value(Event::schema()).unwrap();
        assert_eq!(union["discriminator"]["propertyName"], "type");
        assert_eq!(
            union["oneOf"].as_array().unwrap().len(),
            EventType::ALL.len()
        );
        let (_, store) = schemas
            .iter()
            .find(|(n, _)| n == "StoreStateChangedEvent")
            .unwrap();
        let RefOr::T(Schema::Object(object)) = store else {
            panic!("StoreStateChangedEvent is not an object");
        };
        let keys: Vec<&str> = object.properties.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "id", "type", "cluster", "at", "store_id", "address", "from", "to"
            ]
        );
        let store = serde_json::to_value(store).unwrap();
        assert_eq!(
            store["properties"]["type"]["enum"],
            serde_json::json!(["store_state_changed"])
        );
    }
}
