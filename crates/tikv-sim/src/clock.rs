//! Where the simulated PD's "now" comes from.

use jiff::Timestamp;

/// The simulated PD's clock: the system clock for the demo, a fixed instant for tests (every
/// answer is then a pure function of the configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    System,
    Fixed(Timestamp),
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        match self {
            Self::System => Timestamp::now(),
            Self::Fixed(at) => *at,
        }
    }
}
