//! FullyConnected with blockwise 4-bit weights (`QBInt4`, per-channel-group
//! bf16 scales) on int8 activations quantized per row at run time (`QDInt8`):
//! ExecuTorch's `8da4w` linear layers. They become one `Op::LinearQ4` on the
//! f32 rows before their quantization, with the weights kept in 4 bits,
//! repacked for `etch_kernels::quant::int4`. Other shapes take the f32 path.

use super::layout::identity;
use super::X;
use crate::error::Result;
use crate::ir::{Constant, DType, Method, Op, Storage, TensorType, ValueId};
use crate::pte::xnnpack::{DataType, Node, Quant};

/// Lowers the node and returns true, or returns false for the f32 path.
pub fn fully_connected(x: &mut X<'_, '_, '_, '_>, node: &Node, input: u32, w: u32, bias: Option<u32>) -> Result<bool> {
    let wv = x.value(w)?.clone();
    let (DataType::QBInt4, Quant::PerGroup { scales, dim: 0, group }) = (wv.dtype, &wv.quant) else {
        return Ok(false);
    };
    let (group, [n, k]) = (*group, <[usize; 2]>::try_from(&wv.dims[..]).unwrap_or([0, 0]));
    let xs = x.value(input)?.dims.clone();
    let os = x.value(node.output)?.dims.clone();
    let m = xs.iter().product::<usize>() / k.max(1);
    // Larger groups could overflow the kernel's i32 sums (`etch_kernels::quant::int4::MAX_GROUP`).
    let fits = node.flags == 0 && k > 0 && group % 32 == 0 && group <= 65536 && k % group == 0 && scales.len() == n * (k / group);
    if !fits || x.value(input)?.dtype != DataType::QDInt8 || xs.last() != Some(&k) || os.iter().product::<usize>() != m * n {
        return Ok(false);
    }
    let q = x.input_as(input, &identity(xs.len()))?;
    let Some(raw) = unquantized(&x.cx.method, q, k) else {
        return Ok(false);
    };
    let row = k / 2;
    let range = wv.data.clone().unwrap_or(0..0);
    let Some(bytes) = x.cx.shared.bytes.get(range.start..range.start.saturating_add(n * row)).filter(|b| b.len() == n * row && range.len() >= n * row) else {
        return Ok(false);
    };
    let groups = k / group;
    let Some((packed, sc, corr)) = pack(bytes, scales, n, k, group) else {
        return Ok(false);
    };
    let a = x.reshape(raw, vec![m, k]);
    let blocks = n.div_ceil(ROWS);
    let wc = constant(x, DType::U8, vec![blocks * ROWS, row], packed);
    let sc = constant(x, DType::U8, vec![blocks, groups, ROWS * 2], sc);
    let corr = constant(x, DType::F32, vec![blocks * ROWS], corr.iter().flat_map(|c| c.to_le_bytes()).collect());
    let mut inputs = vec![a, wc, sc, corr];
    if let Some(b) = bias {
        inputs.push(x.bias(b, n)?);
    }
    let out = x.cx.temp(TensorType { dtype: DType::F32, shape: vec![m, n] }, Storage::Arena);
    let xq = x.cx.temp(TensorType { dtype: DType::U8, shape: vec![k] }, Storage::Arena);
    x.cx.push(Op::LinearQ4 { group, has_bias: bias.is_some() }, inputs, vec![out, xq]);
    let out = x.reshape(out, os.clone());
    x.finish(node, out, identity(os.len()))?;
    Ok(true)
}

/// The f32 rows a per-row dynamic quantization (of rows of `k`) made `v` from.
fn unquantized(m: &Method, mut v: ValueId, k: usize) -> Option<ValueId> {
    loop {
        v = m.root(v).0;
        let node = m.nodes.iter().rev().find(|n| n.outputs.first() == Some(&v))?;
        match node.op {
            Op::Copy => v = node.inputs[0],
            Op::DynamicQuant { row } if row == k => return Some(node.inputs[0]),
            _ => return None,
        }
    }
}

/// Output rows per block of the packed weights (`etch_kernels::quant::int4::ROWS`).
const ROWS: usize = 16;

/// XNNPACK's rows (byte `i`: code `2i` low, `2i + 1` high) in the kernel's layout
/// (`etch_kernels::quant::int4`): per block of 16 rows, per 8 codes, 64 bytes with
/// row `r`'s codes minus 8 in lane `r` (the first 4 in the high nibbles, the next 4
/// in the low ones); the scales as bf16 bytes in blocks of 16 rows, by group, by
/// row; and each row's `corr = -Σ_g s_g Σ (code - 8)`, summed in f64 and rounded
/// once. Padded rows have codes 8 and scales 0. `None` when a scale is not a bf16.
fn pack(src: &[u8], scales: &[f32], n: usize, k: usize, group: usize) -> Option<(Vec<u8>, Vec<u8>, Vec<f32>)> {
    let code = |o: usize, i: usize| {
        let b = src[o * (k / 2) + i / 2];
        if i.is_multiple_of(2) {
            b & 0xf
        } else {
            b >> 4
        }
    };
    let (groups, blocks) = (k / group, n.div_ceil(ROWS));
    let mut w = vec![0u8; blocks * ROWS * k / 2];
    let mut sc = vec![0u8; blocks * groups * ROWS * 2];
    let mut corr = vec![0.0f32; blocks * ROWS];
    for o in 0..n {
        let base = (o / ROWS) * ROWS * k / 2 + (o % ROWS) * 4;
        for i in 0..k {
            let nib = code(o, i).wrapping_sub(8) & 0xf;
            w[base + (i / 8) * 64 + i % 4] |= if i % 8 < 4 { nib << 4 } else { nib };
        }
        let mut c = 0.0f64;
        for g in 0..groups {
            let s = scales[o * groups + g];
            if s.to_bits() & 0xffff != 0 {
                return None;
            }
            let at = 2 * (((o / ROWS) * groups + g) * ROWS + o % ROWS);
            sc[at..at + 2].copy_from_slice(&((s.to_bits() >> 16) as u16).to_le_bytes());
            let sum: i32 = (g * group..(g + 1) * group).map(|i| i32::from(code(o, i)) - 8).sum();
            c -= f64::from(s) * f64::from(sum);
        }
        corr[o] = c as f32;
    }
    Some((w, sc, corr))
}

fn constant(x: &mut X<'_, '_, '_, '_>, dtype: DType, shape: Vec<usize>, bytes: Vec<u8>) -> ValueId {
    let ty = TensorType { dtype, shape };
    x.cx.shared.constants.push(Constant { ty: ty.clone(), bytes });
    x.cx.temp(ty, Storage::Const(x.cx.shared.constants.len() - 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn packing_puts_sixteen_rows_side_by_side() {
        // Two rows of 32 codes: row 0 is 0..16, 0..16, row 1 all 9; XNNPACK packs (2i, 2i + 1).
        let row = |c: &dyn Fn(usize) -> u8| (0..16).map(|i| c(2 * i) | c(2 * i + 1) << 4).collect::<Vec<u8>>();
        let src = [row(&|i| (i % 16) as u8), row(&|_| 9)].concat();
        let (w, sc, corr) = super::pack(&src, &[0.5, 2.0], 2, 32, 32).unwrap();
        assert_eq!(w.len(), 16 * 16);
        // Codes 0..4 of row 0 minus 8 in the high nibbles, 4..8 in the low ones.
        assert_eq!(w[0..4], [0x8c, 0x9d, 0xae, 0xbf]);
        assert_eq!(w[4..8], [0x11; 4]);
        assert_eq!(w[8..64], [0; 56]);
        assert_eq!(w[64..68], [0x04, 0x15, 0x26, 0x37]);
        assert_eq!(sc[0..4], [0x00, 0x3f, 0x00, 0x40]);
        assert_eq!(corr[..3], [-0.5 * -16.0, -2.0 * 32.0, 0.0]);
        assert!(super::pack(&src, &[0.5, 2.0001], 2, 32, 32).is_none(), "not a bf16");
    }
}
