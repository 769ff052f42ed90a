//! PD timestamps (TSOs): `physical_ms << 18 | logical`, a u64 that PD sends as a JSON number
//! (above 2^53, so never a float). GC safe points, service safe points and resolved timestamps
//! are TSOs; their physical part is a Unix time in milliseconds.

use jiff::Timestamp;

/// Bits of the logical counter below the physical milliseconds.
pub const LOGICAL_BITS: u32 = 18;

/// The physical part of a TSO: Unix milliseconds.
#[must_use]
pub fn physical_ms(tso: u64) -> u64 {
    tso >> LOGICAL_BITS
}

/// The logical counter of a TSO (0 to 2^18 − 1): orders timestamps within one millisecond.
#[must_use]
pub fn logical(tso: u64) -> u64 {
    tso & ((1 << LOGICAL_BITS) - 1)
}

/// A TSO from its parts; `logical` is masked to its 18 bits.
#[must_use]
pub fn compose(physical_ms: u64, logical: u64) -> u64 {
    (physical_ms << LOGICAL_BITS) | (logical & ((1 << LOGICAL_BITS) - 1))
}

/// When a TSO was taken: its physical part as an instant. `None` for 0 (PD's "not set") and for
/// `u64::MAX` (PD's "unknown", e.g. the resolved timestamp of a store without leaders). Every
/// other TSO has a time: 2^46 milliseconds is in the year 4200.
#[must_use]
pub fn tso_time(tso: u64) -> Option<Timestamp> {
    if tso == 0 || tso == u64::MAX {
        return None;
    }
    let ms = i64::try_from(physical_ms(tso)).ok()?;
    Timestamp::from_millisecond(ms).ok()
}

/// Seconds from `earlier` to `now` (negative when `earlier` is in the future: clocks differ).
#[must_use]
pub fn seconds_between(earlier: Timestamp, now: Timestamp) -> f64 {
    let nanos = now.as_nanosecond() - earlier.as_nanosecond();
    // Instants within jiff's range differ by less than 2^68 ns; f64 keeps 15 digits of it.
    #[allow(clippy::cast_precision_loss)]
    let seconds = nanos as f64 / 1e9;
    seconds
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_real_tso_reads() {
        // 2025-03-10T08:15:22.795Z, logical 3.
        let tso = (1_741_594_522_795u64 << 18) | 3;
        assert_eq!(tso, 456_548_554_583_572_483);
        assert_eq!(physical_ms(tso), 1_741_594_522_795);
        assert_eq!(logical(tso), 3);
        assert_eq!(
            tso_time(tso).unwrap().to_string(),
            "2025-03-10T08:15:22.795Z"
        );
    }

    #[test]
    fn sentinels_are_unknown() {
        assert_eq!(tso_time(0), None);
        assert_eq!(tso_time(u64::MAX), None);
        // Every other u64 has a time: 2^46 ms is in the year 4200, within jiff's range.
        assert!(tso_time(u64::MAX - 1).is_some());
    }

    proptest! {
        #[test]
        fn parts_round_trip(physical in 0u64..(1 << 46), logical_part in 0u64..(1 << 18)) {
            let tso = compose(physical, logical_part);
            prop_assert_eq!(physical_ms(tso), physical);
            prop_assert_eq!(logical(tso), logical_part);
        }

        #[test]
        fn time_is_the_physical_part(physical in 1u64..(1 << 46), logical_part in 0u64..(1 << 18)) {
            let at = tso_time(compose(physical, logical_part)).unwrap();
            prop_assert_eq!(at.as_millisecond(), physical as i64);
        }

        #[test]
        fn any_u64_is_safe(tso in any::<u64>()) {
            // Never panics; the time, when there is one, is within jiff's range.
            if let Some(at) = tso_time(tso) {
                prop_assert!(at.as_millisecond() >= 0);
            }
        }

        #[test]
        fn later_tsos_are_never_earlier(a in 1u64..(1 << 60), b in 1u64..(1 << 60)) {
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(tso_time(lo) <= tso_time(hi));
        }
    }
}
