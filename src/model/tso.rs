use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A PD timestamp (TSO): `physical_ms << 18 | logical`, served as a decimal string because it
/// exceeds 2^53. Answers carry its time beside it (`…_at`, the physical part).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tso(pub u64);

impl Serialize for Tso {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl fmt::Display for Tso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl utoipa::PartialSchema for Tso {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9]{1,20}$"))
            .description(Some(
                "A PD timestamp (TSO, unsigned 64-bit) as a decimal string: the physical part is \
                 Unix milliseconds shifted left by 18 bits, the low 18 bits a logical counter. It \
                 exceeds 2^53, which JSON numbers in JavaScript cannot hold exactly.",
            ))
            .examples(["456548554583572483"])
            .into()
    }
}

impl utoipa::ToSchema for Tso {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Tso")
    }
}
