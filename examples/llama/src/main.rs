//! `cargo run --release -p llama -- [N] [PROMPT TOKEN ...]`: greedy generation
//! from the compiled tiny_llama, then its speed in tokens per second.

use std::time::Instant;

use llama::{generate, Model, MAX_POSITIONS};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(8);
    let mut prompt: Vec<i64> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    if prompt.is_empty() {
        prompt = vec![3, 141, 59, 26];
    }
    let mut model = Box::new(Model::new());
    let tokens = match generate(&mut model, &prompt, n) {
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
        model.reset();
        for pos in 0..MAX_POSITIONS {
            let _ = std::hint::black_box(model.forward(&[(pos * 7 % 256) as i64], &[pos as i64]));
        }
        calls += MAX_POSITIONS;
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{:.0} tokens/s ({:.1} µs per token, {calls} calls)", calls as f64 / secs, 1e6 * secs / calls as f64);
}
