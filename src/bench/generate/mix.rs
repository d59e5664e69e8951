//! Deterministic pseudo-randomness: every "random" figure of a benchmark database is a hash of
//! a row number and a salt, so a (scale, now) pair always builds the same file.
//!
//! Two kinds: [`Draw`], a splitmix64 stream for the Rust-side plan (MS lives, sources), and
//! [`RowHash`], integer-only hashes of a photometry row number that SQLite evaluates in the bulk
//! insert and Rust evaluates identically (SQLite's integers are i64 and overflow to REAL, so the
//! products stay below 2^63: row numbers < 2^31 times 32-bit constants).

/// splitmix64's finaliser: a well-mixed 64-bit hash of `x`.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stream of uniform figures for one entity (an MS, a source), seeded by its number and a salt.
#[derive(Debug, Clone)]
pub struct Draw {
    state: u64,
}

impl Draw {
    pub fn new(n: u64, salt: u64) -> Draw {
        Draw {
            state: splitmix64(n ^ splitmix64(salt)),
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix64(self.state)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [lo, hi).
    pub fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.int(0, items.len() as u64) as usize]
    }

    /// A standard normal deviate (Box–Muller).
    pub fn gaussian(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// 2^32: the row hashes are taken modulo this.
const MOD32: u64 = 1 << 32;
/// Knuth's multiplicative constant and a second odd one for an independent hash.
const K1: u64 = 2_654_435_761;
const K2: u64 = 2_246_822_519;
const C2: u64 = 3_266_489_917;

/// Entries of the normal-deviate table the photometry noise is drawn from.
pub const NOISE_TABLE: usize = 1 << 16;
/// Samples of one period in the sine table variable sources use (SQLite has no `sin`).
pub const WAVE_TABLE: usize = 1024;

/// The hashes of photometry row `p` (0-based), in Rust. [`RowHash::sql`] is the same in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowHash {
    pub h1: u64,
    pub h2: u64,
}

impl RowHash {
    pub fn of(p: u64) -> RowHash {
        RowHash {
            h1: (p * K1) % MOD32,
            h2: (p * K2 + C2) % MOD32,
        }
    }

    /// ~2 % of measurements match no catalogue source.
    pub fn null_source(self) -> bool {
        (self.h1 >> 8).is_multiple_of(50)
    }

    /// ~5 % have no integrated flux (the pipeline falls back to the peak).
    pub fn null_flux(self) -> bool {
        (self.h2 >> 20).is_multiple_of(20)
    }

    /// Index into the noise table.
    pub fn noise_index(self) -> usize {
        (self.h1 >> 16) as usize
    }

    /// The SQL expressions of `h1` and `h2` for the row-number expression `p`.
    pub fn sql(p: &str) -> (String, String) {
        (
            format!("((({p}) * {K1}) % {MOD32})"),
            format!("((({p}) * {K2} + {C2}) % {MOD32})"),
        )
    }

    /// SQL conditions and index expressions matching the methods above, given `h1` and `h2`
    /// column names.
    pub fn null_source_sql(h1: &str) -> String {
        format!("(({h1} >> 8) % 50 = 0)")
    }

    pub fn null_flux_sql(h2: &str) -> String {
        format!("(({h2} >> 20) % 20 = 0)")
    }

    pub fn noise_index_sql(h1: &str) -> String {
        format!("({h1} >> 16)")
    }
}

/// The noise table: standard normal deviates, fixed by `salt`.
pub fn noise_table() -> Vec<f64> {
    let mut d = Draw::new(0, 0x006E_015E);
    (0..NOISE_TABLE).map(|_| d.gaussian()).collect()
}

/// One period of a sine, sampled: `sin(2π k / WAVE_TABLE)`.
pub fn wave_table() -> Vec<f64> {
    (0..WAVE_TABLE)
        .map(|k| (std::f64::consts::TAU * k as f64 / WAVE_TABLE as f64).sin())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_reproducible_and_uniform_enough() {
        let a: Vec<u64> = {
            let mut d = Draw::new(7, 1);
            (0..4).map(|_| d.next_u64()).collect()
        };
        let mut d = Draw::new(7, 1);
        assert_eq!(a, (0..4).map(|_| d.next_u64()).collect::<Vec<_>>());
        assert_ne!(Draw::new(7, 2).next_u64(), a[0]);
        let mut d = Draw::new(1, 1);
        let mean = (0..10_000).map(|_| d.unit()).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        let g: Vec<f64> = noise_table();
        let m = g.iter().sum::<f64>() / g.len() as f64;
        let v = g.iter().map(|x| (x - m).powi(2)).sum::<f64>() / g.len() as f64;
        assert!(m.abs() < 0.02 && (v - 1.0).abs() < 0.03, "{m} {v}");
    }

    #[test]
    fn row_hashes_stay_in_sqlite_integer_range_and_hit_their_rates() {
        let p = 20_000_000u64;
        assert!(p * K2 + C2 < i64::MAX as u64);
        let n = 200_000u64;
        let nulls = (0..n).filter(|&p| RowHash::of(p).null_source()).count() as f64;
        let no_flux = (0..n).filter(|&p| RowHash::of(p).null_flux()).count() as f64;
        assert!((nulls / n as f64 - 0.02).abs() < 0.003, "{nulls}");
        assert!((no_flux / n as f64 - 0.05).abs() < 0.005, "{no_flux}");
        assert!((0..n).all(|p| RowHash::of(p).noise_index() < NOISE_TABLE));
    }
}
