//! permute_copy.out: `[x, dims, out]`.

use crate::error::Result;
use crate::ir::Op;
use crate::lower::cx::{strides, Cx};

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dims = cx.int_list(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    let shape = cx.ty(x).shape.clone();
    // A complex value's pair dim (last) stays last.
    let rank = shape.len() - usize::from(cx.is_complex(cx.arg(args, 0)?));
    let mut perm = dims.iter().map(|&d| cx.dim(d, rank)).collect::<Result<Vec<_>>>()?;
    perm.extend(rank..shape.len());
    let mut seen = vec![false; shape.len()];
    for &p in &perm {
        if std::mem::replace(&mut seen[p], true) {
            return Err(cx.invalid(format!("dims {dims:?} are not a permutation")));
        }
    }
    let expect: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    if perm.len() != shape.len() || expect != cx.ty(out).shape || cx.ty(x).dtype != cx.ty(out).dtype {
        return Err(cx.invalid(format!("output shape {:?} is not {expect:?}", cx.ty(out).shape)));
    }
    let s = strides(&shape);
    cx.push(Op::Gather { offset: 0, strides: perm.iter().map(|&p| s[p]).collect() }, vec![x], vec![out]);
    Ok(())
}
