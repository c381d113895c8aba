//! expand_copy.out: `[x, sizes, implicit, out]`, a gather with zero strides
//! along the broadcast dims.

use crate::error::Result;
use crate::ir::Op;
use crate::lower::cx::{strides, Cx};

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let sizes = cx.int_list(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    let (xs, os) = (cx.ty(x).shape.clone(), cx.ty(out).shape.clone());
    let lead = os.len().checked_sub(xs.len()).filter(|_| sizes.len() == os.len());
    let Some(lead) = lead else {
        return Err(cx.invalid(format!("cannot expand {xs:?} to {sizes:?}")));
    };
    let own = strides(&xs);
    let mut s = Vec::with_capacity(os.len());
    for (d, (&n, &want)) in os.iter().zip(&sizes).enumerate() {
        let stride = match d.checked_sub(lead) {
            None => 0,
            Some(xd) if xs[xd] == n => own[xd],
            Some(xd) if xs[xd] == 1 => 0,
            Some(_) => return Err(cx.invalid(format!("cannot expand {xs:?} to {os:?}"))),
        };
        if want != -1 && want != n as i64 {
            return Err(cx.invalid(format!("sizes {sizes:?} differ from the output shape {os:?}")));
        }
        s.push(stride);
    }
    if cx.ty(x).dtype != cx.ty(out).dtype {
        return Err(cx.invalid("expand must keep the dtype"));
    }
    cx.push(Op::Gather { offset: 0, strides: s }, vec![x], vec![out]);
    Ok(())
}
