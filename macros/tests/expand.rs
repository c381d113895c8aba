//! `include_model!` expands to working models: their outputs match the ones
//! ExecuTorch's runtime gave for the same programs.

use std::path::Path;

use etch_cli::run::cases::{load, Data};

etch_macros::include_model!(mod mlp = "../tests/fixtures/mlp/model.pte");
etch_macros::include_model!(pub(crate) mod codec = "../tests/fixtures/codec/model.pte");

mod in_place {
    etch_macros::include_model!("../tests/fixtures/elementwise/model.pte");
}

fn fixture(name: &str) -> etch_cli::run::cases::Cases {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name);
    load(&dir, None).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// What `generate` reports for the same program, to hold the expansion to.
fn summary(name: &str) -> etch_codegen::Summary {
    let pte = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name).join("model.pte");
    let bytes = std::fs::read(&pte).unwrap();
    etch_codegen::generate(&bytes, &etch_codegen::Config::new(name)).unwrap().summary
}

fn f32s(data: &Data) -> &[f32] {
    match data {
        Data::F32(v) => v,
        _ => panic!("expected f32 data"),
    }
}

fn assert_close(got: &[f32], expected: &Data, atol: f64, rtol: f64) {
    let expected = f32s(expected);
    assert_eq!(got.len(), expected.len());
    for (i, (&g, &e)) in got.iter().zip(expected).enumerate() {
        let (g, e) = (f64::from(g), f64::from(e));
        assert!((g - e).abs() <= atol + rtol * e.abs(), "element {i}: got {g}, expected {e}");
    }
}

#[test]
fn a_module_with_one_method() {
    let cases = fixture("mlp");
    let mut model = mlp::Model::new();
    for case in &cases.cases {
        let x: &[f32; 64] = f32s(&case.inputs[0].data).try_into().unwrap();
        assert_close(model.forward(x), &case.expected[0].data, cases.atol, cases.rtol);
    }
    let summary = summary("mlp");
    assert_eq!((mlp::ARENA_BYTES, mlp::WEIGHT_BYTES), (summary.arena_bytes, summary.weight_bytes));
}

#[test]
fn a_module_with_two_methods() {
    let cases = fixture("codec");
    let mut model = codec::Model::new();
    for case in &cases.cases {
        let x = f32s(&case.inputs[0].data);
        let got: &[f32] = match case.method.as_str() {
            "encode" => model.encode(x.try_into().unwrap()),
            "decode" => model.decode(x.try_into().unwrap()),
            other => panic!("unexpected method {other}"),
        };
        assert_close(got, &case.expected[0].data, cases.atol, cases.rtol);
    }
}

#[test]
fn items_in_place() {
    let cases = fixture("elementwise");
    let mut model = in_place::Model::default();
    for case in &cases.cases {
        let a: &[f32; 120] = f32s(&case.inputs[0].data).try_into().unwrap();
        let b: &[f32; 15] = f32s(&case.inputs[1].data).try_into().unwrap();
        let (x, y) = model.forward(a, b);
        assert_close(x, &case.expected[0].data, cases.atol, cases.rtol);
        assert_close(y, &case.expected[1].data, cases.atol, cases.rtol);
    }
    let summary = summary("elementwise");
    assert_eq!((in_place::ARENA_BYTES, in_place::WEIGHT_BYTES), (summary.arena_bytes, summary.weight_bytes));
}
