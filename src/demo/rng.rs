//! The demo's source of randomness: ChaCha20 from a seed, one stream per patient, so a
//! patient's content depends only on the seed and its position, never on the clock or on
//! how many other patients were made.

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

pub struct Rng(ChaCha20Rng);

impl Rng {
    /// `ChaCha20Rng::seed_from_u64(seed)` on its own stream.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut r = ChaCha20Rng::seed_from_u64(seed);
        r.set_stream(stream);
        Rng(r)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.0.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in lo..=hi.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Normal(mean, sd), Box-Muller.
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Exponential with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One item, with probability proportional to its weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }

    /// `n` decimal digits.
    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    /// `n` upper-case letters.
    pub fn letters(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'A' + self.below(26) as u8))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_repeat_and_differ() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(1, 5).below(1000) as u64).collect();
        let mut r = Rng::new(1, 5);
        let first = r.below(1000) as u64;
        assert_eq!(a[0], first);
        let mut x = Rng::new(1, 5);
        let mut y = Rng::new(1, 6);
        let xs: Vec<usize> = (0..8).map(|_| x.below(1 << 30)).collect();
        let ys: Vec<usize> = (0..8).map(|_| y.below(1 << 30)).collect();
        assert_ne!(xs, ys);
    }

    #[test]
    fn ranges_hold() {
        let mut r = Rng::new(3, 0);
        for _ in 0..10_000 {
            let i = r.int(-2, 3);
            assert!((-2..=3).contains(&i));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        let mean: f64 = (0..20_000).map(|_| r.normal(10.0, 2.0)).sum::<f64>() / 20_000.0;
        assert!((mean - 10.0).abs() < 0.1, "{mean}");
    }
}
