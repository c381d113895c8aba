//! Ops whose inputs are all weights run now, at codegen time, and become weights.
//! The common case is `permute_copy` of a linear layer's weight.

use crate::ir::{Constant, DType, Method, Op, Storage, TensorType};

/// Fills larger than this stay runtime ops: they would only bloat the weights.
const MAX_FOLDED_FILL: usize = 4096;

pub fn run(method: &mut Method, constants: &mut Vec<Constant>) {
    let mut kept = Vec::with_capacity(method.nodes.len());
    for node in std::mem::take(&mut method.nodes) {
        let out = node.outputs[0];
        let ty = method.values[out].ty.clone();
        let inputs: Option<Vec<(&Constant, usize, DType)>> = node
            .inputs
            .iter()
            .map(|&i| {
                let (root, offset) = method.root(i);
                match method.values[root].storage {
                    Storage::Const(c) => Some((&constants[c], offset, method.values[i].ty.dtype)),
                    _ => None,
                }
            })
            .collect();
        let folded = match (&node.op, inputs.as_deref()) {
            (Op::Gather { offset, strides }, Some([(c, base, _)])) => {
                Some(gather(&c.bytes, ty.dtype.size(), base + offset, strides, &ty.shape))
            }
            (Op::Copy, Some([(c, base, _)])) => {
                let size = ty.dtype.size();
                c.bytes.get(base * size..(base + ty.numel()) * size).map(<[u8]>::to_vec)
            }
            (Op::Cast, Some([(c, base, from)])) => cast(&c.bytes, *base, *from, ty.dtype, ty.numel()),
            (Op::Dequantize { scale, zero_point }, Some([(c, base, from)])) => {
                let q = decode_all(&c.bytes, *base, *from, ty.numel());
                q.map(|q| q.iter().flat_map(|&v| dequantize(v, *scale as f32, *zero_point).to_le_bytes()).collect())
            }
            (Op::DequantizePerChannel { axis }, Some(ins)) => per_channel(&method.values[node.inputs[0]].ty.shape, *axis, ins),
            (Op::Fill { value }, Some([])) if ty.numel() <= MAX_FOLDED_FILL => {
                Some((0..ty.numel()).flat_map(|_| encode(*value, ty.dtype)).collect())
            }
            _ => None,
        };
        match folded {
            Some(bytes) if node.outputs.len() == 1 && method.values[out].storage == Storage::Arena => {
                method.values[out].storage = Storage::Const(constants.len());
                constants.push(Constant { ty: TensorType { dtype: ty.dtype, shape: ty.shape }, bytes });
            }
            _ => kept.push(node),
        }
    }
    method.nodes = kept;
}

pub(crate) fn gather(bytes: &[u8], size: usize, offset: usize, strides: &[usize], shape: &[usize]) -> Vec<u8> {
    let numel: usize = shape.iter().product();
    let mut out = Vec::with_capacity(numel * size);
    let mut index = vec![0usize; shape.len()];
    for _ in 0..numel {
        let at = offset + index.iter().zip(strides).map(|(i, s)| i * s).sum::<usize>();
        out.extend_from_slice(&bytes[at * size..(at + 1) * size]);
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    out
}

/// `[q, scales, zero_points?]` as `(constant, element offset, dtype)`.
fn per_channel(shape: &[usize], axis: usize, ins: &[(&Constant, usize, DType)]) -> Option<Vec<u8>> {
    let channels = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let numel = shape.iter().product();
    let get = |k: usize, n: usize| ins.get(k).and_then(|(c, base, d)| decode_all(&c.bytes, *base, *d, n));
    let (q, scales) = (get(0, numel)?, get(1, channels)?);
    let zps = if ins.len() == 3 { get(2, channels)? } else { vec![0.0; channels] };
    let channel = |i: usize| (i / inner.max(1)) % channels.max(1);
    Some(q.iter().enumerate().flat_map(|(i, &v)| dequantize(v, scales[channel(i)] as f32, zps[channel(i)] as i64).to_le_bytes()).collect())
}

/// As the kernel: the zero point narrowed to i32, then one f32 multiply.
fn dequantize(q: f64, scale: f32, zero_point: i64) -> f32 {
    (q as i32).wrapping_sub(zero_point as i32) as f32 * scale
}

fn decode_all(bytes: &[u8], base: usize, dtype: DType, numel: usize) -> Option<Vec<f64>> {
    let size = dtype.size();
    let src = bytes.get(base * size..(base + numel) * size)?;
    Some(src.chunks_exact(size).map(|b| decode(b, dtype)).collect())
}

fn cast(bytes: &[u8], base: usize, from: DType, to: DType, numel: usize) -> Option<Vec<u8>> {
    let size = from.size();
    let src = bytes.get(base * size..(base + numel) * size)?;
    Some(src.chunks_exact(size).flat_map(|b| encode(decode(b, from), to)).collect())
}

pub fn decode(b: &[u8], dtype: DType) -> f64 {
    let mut buf = [0u8; 8];
    buf[..b.len()].copy_from_slice(b);
    match dtype {
        DType::F32 => f64::from(f32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]])),
        DType::I64 => i64::from_le_bytes(buf) as f64,
        DType::I32 => f64::from(i32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]])),
        DType::I8 => f64::from(buf[0] as i8),
        DType::U8 => f64::from(buf[0]),
        DType::Bool => f64::from(u8::from(buf[0] != 0)),
    }
}

/// Converts like a C++ static_cast (truncation toward zero for integers).
pub fn encode(v: f64, dtype: DType) -> Vec<u8> {
    match dtype {
        DType::F32 => (v as f32).to_le_bytes().to_vec(),
        DType::I64 => (v as i64).to_le_bytes().to_vec(),
        DType::I32 => (v as i32).to_le_bytes().to_vec(),
        DType::I8 => (v as i8).to_le_bytes().to_vec(),
        DType::U8 => (v as u8).to_le_bytes().to_vec(),
        DType::Bool => vec![u8::from(v != 0.0)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_dequantize_per_channel_like_the_kernel() {
        let c = |dtype, shape: Vec<usize>, bytes: Vec<u8>| Constant { ty: TensorType { dtype, shape }, bytes };
        let q = c(DType::I8, vec![2, 3], [-128i8, 0, 127, 1, 2, 3].iter().map(|&v| v as u8).collect());
        let s = c(DType::F32, vec![2], [0.5f32, 0.25].iter().flat_map(|v| v.to_le_bytes()).collect());
        let z = c(DType::I64, vec![2], [0i64, -2].iter().flat_map(|v| v.to_le_bytes()).collect());
        let floats = |b: Vec<u8>| b.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect::<Vec<_>>();
        let ins = [(&q, 0, DType::I8), (&s, 0, DType::F32), (&z, 0, DType::I64)];
        assert_eq!(floats(per_channel(&[2, 3], 0, &ins).unwrap()), [-64.0, 0.0, 63.5, 0.75, 1.0, 1.25]);
        // Axis 1 with three channels needs three scales: too few is no fold, not a panic.
        assert!(per_channel(&[2, 3], 1, &ins).is_none());
        assert_eq!(floats(per_channel(&[2, 3], 0, &ins[..2]).unwrap()), [-64.0, 0.0, 63.5, 0.25, 0.5, 0.75]);
    }
}
