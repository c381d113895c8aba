//! constant_pad_nd.out: `[x, pad, value, out]`. `pad` holds (before, after)
//! pairs from the last dim backwards; negative entries (cropping) are refused.

use crate::error::Result;
use crate::ir::Op;
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let pad = cx.int_list(cx.arg(args, 1)?)?;
    let value = cx.scalar(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    let (xs, os) = (cx.ty(x).shape.clone(), cx.ty(out).shape.clone());
    if pad.len() % 2 != 0 || pad.len() / 2 > xs.len() || pad.iter().any(|&p| !(0..1 << 20).contains(&p)) {
        return Err(cx.invalid(format!("pad {pad:?} is not a list of non-negative (before, after) pairs for rank {}", xs.len())));
    }
    let mut before = vec![0; xs.len()];
    let mut expect = xs.clone();
    for (k, pair) in pad.chunks_exact(2).enumerate() {
        let d = xs.len() - 1 - k;
        before[d] = pair[0] as usize;
        expect[d] += (pair[0] + pair[1]) as usize;
    }
    if expect != os || cx.ty(x).dtype != cx.ty(out).dtype {
        return Err(cx.invalid(format!("output {os:?} is not the padded shape {expect:?}")));
    }
    cx.push(Op::Pad { before, value }, vec![x], vec![out]);
    Ok(())
}
