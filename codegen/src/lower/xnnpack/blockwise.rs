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
    let (DataType::QBInt4, Quant::PerGroup { scales, dim: 0, group }) = (wv.dtype, &wv.quant) else { return Ok(false) };
    let (group, [n, k]) = (*group, <[usize; 2]>::try_from(&wv.dims[..]).unwrap_or([0, 0]));
    let xs = x.value(input)?.dims.clone();
    let os = x.value(node.output)?.dims.clone();
    let m = xs.iter().product::<usize>() / k.max(1);
    let fits = node.flags == 0 && k > 0 && group % 32 == 0 && k % group == 0 && scales.len() == n * (k / group);
    if !fits || x.value(input)?.dtype != DataType::QDInt8 || xs.last() != Some(&k) || os.iter().product::<usize>() != m * n {
        return Ok(false);
    }
    let q = x.input_as(input, &identity(xs.len()))?;
    let Some(raw) = unquantized(&x.cx.method, q, k) else { return Ok(false) };
    let row = k / 2;
    let range = wv.data.clone().unwrap_or(0..0);
    let Some(bytes) = x.cx.shared.bytes.get(range.start..range.start.saturating_add(n * row)).filter(|b| b.len() == n * row && range.len() >= n * row) else {
        return Ok(false);
    };
    let (packed, wsum) = repack(bytes, n, k, group);
    let groups = k / group;
    let a = x.reshape(raw, vec![m, k]);
    let wc = constant(x, DType::U8, vec![n, row], packed);
    // Scales and code sums in blocks of 8 rows, by group, by row (the tail
    // block padded): a block's load as one vector (`etch_kernels::quant::int4::at`).
    let blocks = n.div_ceil(8);
    let blocked = |v: &dyn Fn(usize) -> [u8; 4]| {
        let at = |b: usize, g: usize, r: usize| if b * 8 + r < n { v((b * 8 + r) * groups + g) } else { [0; 4] };
        (0..blocks).flat_map(|b| (0..groups).flat_map(move |g| (0..8).flat_map(move |r| at(b, g, r)))).collect::<Vec<u8>>()
    };
    let sc = constant(x, DType::F32, vec![blocks, groups, 8], blocked(&|i| scales[i].to_le_bytes()));
    let ws = constant(x, DType::I32, vec![blocks, groups, 8], blocked(&|i| wsum[i].to_le_bytes()));
    let mut inputs = vec![a, wc, sc, ws];
    if let Some(b) = bias {
        inputs.push(x.bias(b, n)?);
    }
    let out = x.cx.temp(TensorType { dtype: DType::F32, shape: vec![m, n] }, Storage::Arena);
    let xq = x.cx.temp(TensorType { dtype: DType::I8, shape: vec![k] }, Storage::Arena);
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

/// XNNPACK's rows (byte `i`: code `2i` low, `2i + 1` high) into blocks of 32
/// codes, byte `j` holding codes `j` and `j + 16`; with each group's code sum.
fn repack(src: &[u8], n: usize, k: usize, group: usize) -> (Vec<u8>, Vec<i32>) {
    let code = |o: usize, i: usize| {
        let b = src[o * (k / 2) + i / 2];
        if i.is_multiple_of(2) {
            b & 0xf
        } else {
            b >> 4
        }
    };
    let mut packed = Vec::with_capacity(n * k / 2);
    let mut wsum = Vec::with_capacity(n * (k / group));
    for o in 0..n {
        for blk in 0..k / 32 {
            packed.extend((0..16).map(|j| code(o, blk * 32 + j) | code(o, blk * 32 + j + 16) << 4));
        }
        wsum.extend((0..k / group).map(|g| (g * group..(g + 1) * group).map(|i| i32::from(code(o, i))).sum::<i32>()));
    }
    (packed, wsum)
}

fn constant(x: &mut X<'_, '_, '_, '_>, dtype: DType, shape: Vec<usize>, bytes: Vec<u8>) -> ValueId {
    let ty = TensorType { dtype, shape };
    x.cx.shared.constants.push(Constant { ty: ty.clone(), bytes });
    x.cx.temp(ty, Storage::Const(x.cx.shared.constants.len() - 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn repacking_pairs_codes_sixteen_apart() {
        // One row of 32 codes 0..16, 0..16: XNNPACK packs (2i, 2i + 1).
        let codes: Vec<u8> = (0..32).map(|i| i % 16).collect();
        let src: Vec<u8> = codes.chunks(2).map(|p| p[0] | p[1] << 4).collect();
        let (packed, wsum) = super::repack(&src, 1, 32, 32);
        assert_eq!(packed, (0..16).map(|j| j | j << 4).collect::<Vec<u8>>());
        assert_eq!(wsum, [2 * (0..16).sum::<i32>()]);
    }
}
