//! avg_pool2d.out:
//! `[x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, out]`.

use super::conv::pair;
use crate::error::Result;
use crate::ir::{DType, Op, Pool2d};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let kernel = pair(cx, cx.arg(args, 1)?, "kernel_size")?;
    let stride = if cx.int_list(cx.arg(args, 2)?)?.is_empty() { kernel } else { pair(cx, cx.arg(args, 2)?, "stride")? };
    let padding = pair(cx, cx.arg(args, 3)?, "padding")?;
    let ceil_mode = cx.bool(cx.arg(args, 4)?)?;
    let count_include_pad = cx.bool(cx.arg(args, 5)?)?;
    let divisor = match cx.arg(args, 6)? {
        d if cx.is_null(d)? => None,
        d => Some(cx.int(d)?).filter(|&d| d != 0).map(Some).ok_or_else(|| cx.invalid("divisor_override is 0"))?,
    };
    let out = cx.output(cx.arg(args, 7)?)?;
    cx.expect_dtype(&[x, out], DType::F32)?;
    if kernel.contains(&0) || stride.contains(&0) || padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1] {
        return Err(cx.invalid(format!("kernel {kernel:?}, stride {stride:?} and padding {padding:?} do not make a window")));
    }
    let (xs, os) = (cx.ty(x).shape.clone(), cx.ty(out).shape.clone());
    let size = |i: usize, d: usize| {
        let span = (i + 2 * padding[d]).checked_sub(kernel[d])?;
        Some(if ceil_mode { span.div_ceil(stride[d]) } else { span / stride[d] } + 1)
    };
    let ok = xs.len() == 4 && os.len() == 4 && xs[..2] == os[..2] && size(xs[2], 0).is_some() && size(xs[3], 1).is_some();
    // With ceil_mode, PyTorch drops a last window that would start in the padding.
    let fits = |o: usize, i: usize, d: usize| size(i, d).is_some_and(|s| o == s || (ceil_mode && o + 1 == s && (o * stride[d]) >= i + padding[d]));
    if !ok || !fits(os[2], xs[2], 0) || !fits(os[3], xs[3], 1) {
        return Err(cx.invalid(format!("unexpected shapes: input {xs:?}, output {os:?}")));
    }
    let pool = Pool2d { kernel, stride, padding, dilation: [1, 1] };
    cx.push(Op::AvgPool2d { pool, count_include_pad, divisor }, vec![x], vec![out]);
    Ok(())
}
