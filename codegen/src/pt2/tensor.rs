//! Raw tensor storage → contiguous bytes, with every size, stride and offset checked.

use super::model::{Size, TensorMeta};
use super::Error;

/// Largest tensor etch reads from an archive, in elements.
const MAX_ELEMENTS: u64 = 1 << 31;

fn concrete(s: &Size, name: &str, what: &str) -> Result<i64, Error> {
    match s {
        Size::Int(v) => Ok(*v),
        Size::Expr(e) => Err(Error::BadTensor { name: name.to_string(), message: format!("stored data with a symbolic {what} `{e}`") }),
    }
}

/// Gathers the tensor `meta` describes out of its storage `raw` into row-major bytes.
pub fn contiguous(name: &str, meta: &TensorMeta, raw: &[u8]) -> Result<Vec<u8>, Error> {
    let bad = |message: String| Error::BadTensor { name: name.to_string(), message };
    let width = meta.dtype.size().ok_or_else(|| bad(format!("dtype {:?} is not one etch reads", meta.dtype)))?;
    let sizes = meta.sizes.iter().map(|s| concrete(s, name, "size")).collect::<Result<Vec<_>, _>>()?;
    let strides = if meta.strides.is_empty() && sizes.is_empty() {
        Vec::new()
    } else {
        meta.strides.iter().map(|s| concrete(s, name, "stride")).collect::<Result<Vec<_>, _>>()?
    };
    if strides.len() != sizes.len() {
        return Err(bad(format!("{} sizes but {} strides", sizes.len(), strides.len())));
    }
    let offset = concrete(&meta.storage_offset, name, "storage offset")?;
    let offset = u64::try_from(offset).map_err(|_| bad(format!("negative storage offset {offset}")))?;
    let mut numel: u64 = 1;
    // The last element's position in storage, to check against the storage's length.
    let mut last = offset;
    for (d, (&n, &s)) in sizes.iter().zip(&strides).enumerate() {
        let n = u64::try_from(n).map_err(|_| bad(format!("negative size {n} in dim {d}")))?;
        let s = u64::try_from(s).map_err(|_| bad(format!("negative stride {s} in dim {d}")))?;
        numel = numel.checked_mul(n).filter(|&e| e <= MAX_ELEMENTS).ok_or_else(|| bad(format!("sizes {sizes:?} hold more than {MAX_ELEMENTS} elements")))?;
        if n > 0 {
            last = (n - 1).checked_mul(s).and_then(|x| last.checked_add(x)).ok_or_else(|| bad(format!("strides {strides:?} overflow")))?;
        }
    }
    if numel == 0 {
        return Ok(Vec::new());
    }
    let have = raw.len() as u64 / width as u64;
    if last >= have {
        return Err(bad(format!("sizes {sizes:?}, strides {strides:?} and offset {offset} reach element {last}, past the {have} elements stored")));
    }
    let (width64, total) = (width as u64, numel as usize * width);
    let contiguous_strides = {
        let mut c = vec![1u64; sizes.len()];
        for d in (0..sizes.len().saturating_sub(1)).rev() {
            c[d] = c[d + 1] * sizes[d + 1] as u64;
        }
        c
    };
    let row_major = sizes.iter().zip(&strides).zip(&contiguous_strides).all(|((&n, &s), &c)| n == 1 || s as u64 == c);
    let start = (offset * width64) as usize;
    if row_major {
        return raw.get(start..start + total).map(<[u8]>::to_vec).ok_or_else(|| bad("data out of the stored bytes".into()));
    }
    let mut out = Vec::with_capacity(total);
    let mut index = vec![0u64; sizes.len()];
    for _ in 0..numel {
        let at = offset + index.iter().zip(&strides).map(|(&i, &s)| i * s as u64).sum::<u64>();
        let at = (at * width64) as usize;
        out.extend_from_slice(raw.get(at..at + width).ok_or_else(|| bad("data out of the stored bytes".into()))?);
        for d in (0..sizes.len()).rev() {
            index[d] += 1;
            if index[d] < sizes[d] as u64 {
                break;
            }
            index[d] = 0;
        }
    }
    Ok(out)
}
