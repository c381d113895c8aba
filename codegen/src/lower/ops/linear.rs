//! linear.out (`[x, weight, bias?, out]`): `x [.., k] · weight [n, k]^T + bias`,
//! as addmm (or mm) on `[m, k]`, the weight's transpose folded when it is a constant.

use crate::error::Result;
use crate::ir::{DType, Op, Storage, TensorType};
use crate::lower::cx::Cx;

pub fn linear(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let w = cx.input(cx.arg(args, 1)?)?;
    let bias = cx.opt_input(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    cx.expect_dtype(&[x, w, out], DType::F32)?;
    let (xs, ws, os) = (cx.ty(x).shape.clone(), cx.ty(w).shape.clone(), cx.ty(out).shape.clone());
    let [n, k] = ws[..] else { return Err(cx.invalid(format!("weight of shape {ws:?} is not 2-d"))) };
    let m = xs.iter().product::<usize>() / k.max(1);
    let ok = k > 0 && xs.last() == Some(&k) && os.last() == Some(&n) && os.iter().product::<usize>() == m * n && xs.len() == os.len();
    if !ok {
        return Err(cx.invalid(format!("shapes do not multiply: input {xs:?}, weight {ws:?}, output {os:?}")));
    }
    let a = cx.temp(TensorType { dtype: DType::F32, shape: vec![m, k] }, Storage::View { base: x, offset: 0 });
    let wt = cx.temp(TensorType { dtype: DType::F32, shape: vec![k, n] }, Storage::Arena);
    cx.push(Op::Gather { offset: 0, strides: vec![1, k] }, vec![w], vec![wt]);
    let wide = cx.reshape_output(out, vec![m, n]);
    match bias {
        Some(b) => {
            cx.expect_dtype(&[b], DType::F32)?;
            if cx.ty(b).numel() != n || cx.ty(b).shape.len() != 1 {
                return Err(cx.invalid(format!("bias of shape {:?} is not [{n}]", cx.ty(b).shape)));
            }
            cx.push(Op::Addmm { beta: 1.0, alpha: 1.0 }, vec![b, a, wt], vec![wide]);
        }
        None => cx.push(Op::Mm, vec![a, wt], vec![wide]),
    }
    Ok(())
}
