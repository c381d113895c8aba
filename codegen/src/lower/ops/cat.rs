//! cat.out: `[tensors, dim, out]`. Parts of another dtype are cast first, as
//! ExecuTorch's kernel casts each element to the output's dtype.

use crate::error::Result;
use crate::ir::{Op, Storage, TensorType};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let parts = cx.tensor_list(cx.arg(args, 0)?)?;
    let dim = cx.int(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    let mut inputs = parts.iter().map(|&p| cx.input(p)).collect::<Result<Vec<_>>>()?;
    let shape = cx.ty(out).shape.clone();
    let dim = cx.dim(dim, shape.len())?;
    let mut total = 0;
    for &i in &inputs {
        let s = &cx.ty(i).shape;
        // PyTorch skips empty 1-D parts in cat.
        if s == &[0] {
            continue;
        }
        let same = s.len() == shape.len() && s.iter().zip(&shape).enumerate().all(|(d, (a, b))| d == dim || a == b);
        if !same {
            return Err(cx.invalid(format!("part of shape {s:?} does not fit output {shape:?}")));
        }
        total += s[dim];
    }
    let dtype = cx.ty(out).dtype;
    for i in inputs.iter_mut() {
        if cx.ty(*i).dtype != dtype && cx.ty(*i).shape != [0] {
            let ty = TensorType { dtype, shape: cx.ty(*i).shape.clone() };
            let cast = cx.temp(ty, Storage::Arena);
            cx.push(Op::Cast, vec![*i], vec![cast]);
            *i = cast;
        }
    }
    if total != shape[dim] {
        return Err(cx.invalid("parts do not add up to the output"));
    }
    cx.push(Op::Concat { dim }, inputs, vec![out]);
    Ok(())
}
