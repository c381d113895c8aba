//! ExecuTorch's llama export: its KV-cache ops (`llama::update_cache`,
//! `llama::custom_sdpa`, semantics from `extension/llm/custom_ops`) and the
//! run-time scalar they take, `aten::_local_scalar_dense` of `input_pos`.

use crate::error::Result;
use crate::ir::{DType, Op, Storage, TensorType, ValueId};
use crate::lower::cx::Cx;

/// `[x, out]`: the one element of `x` as a scalar known only at run time. It
/// stays the tensor it came from; the ops that take it read it from there.
pub fn local_scalar_dense(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let out = cx.arg(args, 1)?;
    let ty = cx.ty(x);
    if ty.numel() != 1 || ty.dtype != DType::I64 {
        return Err(cx.invalid(format!("a scalar read from {} {:?} is not supported (only one i64)", ty.dtype, ty.shape)));
    }
    cx.map.insert(out, x);
    Ok(())
}

/// A cache position argument: the run-time scalar, or a constant as a weight
/// (checked against `fits` here, as the generated code would at run time).
fn position(cx: &mut Cx<'_, '_>, index: usize, fits: usize) -> Result<ValueId> {
    if let Some(&v) = cx.map.get(&index) {
        return Ok(v);
    }
    let p = cx.int(index)?;
    if usize::try_from(p).map_or(true, |p| p >= fits) {
        return Err(cx.invalid(format!("start position {p} leaves no room in the cache ({fits} positions fit)")));
    }
    Ok(cx.index_const(&[p]))
}

fn dims4(cx: &Cx<'_, '_>, v: ValueId, what: &str) -> Result<[usize; 4]> {
    let s = &cx.ty(v).shape;
    <[usize; 4]>::try_from(&s[..]).map_err(|_| cx.invalid(format!("{what} has shape {s:?}, not 4-d")))
}

/// `[value, cache, start_pos, out]`: rows of `value` into the cache (state),
/// from `start_pos`. `out` is a placeholder ExecuTorch never writes.
pub fn update_cache(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let value = cx.input(cx.arg(args, 0)?)?;
    let target = cx.arg(args, 1)?;
    let cache = cx.input(target)?;
    if !matches!(cx.method.values[cache].storage, Storage::State { .. }) {
        return Err(cx.invalid(format!("the cache (value {target}) is not a planned buffer of its own")));
    }
    let ([b, s, h, d], [cb, max, ch, cd]) = (dims4(cx, value, "value")?, dims4(cx, cache, "cache")?);
    if (b, h, d) != (cb, ch, cd) || cx.ty(value).dtype != cx.ty(cache).dtype {
        return Err(cx.invalid(format!("value {:?} does not fit cache {:?}", cx.ty(value), cx.ty(cache))));
    }
    if s > max {
        return Err(cx.invalid(format!("{s} new rows do not fit a cache of {max}")));
    }
    let pos = position(cx, cx.arg(args, 2)?, max - s + 1)?;
    cx.push(Op::UpdateCache, vec![value, pos], vec![cache]);
    let out = cx.output(cx.arg(args, 3)?)?;
    cx.push(Op::Fill { value: 0.0 }, vec![], vec![out]);
    Ok(())
}

/// `[q, k_cache, v_cache, start_pos, attn_mask, dropout_p, is_causal, scale, out]`.
pub fn custom_sdpa(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let q = cx.input(cx.arg(args, 0)?)?;
    let k = cx.input(cx.arg(args, 1)?)?;
    let v = cx.input(cx.arg(args, 2)?)?;
    if !cx.is_null(cx.arg(args, 4)?)? {
        return Err(cx.invalid("custom_sdpa with an attention mask is not supported (only is_causal or none)"));
    }
    let causal = cx.bool(cx.arg(args, 6)?)?;
    let scale = match cx.is_null(cx.arg(args, 7)?)? {
        true => None,
        false => Some(cx.scalar(cx.arg(args, 7)?)?),
    };
    cx.expect_dtype(&[q, k, v], DType::F32)?;
    let ([b, s, h, d], ks, vs) = (dims4(cx, q, "query")?, dims4(cx, k, "key cache")?, dims4(cx, v, "value cache")?);
    let [kb, max, hkv, kd] = ks;
    if ks != vs || kb != b || kd != d || hkv == 0 || h % hkv != 0 || s > max {
        return Err(cx.invalid(format!("query {:?} does not fit caches {ks:?} and {vs:?}", [b, s, h, d])));
    }
    let pos = position(cx, cx.arg(args, 3)?, max - s + 1)?;
    let out = cx.output(cx.arg(args, 8)?)?;
    if cx.ty(out).shape != [b, s, h, d] {
        return Err(cx.invalid(format!("output {:?} is not shaped like the query", cx.ty(out).shape)));
    }
    // ExecuTorch's default: 1 / sqrt(head dim), in double, used as a float.
    let scale = scale.unwrap_or(1.0 / (d as f64).sqrt());
    let scratch = cx.temp(TensorType { dtype: DType::F32, shape: vec![max] }, Storage::Arena);
    cx.push(Op::Sdpa { causal, scale }, vec![q, k, v, pos], vec![out, scratch]);
    Ok(())
}
