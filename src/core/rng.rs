//! Injected randomness. The core never reaches for a global random source:
//! callers pass an [`Rng`], so tests can fix the sequence.

/// The little the core needs from a random number generator.
pub trait Rng {
    fn next_u64(&mut self) -> u64;

    /// A value in `0..n`; `n` must be non-zero.
    fn below(&mut self, n: usize) -> usize {
        // Modulo bias is irrelevant for picking cards and speaking orders.
        (self.next_u64() % n as u64) as usize
    }

    /// Shuffles in place (Fisher–Yates).
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// SplitMix64: small, fast, and good enough for choosing prompts.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
}

impl Rng for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
