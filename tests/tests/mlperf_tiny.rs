//! The four MLPerf Tiny models (`tests/export/mlperf_tiny.py`), f32 and int8,
//! portable and XNNPACK, against ExecuTorch's outputs. The portable int8
//! programs run entirely on int8 kernels and land on ExecuTorch's outputs bit
//! for bit; their twins, whose biases XNNPACK rounded to int32, within the
//! fixtures' int8 tolerance (twice ExecuTorch-XNNPACK's own deviation).

use etch_tests::{fixture, setup, verify};

/// Bit for bit: atol 0, rtol 0.
fn exact(name: &str) {
    let dir = fixture(name);
    let report = etch_cli::run::verify::verify(&dir.join("model.pte"), &dir, Some(0.0), Some(0.0), &setup())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    report.print();
    assert!(report.passed(), "{name}: the int8 program is not bit-exact with ExecuTorch");
}

/// Every quantized op of the program runs on an int8 kernel: `ops` of them,
/// none left in f32, and no f32 convolution or matrix product in the code.
fn all_int8(name: &str, program: &str, ops: usize) {
    let bytes = std::fs::read(fixture(name).join(program)).unwrap();
    let g = etch_codegen::generate(&bytes, &etch_codegen::Config::new(name)).unwrap();
    let r = &g.summary.methods[0].int8;
    assert_eq!(r.fallbacks, [], "{name}/{program}: ops left in f32");
    assert_eq!(r.int8_ops, ops, "{name}/{program}: ops on int8 kernels");
    for f32_kernel in ["im2col::conv2d_im2col", "im2col::pointwise", "conv::depthwise::", "conv::conv3x3s2::", "matmul::"] {
        assert!(!g.model_rs.contains(f32_kernel), "{name}/{program}: an f32 `{f32_kernel}` call is left");
    }
}

#[test]
fn ds_cnn() {
    verify(&fixture("ds_cnn"), "model.pte");
    verify(&fixture("ds_cnn"), "model.xnnpack.pte");
}

#[test]
fn vww() {
    verify(&fixture("vww"), "model.pte");
    verify(&fixture("vww"), "model.xnnpack.pte");
}

#[test]
fn resnet8() {
    verify(&fixture("resnet8"), "model.pte");
    verify(&fixture("resnet8"), "model.xnnpack.pte");
}

#[test]
fn ds_cnn_int8() {
    exact("ds_cnn_int8");
    verify(&fixture("ds_cnn_int8"), "model.xnnpack.pte");
    // 5 convolutions, 4 depthwise ones, the average pool and the classifier.
    all_int8("ds_cnn_int8", "model.pte", 11);
    all_int8("ds_cnn_int8", "model.xnnpack.pte", 11);
}

#[test]
fn vww_int8() {
    exact("vww_int8");
    verify(&fixture("vww_int8"), "model.xnnpack.pte");
    // 27 convolutions, the mean and the classifier.
    all_int8("vww_int8", "model.pte", 29);
    all_int8("vww_int8", "model.xnnpack.pte", 29);
}

#[test]
fn resnet8_int8() {
    exact("resnet8_int8");
    verify(&fixture("resnet8_int8"), "model.xnnpack.pte");
    // 9 convolutions, 3 residual adds, the mean and the classifier.
    all_int8("resnet8_int8", "model.pte", 14);
    all_int8("resnet8_int8", "model.xnnpack.pte", 14);
}

#[test]
fn autoencoder_int8() {
    exact("autoencoder_int8");
    verify(&fixture("autoencoder_int8"), "model.xnnpack.pte");
    all_int8("autoencoder_int8", "model.pte", 10);
    all_int8("autoencoder_int8", "model.xnnpack.pte", 10);
}

/// The visual wake words model plans its arena at the layer-by-layer floor,
/// the first pointwise layer's 18,432 B in plus 36,864 B out (and 16 B for the
/// f32 output), with its int8 input inside the arena: both forms.
#[test]
fn vww_int8_arena_is_at_the_layer_floor() {
    for program in ["model.pte", "model.xnnpack.pte"] {
        let bytes = std::fs::read(fixture("vww_int8").join(program)).unwrap();
        let g = etch_codegen::generate(&bytes, &etch_codegen::Config::new("vww")).unwrap();
        assert_eq!(g.summary.arena_bytes, 18_432 + 36_864 + 16, "{program}");
        assert!(g.summary.methods[0].int8_input.is_some(), "{program}: no int8 entry point");
    }
}

/// `forward_i8` on the input quantized as the program's first op quantizes it
/// gives `forward`'s outputs bit for bit.
#[test]
fn the_int8_entry_point_equals_forward() {
    let main = r#"
fn main() {
    let mut m = model::Model::new();
    let x: Vec<f32> = (0..27648).map(|i| ((i as f32) * 0.37).sin() * 2.5).collect();
    let x: &[f32; 27648] = x.as_slice().try_into().unwrap();
    let want = *m.forward(x);
    let inv = 1.0f32 / model::Model::FORWARD_I8_SCALE;
    for (q, &v) in m.forward_i8_input().iter_mut().zip(x.iter()) {
        let r = (v * inv).round_ties_even() + model::Model::FORWARD_I8_ZERO_POINT as f32;
        *q = (r as i32).clamp(-128, 127) as i8;
    }
    let got = *m.forward_i8();
    assert_eq!(want.map(f32::to_bits), got.map(f32::to_bits));
    println!("same {:?}", got);
}
"#;
    let out = etch_tests::run_with_model(&fixture("vww_int8"), main);
    assert!(out.starts_with("same"), "{out}");
}

/// Patched, the visual wake words model reads its input row by row: the
/// int8 entry point takes rows from the caller, once each and in order, and
/// gives the f32 method's outputs bit for bit.
#[test]
fn the_patched_int8_entry_point_takes_rows() {
    let main = r#"
fn main() {
    let mut m = model::Model::new();
    let x: Vec<f32> = (0..27648).map(|i| ((i as f32) * 0.37).sin() * 2.5).collect();
    let want = *m.forward(x.as_slice().try_into().unwrap());
    let inv = 1.0f32 / model::Model::FORWARD_I8_SCALE;
    let mut asked = Vec::new();
    let got = *m.forward_i8_rows(|y, row: &mut [i8; 288]| {
        asked.push(y);
        for (k, q) in row.iter_mut().enumerate() {
            let v = x[(k % 3 * 96 + y) * 96 + k / 3];
            let r = (v * inv).round_ties_even() + model::Model::FORWARD_I8_ZERO_POINT as f32;
            *q = (r as i32).clamp(-128, 127) as i8;
        }
    });
    assert_eq!(asked, (0..96).collect::<Vec<_>>());
    assert_eq!(want.map(f32::to_bits), got.map(f32::to_bits));
    assert!(model::ARENA_BYTES < 27648, "the arena holds less than the int8 input");
    println!("same {:?}", got);
}
"#;
    let out = etch_tests::run_with_model_patched(&fixture("vww_int8"), main, Some(0));
    assert!(out.starts_with("same"), "{out}");
}

/// Patch-based execution (`Config::patch`): the visual wake words model's
/// first convolutions run patch by patch in a smaller arena, and both forms
/// give the unpatched build's outputs bit for bit (the portable program thus
/// ExecuTorch's exactly).
#[test]
fn vww_int8_patched_is_bit_for_bit_the_unpatched_build() {
    let dir = fixture("vww_int8");
    for program in ["model.pte", "model.xnnpack.pte"] {
        let bytes = std::fs::read(dir.join(program)).unwrap();
        let config = etch_codegen::Config {
            patch: Some(0),
            ..etch_codegen::Config::new("vww")
        };
        let g = etch_codegen::generate(&bytes, &config).unwrap();
        let r = g.summary.methods[0]
            .patch
            .clone()
            .expect("a chain to patch");
        assert!(r.applied, "{program}: {r:?}");
        assert_eq!(r.arena_without, 18_432 + 36_864 + 16, "{program}");
        assert_eq!(g.summary.arena_bytes, r.arena_with, "{program}");
        assert!(r.arena_with <= 20_000, "{program}: {r:?}");
        assert!(r.streams_input, "{program}: {r:?}");
        assert!(g.model_rs.contains("quant::patched::run_rows"), "{program}");
        assert!(g.model_rs.contains("fn forward_i8_rows"), "{program}");

        let run = |patch| {
            let setup = etch_cli::run::Setup { patch, ..setup() };
            let report =
                etch_cli::run::verify::verify(&dir.join(program), &dir, None, None, &setup)
                    .unwrap();
            report.print();
            assert!(
                report.passed(),
                "{program} (patch {patch:?}) does not match ExecuTorch's outputs"
            );
            report
                .rows
                .into_iter()
                .map(|row| row.bytes)
                .collect::<Vec<_>>()
        };
        let (plain, patched) = (run(None), run(Some(0)));
        assert!(!plain.is_empty() && plain.iter().all(|b| !b.is_empty()));
        assert_eq!(
            plain, patched,
            "{program}: patched outputs differ from the unpatched build's"
        );
    }
    // The portable program is also held to ExecuTorch's outputs exactly.
    let setup = etch_cli::run::Setup {
        patch: Some(0),
        ..setup()
    };
    let report =
        etch_cli::run::verify::verify(&dir.join("model.pte"), &dir, Some(0.0), Some(0.0), &setup)
            .unwrap();
    assert!(
        report.passed(),
        "patched vww_int8 is not bit-exact with ExecuTorch"
    );
}
