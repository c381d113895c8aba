//! The quickstart: a CNN trained on sklearn's digits, exported by ExecuTorch,
//! compiled to Rust by `include_model!` as this crate builds, classifies the
//! 360 test images.

use std::time::Instant;

// The path is relative to this crate's Cargo.toml; editing the .pte rebuilds.
etch_kernels::include_model!(mod digits = "../../tests/fixtures/digits_cnn/model.pte");

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/digits_cnn");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let images: Vec<f32> = npyz::NpyFile::new(&std::fs::read(format!("{DATA}/digits_test_x.npy"))?[..])?.into_vec()?;
    let labels: Vec<i64> = npyz::NpyFile::new(&std::fs::read(format!("{DATA}/digits_test_y.npy"))?[..])?.into_vec()?;

    let mut model = digits::Model::new();
    let mut correct = 0;
    let mut elapsed = 0.0;
    for (image, &label) in images.chunks_exact(64).zip(&labels) {
        let image: &[f32; 64] = image.try_into()?;
        let start = Instant::now();
        let logits = model.forward(image);
        elapsed += start.elapsed().as_secs_f64();
        let predicted = (0..10).fold(0, |best, i| if logits[i] > logits[best] { i } else { best });
        correct += usize::from(predicted as i64 == label);
    }
    let n = labels.len();
    println!("digits_cnn: {correct}/{n} correct ({:.2}%)", 100.0 * correct as f64 / n as f64);
    println!(
        "latency: {:.2} µs per image (mean over {n}), arena {} bytes, weights {} bytes",
        1e6 * elapsed / n as f64,
        digits::ARENA_BYTES,
        digits::WEIGHT_BYTES
    );
    Ok(())
}
