//! Size limits checked on the lowered graph, before passes fold constants or
//! plan memory: a small file must not make etch allocate gigabytes.

use crate::error::{Error, Result};
use crate::ir::{Graph, Storage};
use crate::Config;

/// Per method, the bytes of every scratch and state tensor together: an
/// upper bound of its arena and of anything folding can produce from it.
/// Views share their base's bytes and are not counted.
pub fn check(graph: &Graph, config: &Config) -> Result<()> {
    for m in &graph.methods {
        let total = m
            .values
            .iter()
            .filter(|v| matches!(v.storage, Storage::Arena | Storage::State { .. }))
            .try_fold(0u64, |sum, v| sum.checked_add(tensor_bytes(&v.ty.shape, v.ty.dtype.size())?));
        match total {
            Some(size) if size <= config.max_arena_bytes => {}
            size => {
                return Err(Error::TooLarge {
                    what: format!("method `{}`: its tensors (Config::max_arena_bytes)", m.name),
                    size: size.unwrap_or(u64::MAX),
                    limit: config.max_arena_bytes,
                })
            }
        }
    }
    Ok(())
}

fn tensor_bytes(shape: &[usize], size: usize) -> Option<u64> {
    shape.iter().try_fold(size as u64, |n, &d| n.checked_mul(d as u64))
}
