//! Where the simulated PD's "now" comes from.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::Timestamp;

/// The simulated PD's clock: the system clock for the demo, a fixed instant for tests (every
/// answer is then a pure function of the configuration), or an instant a test moves while the
/// simulator serves (to drive a store from up to down, an operator through its life).
#[derive(Clone, Debug)]
pub enum Clock {
    System,
    Fixed(Timestamp),
    /// Unix nanoseconds, shared with whoever moves them ([`Clock::set`]); every clone reads the
    /// same instant.
    Shared(Arc<AtomicI64>),
}

impl PartialEq for Clock {
    /// Two shared clocks are equal when they are the same clock, not when they read alike.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::System, Self::System) => true,
            (Self::Fixed(a), Self::Fixed(b)) => a == b,
            (Self::Shared(a), Self::Shared(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Clock {}

impl Clock {
    /// A clock standing at `at` until [`Clock::set`] moves it.
    pub fn shared(at: Timestamp) -> Self {
        Self::Shared(Arc::new(AtomicI64::new(nanos(at))))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Self::System => Timestamp::now(),
            Self::Fixed(at) => *at,
            Self::Shared(at) => Timestamp::from_nanosecond(i128::from(at.load(Ordering::SeqCst)))
                .unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }

    /// Moves a shared clock (and every clone of it) to `at`; `false` (nothing moves) for the
    /// system and fixed clocks.
    pub fn set(&self, at: Timestamp) -> bool {
        match self {
            Self::Shared(now) => {
                now.store(nanos(at), Ordering::SeqCst);
                true
            }
            Self::System | Self::Fixed(_) => false,
        }
    }
}

/// Unix nanoseconds of `at`, saturated to what an `i64` holds (years 1677 to 2262).
fn nanos(at: Timestamp) -> i64 {
    i64::try_from(at.as_nanosecond()).unwrap_or(if at.as_nanosecond() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_clock_moves_for_every_clone() {
        let t0 = Timestamp::constant(1_795_737_600, 0);
        let clock = Clock::shared(t0);
        let clone = clock.clone();
        assert_eq!(clone.now(), t0);
        let t1 = Timestamp::constant(1_795_737_735, 500_000_000);
        assert!(clock.set(t1));
        assert_eq!(clone.now(), t1);
        assert!(!Clock::Fixed(t0).set(t1));
        assert_eq!(Clock::Fixed(t0).now(), t0);
        assert_ne!(
            clock,
            Clock::shared(t1),
            "another clock, though it reads alike"
        );
    }
}
