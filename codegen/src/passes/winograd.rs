//! 3×3 stride-1 convolutions with constant weights become `Op::Winograd`: the
//! weights are transformed here, once (`G g Gᵀ`, in f64), so a call runs 16
//! products per 2×2 outputs and channel pair instead of 36. The transformed
//! weights take 16/9 the space of the originals, which are dropped.

use crate::ir::{Constant, ConvKernel, DType, Method, Op, Storage, TensorType, Value};

/// Fewer channels than this on either side: the transforms would cost more than
/// the products they save.
const MIN_CHANNELS: usize = 16;
/// Fewer 2×2 tiles than this: each transformed weight (16/9 the bytes) is used
/// too few times to pay for its size (on resnet18's 14×14 and 7×7 layers the
/// time was the same, for 26 MB more weights).
const MIN_TILES: usize = 64;
/// Fewer multiply-adds than this (directly): the block scratch would grow a
/// small model's arena (MLPerf Tiny's resnet8, for a microcontroller, from 212 to
/// 449 KiB) for a kernel that is not where its time goes.
const MIN_MACS: usize = 1 << 24;

pub fn run(method: &mut Method, constants: &mut Vec<Constant>) {
    for n in 0..method.nodes.len() {
        let node = &method.nodes[n];
        let Op::Conv2d(conv) = &node.op else { continue };
        let (Some(&x), Some(&w)) = (node.inputs.first(), node.inputs.get(1)) else { continue };
        let (xs, ws) = (&method.values[x].ty.shape, &method.values[w].ty.shape);
        let f32s = node.inputs.iter().chain(&node.outputs).all(|&v| method.values[v].ty.dtype == DType::F32);
        let fits = xs.len() == 4
            && ws.len() == 4
            && conv.kernel(xs, ws) == ConvKernel::Im2col
            && ws[2..] == [3, 3]
            && conv.stride == [1, 1]
            && conv.padding == [1, 1]
            && conv.dilation == [1, 1]
            && !conv.residual
            && ws[0] >= MIN_CHANNELS
            && ws[1] >= MIN_CHANNELS
            && xs[2].div_ceil(2) * xs[3].div_ceil(2) >= MIN_TILES
            && ws[0] * ws[1] * 9 * xs[2] * xs[3] >= MIN_MACS;
        if !f32s || !fits || node.outputs.len() != 1 {
            continue;
        }
        let (cout, cin) = (ws[0], ws[1]);
        let (root, offset) = method.root(w);
        let Storage::Const(c) = method.values[root].storage else { continue };
        let Some(g) = constants[c].bytes.get(offset * 4..(offset + cout * cin * 9) * 4) else { continue };
        let g: Vec<f32> = g.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        let bytes = transform(&g, cout, cin).iter().flat_map(|v| v.to_le_bytes()).collect();
        let ty = TensorType { dtype: DType::F32, shape: vec![16, cout, cin] };
        constants.push(Constant { ty: ty.clone(), bytes });
        method.values.push(Value { ty, storage: Storage::Const(constants.len() - 1), source: None });
        let u = method.values.len() - 1;
        let node = &mut method.nodes[n];
        node.inputs[1] = u;
        if let Op::Conv2d(conv) = &node.op {
            node.op = Op::Winograd(conv.clone());
        }
    }
}

/// `G g Gᵀ` of each `[cout, cin, 3, 3]` kernel, as `[16, cout, cin]` with
/// position `4 i + j` first; `G` = [[1, 0, 0], [½, ½, ½], [½, -½, ½], [0, 0, 1]].
fn transform(w: &[f32], cout: usize, cin: usize) -> Vec<f32> {
    let mut u = vec![0.0f32; 16 * cout * cin];
    let g = |a: [f64; 3]| [a[0], (a[0] + a[1] + a[2]) / 2.0, (a[0] - a[1] + a[2]) / 2.0, a[2]];
    for (oc, k) in w.chunks_exact(9).enumerate() {
        let k = |r: usize, s: usize| f64::from(k[3 * r + s]);
        // G on the kernel's columns, then on the rows of the result.
        let cols = [0, 1, 2].map(|s| g([k(0, s), k(1, s), k(2, s)]));
        for i in 0..4 {
            for (j, v) in g([cols[0][i], cols[1][i], cols[2][i]]).into_iter().enumerate() {
                u[(4 * i + j) * cout * cin + oc] = v as f32;
            }
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One kernel of taps 1..9: the rows of `G g Gᵀ` worked by hand.
    #[test]
    fn transforms_one_kernel() {
        let w: Vec<f32> = (1..=9).map(|v| v as f32).collect();
        let u = transform(&w, 1, 1);
        // G g: rows [1 2 3], [6 7.5 9], [2 2.5 3], [7 8 9]; then the same on each row.
        let row = |a: f32, b: f32, c: f32| [a, (a + b + c) / 2.0, (a - b + c) / 2.0, c];
        let want: Vec<f32> = [row(1.0, 2.0, 3.0), row(6.0, 7.5, 9.0), row(2.0, 2.5, 3.0), row(7.0, 8.0, 9.0)].concat();
        assert_eq!(u, want);
    }
}
