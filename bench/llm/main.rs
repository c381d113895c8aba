//! etch's side of bench/llm.sh: the same calls as et.py, on the generated crate
//! (`model`), `reset()` between rounds.
use std::time::Instant;

/// This thread's CPU time in ms (`/proc/thread-self/schedstat`; 0 where there is none).
fn cpu_ms() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    s.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 1e6
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let (prefill, decode, rounds) = (args[0], args[1], args[2]);
    let mut m = model::Model::new_boxed();
    let tok = |i: usize| [((i * 7919 + 13) % 32000) as i64];
    let (mut pre, mut dec, mut cpu) = (Vec::new(), Vec::new(), Vec::new());
    let mut sink = 0.0f32;
    for r in 0..=rounds {
        m.reset();
        let t = Instant::now();
        for p in 0..prefill {
            sink += m.forward(&tok(p), &[p as i64]).expect("forward")[0];
        }
        let (t1, c1) = (Instant::now(), cpu_ms());
        for p in prefill..prefill + decode {
            sink += m.forward(&tok(p), &[p as i64]).expect("forward")[0];
        }
        let (t2, c2) = (Instant::now(), cpu_ms());
        if r > 0 {
            pre.push((t1 - t).as_secs_f64() * 1e3);
            dec.push((t2 - t1).as_secs_f64() * 1e3 / decode as f64);
            cpu.push((c2 - c1) / decode as f64);
        }
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (p, d, c) = (med(&mut pre), med(&mut dec), med(&mut cpu));
    println!("{{\"prefill_ms\":{p},\"decode_ms\":{d},\"decode_tok_s\":{},\"decode_cpu_ms\":{c},\"checksum\":{sink}}}", 1e3 / d);
}
