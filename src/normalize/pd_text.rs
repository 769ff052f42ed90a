//! Small PD value formats of its configuration endpoints: booleans Go writes as strings (a
//! `json:",string"` tag: `"true"`, `"false"`), label lists joined by commas (`typeutil.StringSlice`:
//! `"zone,rack,host"`, `""` for none), and Unix-second expiry times where `int64` max means never.

use jiff::Timestamp;
use thiserror::Error;

/// A value PD sent that is not of its documented format.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PdTextError {
    /// Not `"true"` or `"false"` (nor a JSON boolean).
    #[error("{input:?} is not a boolean (PD writes \"true\" or \"false\")")]
    NotABoolean { input: String },
}

/// A boolean PD writes as a string (`"true"`/`"false"`), as Go's `,string` option does. Go reads
/// these back with `strconv.ParseBool`, which also takes `1`, `t`, `T`, `TRUE`, `True`, `0`, `f`,
/// `F`, `FALSE` and `False`; so does this.
///
/// # Errors
///
/// [`PdTextError::NotABoolean`] for anything else.
pub fn parse_string_bool(input: &str) -> Result<bool, PdTextError> {
    match input {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(PdTextError::NotABoolean {
            input: input.to_owned(),
        }),
    }
}

/// A comma-joined list (`typeutil.StringSlice`: `"zone,host"`); `""` is the empty list, as PD
/// reads it back. Items are kept as written (PD does not trim them).
#[must_use]
pub fn parse_comma_list(input: &str) -> Vec<String> {
    if input.is_empty() {
        Vec::new()
    } else {
        input.split(',').map(str::to_owned).collect()
    }
}

/// An expiry in Unix seconds where `i64::MAX` means "never" (PD's `gc_worker` service safe point,
/// `math.MaxInt64`): `None` for never, and for values outside [`Timestamp`]'s range (years
/// beyond 9999, which can only mean "practically never").
#[must_use]
pub fn expiry_from_unix_seconds(seconds: i64) -> Option<Timestamp> {
    if seconds == i64::MAX {
        return None;
    }
    Timestamp::from_second(seconds).ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn string_booleans_read_as_go_reads_them() {
        assert_eq!(parse_string_bool("true"), Ok(true));
        assert_eq!(parse_string_bool("false"), Ok(false));
        assert_eq!(parse_string_bool("T"), Ok(true));
        for bad in ["", "yes", "no", " true", "true ", "tRUE", "2"] {
            assert!(parse_string_bool(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn comma_lists_read_as_pd_reads_them() {
        assert_eq!(parse_comma_list(""), Vec::<String>::new());
        assert_eq!(parse_comma_list("zone"), ["zone"]);
        assert_eq!(parse_comma_list("zone,rack,host"), ["zone", "rack", "host"]);
        // PD keeps what it was given: an empty item stays an empty item.
        assert_eq!(parse_comma_list("zone,,host"), ["zone", "", "host"]);
    }

    #[test]
    fn max_int64_expiry_is_never() {
        assert_eq!(expiry_from_unix_seconds(i64::MAX), None);
        assert_eq!(
            expiry_from_unix_seconds(1_741_594_822).unwrap().to_string(),
            "2025-03-10T08:20:22Z"
        );
        assert_eq!(expiry_from_unix_seconds(i64::MAX - 1), None);
    }

    proptest! {
        #[test]
        fn a_joined_list_splits_back(items in proptest::collection::vec("[a-z0-9_.-]{1,12}", 0..6)) {
            // What PD's StringSlice writes is strings.Join(items, ","): it reads back whole.
            let joined = items.join(",");
            prop_assert_eq!(parse_comma_list(&joined), items);
        }

        #[test]
        fn any_text_is_safe(text in "\\PC{0,40}") {
            let list = parse_comma_list(&text);
            prop_assert_eq!(list.join(","), text.clone());
            let _ = parse_string_bool(&text);
        }

        #[test]
        fn go_bool_strings_round_trip(value in any::<bool>()) {
            prop_assert_eq!(parse_string_bool(&value.to_string()), Ok(value));
        }

        #[test]
        fn any_expiry_is_safe(seconds in any::<i64>()) {
            if let Some(at) = expiry_from_unix_seconds(seconds) {
                prop_assert_eq!(at.as_second(), seconds);
            }
        }
    }
}
