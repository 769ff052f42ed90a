//! Deterministic pseudo-randomness: SplitMix64 as a stream generator, and its finalizer as a hash,
//! so any fact about the cluster can be derived from `(seed, what, which)` in O(1) without storing
//! it.

/// SplitMix64's output function: a bijective avalanche mix of 64 bits.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A hash of the seed, a purpose tag and one value.
pub(crate) fn hash(seed: u64, salt: u64, value: u64) -> u64 {
    mix(mix(seed ^ salt.wrapping_mul(0x2545_f491_4f6c_dd1d)) ^ value)
}

/// A hash of the seed, a purpose tag and two values.
pub(crate) fn hash2(seed: u64, salt: u64, a: u64, b: u64) -> u64 {
    mix(hash(seed, salt, a) ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// 53 random bits as a float in [0, 1).
pub(crate) fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// An integer in `lo..=hi` from random bits.
pub(crate) fn between(bits: u64, lo: u64, hi: u64) -> u64 {
    lo + bits % (hi - lo + 1)
}

/// A SplitMix64 stream, for laying out tables once at start-up.
pub(crate) struct SplitMix {
    state: u64,
}

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn next_unit(&mut self) -> f64 {
        unit(self.next_u64())
    }

    pub(crate) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        between(self.next_u64(), lo, hi)
    }
}
