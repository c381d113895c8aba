//! Elementwise nodes, softmax, global average pooling and batch matmul.
//! Elementwise results keep their input's layout.

use super::layout::{identity, stored_shape, Tracked, NHWC};
use super::X;
use crate::error::Result;
use crate::lower::ops::broadcasts_to;
use crate::ir::{BinaryFn, CmpFn, DType, Op, Storage, TensorType, UnaryFn, ValueId};
use crate::pte::xnnpack::{Binary, Node, Unary};

/// XNNPACK's flag for a batch matmul whose second operand is `[.., n, k]`.
const TRANSPOSE_B: u32 = 1;

pub fn unary(x: &mut X<'_, '_, '_, '_>, node: &Node, f: Unary, input: u32) -> Result<()> {
    let (dims, out) = (&x.value(input)?.dims, &x.value(node.output)?.dims);
    if f != Unary::GlobalAvgPool && dims != out {
        return Err(x.cx.invalid(format!("input dims {dims:?} differ from output dims {out:?}")));
    }
    let t = x.input(input)?;
    let ir = |f: UnaryFn| Some(Op::Unary(f));
    let op = match f {
        Unary::Abs => ir(UnaryFn::Abs),
        Unary::Negate => ir(UnaryFn::Neg),
        Unary::SquareRoot => ir(UnaryFn::Sqrt),
        Unary::ReciprocalSquareRoot => ir(UnaryFn::Rsqrt),
        Unary::Sigmoid => ir(UnaryFn::Sigmoid),
        Unary::Tanh => ir(UnaryFn::Tanh),
        Unary::Exp => ir(UnaryFn::Exp),
        Unary::Gelu => ir(UnaryFn::Gelu),
        Unary::Log => ir(UnaryFn::Log),
        Unary::Sin => ir(UnaryFn::Sin),
        Unary::Cos => ir(UnaryFn::Cos),
        Unary::Floor => ir(UnaryFn::Floor),
        Unary::Ceiling => ir(UnaryFn::Ceil),
        _ => None,
    };
    if let Some(op) = op {
        let out = x.result(node, &t.perm)?;
        x.cx.push(op, vec![t.id], vec![out]);
        return x.finish(node, out, t.perm);
    }
    match f {
        // Conversions between f32 and int8 are the dequantize and quantize
        // that `input` and `finish` add.
        Unary::Convert | Unary::Copy => x.finish(node, t.id, t.perm),
        Unary::Clamp => {
            let [lo, hi] = node.clamp.unwrap_or([f32::NEG_INFINITY, f32::INFINITY]);
            let out = x.clamp(t.id, [lo, hi]);
            x.finish(&Node { clamp: None, ..node.clone() }, out, t.perm)
        }
        Unary::Square => {
            let out = x.result(node, &t.perm)?;
            x.cx.push(Op::Binary { f: BinaryFn::Mul, alpha: 1.0 }, vec![t.id, t.id], vec![out]);
            x.finish(node, out, t.perm)
        }
        // x * clamp(x + 3, 0, 6) / 6, as PyTorch decomposes it.
        Unary::Hardswish => {
            let three = x.cx.scalar_const(3.0, DType::F32);
            let six = x.cx.scalar_const(6.0, DType::F32);
            let shifted = same(x, t.id);
            x.cx.push(Op::Binary { f: BinaryFn::Add, alpha: 1.0 }, vec![t.id, three], vec![shifted]);
            let gate = x.clamp(shifted, [0.0, 6.0]);
            let scaled = same(x, t.id);
            x.cx.push(Op::Binary { f: BinaryFn::Div, alpha: 1.0 }, vec![gate, six], vec![scaled]);
            let out = same(x, t.id);
            x.cx.push(Op::Binary { f: BinaryFn::Mul, alpha: 1.0 }, vec![t.id, scaled], vec![out]);
            x.finish(node, out, t.perm)
        }
        Unary::Softmax => {
            let rank = t.perm.len();
            let a = x.ensure(&t, &identity(rank))?;
            let out = x.result(node, &identity(rank))?;
            x.cx.push(Op::Softmax { dim: rank.saturating_sub(1), log: false }, vec![a], vec![out]);
            x.finish(node, out, identity(rank))
        }
        Unary::GlobalAvgPool => {
            let dims = &x.value(input)?.dims;
            let out_dims = &x.value(node.output)?.dims;
            if dims.len() != 4 || out_dims[..] != [dims[0], 1, 1, dims[3]] {
                return Err(x.cx.invalid(format!("pooling {dims:?} to {out_dims:?} is not global 2-d pooling")));
            }
            let a = x.ensure(&t, &NHWC)?;
            let out = x.result(node, &NHWC)?;
            x.cx.push(Op::Mean { dims: vec![2, 3] }, vec![a], vec![out]);
            x.finish(node, out, NHWC.to_vec())
        }
        _ => Err(x.cx.invalid("node type is not supported")),
    }
}

/// A one-input elementwise op that keeps the input's layout.
pub fn map(x: &mut X<'_, '_, '_, '_>, node: &Node, op: Op, input: u32) -> Result<()> {
    let (dims, out) = (&x.value(input)?.dims, &x.value(node.output)?.dims);
    if dims != out {
        return Err(x.cx.invalid(format!("input dims {dims:?} differ from output dims {out:?}")));
    }
    let t = x.input(input)?;
    let out = x.result(node, &t.perm)?;
    x.cx.push(op, vec![t.id], vec![out]);
    x.finish(node, out, t.perm)
}

pub fn binary(x: &mut X<'_, '_, '_, '_>, node: &Node, f: Binary, a: u32, b: u32) -> Result<()> {
    let f = match f {
        Binary::Add => BinaryFn::Add,
        Binary::Subtract => BinaryFn::Sub,
        Binary::Multiply => BinaryFn::Mul,
        Binary::Div => BinaryFn::Div,
        Binary::Minimum => BinaryFn::Minimum,
        Binary::Maximum => BinaryFn::Maximum,
        Binary::PRelu => return prelu(x, node, a, b),
        Binary::BatchMatMul => return batch_matmul(x, node, a, b),
    };
    let (ia, ib, perm) = operands(x, node, a, b)?;
    let out = x.result(node, &perm)?;
    x.cx.push(Op::Binary { f, alpha: 1.0 }, vec![ia, ib], vec![out]);
    x.finish(node, out, perm)
}

/// `x > 0 ? x : x * slope`, with XNNPACK's broadcasting of the slope.
fn prelu(x: &mut X<'_, '_, '_, '_>, node: &Node, a: u32, b: u32) -> Result<()> {
    let (ia, ib, perm) = operands(x, node, a, b)?;
    let out = x.result(node, &perm)?;
    if x.cx.ty(ia).shape != x.cx.ty(out).shape {
        return Err(x.cx.invalid("the input of a PReLU must have the output's shape"));
    }
    let scaled = same(x, out);
    x.cx.push(Op::Binary { f: BinaryFn::Mul, alpha: 1.0 }, vec![ia, ib], vec![scaled]);
    let zero = x.cx.scalar_const(0.0, DType::F32);
    let shape = x.cx.ty(out).shape.clone();
    let positive = x.cx.temp(TensorType { dtype: DType::Bool, shape }, Storage::Arena);
    x.cx.push(Op::Compare(CmpFn::Gt), vec![ia, zero], vec![positive]);
    x.cx.push(Op::Where, vec![positive, ia, scaled], vec![out]);
    x.finish(node, out, perm)
}

/// Both operands of a broadcasting node, held in one layout of the output's
/// rank. Broadcasting is per dim, so operands held alike combine in place;
/// a copy is made only when no layout fits both.
fn operands(x: &mut X<'_, '_, '_, '_>, node: &Node, a: u32, b: u32) -> Result<(ValueId, ValueId, Vec<usize>)> {
    let rank = x.value(node.output)?.dims.len();
    let (da, db) = (x.value(a)?.dims.clone(), x.value(b)?.dims.clone());
    let (mut ta, mut tb) = (x.input(a)?, x.input(b)?);
    let candidates = [ta.perm.clone(), tb.perm.clone(), identity(rank)];
    let fits = |perm: &Vec<usize>, ta: &Tracked, tb: &Tracked| perm.len() == rank && reholds(&da, ta, perm) && reholds(&db, tb, perm);
    let perm = match candidates.iter().find(|p| fits(p, &ta, &tb)) {
        Some(p) => p.clone(),
        None => {
            ta = Tracked::plain(x.ensure(&ta, &identity(da.len()))?, da.len());
            tb = Tracked::plain(x.ensure(&tb, &identity(db.len()))?, db.len());
            if !fits(&identity(rank), &ta, &tb) {
                return Err(x.cx.invalid(format!("operands {da:?} and {db:?} do not broadcast to rank {rank}")));
            }
            identity(rank)
        }
    };
    let ia = x.reshape(ta.id, stored_shape(&padded(&da, rank), &perm));
    let ib = x.reshape(tb.id, stored_shape(&padded(&db, rank), &perm));
    let shape = stored_shape(&x.value(node.output)?.dims, &perm);
    if !broadcasts_to(&x.cx.ty(ia).shape, &shape) || !broadcasts_to(&x.cx.ty(ib).shape, &shape) {
        return Err(x.cx.invalid(format!("operands {da:?} and {db:?} do not broadcast to the output")));
    }
    Ok((ia, ib, perm))
}

/// `dims` with leading 1s up to `rank`, as XNNPACK aligns operands.
fn padded(dims: &[usize], rank: usize) -> Vec<usize> {
    let mut p = vec![1; rank.saturating_sub(dims.len())];
    p.extend_from_slice(dims);
    p
}

/// Whether `t` (XNNPACK dims `dims`) can be held as `perm` over its padded
/// dims by a reshape alone: its dims other than 1 stay in memory order.
fn reholds(dims: &[usize], t: &Tracked, perm: &[usize]) -> bool {
    let rank = perm.len();
    if dims.len() > rank || t.perm.len() != dims.len() {
        return false;
    }
    let lead = rank - dims.len();
    let now = (0..dims.len()).filter_map(|j| t.perm.iter().position(|&p| p == j)).filter(|&d| dims[d] != 1);
    let then = (0..rank).filter_map(|j| perm.iter().position(|&p| p == j)).filter(|&d| d >= lead && dims[d - lead] != 1).map(|d| d - lead);
    now.eq(then)
}

/// `[.., m, k] @ [.., k, n]` as a bmm over the flattened batch.
fn batch_matmul(x: &mut X<'_, '_, '_, '_>, node: &Node, a: u32, b: u32) -> Result<()> {
    if node.flags & !TRANSPOSE_B != 0 {
        return Err(x.cx.invalid(format!("flags {:#x} are not supported", node.flags)));
    }
    let (da, db, dout) = (x.value(a)?.dims.clone(), x.value(b)?.dims.clone(), x.value(node.output)?.dims.clone());
    let r = da.len();
    let transposed = node.flags & TRANSPOSE_B != 0;
    let ok = r >= 2 && db.len() == r && dout.len() == r && da[..r - 2] == db[..r - 2] && da[..r - 2] == dout[..r - 2];
    let (k, n) = if ok && transposed { (db[r - 1], db[r - 2]) } else if ok { (db[r - 2], db[r - 1]) } else { (0, 0) };
    let (m, batch) = if ok { (da[r - 2], da[..r - 2].iter().product::<usize>()) } else { (0, 0) };
    if !ok || da[r - 1] != k || dout[r - 2..] != [m, n] {
        return Err(x.cx.invalid(format!("shapes {da:?} @ {db:?} -> {dout:?} do not multiply")));
    }
    let ia = x.input_as(a, &identity(r))?;
    let ib = x.input_as(b, &identity(r))?;
    let ia = x.reshape(ia, vec![batch, m, k]);
    let ib = if transposed {
        let ib = x.reshape(ib, vec![batch, n, k]);
        let t = x.cx.temp(TensorType { dtype: DType::F32, shape: vec![batch, k, n] }, Storage::Arena);
        x.cx.push(Op::Gather { offset: 0, strides: vec![n * k, 1, k] }, vec![ib], vec![t]);
        t
    } else {
        x.reshape(ib, vec![batch, k, n])
    };
    let out = x.cx.temp(TensorType { dtype: DType::F32, shape: vec![batch, m, n] }, Storage::Arena);
    x.cx.push(Op::Bmm, vec![ia, ib], vec![out]);
    let out = x.reshape(out, dout);
    x.finish(node, out, identity(r))
}

/// A new f32 value shaped like `like`.
fn same(x: &mut X<'_, '_, '_, '_>, like: ValueId) -> ValueId {
    let shape = x.cx.ty(like).shape.clone();
    x.cx.temp(TensorType { dtype: DType::F32, shape }, Storage::Arena)
}
