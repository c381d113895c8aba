//! A planned tensor with stored initial data becomes state: initialised from
//! the program in `new()`, built and run through the verify harness.

use super::build::{build, Spec, V, I};
use crate::{generate, Config};

/// `out = state + x`, where `state` is planned and starts as [1.5, -2.0].
fn program() -> Vec<u8> {
    let init: Vec<u8> = [1.5f32, -2.0].iter().flat_map(|f| f.to_le_bytes()).collect();
    build(&Spec {
        values: vec![V::Planned(vec![2], 1, 0, 1), V::Planned(vec![2], 1, 8, 0), V::Planned(vec![2], 1, 16, 0), V::Int(1)],
        inputs: vec![1],
        outputs: vec![2],
        instrs: vec![I::Kernel(0, vec![0, 1, 3, 2])],
        constants: Vec::new(),
        arenas: vec![0, 24],
        segments: vec![init],
        mutable: vec![(0, vec![0, 0])],
        ..Spec::default()
    })
}

#[test]
fn initial_state_comes_from_the_program() {
    let g = generate(&program(), &Config::new("state")).expect("compiles");
    let src = &g.model_rs;
    assert!(src.contains("forward_state0: [f32; 2],"), "{src}");
    assert!(src.contains("forward_state0: *W"), "new() must copy the stored data: {src}");
    assert!(src.contains("self.forward_state0 = *W"), "reset() must copy it again: {src}");
    let bytes: Vec<u8> = [1.5f32, -2.0].iter().flat_map(|f| f.to_le_bytes()).collect();
    assert!(g.weights.windows(8).any(|w| w == bytes), "the initial data is not in the weights");
}

/// A one-dim f32 `.npy` file.
fn npy(values: &[f32]) -> Vec<u8> {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({},), }}", values.len());
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    out
}

#[test]
fn initialised_state_runs() {
    let dir = std::env::temp_dir().join(format!("etch-state-{}", std::process::id()));
    let cases = [([1.0f32, 2.0], [2.5f32, 0.0]), ([0.5, 0.5], [2.0, -1.5])];
    for (k, (x, out)) in cases.iter().enumerate() {
        let case = dir.join("cases").join(k.to_string());
        std::fs::create_dir_all(&case).unwrap();
        std::fs::write(case.join("in0.npy"), npy(x)).unwrap();
        std::fs::write(case.join("out0.npy"), npy(out)).unwrap();
    }
    std::fs::write(dir.join("meta.json"), r#"{"atol": 0, "rtol": 0}"#).unwrap();
    std::fs::write(dir.join("model.pte"), program()).unwrap();
    let report = crate::run::verify::verify(&dir.join("model.pte"), &dir, None, None).unwrap();
    report.print();
    assert!(report.passed());
    std::fs::remove_dir_all(&dir).ok();
}
