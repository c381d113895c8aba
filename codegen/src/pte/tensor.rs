//! Reading a tensor value and checking where its data and memory live.

use super::generated as fb;
use super::plan::Ctx;
use super::{Allocation, Dynamism, Error, ExtraTensorInfo, ScalarType, Tensor};

pub(super) fn read_tensor(cx: &Ctx<'_>, i: usize, t: fb::Tensor<'_>) -> Result<Tensor, Error> {
    let bad = |reason: String| Error::BadTensor {
        plan: cx.plan.clone(),
        what: format!("value {i}"),
        reason,
    };
    let sizes: Vec<i32> = t.sizes().iter().flatten().collect();
    if let Some((d, s)) = sizes.iter().enumerate().find(|(_, s)| **s < 0) {
        return Err(bad(format!("negative size {s} in dimension {d}")));
    }
    let dim_order = t
        .dim_order()
        .map(|v| v.bytes().to_vec())
        .unwrap_or_default();
    if !dim_order.is_empty() && !is_permutation(&dim_order, sizes.len()) {
        return Err(bad(format!(
            "dim_order {dim_order:?} is not a permutation of the {} dimensions",
            sizes.len()
        )));
    }
    let dynamism = match t.shape_dynamism() {
        fb::TensorShapeDynamism::STATIC => Dynamism::Static,
        fb::TensorShapeDynamism::DYNAMIC_BOUND => Dynamism::Bound,
        fb::TensorShapeDynamism::DYNAMIC_UNBOUND => Dynamism::Unbound,
        other => return Err(cx.unknown(format!("value {i}"), "shape dynamism", other.0.into())),
    };
    let allocation = t.allocation_info().map(|a| Allocation {
        memory_id: a.memory_id(),
        offset: u64::from(a.memory_offset_high()) << 32 | u64::from(a.memory_offset_low()),
    });
    let extra = t
        .extra_tensor_info()
        .map(|e| read_extra(cx, i, e))
        .transpose()?;
    let tensor = Tensor {
        scalar_type: ScalarType::from_code(t.scalar_type().0),
        storage_offset: t.storage_offset(),
        sizes,
        dim_order,
        data_buffer_idx: t.data_buffer_idx(),
        allocation,
        dynamism,
        extra,
    };
    check_memory(cx, &tensor).map_err(bad)?;
    check_data(cx, i, &tensor)?;
    Ok(tensor)
}

fn read_extra(
    cx: &Ctx<'_>,
    i: usize,
    e: fb::ExtraTensorInfo<'_>,
) -> Result<ExtraTensorInfo, Error> {
    if e.device_type() != fb::DeviceType::CPU {
        return Err(Error::UnsupportedDevice {
            plan: cx.plan.clone(),
            what: format!("value {i}"),
            device_type: e.device_type().0,
            device_index: e.device_index(),
        });
    }
    let external = match e.location() {
        fb::TensorDataLocation::SEGMENT => false,
        fb::TensorDataLocation::EXTERNAL => true,
        other => {
            return Err(cx.unknown(format!("value {i}"), "tensor data location", other.0.into()))
        }
    };
    Ok(ExtraTensorInfo {
        mutable_data_segments_idx: e.mutable_data_segments_idx(),
        fully_qualified_name: e.fully_qualified_name().map(str::to_owned),
        external,
    })
}

fn is_permutation(order: &[u8], rank: usize) -> bool {
    let mut seen = vec![false; rank];
    order.len() == rank
        && order.iter().all(|&d| match seen.get_mut(usize::from(d)) {
            Some(s) if !*s => {
                *s = true;
                true
            }
            _ => false,
        })
}

/// A planned tensor must fit in the arena its `memory_id` names.
fn check_memory(cx: &Ctx<'_>, t: &Tensor) -> Result<(), String> {
    let Some(a) = t.allocation else { return Ok(()) };
    let arena = usize::try_from(a.memory_id)
        .ok()
        .and_then(|m| cx.arenas.get(m));
    let Some(&arena) = arena else {
        return Err(format!(
            "memory_id {} is out of range (plan has {} non-constant buffers)",
            a.memory_id,
            cx.arenas.len()
        ));
    };
    // Unbound shapes are sized at run time; unknown types can't be sized.
    let Some(nbytes) = sized(t) else {
        return Ok(());
    };
    let end = a.offset.checked_add(nbytes as u64);
    let size = u64::try_from(arena).unwrap_or(0);
    match end {
        Some(end) if end <= size => Ok(()),
        _ => Err(format!(
            "{nbytes} bytes at offset {} overrun non-constant buffer {} ({size} bytes)",
            a.offset, a.memory_id
        )),
    }
}

/// Byte size to check stored data against: none for unbound shapes or types
/// of unknown size. Overflow counts as "too big" via `usize::MAX`.
fn sized(t: &Tensor) -> Option<usize> {
    if t.dynamism == Dynamism::Unbound {
        return None;
    }
    t.scalar_type.size()?;
    Some(t.nbytes().unwrap_or(usize::MAX))
}

/// Stored data must exist and be large enough for the tensor.
fn check_data(cx: &Ctx<'_>, i: usize, t: &Tensor) -> Result<(), Error> {
    let what = || format!("plan `{}`: value {i}", cx.plan);
    if let Some(extra) = t.extra.as_ref().filter(|e| e.external) {
        if extra
            .fully_qualified_name
            .as_deref()
            .is_none_or(str::is_empty)
        {
            return Err(Error::BadTensor {
                plan: cx.plan.clone(),
                what: format!("value {i}"),
                reason: "external data needs a fully_qualified_name".into(),
            });
        }
        return Ok(());
    }
    let idx = t.data_buffer_idx;
    if idx == 0 {
        return Ok(());
    }
    let (kind, buffers) = match t.allocation {
        None => ("constant buffer", cx.data.constants),
        Some(_) => {
            let list = t.extra.as_ref().map_or(0, |e| e.mutable_data_segments_idx);
            let found = usize::try_from(list)
                .ok()
                .and_then(|l| cx.data.mutable.get(l));
            let Some(found) = found else {
                return Err(Error::DataIndexOutOfRange {
                    what: what(),
                    kind: "mutable_data_segments entry",
                    index: list,
                    len: cx.data.mutable.len(),
                });
            };
            ("mutable data buffer", found.as_slice())
        }
    };
    let Some(range) = usize::try_from(idx).ok().and_then(|j| buffers.get(j)) else {
        return Err(Error::DataIndexOutOfRange {
            what: what(),
            kind,
            index: idx.into(),
            len: buffers.len(),
        });
    };
    match sized(t) {
        Some(nbytes) if nbytes > range.len() => Err(Error::DataTooShort {
            what: format!("{} ({kind} {idx})", what()),
            nbytes,
            available: range.len(),
        }),
        _ => Ok(()),
    }
}
