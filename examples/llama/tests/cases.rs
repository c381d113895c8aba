//! The compiled tiny_llama against ExecuTorch: the cases' tokens, fed in
//! order to one model, give ExecuTorch's logits within the cases' tolerance,
//! and exactly its greedy (argmax) tokens.

use llama::{argmax, generate, Model};

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/tiny_llama");

fn npy<T: npyz::Deserialize>(path: String) -> Vec<T> {
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    npyz::NpyFile::new(&bytes[..]).unwrap().into_vec().unwrap()
}

/// (token, position, expected logits) of every case.
fn cases() -> Vec<(i64, i64, Vec<f32>)> {
    (0..8)
        .map(|k| {
            let token = npy::<i64>(format!("{CASES}/cases/{k}/in0.npy"))[0];
            let pos = npy::<i64>(format!("{CASES}/cases/{k}/in1.npy"))[0];
            (token, pos, npy::<f32>(format!("{CASES}/cases/{k}/out0.npy")))
        })
        .collect()
}

#[test]
fn logits_and_argmax_match_executorch() {
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(format!("{CASES}/meta.json")).unwrap()).unwrap();
    let (atol, rtol) = (meta["atol"].as_f64().unwrap() as f32, meta["rtol"].as_f64().unwrap() as f32);
    let mut model = Box::new(Model::new());
    for (k, (token, pos, want)) in cases().into_iter().enumerate() {
        let got = model.forward(&[token], &[pos]).unwrap();
        for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= atol + rtol * w.abs(), "case {k}, logit {i}: {g} vs ExecuTorch's {w}");
        }
        assert_eq!(argmax(got), argmax(&want), "case {k}: the greedy token differs");
    }
}

/// With the cases' tokens as the prompt, the first generated token is
/// ExecuTorch's argmax after the last case; generation restarts from a reset.
#[test]
fn generation_continues_the_prompt() {
    let cases = cases();
    let prompt: Vec<i64> = cases.iter().map(|c| c.0).collect();
    let mut model = Box::new(Model::new());
    let tokens = generate(&mut *model, &prompt, 3).unwrap();
    assert_eq!(tokens[0], argmax(&cases[7].2) as i64);
    assert_eq!(tokens.len(), 3);
    assert_eq!(generate(&mut *model, &prompt, 3).unwrap(), tokens, "a second run must start from a fresh cache");
}

const HF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/hf_llama");

/// hf_llama (Hugging Face's static-cache export) against ExecuTorch: the same
/// logits within tolerance and the same greedy tokens, call after call; then
/// greedy generation from its cases' tokens continues with ExecuTorch's argmax.
#[test]
fn hf_llama_logits_and_generation_match_executorch() {
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(format!("{HF}/meta.json")).unwrap()).unwrap();
    let (atol, rtol) = (meta["atol"].as_f64().unwrap() as f32, meta["rtol"].as_f64().unwrap() as f32);
    let mut model = Box::new(llama::hf_llama::Model::new());
    let mut prompt = Vec::new();
    let mut last = Vec::new();
    for k in 0..meta["cases"].as_array().unwrap().len() {
        let token = npy::<i64>(format!("{HF}/cases/{k}/in0.npy"))[0];
        let pos = npy::<i64>(format!("{HF}/cases/{k}/in1.npy"))[0];
        let want = npy::<f32>(format!("{HF}/cases/{k}/out0.npy"));
        let got = model.forward(&[token], &[pos]).unwrap();
        for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= atol + rtol * w.abs(), "case {k}, logit {i}: {g} vs ExecuTorch's {w}");
        }
        assert_eq!(argmax(got), argmax(&want), "case {k}: the greedy token differs");
        prompt.push(token);
        last = want;
    }
    let tokens = generate(&mut *model, &prompt, 4).unwrap();
    assert_eq!(tokens[0], argmax(&last) as i64);
    assert_eq!(generate(&mut *model, &prompt, 4).unwrap(), tokens, "a second run must start from a fresh cache");
}
