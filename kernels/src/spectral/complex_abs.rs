/// `|re + i im|` of each pair, as `std::abs` of a `complex<float>` (a hypot:
/// no overflow for large parts).
pub fn complex_abs(x: &[f32], out: &mut [f32]) {
    for (o, z) in out.iter_mut().zip(x.chunks_exact(2)) {
        *o = libm::hypotf(z[0], z[1]);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn magnitudes() {
        let mut out = [0.0; 3];
        super::complex_abs(&[3.0, -4.0, 0.0, 0.0, 1e30, 1e30], &mut out);
        assert_eq!(out[..2], [5.0, 0.0]);
        assert!((out[2] / 1.414_213_6e30 - 1.0).abs() < 1e-6);
    }
}
