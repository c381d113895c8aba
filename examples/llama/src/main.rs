//! `cargo run --release -p llama -- [--hf] [N] [PROMPT TOKEN ...]`: greedy
//! generation from the compiled tiny_llama (or, with `--hf`, hf_llama), then
//! its speed in tokens per second.

use std::time::Instant;

use llama::{generate, hf_llama, tiny_llama, Decoder};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let hf = args.first().is_some_and(|a| a == "--hf");
    if hf {
        args.remove(0);
    }
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(8);
    let mut prompt: Vec<i64> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    if prompt.is_empty() {
        prompt = vec![3, 41, 59, 26];
    }
    if hf {
        run(Box::new(hf_llama::Model::new()), &prompt, n, 128);
    } else {
        run(Box::new(tiny_llama::Model::new()), &prompt, n, 256);
    }
}

// Boxed by the caller: the models are too big for the stack.
#[allow(clippy::boxed_local)]
fn run<D: Decoder>(mut model: Box<D>, prompt: &[i64], n: usize, vocab: usize) {
    let tokens = match generate(&mut *model, prompt, n) {
        Ok(tokens) => tokens,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    println!("prompt:    {prompt:?}");
    println!("generated: {tokens:?}");

    // Speed: whole sequences of MAX_POSITIONS calls, one token per call.
    let start = Instant::now();
    let mut calls = 0usize;
    while start.elapsed().as_secs_f64() < 1.0 {
        model.restart();
        for pos in 0..D::MAX_POSITIONS {
            let _ = std::hint::black_box(model.step((pos * 7 % vocab) as i64, pos));
        }
        calls += D::MAX_POSITIONS;
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{:.0} tokens/s ({:.1} µs per token, {calls} calls)", calls as f64 / secs, 1e6 * secs / calls as f64);
}
