//! ATen ops that need more than a spec: the high-level forms of the default
//! export (`linear`, `matmul`, `layer_norm`, `scaled_dot_product_attention`,
//! `lstm`, ...), mapped to the calls ExecuTorch's decomposition gives, and
//! aliases that need no call at all.

use super::build::Builder;
use super::ops::{outputs, spec_args, value};
use crate::error::Result;
use crate::pt2::{Arg, Node};
use crate::pte::ScalarType;

fn input(b: &Builder<'_>, n: &Node, name: &str) -> Result<usize> {
    match n.arg(name) {
        Some(Arg::Tensor(t)) => b.tensor(t),
        other => Err(b.invalid(format!("argument `{name}`: expected a tensor, found {other:?}"))),
    }
}

fn opt_input(b: &Builder<'_>, n: &Node, name: &str) -> Result<Option<usize>> {
    match n.arg(name) {
        None | Some(Arg::None) => Ok(None),
        Some(Arg::Tensor(t)) => b.tensor(t).map(Some),
        other => Err(b.invalid(format!("argument `{name}`: expected a tensor, found {other:?}"))),
    }
}

fn int(b: &Builder<'_>, n: &Node, name: &str, default: i64) -> Result<i64> {
    match n.arg(name) {
        None => Ok(default),
        Some(Arg::Int(v)) => Ok(*v),
        Some(Arg::SymInt(s)) => b.sym(s),
        other => Err(b.invalid(format!("argument `{name}`: expected an int, found {other:?}"))),
    }
}

fn flag(b: &Builder<'_>, n: &Node, name: &str, default: bool) -> Result<bool> {
    match n.arg(name) {
        None => Ok(default),
        Some(Arg::Bool(v)) => Ok(*v),
        other => Err(b.invalid(format!("argument `{name}`: expected a bool, found {other:?}"))),
    }
}

fn float(b: &Builder<'_>, n: &Node, name: &str, default: f64) -> Result<f64> {
    match n.arg(name) {
        None | Some(Arg::None) => Ok(default),
        Some(Arg::Float(v)) => Ok(*v),
        Some(Arg::Int(v)) => Ok(*v as f64),
        other => Err(b.invalid(format!("argument `{name}`: expected a float, found {other:?}"))),
    }
}

fn one_output(b: &mut Builder<'_>, n: &Node) -> Result<usize> {
    match n.outputs.first() {
        Some(Some(name)) => b.output(name),
        _ => Err(b.invalid("the node has no named output")),
    }
}

fn dim(b: &Builder<'_>, d: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let d2 = if d < 0 { d + r } else { d };
    if (0..r.max(1)).contains(&d2) {
        Ok(d2 as usize)
    } else {
        Err(b.invalid(format!("dim {d} is out of range for rank {rank}")))
    }
}

fn as_i64(v: &[usize]) -> Vec<i64> {
    v.iter().map(|&s| s as i64).collect()
}

/// `x` under a new shape: `x` itself when it already has it, else a `view_copy`.
fn view_to(b: &mut Builder<'_>, x: usize, shape: &[usize]) -> Result<usize> {
    if b.shape(x) == shape {
        return Ok(x);
    }
    let out = b.temp_like(x, None, shape)?;
    let size = b.ints(&as_i64(shape));
    b.call("aten::view_copy.out", vec![x, size], &[out]);
    Ok(out)
}

fn view_into(b: &mut Builder<'_>, x: usize, out: usize) {
    let size = b.ints(&as_i64(&b.shape(out)));
    b.call("aten::view_copy.out", vec![x, size], &[out]);
}

/// A new tensor shaped like `like`, written by `op` from `args`.
fn unary_temp(b: &mut Builder<'_>, op: &str, args: Vec<usize>, like: usize) -> Result<usize> {
    let out = b.temp_like(like, None, &b.shape(like))?;
    b.call(op, args, &[out]);
    Ok(out)
}

pub fn alias(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "self")?;
    let Some(Some(out)) = n.outputs.first() else { return Err(b.invalid("no output")) };
    b.alias(out, x);
    Ok(())
}

pub fn dropout(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    if flag(b, n, "train", false)? {
        return Err(b.invalid("dropout in training mode; export the model after `.eval()`"));
    }
    let x = if n.arg("input").is_some() { input(b, n, "input")? } else { input(b, n, "self")? };
    let Some(Some(out)) = n.outputs.first() else { return Err(b.invalid("no output")) };
    b.alias(out, x);
    Ok(())
}

pub fn to_copy(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "self")?;
    let out = one_output(b, n)?;
    let nb = b.bool(false);
    let mf = b.null();
    b.call("aten::_to_copy.out", vec![x, nb, mf], &[out]);
    Ok(())
}

pub fn view(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "self")?;
    let out = one_output(b, n)?;
    view_into(b, x, out);
    Ok(())
}

pub fn sym_size(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "self")?;
    let shape = b.shape(x);
    let d = dim(b, int(b, n, "dim", 0)?, shape.len())?;
    let Some(Some(out)) = n.outputs.first() else { return Err(b.invalid("no output")) };
    b.sym_values.insert(out.clone(), shape[d] as i64);
    Ok(())
}

/// add/sub (with alpha), mul, div: the `.Scalar_out` form when `other` is a number.
pub fn binary(b: &mut Builder<'_>, n: &Node, name: &str, alpha: bool) -> Result<()> {
    // Core ATen may put a number in `self`: `1.0 - t` is `rsub(t, 1.0)`, `2 * t` is `t * 2`.
    if let (Some(s @ (Arg::Int(_) | Arg::Float(_))), Some(Arg::Tensor(t))) = (n.arg("self"), n.arg("other")) {
        let t = b.tensor(t)?;
        let s = value(b, s, "S").map_err(|m| b.invalid(format!("argument `self`: {m}")))?;
        let (op, mut args) = match name {
            "sub" => ("aten::rsub.Scalar_out", vec![t, s]),
            "add" | "mul" => (if name == "add" { "aten::add.Scalar_out" } else { "aten::mul.Scalar_out" }, vec![t, s]),
            _ => return Err(b.invalid(format!("{name} of a number by a tensor is not supported yet"))),
        };
        if alpha {
            let a = match n.arg("alpha") {
                Some(a) => value(b, a, "S").map_err(|m| b.invalid(format!("argument `alpha`: {m}")))?,
                None => b.int(1),
            };
            args.push(a);
        }
        let out = one_output(b, n)?;
        b.call(op, args, &[out]);
        return Ok(());
    }
    let x = input(b, n, "self")?;
    let other = n.arg("other").ok_or_else(|| b.invalid("argument `other` is missing"))?;
    let (op, o) = match other {
        Arg::Tensor(t) => (format!("aten::{name}.out"), b.tensor(t)?),
        a => (format!("aten::{name}.Scalar_out"), value(b, a, "S").map_err(|m| b.invalid(format!("argument `other`: {m}")))?),
    };
    if n.arg("rounding_mode").is_some_and(|m| !matches!(m, Arg::None)) {
        return Err(b.invalid("div with a rounding mode is not supported from .pt2 yet"));
    }
    let mut args = vec![x, o];
    if alpha {
        let a = match n.arg("alpha") {
            Some(a) => value(b, a, "S").map_err(|m| b.invalid(format!("argument `alpha`: {m}")))?,
            None => b.int(1),
        };
        args.push(a);
    }
    let out = one_output(b, n)?;
    b.call(&op, args, &[out]);
    Ok(())
}

fn scalar_op(b: &mut Builder<'_>, op: &str, x: usize, s: f64, alpha: bool) -> Result<usize> {
    let v = b.double(s);
    let mut args = vec![x, v];
    if alpha {
        args.push(b.int(1));
    }
    unary_temp(b, op, args, x)
}

pub fn silu(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "self")?;
    let s = unary_temp(b, "aten::sigmoid.out", vec![x], x)?;
    let out = one_output(b, n)?;
    b.call("aten::mul.out", vec![x, s], &[out]);
    Ok(())
}

/// `clamp(x + 3, 0, 6)`, as ExecuTorch's decomposition writes it.
fn relu6_plus3(b: &mut Builder<'_>, x: usize) -> Result<usize> {
    let t = scalar_op(b, "aten::add.Scalar_out", x, 3.0, true)?;
    let (lo, hi) = (b.double(0.0), b.double(6.0));
    unary_temp(b, "aten::clamp.out", vec![t, lo, hi], x)
}

pub fn hardswish(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "self")?;
    let c = relu6_plus3(b, x)?;
    let m = unary_temp(b, "aten::mul.out", vec![x, c], x)?;
    let six = b.double(6.0);
    let out = one_output(b, n)?;
    b.call("aten::div.Scalar_out", vec![m, six], &[out]);
    Ok(())
}

pub fn hardsigmoid(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "self")?;
    let c = relu6_plus3(b, x)?;
    let six = b.double(6.0);
    let out = one_output(b, n)?;
    b.call("aten::div.Scalar_out", vec![c, six], &[out]);
    Ok(())
}

pub fn conv_transpose2d(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let args = spec_args(b, n, "input:T weight:T bias:T? stride:L=1,1 padding:L=0,0 dilation:L=1,1 -:B=true output_padding:L=0,0 groups:I=1")?;
    let outs = outputs(b, n)?;
    b.call("aten::convolution.out", args, &outs);
    Ok(())
}

pub fn max_pool2d(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let args = spec_args(b, n, "self:T kernel_size:L stride:L= padding:L=0 dilation:L=1 ceil_mode:B=false")?;
    let out = one_output(b, n)?;
    let indices = b.temp_like(out, Some(ScalarType::Long), &b.shape(out))?;
    b.call("aten::max_pool2d_with_indices.out", args, &[out, indices]);
    Ok(())
}

/// Outputs of a node, or scratch of the given shapes where it leaves them unnamed or untyped.
fn outputs_or(b: &mut Builder<'_>, n: &Node, fallback: &[(ScalarType, Vec<usize>)]) -> Result<Vec<usize>> {
    let mut outs = Vec::new();
    for (k, (st, shape)) in fallback.iter().enumerate() {
        match n.outputs.get(k) {
            Some(Some(name)) if b.ep.tensors.contains_key(name) => outs.push(b.output(name)?),
            _ => outs.push(b.temp(*st, shape)?),
        }
    }
    Ok(outs)
}

pub fn batch_norm(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    if flag(b, n, "training", false)? {
        return Err(b.invalid("batch_norm in training mode; export the model after `.eval()`"));
    }
    if opt_input(b, n, "running_mean")?.is_none() || opt_input(b, n, "running_var")?.is_none() {
        return Err(b.invalid("batch_norm without running statistics is not supported"));
    }
    let args = spec_args(b, n, "input:T weight:T? bias:T? running_mean:T running_var:T momentum:F=0.1 eps:F=1e-5")?;
    let out = one_output(b, n)?;
    let (m, v) = (b.temp(ScalarType::Float, &[0])?, b.temp(ScalarType::Float, &[0])?);
    b.call("aten::_native_batch_norm_legit_no_training.out", args, &[out, m, v]);
    Ok(())
}

pub fn batch_norm_core(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let args = spec_args(b, n, "input:T weight:T? bias:T? running_mean:T running_var:T momentum:F eps:F")?;
    let x = *args.first().ok_or_else(|| b.invalid("no input"))?;
    let shape = b.shape(x);
    let outs = outputs_or(b, n, &[(ScalarType::Float, shape), (ScalarType::Float, vec![0]), (ScalarType::Float, vec![0])])?;
    b.call("aten::_native_batch_norm_legit_no_training.out", args, &outs);
    Ok(())
}

fn stats_shape(b: &Builder<'_>, x: usize, inner: usize) -> Vec<usize> {
    let mut s = b.shape(x);
    let r = s.len();
    for d in s.iter_mut().skip(r.saturating_sub(inner)) {
        *d = 1;
    }
    s
}

pub fn layer_norm(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let args = spec_args(b, n, "input:T normalized_shape:L weight:T? bias:T? eps:F=1e-5")?;
    let x = args[0];
    let inner = match n.arg("normalized_shape") {
        Some(Arg::Ints(v)) => v.len(),
        Some(Arg::SymInts(v)) => v.len(),
        _ => 1,
    };
    let out = one_output(b, n)?;
    let s = stats_shape(b, x, inner);
    let (m, r) = (b.temp(ScalarType::Float, &s)?, b.temp(ScalarType::Float, &s)?);
    b.call("aten::native_layer_norm.out", args, &[out, m, r]);
    Ok(())
}

pub fn layer_norm_core(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let args = spec_args(b, n, "input:T normalized_shape:L weight:T? bias:T? eps:F")?;
    let x = args[0];
    let inner = match n.arg("normalized_shape") {
        Some(Arg::Ints(v)) => v.len(),
        _ => 1,
    };
    let (shape, s) = (b.shape(x), stats_shape(b, x, inner));
    let outs = outputs_or(b, n, &[(ScalarType::Float, shape), (ScalarType::Float, s.clone()), (ScalarType::Float, s)])?;
    b.call("aten::native_layer_norm.out", args, &outs);
    Ok(())
}

/// `x @ w.T + bias` as ExecuTorch writes it: a permuted weight and `addmm`
/// (or `mm`), through a 2-D view when `x` has more dims.
fn linear_into(b: &mut Builder<'_>, x: usize, w: usize, bias: Option<usize>, out: Option<usize>) -> Result<usize> {
    let (xs, ws) = (b.shape(x), b.shape(w));
    let [_, k] = ws[..] else { return Err(b.invalid(format!("linear weight of shape {ws:?} is not 2-D"))) };
    if xs.last() != Some(&k) {
        return Err(b.invalid(format!("linear input {xs:?} does not end in {k}")));
    }
    let wt = transposed(b, w)?;
    linear_t(b, x, wt, bias, out)
}

/// `w` as `[k, n]`: the permuted weight `addmm` takes.
fn transposed(b: &mut Builder<'_>, w: usize) -> Result<usize> {
    let ws = b.shape(w);
    let [nout, k] = ws[..] else { return Err(b.invalid(format!("linear weight of shape {ws:?} is not 2-D"))) };
    let wt = b.temp(b.dtype(w), &[k, nout])?;
    let perm = b.ints(&[1, 0]);
    b.call("aten::permute_copy.out", vec![w, perm], &[wt]);
    Ok(wt)
}

/// `x @ wt + bias` with `wt` already `[k, n]`.
fn linear_t(b: &mut Builder<'_>, x: usize, wt: usize, bias: Option<usize>, out: Option<usize>) -> Result<usize> {
    let xs = b.shape(x);
    let [k, nout] = b.shape(wt)[..] else { return Err(b.invalid("a transposed weight that is not 2-D")) };
    let m: usize = xs[..xs.len() - 1].iter().product();
    let x2 = view_to(b, x, &[m, k])?;
    let mut ys = xs.clone();
    *ys.last_mut().unwrap_or(&mut 0) = nout;
    let y2 = match out {
        Some(o) if xs.len() == 2 => o,
        _ => b.temp_like(x, None, &[m, nout])?,
    };
    match bias {
        Some(bias) => {
            let (beta, alpha) = (b.int(1), b.int(1));
            b.call("aten::addmm.out", vec![bias, x2, wt, beta, alpha], &[y2]);
        }
        None => b.call("aten::mm.out", vec![x2, wt], &[y2]),
    }
    match out {
        Some(o) if o == y2 => Ok(o),
        Some(o) => {
            view_into(b, y2, o);
            Ok(o)
        }
        None => view_to(b, y2, &ys),
    }
}

pub fn linear(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "input")?;
    let w = input(b, n, "weight")?;
    let bias = opt_input(b, n, "bias")?;
    let out = one_output(b, n)?;
    linear_into(b, x, w, bias, Some(out))?;
    Ok(())
}

/// `x` broadcast to `shape` (a new tensor unless it already has it).
fn expand_to(b: &mut Builder<'_>, x: usize, shape: &[usize]) -> Result<usize> {
    if b.shape(x) == shape {
        return Ok(x);
    }
    let out = b.temp_like(x, None, shape)?;
    let (size, implicit) = (b.ints(&as_i64(shape)), b.bool(false));
    b.call("aten::expand_copy.out", vec![x, size, implicit], &[out]);
    Ok(out)
}

/// torch.matmul for 2-D and batched operands: `mm`, or `bmm` over the broadcast batch.
fn matmul_into(b: &mut Builder<'_>, x: usize, y: usize, out: Option<usize>) -> Result<usize> {
    let (xs, ys) = (b.shape(x), b.shape(y));
    if xs.len() < 2 || ys.len() < 2 {
        return Err(b.invalid(format!("matmul of shapes {xs:?} and {ys:?}: 1-D operands are not supported yet")));
    }
    let (m, k) = (xs[xs.len() - 2], xs[xs.len() - 1]);
    let (k2, nn) = (ys[ys.len() - 2], ys[ys.len() - 1]);
    if k != k2 {
        return Err(b.invalid(format!("matmul of shapes {xs:?} and {ys:?}: inner sizes differ")));
    }
    let done = |b: &mut Builder<'_>, r: usize, shape: Vec<usize>| -> Result<usize> {
        match out {
            Some(o) if o == r => Ok(o),
            Some(o) => {
                view_into(b, r, o);
                Ok(o)
            }
            None => view_to(b, r, &shape),
        }
    };
    if ys.len() == 2 {
        let rows: usize = xs[..xs.len() - 1].iter().product();
        let x2 = view_to(b, x, &[rows, k])?;
        let r = match out {
            Some(o) if xs.len() == 2 => o,
            _ => b.temp_like(x, None, &[rows, nn])?,
        };
        b.call("aten::mm.out", vec![x2, y], &[r]);
        let mut shape = xs.clone();
        *shape.last_mut().unwrap_or(&mut 0) = nn;
        return done(b, r, shape);
    }
    let (xb, yb) = (&xs[..xs.len() - 2], &ys[..ys.len() - 2]);
    let rank = xb.len().max(yb.len());
    let mut batch = vec![1; rank];
    for (d, slot) in batch.iter_mut().enumerate() {
        let a = xb.len().checked_sub(rank - d).map_or(1, |i| xb[i]);
        let c = yb.len().checked_sub(rank - d).map_or(1, |i| yb[i]);
        *slot = match (a, c) {
            (a, c) if a == c || c == 1 => a,
            (1, c) => c,
            _ => return Err(b.invalid(format!("matmul of shapes {xs:?} and {ys:?}: batch sizes do not broadcast"))),
        };
    }
    let nb: usize = batch.iter().product();
    let xe = expand_to(b, x, &[batch.clone(), vec![m, k]].concat())?;
    let ye = expand_to(b, y, &[batch.clone(), vec![k, nn]].concat())?;
    let x3 = view_to(b, xe, &[nb, m, k])?;
    let y3 = view_to(b, ye, &[nb, k, nn])?;
    let r = match out {
        Some(o) if b.shape(o) == [nb, m, nn] => o,
        _ => b.temp_like(x, None, &[nb, m, nn])?,
    };
    b.call("aten::bmm.out", vec![x3, y3], &[r]);
    done(b, r, [batch, vec![m, nn]].concat())
}

pub fn matmul(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "self")?;
    let y = input(b, n, "other")?;
    let out = one_output(b, n)?;
    matmul_into(b, x, y, Some(out))?;
    Ok(())
}

/// Scaled dot-product attention as `softmax(q kᵀ · scale + mask) v`.
pub fn sdpa(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let q = input(b, n, "query")?;
    let k = input(b, n, "key")?;
    let v = input(b, n, "value")?;
    let mask = opt_input(b, n, "attn_mask")?;
    if float(b, n, "dropout_p", 0.0)? != 0.0 {
        return Err(b.invalid("attention dropout is not supported (export in eval mode)"));
    }
    if flag(b, n, "enable_gqa", false)? {
        return Err(b.invalid("grouped-query attention (enable_gqa) is not supported yet"));
    }
    let causal = flag(b, n, "is_causal", false)?;
    let (qs, ks) = (b.shape(q), b.shape(k));
    if qs.len() < 2 || ks.len() != qs.len() {
        return Err(b.invalid(format!("attention over query {qs:?} and key {ks:?}")));
    }
    let (l, e, s) = (qs[qs.len() - 2], qs[qs.len() - 1], ks[ks.len() - 2]);
    let scale = float(b, n, "scale", 1.0 / (e as f64).sqrt())?;
    let mut kts = ks.clone();
    let r = kts.len();
    kts.swap(r - 1, r - 2);
    let kt = b.temp_like(k, None, &kts)?;
    let (d0, d1) = (b.int(-2), b.int(-1));
    b.call("aten::transpose_copy.int_out", vec![k, d0, d1], &[kt]);
    let scores = matmul_into(b, q, kt, None)?;
    let mut x = scalar_op(b, "aten::mul.Scalar_out", scores, scale, false)?;
    if causal {
        if l.checked_mul(s).is_none_or(|n| n > MAX_MASK) {
            return Err(b.invalid(format!("a causal mask of {l} x {s} is over etch's limit of {MAX_MASK} elements")));
        }
        let bytes: Vec<u8> = (0..l * s).flat_map(|i| if i % s > i / s { f32::NEG_INFINITY } else { 0.0f32 }.to_le_bytes()).collect();
        let c = b.constant(ScalarType::Float, &[l, s], &bytes)?;
        let one = b.int(1);
        x = unary_temp(b, "aten::add.out", vec![x, c, one], x)?;
    }
    if let Some(mask) = mask {
        if b.dtype(mask) == ScalarType::Bool {
            let not = b.temp_like(mask, None, &b.shape(mask))?;
            b.call("aten::logical_not.out", vec![mask], &[not]);
            let inf = b.double(f64::NEG_INFINITY);
            x = unary_temp(b, "aten::masked_fill.Scalar_out", vec![x, not, inf], x)?;
        } else {
            let one = b.int(1);
            x = unary_temp(b, "aten::add.out", vec![x, mask, one], x)?;
        }
    }
    let (dim, half) = (b.int(-1), b.bool(false));
    let p = unary_temp(b, "aten::_softmax.out", vec![x, dim, half], x)?;
    let out = one_output(b, n)?;
    matmul_into(b, p, v, Some(out))?;
    Ok(())
}

pub fn index_copy(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "self")?;
    let d = dim(b, int(b, n, "dim", 0)?, b.shape(x).len())?;
    let index = input(b, n, "index")?;
    let source = input(b, n, "source")?;
    let mut indices = vec![None; d];
    indices.push(Some(index));
    let list = b.opt_tensor_list(indices);
    let acc = b.bool(false);
    let out = one_output(b, n)?;
    b.call("aten::index_put.out", vec![x, list, source, acc], &[out]);
    Ok(())
}

/// split, split_with_sizes and chunk: one `split_with_sizes_copy` with every part.
fn split_parts(b: &mut Builder<'_>, n: &Node, x: usize, d: usize, sizes: &[usize]) -> Result<()> {
    let shape = b.shape(x);
    if sizes.len() != n.outputs.len() {
        return Err(b.invalid(format!("{} parts but {} outputs", sizes.len(), n.outputs.len())));
    }
    if sizes.iter().sum::<usize>() != shape[d] {
        return Err(b.invalid(format!("parts {sizes:?} do not add up to {} along dim {d}", shape[d])));
    }
    let mut outs = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let mut s = shape.clone();
        s[d] = size;
        match n.outputs.get(i) {
            Some(Some(name)) => outs.push(b.output(name)?),
            _ => outs.push(b.temp_like(x, None, &s)?),
        }
    }
    let (list, dimv) = (b.ints(&as_i64(sizes)), b.int(d as i64));
    b.call_list("aten::split_with_sizes_copy.out", vec![x, list, dimv], outs);
    Ok(())
}

/// Largest causal mask etch builds as a weight, in elements.
const MAX_MASK: usize = 1 << 24;

/// Most parts a split may have, and most steps an LSTM is unrolled over: beyond them
/// a file is refused rather than translated into millions of calls.
const MAX_PARTS: usize = 1 << 12;

fn even_parts(total: usize, each: usize) -> Vec<usize> {
    let mut v = Vec::new();
    let mut left = total;
    while left > 0 && each > 0 {
        v.push(each.min(left));
        left -= each.min(left);
    }
    v
}

pub fn split(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "self")?;
    let shape = b.shape(x);
    let d = dim(b, int(b, n, "dim", 0)?, shape.len())?;
    let sizes: Vec<usize> = match (n.arg("split_sizes"), n.arg("split_size")) {
        (Some(Arg::Ints(v)), _) => v.iter().map(|&s| usize::try_from(s).unwrap_or(usize::MAX)).collect(),
        (_, Some(Arg::Int(s))) if *s > 0 && shape[d].div_ceil(*s as usize) <= MAX_PARTS => even_parts(shape[d], *s as usize),
        _ => return Err(b.invalid("split without readable sizes")),
    };
    split_parts(b, n, x, d, &sizes)
}

pub fn chunk(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "self")?;
    let shape = b.shape(x);
    let d = dim(b, int(b, n, "dim", 0)?, shape.len())?;
    let chunks = int(b, n, "chunks", 1)?;
    if !(1..=MAX_PARTS as i64).contains(&chunks) {
        return Err(b.invalid(format!("chunk into {chunks} parts")));
    }
    let each = shape[d].div_ceil(chunks as usize);
    split_parts(b, n, x, d, &even_parts(shape[d], each))
}

/// A single-layer, one-directional LSTM with biases, unrolled over its steps.
pub fn lstm(b: &mut Builder<'_>, n: &Node) -> Result<()> {
    let x = input(b, n, "input")?;
    let tensors = |b: &Builder<'_>, name: &str| -> Result<Vec<usize>> {
        match n.arg(name) {
            Some(Arg::Tensors(ts)) => ts.iter().map(|t| b.tensor(t)).collect(),
            other => Err(b.invalid(format!("argument `{name}`: expected tensors, found {other:?}"))),
        }
    };
    let hx = tensors(b, "hx")?;
    let params = tensors(b, "params")?;
    let layers = int(b, n, "num_layers", 1)?;
    if layers != 1 || flag(b, n, "bidirectional", false)? || !flag(b, n, "has_biases", true)? || flag(b, n, "train", false)? {
        return Err(b.invalid("etch unrolls single-layer, one-directional LSTMs with biases in eval mode only"));
    }
    let ([h0, c0], [w_ih, w_hh, b_ih, b_hh]) = (&hx[..], &params[..]) else {
        return Err(b.invalid(format!("{} states and {} parameters; expected 2 and 4", hx.len(), params.len())));
    };
    let batch_first = flag(b, n, "batch_first", false)?;
    let xs = b.shape(x);
    let [d0, d1, _] = xs[..] else { return Err(b.invalid(format!("LSTM input {xs:?} is not 3-D"))) };
    let (steps, batch, time_dim) = if batch_first { (d1, d0, 1) } else { (d0, d1, 0) };
    if steps > MAX_PARTS {
        return Err(b.invalid(format!("an LSTM over {steps} steps; etch unrolls at most {MAX_PARTS}")));
    }
    let hidden = b.shape(*w_hh).get(1).copied().unwrap_or(0);
    let one = b.int(1);
    let bias = unary_temp(b, "aten::add.out", vec![*b_ih, *b_hh, one], *b_ih)?;
    let mut h = view_to(b, *h0, &[batch, hidden])?;
    let mut c = view_to(b, *c0, &[batch, hidden])?;
    let (wih_t, whh_t) = (transposed(b, *w_ih)?, transposed(b, *w_hh)?);
    let mut hs = Vec::new();
    for t in 0..steps {
        let (dv, tv) = (b.int(time_dim), b.int(t as i64));
        let xt = b.temp_like(x, None, &[batch, xs[2]])?;
        b.call("aten::select_copy.int_out", vec![x, dv, tv], &[xt]);
        let g1 = linear_t(b, xt, wih_t, Some(bias), None)?;
        let g2 = linear_t(b, h, whh_t, None, None)?;
        let one = b.int(1);
        let g = unary_temp(b, "aten::add.out", vec![g1, g2, one], g1)?;
        let parts: Vec<usize> = (0..4).map(|_| b.temp(ScalarType::Float, &[batch, hidden])).collect::<Result<_>>()?;
        let (sizes, dim1) = (b.ints(&[hidden as i64; 4]), b.int(1));
        b.call_list("aten::split_with_sizes_copy.out", vec![g, sizes, dim1], parts.clone());
        let i = unary_temp(b, "aten::sigmoid.out", vec![parts[0]], parts[0])?;
        let f = unary_temp(b, "aten::sigmoid.out", vec![parts[1]], parts[1])?;
        let gg = unary_temp(b, "aten::tanh.out", vec![parts[2]], parts[2])?;
        let o = unary_temp(b, "aten::sigmoid.out", vec![parts[3]], parts[3])?;
        let fc = unary_temp(b, "aten::mul.out", vec![f, c], f)?;
        let ig = unary_temp(b, "aten::mul.out", vec![i, gg], i)?;
        let one = b.int(1);
        c = unary_temp(b, "aten::add.out", vec![fc, ig, one], fc)?;
        let tc = unary_temp(b, "aten::tanh.out", vec![c], c)?;
        h = unary_temp(b, "aten::mul.out", vec![o, tc], o)?;
        hs.push(h);
    }
    let outs = outputs(b, n)?;
    let [out, hy, cy] = outs[..] else { return Err(b.invalid("an LSTM has three outputs")) };
    let (list, dv) = (b.tensor_list(hs), b.int(time_dim));
    b.call("aten::stack.out", vec![list, dv], &[out]);
    view_into(b, h, hy);
    view_into(b, c, cy);
    Ok(())
}
