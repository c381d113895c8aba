//! `rand` and `randn`. ExecuTorch seeds each call from `std::random_device`,
//! so its values cannot be reproduced; generated code instead takes a `seed`
//! from the caller and gives the same values for the same seed. Each op draws
//! from its own stream (`stream`), SplitMix64 over the seed.

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A double in `[0, 1)`, from 53 random bits.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

fn stream(seed: u64, stream: u64) -> SplitMix {
    let mut s = SplitMix(seed ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03));
    s.next();
    s
}

/// Uniform on `[0, 1)` in f64, rounded to f32 (as ExecuTorch's `rand`, which
/// can therefore give 1.0 for values just below it).
pub fn uniform(out: &mut [f32], seed: u64, id: u64) {
    let mut s = stream(seed, id);
    out.iter_mut().for_each(|o| *o = s.unit() as f32);
}

/// Standard normal by Box-Muller in f64, rounded to f32.
pub fn normal(out: &mut [f32], seed: u64, id: u64) {
    let mut s = stream(seed, id);
    let mut spare: Option<f64> = None;
    for o in out.iter_mut() {
        let v = match spare.take() {
            Some(v) => v,
            None => {
                let (u1, u2) = (1.0 - s.unit(), s.unit());
                let r = libm::sqrt(-2.0 * libm::log(u1));
                let t = 2.0 * core::f64::consts::PI * u2;
                spare = Some(r * libm::sin(t));
                r * libm::cos(t)
            }
        };
        *o = v as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_values_and_plausible_moments() {
        let (mut a, mut b, mut c) = ([0.0f32; 4096], [0.0f32; 4096], [0.0f32; 4096]);
        uniform(&mut a, 7, 0);
        uniform(&mut b, 7, 0);
        uniform(&mut c, 7, 1);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|&v| (0.0..=1.0).contains(&v)));
        let mean = a.iter().sum::<f32>() / 4096.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        normal(&mut a, 3, 0);
        let mean = a.iter().sum::<f32>() / 4096.0;
        let var = a.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 4096.0;
        assert!(mean.abs() < 0.05 && (var - 1.0).abs() < 0.08, "{mean} {var}");
    }
}
