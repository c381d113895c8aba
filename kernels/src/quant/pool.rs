//! Int8 average pooling: `Q(avg_pool(DQ(x)))` with the f32 steps of the three
//! separate ops (each element dequantized, the window summed in order and
//! divided in f32, the mean quantized).

use crate::pool::window::{avg_pool2d_map, Pool2d};
use crate::quant::affine::{Affine, Out};

pub fn avg_pool2d(x: &[i8], out: &mut [i8], p: &Pool2d, count_include_pad: bool, divisor: Option<i64>, q: Affine, o: Out) {
    avg_pool2d_map(x, out, p, count_include_pad, divisor, |v| q.dequantize(v), |m| o.quantize(m));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::window::avg_pool2d_with_divisor;

    /// Against dequantize → f32 pool → quantize, on a padded, strided window.
    #[test]
    fn matches_the_float_pool_between_dequantize_and_quantize() {
        let p = Pool2d {
            batch: 1, channels: 2, in_h: 5, in_w: 4, kernel_h: 3, kernel_w: 2, stride_h: 2, stride_w: 1,
            pad_h: 1, pad_w: 1, dilation_h: 1, dilation_w: 1, out_h: 3, out_w: 5,
        };
        let x: [i8; 40] = core::array::from_fn(|i| ((i as i32 * 37) % 251 - 125) as i8);
        let q = Affine { scale: 0.043, zero_point: -7 };
        let o = Out { inv_scale: 1.0 / 0.031f32, zero_point: 3, min: -128, max: 127 };
        for include in [false, true] {
            let mut got = [0i8; 30];
            avg_pool2d(&x, &mut got, &p, include, None, q, o);
            let xf: [f32; 40] = core::array::from_fn(|i| q.dequantize(x[i]));
            let mut f = [0f32; 30];
            avg_pool2d_with_divisor(&xf, &mut f, &p, include, None);
            let want: [i8; 30] = core::array::from_fn(|i| o.quantize(f[i]));
            assert_eq!(got, want);
        }
    }
}
