//! Greedy decoding with two llama-style decoders whose KV caches etch turns
//! into state inside `Model`: `tiny_llama` (ExecuTorch's mutable buffers) and
//! `hf_llama` (Hugging Face's `StaticCache`, exported through
//! `transformers.integrations.executorch`). Each `forward` call appends one
//! position, and `reset()` starts a new sequence.

pub mod tiny_llama {
    include!(concat!(env!("OUT_DIR"), "/tiny_llama.rs"));
}

pub mod hf_llama {
    include!(concat!(env!("OUT_DIR"), "/hf_llama.rs"));
}

pub use tiny_llama::Model;

/// Positions tiny_llama's KV cache holds (its shape is `[1, heads, 16, head_dim]`).
pub const MAX_POSITIONS: usize = 16;

/// A decoder that takes one token per call at a position, with a KV cache.
pub trait Decoder {
    /// Positions the cache holds.
    const MAX_POSITIONS: usize;
    fn step(&mut self, token: i64, pos: usize) -> Result<&[f32], etch_kernels::Error>;
    fn restart(&mut self);
}

impl Decoder for tiny_llama::Model {
    const MAX_POSITIONS: usize = MAX_POSITIONS;
    fn step(&mut self, token: i64, pos: usize) -> Result<&[f32], etch_kernels::Error> {
        self.forward(&[token], &[pos as i64]).map(|l| &l[..])
    }
    fn restart(&mut self) {
        self.reset();
    }
}

impl Decoder for hf_llama::Model {
    /// Its `StaticCache` was exported with `max_cache_len = 32`.
    const MAX_POSITIONS: usize = 32;
    fn step(&mut self, token: i64, pos: usize) -> Result<&[f32], etch_kernels::Error> {
        self.forward(&[token], &[pos as i64]).map(|l| &l[..])
    }
    fn restart(&mut self) {
        self.reset();
    }
}

/// The index of the largest logit; the first one on ties, like `argmax`.
pub fn argmax(logits: &[f32]) -> usize {
    (0..logits.len()).fold(0, |best, i| if logits[i] > logits[best] { i } else { best })
}

/// Feeds `prompt` from position 0, then appends greedy tokens until `n` are
/// generated or the cache is full. Returns the generated tokens, or the
/// model's error for a prompt token outside the vocabulary.
pub fn generate<D: Decoder>(model: &mut D, prompt: &[i64], n: usize) -> Result<Vec<i64>, etch_kernels::Error> {
    model.restart();
    let mut out = Vec::with_capacity(n);
    let Some(&first) = prompt.first() else { return Ok(out) };
    let mut token = first;
    for pos in 0..D::MAX_POSITIONS {
        if out.len() == n {
            break;
        }
        let logits = model.step(token, pos)?;
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
