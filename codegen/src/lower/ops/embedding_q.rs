//! Quantized embeddings: `quantized_decomposed::embedding_4bit` and
//! `embedding_byte`, `.out` (`[weight, scales, zero_points?, quant_min,
//! quant_max, indices, out]`) and `.dtype_out` (`[.., indices, dtype?, out]`).
//! quant_min and quant_max are metadata only, as in ExecuTorch's kernel.

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn four_bit(cx: &mut Cx<'_, '_>, args: &[usize], dtype_out: bool) -> Result<()> {
    lower(cx, args, dtype_out, 4)
}

pub fn byte(cx: &mut Cx<'_, '_>, args: &[usize], dtype_out: bool) -> Result<()> {
    lower(cx, args, dtype_out, 8)
}

fn lower(cx: &mut Cx<'_, '_>, args: &[usize], dtype_out: bool, bits: u8) -> Result<()> {
    let weight = cx.input(cx.arg(args, 0)?)?;
    let scales = cx.input(cx.arg(args, 1)?)?;
    let zp = cx.opt_input(cx.arg(args, 2)?)?;
    let index = cx.input(cx.arg(args, 5)?)?;
    let out = cx.output(cx.arg(args, if dtype_out { 7 } else { 6 })?)?;
    let (ws, ss) = (cx.ty(weight).shape.clone(), cx.ty(scales).shape.clone());
    let wd = cx.ty(weight).dtype;
    let ok_weight = match bits {
        4 => wd == DType::U8,
        _ => wd == DType::U8 || wd == DType::I8,
    };
    if !ok_weight || ws.len() != 2 {
        return Err(cx.invalid(format!("a {bits}-bit table of {wd} {ws:?} is not supported")));
    }
    cx.expect_dtype(&[scales, out], DType::F32)?;
    if !matches!(cx.ty(index).dtype, DType::I64 | DType::I32) {
        return Err(cx.invalid(format!("indices of {} are not supported", cx.ty(index).dtype)));
    }
    let dim = if bits == 4 { ws[1] * 2 } else { ws[1] };
    let groups = match ss[..] {
        [r] if r == ws[0] => 1,
        [r, g] if r == ws[0] && g > 0 && dim % g == 0 => g,
        _ => return Err(cx.invalid(format!("scales {ss:?} do not fit a table of {} rows of {dim}", ws[0]))),
    };
    let mut inputs = vec![weight, scales, index];
    if let Some(z) = zp {
        cx.expect_dtype(&[z], DType::F32)?;
        if cx.ty(z).shape != ss {
            return Err(cx.invalid(format!("zero points {:?} are not shaped like the scales {ss:?}", cx.ty(z).shape)));
        }
        inputs.push(z);
    }
    let mut expect = cx.ty(index).shape.clone();
    expect.push(dim);
    if cx.ty(out).shape != expect {
        return Err(cx.invalid(format!("output {:?} is not {expect:?}", cx.ty(out).shape)));
    }
    cx.check_const_index(index, ws[0], false)?;
    cx.push(Op::EmbeddingQ { bits, groups, has_zp: zp.is_some() }, inputs, vec![out]);
    Ok(())
}
