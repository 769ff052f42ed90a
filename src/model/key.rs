use serde::Serialize;
use utoipa::ToSchema;

/// What a region boundary key is to TiDB: `table_prefix` is `t{table_id}` alone, the start of a
/// table's data; `row` is a row key `t{table_id}_r…`; `index` is an index key
/// `t{table_id}_i…`; `meta` is a TiDB meta key (`m…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    TablePrefix,
    Row,
    Index,
    Meta,
}

/// What a region boundary key means to TiDB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = super::examples::decoded_key)]
pub struct DecodedKey {
    /// What the key is: the start of a table's data (`table_prefix`), a row (`row`), an index
    /// entry (`index`) or TiDB metadata (`meta`).
    pub kind: KeyKind,
    /// The physical table id the key belongs to (a partition's own id for partitioned tables), or
    /// `null` for meta keys.
    pub table_id: Option<i64>,
    /// The row's integer handle (the integer primary key or `_tidb_rowid`) as a decimal string
    /// (AUTO_RANDOM and sharded handles exceed 2^53), when the part after `_r` is exactly 8
    /// bytes; `null` otherwise (other kinds, a common handle, the bare row prefix
    /// `t{table_id}_r`, or a handle cut short).
    #[serde(serialize_with = "decimal_string")]
    #[schema(value_type = Option<String>, pattern = "^-?[0-9]{1,19}$", example = "969201539")]
    pub row_handle: Option<i64>,
    /// For rows of tables clustered on a non-integer primary key: the encoded primary key after
    /// `_r`, as uppercase hex (TiDB's key encoding of the column values, not decoded further), or
    /// `null`.
    pub common_handle_hex: Option<String>,
    /// The index id for index keys, or `null` (other kinds, the bare index prefix
    /// `t{table_id}_i`, or an index id cut short).
    pub index_id: Option<i64>,
    /// For index keys: the encoded index column values after the index id (for non-unique
    /// indexes followed by the row's handle), as uppercase hex, or `null` when the key ends at
    /// the index id (the start of that index).
    pub index_values_hex: Option<String>,
    /// The API v2 keyspace id (`x` + 3 bytes) the key is in, or `null` when the key has no
    /// keyspace prefix.
    pub keyspace_id: Option<u32>,
    /// `true` when the key is cut short: it ends inside an 8-byte encoding group or without the
    /// final group, or inside a field (a row handle or index id shorter than 8 bytes, or `_`
    /// without `r` or `i`). The other fields then describe only the part that is present.
    pub truncated: bool,
}

fn decimal_string<S: serde::Serializer>(
    value: &Option<i64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => serializer.collect_str(v),
        None => serializer.serialize_none(),
    }
}
