//! Ints a dynamic-shape program computes at run time: `aten::sym_size.int`
//! and `executorch_prim`'s scalar ops (semantics of ExecuTorch's
//! `kernels/prim_ops/register_prim_ops.cpp`), and the ops that take them:
//! `executorch_prim::et_view`, and slices whose bounds are runtime scalars.
//!
//! A runtime int is kept as `pos + size + offset`: `pos` the scalar
//! `_local_scalar_dense` read (a cache position), `size` a runtime dim. That
//! covers what ExecuTorch's llama export computes (`input_pos + seq_len`);
//! other forms are refused by name.

use std::fmt;

use crate::error::Result;
use crate::ir::{Op, ValueId};
use crate::lower::cx::Cx;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtInt {
    /// The one-element i64 tensor a `_local_scalar_dense` read.
    pub pos: Option<ValueId>,
    /// Dim `.1` of value `.0`, a runtime size.
    pub size: Option<(ValueId, usize)>,
    pub offset: i64,
}

impl RtInt {
    fn of(offset: i64) -> Self {
        RtInt {
            pos: None,
            size: None,
            offset,
        }
    }

    pub fn constant(&self) -> Option<i64> {
        (self.pos.is_none() && self.size.is_none()).then_some(self.offset)
    }

    fn add(self, b: RtInt) -> Option<RtInt> {
        if (self.pos.is_some() && b.pos.is_some()) || (self.size.is_some() && b.size.is_some()) {
            return None;
        }
        Some(RtInt {
            pos: self.pos.or(b.pos),
            size: self.size.or(b.size),
            offset: self.offset.checked_add(b.offset)?,
        })
    }

    /// `self - b`, where `b`'s runtime terms cancel against `self`'s.
    fn sub(self, b: RtInt) -> Option<RtInt> {
        let pos = match (self.pos, b.pos) {
            (p, None) => p,
            (Some(x), Some(y)) if x == y => None,
            _ => return None,
        };
        let size = match (self.size, b.size) {
            (s, None) => s,
            (Some(x), Some(y)) if x == y => None,
            _ => return None,
        };
        Some(RtInt {
            pos,
            size,
            offset: self.offset.checked_sub(b.offset)?,
        })
    }
}

impl fmt::Display for RtInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut terms = Vec::new();
        if self.pos.is_some() {
            terms.push("a scalar read from a tensor".to_string());
        }
        if let Some((_, d)) = self.size {
            terms.push(format!("a runtime size (dim {d})"));
        }
        if self.offset != 0 || terms.is_empty() {
            terms.push(self.offset.to_string());
        }
        f.write_str(&terms.join(" + "))
    }
}

/// The int at pte value `index`: computed at run time, read by
/// `_local_scalar_dense`, or a constant.
fn rt_int(cx: &Cx<'_, '_>, index: usize) -> Result<RtInt> {
    if let Some(&r) = cx.ints.get(&index) {
        return Ok(r);
    }
    if let Some(&v) = cx.map.get(&index) {
        if cx.ty(v).numel() == 1 {
            return Ok(RtInt {
                pos: Some(v),
                size: None,
                offset: 0,
            });
        }
    }
    cx.int(index).map(RtInt::of)
}

/// `[x, dim, out]`: the size of `x` along `dim`, a runtime size or a constant.
pub fn sym_size(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let rank = cx.ty(x).shape.len();
    let dim = cx.dim(cx.int(cx.arg(args, 1)?)?, rank)?;
    let out = cx.arg(args, 2)?;
    let r = match cx.syms.sym(x, dim) {
        Some(_) => RtInt {
            pos: None,
            size: Some((x, dim)),
            offset: 0,
        },
        None => RtInt::of(cx.ty(x).shape.get(dim).copied().unwrap_or(1) as i64),
    };
    cx.ints.insert(out, r);
    Ok(())
}

/// `[a, b, out]` of `executorch_prim::{add, sub, mul, floordiv}.Scalar`.
pub fn scalar_op(cx: &mut Cx<'_, '_>, args: &[usize], op: &str) -> Result<()> {
    let (a, b) = (rt_int(cx, cx.arg(args, 0)?)?, rt_int(cx, cx.arg(args, 1)?)?);
    let out = cx.arg(args, 2)?;
    let r = match (op, a.constant(), b.constant()) {
        ("add", _, _) => a.add(b),
        ("sub", _, _) => a.sub(b),
        ("mul", Some(x), Some(y)) => x.checked_mul(y).map(RtInt::of),
        // Python's floor division on ints, as register_prim_ops.cpp computes it.
        // checked: i64::MIN / -1 overflows, and must not panic the compiler.
        ("floordiv", Some(x), Some(y)) if y != 0 => x
            .checked_div_euclid(y)
            .and_then(|q| q.checked_sub(i64::from(y < 0 && x.rem_euclid(y) != 0)))
            .map(RtInt::of),
        ("floordiv", Some(_), Some(0)) => return Err(cx.invalid("integer division by zero")),
        _ => None,
    };
    let r = r.ok_or_else(|| cx.invalid(format!("`{op}` of ({a}) and ({b}) at run time is not supported (only sums of an input position, a runtime size and constants)")))?;
    cx.ints.insert(out, r);
    Ok(())
}

/// `executorch_prim::et_view.default`: `[x, sizes, out]`, a view whose sizes
/// may be runtime sizes. The elements stay in place.
pub fn et_view(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let list = cx.arg(args, 1)?;
    let items = cx.int_list_items(list)?;
    let out_arg = cx.arg(args, 2)?;
    let ty = cx.tensor_type(out_arg)?;
    if ty.numel() != cx.ty(x).numel() || ty.dtype != cx.ty(x).dtype || items.len() != ty.shape.len()
    {
        return Err(cx.invalid(format!(
            "a view of {:?} as {:?} must keep dtype and element count",
            cx.ty(x).shape,
            ty.shape
        )));
    }
    cx.same_memory_layout(out_arg, x)?;
    let mut dims = Vec::with_capacity(items.len());
    for &item in &items {
        let r = rt_int(cx, item)?;
        dims.push(match (r.constant(), r.size) {
            (Some(_), _) => None,
            (None, Some((v, d))) if r.pos.is_none() && r.offset == 0 => cx.syms.sym(v, d),
            _ => {
                return Err(cx.invalid(format!(
                    "a view size of ({r}) is not supported (only a runtime size itself)"
                )))
            }
        });
    }
    let runtime = cx.syms.is_dynamic(x);
    if dims.iter().any(Option::is_some) && !runtime {
        // The size was lost at an op that does not carry runtime sizes yet: name it.
        let lost = cx.method.nodes.iter().find(|n| {
            !matches!(n.op, Op::UpdateCache | Op::SliceRows { .. })
                && n.inputs.iter().any(|&v| cx.syms.is_dynamic(v))
                && n.outputs.iter().all(|&o| !cx.syms.is_dynamic(o))
        });
        let at = lost.map_or(String::new(), |n| {
            format!(
                ": `{}` (instruction {}) cannot run on a tensor of runtime size yet",
                n.op.name(),
                n.instruction
            )
        });
        return Err(cx.invalid(format!(
            "a view takes a runtime size its input does not have{at}"
        )));
    }
    if dims.iter().all(Option::is_none) && runtime {
        return Err(cx.invalid("a view must keep the runtime size of its input"));
    }
    let id = cx.add(out_arg, ty, crate::ir::Storage::View { base: x, offset: 0 });
    if runtime {
        // The rows stay rows: a runtime dim after dims of size 1, with the same row size.
        let (xs, os) = (cx.ty(x).shape.clone(), cx.ty(id).shape.clone());
        let lead = |s: &[usize], d: usize| s[..d].iter().all(|&n| n == 1);
        let ok = match (
            cx.syms.row(&cx.method, x),
            dims.iter().position(Option::is_some),
        ) {
            (Some((d, _)), Some(e)) => {
                lead(&os, e)
                    && xs[d + 1..].iter().product::<usize>()
                        == os[e + 1..].iter().product::<usize>()
                    && dims.iter().flatten().count() == 1
            }
            _ => false,
        };
        if !ok {
            return Err(cx.invalid(format!(
                "a view of {xs:?} as {os:?} moves elements across the runtime dim"
            )));
        }
    }
    cx.syms.set(id, dims);
    Ok(())
}

/// Whether pte value `index` is an int computed at run time.
pub fn is_runtime(cx: &Cx<'_, '_>, index: usize) -> bool {
    cx.ints.get(&index).is_some_and(|r| r.constant().is_none())
        || cx.map.get(&index).is_some_and(|&v| cx.ty(v).numel() == 1)
}

/// `slice_copy` whose bounds are runtime ints: `end - start` must be a
/// runtime size (the output's), `start` a position plus a constant, step 1.
pub fn slice_runtime(
    cx: &mut Cx<'_, '_>,
    x: ValueId,
    dim: usize,
    start: usize,
    end: usize,
    step: i64,
    out_arg: usize,
) -> Result<()> {
    let (s, e) = (rt_int(cx, start)?, rt_int(cx, end)?);
    let len = e.sub(s);
    let shape = cx.ty(x).shape.clone();
    let ok = step == 1
        && !cx.syms.is_dynamic(x)
        && s.size.is_none()
        && len.is_some_and(|l| l.pos.is_none() && l.offset == 0 && l.size.is_some())
        && shape[..dim].iter().all(|&n| n == 1);
    let Some((v, d)) = len.and_then(|l| l.size).filter(|_| ok) else {
        return Err(cx.invalid(format!("a slice from ({s}) to ({e}) with step {step} is not supported (only a position to the position plus a runtime size)")));
    };
    let out = cx.output(out_arg)?;
    let mut expect = shape.clone();
    expect[dim] = cx.ty(v).shape[d];
    if cx.ty(out).shape != expect || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!(
            "output shape {:?} is not {expect:?}",
            cx.ty(out).shape
        )));
    }
    let sym = cx.syms.sym(v, d);
    cx.syms.set(
        out,
        (0..expect.len())
            .map(|k| if k == dim { sym } else { None })
            .collect(),
    );
    let mut inputs = vec![x];
    inputs.extend(s.pos);
    cx.push(
        Op::SliceRows {
            dim,
            offset: s.offset,
            pos: s.pos.is_some(),
            from_end: false,
        },
        inputs,
        vec![out],
    );
    Ok(())
}

/// `select_copy` along the runtime dim of `x`: one row at `index` (from the end when negative).
pub fn select_runtime(
    cx: &mut Cx<'_, '_>,
    x: ValueId,
    dim: usize,
    index: i64,
    out_arg: usize,
) -> Result<()> {
    if cx.syms.row(&cx.method, x).is_none_or(|(d, _)| d != dim) {
        return Err(cx.invalid("a select along a runtime dim needs dims of size 1 before it"));
    }
    let out = cx.output(out_arg)?;
    let mut expect = cx.ty(x).shape.clone();
    expect.remove(dim);
    if cx.ty(out).shape != expect || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!(
            "output shape {:?} is not {expect:?}",
            cx.ty(out).shape
        )));
    }
    // The row comes out with its dim (of size 1) kept; `out` is a view of it.
    let wide = cx.unsqueeze_output(out, dim);
    cx.push(
        Op::SliceRows {
            dim,
            offset: index,
            pos: false,
            from_end: index < 0,
        },
        vec![x],
        vec![wide],
    );
    Ok(())
}
