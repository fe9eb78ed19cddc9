//! The seeded generator.

use std::time::{SystemTime, UNIX_EPOCH};

/// splitmix64: small, seedable, and the same sequence on every machine.
///
/// The sequence is fixed: the end-to-end tests print their seed, and a seed from an old log
/// must replay the same run; the benchmark's cluster must stay the one its figures describe.
/// Every draw is one [`Rng::next_u64`], so [`Rng::below`], [`Rng::chance`] and
/// [`Rng::pick`] consume the sequence alike.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` but for a modulo bias that is irrelevant at test sizes; `0` when
    /// `n` is `0`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One of `items`, which must not be empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One to `max` picks from `items`, repeats kept.
    pub fn several(&mut self, items: &[&str], max: usize) -> Vec<String> {
        let n = 1 + self.below(max);
        (0..n).map(|_| (*self.pick(items)).to_owned()).collect()
    }

    /// The same picks as [`Rng::several`], each kept once, in the order first drawn.
    pub fn several_distinct(&mut self, items: &[&str], max: usize) -> Vec<String> {
        let mut out = self.several(items, max);
        let mut i = 0;
        while i < out.len() {
            if out[..i].contains(&out[i]) {
                out.remove(i);
            } else {
                i += 1;
            }
        }
        out
    }
}

/// The seed in the environment variable `var`, else (unset or empty) one from the clock.
/// Print it: it is what replays the run.
///
/// # Panics
/// When `var` holds something other than a `u64`, rather than silently running another seed.
pub fn seed_from_env(var: &str) -> u64 {
    match std::env::var(var) {
        Ok(s) if !s.trim().is_empty() => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{var}={s:?} is not a seed (a u64)")),
        _ => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published splitmix64 outputs for seed 0: seeds printed by earlier runs replay.
    #[test]
    fn sequence_is_splitmix64() {
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(rng.next_u64(), 0x06c4_5d18_8009_454f);
    }

    #[test]
    fn every_helper_draws_like_below() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        for _ in 0..1000 {
            let x = a.below(100);
            assert_eq!(b.chance(37), x < 37);
        }
        let items = ["a", "b", "c"];
        for _ in 0..100 {
            let i = a.below(items.len());
            assert_eq!(b.pick(&items), &items[i]);
        }
    }

    #[test]
    fn several_distinct_draws_as_several_and_drops_repeats() {
        let items = ["a", "b", "c"];
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..200 {
            let mut all = a.several(&items, 4);
            let distinct = b.several_distinct(&items, 4);
            let mut seen = Vec::new();
            all.retain(|x| {
                let first = !seen.contains(x);
                seen.push(x.clone());
                first
            });
            assert_eq!(all, distinct);
        }
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn below_zero_is_zero() {
        assert_eq!(Rng::new(1).below(0), 0);
    }
}
