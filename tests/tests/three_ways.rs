//! One model, three ways in: `include_model!`, a build.rs `Builder` and the
//! crate `etch compile` wrote to generated/ must give bit-identical outputs.

use etch_cli::run::cases::{Array, Data};
use etch_tests::fixture;

mod macro_digits {
    etch_kernels::include_model!("fixtures/digits_cnn/model.pte");
}
etch_kernels::include_model!(mod macro_mlp = "fixtures/mlp/model.pte");

mod build_rs_digits {
    include!(concat!(env!("OUT_DIR"), "/digits.rs"));
}
mod build_rs_mlp {
    include!(concat!(env!("OUT_DIR"), "/mlp.rs"));
}

fn f32s(path: &std::path::Path) -> Vec<f32> {
    match Array::read(path).unwrap_or_else(|e| panic!("{e}")).data {
        Data::F32(v) => v,
        _ => panic!("{}: expected f32", path.display()),
    }
}

fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn digits_cnn_on_all_360_test_images() {
    let dir = fixture("digits_cnn");
    let images = f32s(&dir.join("digits_test_x.npy"));
    let labels = match Array::read(&dir.join("digits_test_y.npy")).unwrap().data {
        Data::I64(v) => v,
        _ => panic!("labels are i64"),
    };
    let sizes = (macro_digits::ARENA_BYTES, macro_digits::WEIGHT_BYTES);
    assert_eq!(sizes, (build_rs_digits::ARENA_BYTES, build_rs_digits::WEIGHT_BYTES));
    assert_eq!(sizes, (digits_cnn::ARENA_BYTES, digits_cnn::WEIGHT_BYTES));
    let mut by_macro = macro_digits::Model::new();
    let mut by_build_rs = build_rs_digits::Model::new();
    let mut by_crate = digits_cnn::Model::new();
    let mut correct = 0;
    for (k, (image, &label)) in images.chunks_exact(64).zip(&labels).enumerate() {
        let x: &[f32; 64] = image.try_into().unwrap();
        let a = *by_macro.forward(x);
        let b = *by_build_rs.forward(x);
        let c = *by_crate.forward(x);
        assert_eq!(bits(&a), bits(&b), "image {k}: include_model! and build.rs differ");
        assert_eq!(bits(&a), bits(&c), "image {k}: include_model! and generated/digits_cnn differ");
        let predicted = (0..10).fold(0, |best, i| if a[i] > a[best] { i } else { best });
        correct += usize::from(predicted as i64 == label);
    }
    // Identical and also right: the accuracy PyTorch gets.
    assert_eq!((correct, labels.len()), (356, 360));
}

#[test]
fn mlp_on_its_cases() {
    let dir = fixture("mlp");
    let sizes = (macro_mlp::ARENA_BYTES, macro_mlp::WEIGHT_BYTES);
    assert_eq!(sizes, (build_rs_mlp::ARENA_BYTES, build_rs_mlp::WEIGHT_BYTES));
    assert_eq!(sizes, (mlp::ARENA_BYTES, mlp::WEIGHT_BYTES));
    let mut by_macro = macro_mlp::Model::new();
    let mut by_build_rs = build_rs_mlp::Model::new();
    let mut by_crate = mlp::Model::new();
    for k in 0..2 {
        let input = f32s(&dir.join(format!("cases/{k}/in0.npy")));
        let x: &[f32; 64] = input[..].try_into().unwrap();
        let a = *by_macro.forward(x);
        assert_eq!(bits(&a), bits(by_build_rs.forward(x)), "case {k}: include_model! and build.rs differ");
        assert_eq!(bits(&a), bits(by_crate.forward(x)), "case {k}: include_model! and generated/mlp differ");
        let expected = f32s(&dir.join(format!("cases/{k}/out0.npy")));
        assert!(a.iter().zip(&expected).all(|(g, e)| (g - e).abs() <= 1e-5 + 1e-4 * e.abs()), "case {k}: {a:?}");
    }
}
