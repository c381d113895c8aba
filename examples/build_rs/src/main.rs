//! A model compiled by a build script: runs the mlp fixture's cases and
//! compares each output with the one ExecuTorch's runtime gave.

mod mlp {
    include!(concat!(env!("OUT_DIR"), "/mlp.rs"));
}

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/mlp/cases");

fn read(path: &str) -> Result<Vec<f32>, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(npyz::NpyFile::new(&bytes[..])?.into_vec()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut model = mlp::Model::new();
    for k in 0..2 {
        let input = read(&format!("{CASES}/{k}/in0.npy"))?;
        let expected = read(&format!("{CASES}/{k}/out0.npy"))?;
        let output = model.forward(input[..].try_into()?);
        let diff = output.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        println!("case {k}: {output:.4?}\n        max |etch - ExecuTorch| = {diff:e}");
    }
    println!("arena {} bytes, weights {} bytes", mlp::ARENA_BYTES, mlp::WEIGHT_BYTES);
    Ok(())
}
