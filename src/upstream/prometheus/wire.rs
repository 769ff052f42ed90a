//! Raw Prometheus API bodies. Sample values stay strings (`"42.5"`, `"NaN"`, `"+Inf"`) and
//! timestamps stay float seconds; `crate::normalize::sample` decides what they mean.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The envelope of every `/api/v1` answer, success or error.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    pub status: String,
    #[serde(default)]
    pub data: Option<QueryData>,
    #[serde(default, rename = "errorType")]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Informational annotations (Prometheus 2.46+).
    #[serde(default)]
    pub infos: Vec<String>,
}

/// The `data` of a query answer, by `resultType`.
#[derive(Debug, Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub(crate) enum QueryData {
    Vector(Vec<VectorSample>),
    Matrix(Vec<MatrixSeries>),
    Scalar(SamplePair),
    String(StringPair),
}

/// One element of an instant vector. Native-histogram samples carry `histogram` instead of
/// `value`; they are not float samples, so `value` is optional.
#[derive(Debug, Deserialize)]
pub(crate) struct VectorSample {
    #[serde(default)]
    pub metric: BTreeMap<String, String>,
    #[serde(default)]
    pub value: Option<SamplePair>,
}

/// One series of a range result.
#[derive(Debug, Deserialize)]
pub(crate) struct MatrixSeries {
    #[serde(default)]
    pub metric: BTreeMap<String, String>,
    #[serde(default)]
    pub values: Vec<SamplePair>,
}

/// `[unix_seconds, "value"]`. The value text is short (at most 24 bytes for any float Prometheus
/// prints) and kept inline: a large range answer has hundreds of thousands of them, and one heap
/// allocation each was most of the cost of reading it.
#[derive(Debug, Deserialize)]
pub(crate) struct SamplePair(pub f64, pub compact_str::CompactString);

/// `[unix_seconds, "text"]` of a string result (the time is the evaluation time, already known).
#[derive(Debug, Deserialize)]
pub(crate) struct StringPair(pub serde::de::IgnoredAny, pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_result_type_decodes() {
        let v: Envelope = serde_json::from_str(
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":"a"},"value":[1795744800,"NaN"]}]}}"#,
        )
        .unwrap();
        assert!(
            matches!(v.data, Some(QueryData::Vector(ref s)) if s[0].value.as_ref().unwrap().1 == "NaN")
        );
        let s: Envelope = serde_json::from_str(r#"{"status":"success","data":{"resultType":"scalar","result":[1795744800.25,"+Inf"]}}"#).unwrap();
        assert!(
            matches!(s.data, Some(QueryData::Scalar(SamplePair(t, ref v))) if t == 1795744800.25 && v == "+Inf")
        );
        let e: Envelope = serde_json::from_str(
            r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
        )
        .unwrap();
        assert_eq!(e.error_type.as_deref(), Some("bad_data"));
        assert!(e.data.is_none());
    }
}
