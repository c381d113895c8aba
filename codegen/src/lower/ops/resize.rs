//! upsample_bilinear2d.vec_out: `[x, output_size?, align_corners, scale_factors?, out]`;
//! upsample_nearest2d.vec_out: `[x, output_size?, scale_factors?, out]`;
//! grid_sampler_2d.out: `[x, grid, interpolation_mode, padding_mode, align_corners, out]`.

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn bilinear(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let align_corners = cx.bool(cx.arg(args, 2)?)?;
    let scales = cx.opt_double_list(cx.arg(args, 3)?)?;
    let out = cx.output(cx.arg(args, 4)?)?;
    cx.expect_dtype(&[x, out], DType::F32)?;
    let (xs, os) = (cx.ty(x).shape.clone(), cx.ty(out).shape.clone());
    if xs.len() != 4 || os.len() != 4 || xs[..2] != os[..2] || os[2..].contains(&0) || xs[2..].contains(&0) {
        return Err(cx.invalid(format!("unexpected shapes: input {xs:?}, output {os:?}")));
    }
    let scale = |d: usize| match &scales {
        Some(s) => s.get(d - 2).copied().filter(|&v| v > 0.0).ok_or_else(|| cx.invalid(format!("scale factors {s:?} are not two positive numbers"))),
        None => Ok(os[d] as f64 / xs[d] as f64),
    };
    let ratio = [ratio(xs[2], os[2], align_corners, scale(2)?), ratio(xs[3], os[3], align_corners, scale(3)?)];
    cx.push(Op::ResizeBilinear { align_corners, ratio }, vec![x], vec![out]);
    Ok(())
}

pub fn nearest(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let scales = cx.opt_double_list(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    let (xs, os) = (cx.ty(x).shape.clone(), cx.ty(out).shape.clone());
    if xs.len() != 4 || os.len() != 4 || xs[..2] != os[..2] || cx.ty(x).dtype != cx.ty(out).dtype {
        return Err(cx.invalid(format!("unexpected shapes: input {xs:?}, output {os:?}")));
    }
    let scale = |d: usize| match &scales {
        Some(s) => s.get(d - 2).copied().filter(|&v| v > 0.0).ok_or_else(|| cx.invalid(format!("scale factors {s:?} are not two positive numbers"))),
        None => Ok(os[d] as f64 / xs[d].max(1) as f64),
    };
    let ratio = [ratio(xs[2], os[2], false, scale(2)?), ratio(xs[3], os[3], false, scale(3)?)];
    cx.push(Op::ResizeNearest { ratio }, vec![x], vec![out]);
    Ok(())
}

/// _upsample_bilinear2d_aa.out: `[x, output_size, align_corners, scales_h?, scales_w?, out]`.
pub fn bilinear_aa(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let align_corners = cx.bool(cx.arg(args, 2)?)?;
    let (sh, sw) = (cx.opt_scalar(cx.arg(args, 3)?)?, cx.opt_scalar(cx.arg(args, 4)?)?);
    let out = cx.output(cx.arg(args, 5)?)?;
    cx.expect_dtype(&[x, out], DType::F32)?;
    let (xs, os) = (cx.ty(x).shape.clone(), cx.ty(out).shape.clone());
    if xs.len() != 4 || os.len() != 4 || xs[..2] != os[..2] || os[2..].contains(&0) || xs[2..].contains(&0) {
        return Err(cx.invalid(format!("unexpected shapes: input {xs:?}, output {os:?}")));
    }
    // Both scales given, or both from the sizes (as a ratio, then inverted, as ExecuTorch does).
    let given = sh.zip(sw);
    let scale = |d: usize, s: Option<f64>| {
        let (i, o) = (xs[d], os[d]);
        let r = match (align_corners, o > 1) {
            (true, true) => (i - 1) as f64 / (o - 1) as f64,
            (true, false) => 0.0,
            (false, _) => 1.0 / s.unwrap_or(o as f64 / i as f64),
        };
        f64::from(r as f32)
    };
    let scale = [scale(2, given.map(|g| g.0)), scale(3, given.map(|g| g.1))];
    cx.push(Op::ResizeBilinearAa { scale }, vec![x], vec![out]);
    Ok(())
}

/// Bilinear and nearest sampling (bicubic is not supported yet).
pub fn grid_sampler(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let grid = cx.input(cx.arg(args, 1)?)?;
    let mode = cx.int(cx.arg(args, 2)?)?;
    let padding = cx.int(cx.arg(args, 3)?)?;
    let align_corners = cx.bool(cx.arg(args, 4)?)?;
    let out = cx.output(cx.arg(args, 5)?)?;
    cx.expect_dtype(&[x, grid, out], DType::F32)?;
    let (xs, gs, os) = (cx.ty(x).shape.clone(), cx.ty(grid).shape.clone(), cx.ty(out).shape.clone());
    let fits = xs.len() == 4 && gs.len() == 4 && os.len() == 4 && gs[3] == 2 && gs[0] == xs[0] && os[..2] == xs[..2] && os[2..] == gs[1..3];
    if !fits {
        return Err(cx.invalid(format!("grid {gs:?} does not sample {xs:?} into {os:?}")));
    }
    let nearest = match mode {
        0 => false,
        1 => true,
        _ => return Err(cx.invalid(format!("interpolation mode {mode} (bicubic) is not supported yet"))),
    };
    let padding = u8::try_from(padding).ok().filter(|&p| p <= 2).ok_or_else(|| cx.invalid(format!("unknown padding mode {padding}")))?;
    cx.push(Op::GridSample { nearest, padding, align_corners }, vec![x, grid], vec![out]);
    Ok(())
}

/// ExecuTorch's source step per output step, rounded to f32 as its kernel does.
pub fn ratio(input: usize, output: usize, align_corners: bool, scale: f64) -> f64 {
    let r = match (align_corners, output > 1) {
        (true, true) => (input - 1) as f64 / (output - 1) as f64,
        (true, false) => 0.0,
        (false, _) => 1.0 / scale,
    };
    f64::from(r as f32)
}
