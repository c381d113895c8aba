//! copy_: `[self, src, non_blocking, ret]`. Etch supports it as the write-back
//! of mutable state (a KV cache), the form ExecuTorch's exporter emits.

use super::binary::broadcasts_to;
use crate::error::Result;
use crate::ir::{Op, Storage};
use crate::lower::cx::{strides, Cx};

pub fn copy_(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let target = cx.arg(args, 0)?;
    let state = cx.input(target)?;
    let (root, offset) = cx.method.root(state);
    if !matches!(cx.method.values[root].storage, Storage::State { .. }) || offset != 0 || root != state {
        return Err(cx.invalid(format!("copy_ into value {target}, which is not mutable state, is not supported")));
    }
    let src = cx.input(cx.arg(args, 1)?)?;
    if cx.method.root(src).0 == root {
        return Err(cx.invalid("copy_ of the state into itself"));
    }
    let (ss, ts) = (cx.ty(src).shape.clone(), cx.ty(state).shape.clone());
    let same_type = cx.ty(src).dtype == cx.ty(state).dtype;
    let op = if cx.ty(src).numel() == cx.ty(state).numel() && ss.iter().filter(|&&n| n != 1).eq(ts.iter().filter(|&&n| n != 1)) {
        if same_type {
            Op::Copy
        } else {
            Op::Cast
        }
    } else if same_type && broadcasts_to(&ss, &ts) {
        let own = strides(&ss);
        let lead = ts.len() - ss.len();
        let s = (0..ts.len())
            .map(|d| match d.checked_sub(lead) {
                Some(sd) if ss[sd] != 1 => own[sd],
                _ => 0,
            })
            .collect();
        Op::Gather { offset: 0, strides: s }
    } else {
        return Err(cx.invalid(format!("cannot copy {} {ss:?} into {} {ts:?}", cx.ty(src).dtype, cx.ty(state).dtype)));
    };
    cx.push(op, vec![src], vec![state]);
    if let Some(&ret) = args.get(3) {
        cx.map.insert(ret, state);
    }
    Ok(())
}
