//! `_cdist_forward` and `_pdist_forward`: p-norm distances between rows, in
//! f32 like ExecuTorch (`p` 0, 1, 2 and infinity have their own forms; any
//! other `p` goes through `pow`).

/// The p-norm of `a - b`.
#[inline]
pub fn distance(a: &[f32], b: &[f32], p: f32) -> f32 {
    let diffs = a.iter().zip(b).map(|(&x, &y)| (x - y).abs());
    if p == 0.0 {
        diffs.fold(0.0, |s, d| s + if d == 0.0 { 0.0 } else { 1.0 })
    } else if p == 1.0 {
        diffs.fold(0.0, |s, d| s + d)
    } else if p == 2.0 {
        libm::sqrtf(diffs.fold(0.0, |s, d| s + d * d))
    } else if p == f32::INFINITY {
        diffs.fold(0.0, |s: f32, d| if d > s { d } else { s })
    } else {
        let agg = diffs.fold(0.0, |s, d| s + libm::powf(d, p));
        libm::pow(f64::from(agg), 1.0 / f64::from(p)) as f32
    }
}

/// `x1` `[batch, rows1, m]` against `x2` `[batch, rows2, m]`: `out[b, i, j]`.
#[allow(clippy::too_many_arguments)]
pub fn cdist(x1: &[f32], x2: &[f32], out: &mut [f32], batch: usize, rows1: usize, rows2: usize, m: usize, p: f32) {
    for b in 0..batch {
        for i in 0..rows1 {
            let Some(a) = x1.get((b * rows1 + i) * m..(b * rows1 + i + 1) * m) else { return };
            for j in 0..rows2 {
                let Some(c) = x2.get((b * rows2 + j) * m..(b * rows2 + j + 1) * m) else { return };
                if let Some(o) = out.get_mut((b * rows1 + i) * rows2 + j) {
                    *o = distance(a, c, p);
                }
            }
        }
    }
}

/// Every pair `i < j` of the `n` rows of `x` `[n, m]`, in row-major pair order.
pub fn pdist(x: &[f32], out: &mut [f32], n: usize, m: usize, p: f32) {
    let mut k = 0;
    for i in 0..n {
        for j in i + 1..n {
            let (Some(a), Some(b)) = (x.get(i * m..(i + 1) * m), x.get(j * m..(j + 1) * m)) else { return };
            if let Some(o) = out.get_mut(k) {
                *o = distance(a, b, p);
            }
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norms() {
        let (a, b) = ([0.0f32, 3.0, 1.0], [4.0f32, 0.0, 1.0]);
        assert_eq!(distance(&a, &b, 2.0), 5.0);
        assert_eq!(distance(&a, &b, 1.0), 7.0);
        assert_eq!(distance(&a, &b, 0.0), 2.0);
        assert_eq!(distance(&a, &b, f32::INFINITY), 4.0);
        assert!((distance(&a, &b, 3.0) - 91.0f32.powf(1.0 / 3.0)).abs() < 1e-5);
        let mut out = [0.0f32; 3];
        pdist(&[0.0, 0.0, 3.0, 4.0, 6.0, 8.0], &mut out, 3, 2, 2.0);
        assert_eq!(out, [5.0, 10.0, 5.0]);
    }
}
