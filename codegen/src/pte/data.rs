//! Byte-level access helpers on the owned model.

use core::ops::Range;

use super::{Error, Program, Tensor};

impl Tensor {
    /// Number of elements; `None` on overflow.
    pub fn numel(&self) -> Option<usize> {
        self.sizes
            .iter()
            .try_fold(1usize, |n, &s| n.checked_mul(usize::try_from(s).ok()?))
    }

    /// Size of the data in bytes; `None` for unknown types or on overflow.
    pub fn nbytes(&self) -> Option<usize> {
        self.numel()?.checked_mul(self.scalar_type.size()?)
    }
}

impl Program {
    /// File range of exactly `nbytes` of constant buffer `idx`.
    pub fn constant_bytes(&self, idx: u32, nbytes: usize) -> Result<Range<usize>, Error> {
        take(&self.constants, "constant buffer", idx, nbytes, || {
            "constant_bytes".into()
        })
    }

    /// File range of exactly `nbytes` of buffer `idx` in mutable data segment
    /// list entry `list` (`ExtraTensorInfo::mutable_data_segments_idx`, 0 by default).
    pub fn mutable_bytes(&self, list: u64, idx: u32, nbytes: usize) -> Result<Range<usize>, Error> {
        let buffers = usize::try_from(list)
            .ok()
            .and_then(|l| self.mutable_data.get(l));
        let Some(buffers) = buffers else {
            return Err(Error::DataIndexOutOfRange {
                what: "mutable_bytes".into(),
                kind: "mutable_data_segments entry",
                index: list,
                len: self.mutable_data.len(),
            });
        };
        let what = || "mutable_bytes".into();
        take(buffers, "mutable data buffer", idx, nbytes, what)
    }

    /// The initial data stored for `t`, if any: a constant, or the initial
    /// state of a planned (mutable) tensor. `None` for tensors without stored
    /// data and for data in an external `.ptd` file.
    pub fn tensor_data(&self, t: &Tensor, nbytes: usize) -> Result<Option<Range<usize>>, Error> {
        if t.data_buffer_idx == 0 || t.extra.as_ref().is_some_and(|e| e.external) {
            return Ok(None);
        }
        match t.allocation {
            None => self.constant_bytes(t.data_buffer_idx, nbytes).map(Some),
            Some(_) => {
                let list = t.extra.as_ref().map_or(0, |e| e.mutable_data_segments_idx);
                self.mutable_bytes(list, t.data_buffer_idx, nbytes)
                    .map(Some)
            }
        }
    }
}

fn take(
    buffers: &[Range<usize>],
    kind: &'static str,
    idx: u32,
    nbytes: usize,
    what: impl Fn() -> String,
) -> Result<Range<usize>, Error> {
    let Some(range) = usize::try_from(idx).ok().and_then(|i| buffers.get(i)) else {
        return Err(Error::DataIndexOutOfRange {
            what: what(),
            kind,
            index: idx.into(),
            len: buffers.len(),
        });
    };
    if nbytes > range.len() {
        return Err(Error::DataTooShort {
            what: format!("{kind} {idx}"),
            nbytes,
            available: range.len(),
        });
    }
    Ok(range.start..range.start + nbytes)
}
