//! Conv2d and DepthwiseConv2d: NHWC in XNNPACK, NCHW in the IR.

use super::layout::NHWC;
use super::X;
use crate::error::Result;
use crate::ir::{Conv2d, ConvTranspose2d, DType, Op, Storage, TensorType, ValueId};
use crate::lower::strides;
use crate::lower::ops::conv::out_size;
use crate::pte::xnnpack::{Conv, Node};

/// Where XNNPACK keeps a depthwise filter's output channels, `[1, kh, kw, cout]`,
/// and a transposed one's input channels, `[cout, kh, kw, cin]`.
const DEPTHWISE_FILTER: [usize; 4] = [1, 2, 3, 0];

pub fn lower(x: &mut X<'_, '_, '_, '_>, node: &Node, conv: &Conv, input: u32, w: u32, bias: Option<u32>) -> Result<()> {
    let [top, right, bottom, left] = conv.padding;
    if top != bottom || left != right {
        return Err(x.cx.invalid(format!("padding {:?} (top, right, bottom, left) is not symmetric", conv.padding)));
    }
    if node.flags != 0 {
        return Err(x.cx.invalid(format!("flags {:#x} are not supported", node.flags)));
    }
    if conv.transposed {
        return transposed(x, node, conv, input, w, bias);
    }
    let xs = x.value(input)?.dims.clone();
    let ws = x.value(w)?.dims.clone();
    let os = x.value(node.output)?.dims.clone();
    let filter = if conv.depthwise { DEPTHWISE_FILTER } else { NHWC };
    let shapes_ok = xs.len() == 4 && ws.len() == 4 && os.len() == 4 && {
        let (cout, kh, kw) = if conv.depthwise { (ws[3], ws[1], ws[2]) } else { (ws[0], ws[1], ws[2]) };
        let cin_per_group = if conv.depthwise { 1 } else { ws[3] };
        conv.groups > 0
            && cin_per_group * conv.groups == xs[3]
            && cout == os[3]
            && cout % conv.groups == 0
            && [kh, kw] == conv.kernel
            && os[0] == xs[0]
            && out_size(xs[1], kh, top, conv.stride[0], conv.dilation[0]) == Some(os[1])
            && out_size(xs[2], kw, left, conv.stride[1], conv.dilation[1]) == Some(os[2])
    };
    if !shapes_ok {
        return Err(x.cx.invalid(format!("shapes do not convolve: input {xs:?}, filter {ws:?}, output {os:?}")));
    }
    let mut inputs = vec![x.input_as(input, &NHWC)?, x.weight(w, &filter)?];
    if let Some(b) = bias {
        inputs.push(x.bias(b, os[3])?);
    }
    let op = Conv2d {
        stride: conv.stride,
        padding: [top, left],
        dilation: conv.dilation,
        groups: conv.groups,
        has_bias: bias.is_some(),
        clamp: None,
        residual: false,
    };
    let out = x.result(node, &NHWC)?;
    x.cx.push(Op::Conv2d(op), inputs, vec![out]);
    x.finish(node, out, NHWC.to_vec())
}

/// XNNPACK's `[cout, kh, kw, cin]` filter is PyTorch's `[cin, cout, kh, kw]`
/// with dims moved; shapes are checked by the portable lowering's `push`.
fn transposed(x: &mut X<'_, '_, '_, '_>, node: &Node, conv: &Conv, input: u32, w: u32, bias: Option<u32>) -> Result<()> {
    let [top, right, bottom, left] = conv.padding;
    if top != bottom || left != right || conv.groups == 0 {
        return Err(x.cx.invalid(format!("padding {:?} is not symmetric, or groups is 0", conv.padding)));
    }
    let os = x.value(node.output)?.dims.clone();
    if os.len() != 4 {
        return Err(x.cx.invalid(format!("output dims {os:?} are not 4-d")));
    }
    let filter = x.weight(w, &DEPTHWISE_FILTER)?;
    let filter = ungroup(x, filter, conv.groups)?;
    let mut inputs = vec![x.input_as(input, &NHWC)?, filter];
    if let Some(b) = bias {
        inputs.push(x.bias(b, os[3])?);
    }
    let c = ConvTranspose2d { stride: conv.stride, padding: [top, left], dilation: conv.dilation, groups: conv.groups, has_bias: bias.is_some() };
    let out = x.result(node, &NHWC)?;
    crate::lower::ops::conv_transpose::push(x.cx, inputs, out, c, conv.adjustment)?;
    x.finish(node, out, NHWC.to_vec())
}

/// XNNPACK groups a transposed filter by output channel, `[g * cout_g, kh, kw, cin_g]`
/// (here moved to `[cin_g, g * cout_g, kh, kw]`); PyTorch by input channel,
/// `[g * cin_g, cout_g, kh, kw]`. A strided gather regroups it (folded: it is a weight).
fn ungroup(x: &mut X<'_, '_, '_, '_>, filter: ValueId, groups: usize) -> Result<ValueId> {
    if groups == 1 {
        return Ok(filter);
    }
    let fs = x.cx.ty(filter).shape.clone();
    if fs.len() != 4 || !fs[1].is_multiple_of(groups) {
        return Err(x.cx.invalid(format!("filter {fs:?} does not split into {groups} groups")));
    }
    let (cin_g, cout_g) = (fs[0], fs[1] / groups);
    let st = strides(&fs);
    let ty = |shape| TensorType { dtype: DType::F32, shape };
    let split = x.cx.temp(ty(vec![groups, cin_g, cout_g, fs[2], fs[3]]), Storage::Arena);
    let gather = Op::Gather { offset: 0, strides: vec![cout_g * st[1], st[0], st[1], st[2], st[3]] };
    x.cx.push(gather, vec![filter], vec![split]);
    Ok(x.cx.temp(ty(vec![groups * cin_g, cout_g, fs[2], fs[3]]), Storage::View { base: split, offset: 0 }))
}
