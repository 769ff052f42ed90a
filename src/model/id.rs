use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A PD id (cluster, member, store, region, peer): a u64 served as a decimal string, because
/// ids exceed 2^53 and JavaScript numbers would corrupt them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PdId(pub u64);

impl Serialize for PdId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl fmt::Display for PdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl utoipa::PartialSchema for PdId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9]{1,20}$"))
            .description(Some(
                "A PD id (unsigned 64-bit) as a decimal string: PD ids exceed 2^53, which JSON numbers \
                 in JavaScript cannot hold exactly.",
            ))
            .examples(["7479384163853613270"])
            .into()
    }
}

impl utoipa::ToSchema for PdId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PdId")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_decimal_string() {
        assert_eq!(
            serde_json::to_string(&PdId(u64::MAX)).unwrap(),
            "\"18446744073709551615\""
        );
        assert_eq!(
            serde_json::to_string(&PdId(12818309996638325969)).unwrap(),
            "\"12818309996638325969\""
        );
    }
}
