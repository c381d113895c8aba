//! _adaptive_avg_pool2d.out: `[x, output_size, out]`, over the last two dims (f32 or i64).

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn avg(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let size = cx.int_list(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    let (xs, os) = (cx.ty(x).shape.clone(), cx.ty(out).shape.clone());
    let d = cx.ty(x).dtype;
    let r = xs.len();
    let fits = (r == 3 || r == 4)
        && os.len() == r
        && xs[..r - 2] == os[..r - 2]
        && size.iter().map(|&s| usize::try_from(s).ok()).collect::<Option<Vec<_>>>().as_deref() == Some(&os[r - 2..])
        && os[r - 2..].iter().all(|&s| s > 0)
        && matches!(d, DType::F32 | DType::I64)
        && cx.ty(out).dtype == d;
    if !fits {
        return Err(cx.invalid(format!("adaptive pooling of {xs:?} ({d}) to {size:?} is not supported")));
    }
    cx.push(Op::AdaptiveAvgPool2d, vec![x], vec![out]);
    Ok(())
}
