//! ScaledDotProductAttention, in the order XNNPACK computed it: the query
//! times the per-channel scale, a GEMM with the keys, the 2-d mask added,
//! softmax over the keys, a GEMM with the values.
//!
//! Query `[*, H, T, C]`, key `[*, H, U, C]`, value `[*, H, U, D]`, scale
//! `[C]`, mask `[T, U]`, output `[*, H, T, D]`. Key and value may drop the
//! head dim (`[*, U, C]`, `[*, U, D]`): one head read by every query head.

use super::layout::identity;
use super::X;
use crate::error::Result;
use crate::ir::{BinaryFn, DType, Op, Storage, TensorType, ValueId};
use crate::pte::xnnpack::Node;

pub fn lower(x: &mut X<'_, '_, '_, '_>, node: &Node, ids: [u32; 5]) -> Result<()> {
    if node.flags != 0 {
        return Err(x.cx.invalid(format!("flags {:#x} are not supported", node.flags)));
    }
    let [q, k, v, scale, mask] = ids;
    let dims = |x: &X<'_, '_, '_, '_>, id: u32| x.value(id).map(|v| v.dims.clone());
    let (dq, dk, dv, ds, dm, dout) = (dims(x, q)?, dims(x, k)?, dims(x, v)?, dims(x, scale)?, dims(x, mask)?, dims(x, node.output)?);
    let s = Shapes::of(&dq, &dk, &dv, &ds, &dm, &dout)
        .ok_or_else(|| x.cx.invalid(format!("query {dq:?}, key {dk:?}, value {dv:?}, scale {ds:?}, mask {dm:?} and output {dout:?} do not fit")))?;
    let Shapes { batch, heads, t, u, c, d, shared } = s;
    let bh = batch * heads;

    let iq = x.input_as(q, &identity(dq.len()))?;
    let iq = x.reshape(iq, vec![bh, t, c]);
    let is = x.input_as(scale, &[0])?;
    let is = x.reshape(is, vec![1, 1, c]);
    let scaled = temp(x, vec![bh, t, c]);
    x.cx.push(Op::Binary { f: BinaryFn::Mul, alpha: 1.0 }, vec![iq, is], vec![scaled]);

    // Keys transposed to `[bh, C, U]`; a shared head is read by every head (stride 0).
    let ik = x.input_as(k, &identity(dk.len()))?;
    let (per_batch, per_head) = if shared { (u * c, 0) } else { (heads * u * c, u * c) };
    let kt = temp(x, vec![batch, heads, c, u]);
    x.cx.push(Op::Gather { offset: 0, strides: vec![per_batch, per_head, 1, c] }, vec![ik], vec![kt]);
    let kt = x.reshape(kt, vec![bh, c, u]);
    let logits = temp(x, vec![bh, t, u]);
    x.cx.push(Op::Bmm, vec![scaled, kt], vec![logits]);

    let im = x.input_as(mask, &[0, 1])?;
    let im = x.reshape(im, vec![1, t, u]);
    let masked = temp(x, vec![bh, t, u]);
    x.cx.push(Op::Binary { f: BinaryFn::Add, alpha: 1.0 }, vec![logits, im], vec![masked]);
    let p = temp(x, vec![bh, t, u]);
    x.cx.push(Op::Softmax { dim: 2, log: false }, vec![masked], vec![p]);

    let iv = x.input_as(v, &identity(dv.len()))?;
    let iv = if shared {
        let e = temp(x, vec![batch, heads, u, d]);
        x.cx.push(Op::Gather { offset: 0, strides: vec![u * d, 0, d, 1] }, vec![iv], vec![e]);
        x.reshape(e, vec![bh, u, d])
    } else {
        x.reshape(iv, vec![bh, u, d])
    };
    let out = temp(x, vec![bh, t, d]);
    x.cx.push(Op::Bmm, vec![p, iv], vec![out]);
    let out = x.reshape(out, dout.clone());
    x.finish(node, out, identity(dout.len()))
}

fn temp(x: &mut X<'_, '_, '_, '_>, shape: Vec<usize>) -> ValueId {
    x.cx.temp(TensorType { dtype: DType::F32, shape }, Storage::Arena)
}

/// The sizes of one node, checked as XNNPACK checked them.
#[derive(Debug, PartialEq)]
struct Shapes {
    /// The product of the leading batch dims.
    batch: usize,
    heads: usize,
    t: usize,
    u: usize,
    c: usize,
    d: usize,
    /// Key and value have no head dim.
    shared: bool,
}

impl Shapes {
    fn of(q: &[usize], k: &[usize], v: &[usize], scale: &[usize], mask: &[usize], out: &[usize]) -> Option<Self> {
        let r = q.len();
        let shared = k.len() + 1 == r;
        if r < 3 || v.len() != k.len() || !(shared || k.len() == r) || out.len() != r {
            return None;
        }
        let nb = r - 3;
        let (heads, t, c) = (q[r - 3], q[r - 2], q[r - 1]);
        let (u, d) = (k[k.len() - 2], v[v.len() - 1]);
        let kv_heads = |s: &[usize]| if shared { Some(heads) } else { s.get(s.len() - 3).copied() };
        let ok = k[..nb] == q[..nb]
            && v[..nb] == q[..nb]
            && out[..nb] == q[..nb]
            && kv_heads(k) == Some(heads)
            && kv_heads(v) == Some(heads)
            && k[k.len() - 1] == c
            && v[v.len() - 2] == u
            && scale == [c]
            && mask == [t, u]
            && out[nb..] == [heads, t, d];
        ok.then(|| Self { batch: q[..nb].iter().product(), heads, t, u, c, d, shared })
    }
}

#[cfg(test)]
mod tests {
    use super::Shapes;

    #[test]
    fn multi_head_and_multi_query_shapes() {
        let s = Shapes::of(&[2, 3, 5, 8], &[2, 3, 7, 8], &[2, 3, 7, 4], &[8], &[5, 7], &[2, 3, 5, 4]);
        assert_eq!(s, Some(Shapes { batch: 2, heads: 3, t: 5, u: 7, c: 8, d: 4, shared: false }));
        let s = Shapes::of(&[2, 4, 3, 5], &[2, 6, 5], &[2, 6, 3], &[5], &[3, 6], &[2, 4, 3, 3]);
        assert_eq!(s, Some(Shapes { batch: 2, heads: 4, t: 3, u: 6, c: 5, d: 3, shared: true }));
        // No batch dims: one batch.
        assert_eq!(Shapes::of(&[2, 3, 4], &[2, 5, 4], &[2, 5, 1], &[4], &[3, 5], &[2, 3, 1]).map(|s| s.batch), Some(1));
    }

    #[test]
    fn refuses_what_xnnpack_refused() {
        let ok = |q: &[usize], k: &[usize], scale: &[usize], mask: &[usize]| Shapes::of(q, k, &[2, 3, 7, 4], scale, mask, &[2, 3, 5, 4]).is_some();
        assert!(ok(&[2, 3, 5, 8], &[2, 3, 7, 8], &[8], &[5, 7]));
        assert!(!ok(&[2, 3, 5, 8], &[2, 3, 7, 8], &[1], &[5, 7]), "a scale per channel");
        assert!(!ok(&[2, 3, 5, 8], &[2, 3, 7, 8], &[8], &[1, 7]), "a [T, U] mask");
        assert!(!ok(&[2, 3, 5, 8], &[2, 3, 7, 6], &[8], &[5, 7]), "key channels");
        assert!(!ok(&[2, 3, 5, 8], &[2, 2, 7, 8], &[8], &[5, 7]), "key heads");
        assert!(!ok(&[1, 3, 5, 8], &[1, 3, 7, 8], &[8], &[5, 7]), "batch dims");
        assert!(!ok(&[5, 8], &[7, 8], &[8], &[5, 7]), "rank 2");
    }
}
