//! A planned tensor with stored initial data becomes state: initialised from
//! the program in `new()`; `tests/fixtures/initial_state` runs it end to end.

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

/// The program and its two cases, as `tests/fixtures/initial_state/`, which the
/// end-to-end tests build and run (`UPDATE_FIXTURES=1` rewrites it).
#[test]
fn initial_state_fixture_is_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/initial_state");
    let cases = [([1.0f32, 2.0], [2.5f32, 0.0]), ([0.5, 0.5], [2.0, -1.5])];
    let mut files = vec![("model.pte".to_string(), program()), ("meta.json".into(), br#"{"atol": 0, "rtol": 0}"#.to_vec())];
    for (k, (x, out)) in cases.iter().enumerate() {
        files.push((format!("cases/{k}/in0.npy"), npy(x)));
        files.push((format!("cases/{k}/out0.npy"), npy(out)));
    }
    for (name, bytes) in files {
        let path = dir.join(&name);
        if std::env::var_os("UPDATE_FIXTURES").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(committed == bytes, "{} is stale: rerun with UPDATE_FIXTURES=1", path.display());
    }
}
