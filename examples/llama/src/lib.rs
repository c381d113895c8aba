//! Greedy decoding with `tiny_llama`, a llama-style decoder exported by
//! ExecuTorch with its KV cache in mutable buffers. etch turns those buffers
//! into state inside `Model`: each `forward` call appends one position, and
//! `reset()` starts a new sequence.

pub mod tiny_llama {
    include!(concat!(env!("OUT_DIR"), "/tiny_llama.rs"));
}

pub use tiny_llama::Model;

/// Positions the KV cache holds (its shape is `[1, heads, 16, head_dim]`).
pub const MAX_POSITIONS: usize = 16;

/// The index of the largest logit; the first one on ties, like `argmax`.
pub fn argmax(logits: &[f32]) -> usize {
    (0..logits.len()).fold(0, |best, i| if logits[i] > logits[best] { i } else { best })
}

/// Feeds `prompt` from position 0, then appends greedy tokens until `n` are
/// generated or the cache is full. Returns the generated tokens, or the
/// model's error for a prompt token outside the vocabulary.
pub fn generate(model: &mut Model, prompt: &[i64], n: usize) -> Result<Vec<i64>, etch_kernels::Error> {
    model.reset();
    let mut out = Vec::with_capacity(n);
    let Some(&first) = prompt.first() else { return Ok(out) };
    let mut token = first;
    for pos in 0..MAX_POSITIONS {
        if out.len() == n {
            break;
        }
        let logits = model.forward(&[token], &[pos as i64])?;
        match prompt.get(pos + 1) {
            Some(&next) => token = next,
            None => {
                token = argmax(logits) as i64;
                out.push(token);
            }
        }
    }
    Ok(out)
}
