//! Reads an `.npy` input into an ndarray, runs the committed `mlp` crate
//! through `forward_nd`, and prints the output view with its shape.
//!
//! `cargo run -p ndarray_example -- tests/fixtures/mlp/cases/0/in0.npy`

use ndarray::{ArrayD, IxDyn};

fn read(path: &str) -> Result<ArrayD<f32>, Box<dyn std::error::Error>> {
    let npy = npyz::NpyFile::new(std::fs::File::open(path)?)?;
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), npy.into_vec::<f32>()?)?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: ndarray_example INPUT.npy")?;
    let x = read(&path)?;
    let mut model = mlp::Model::new();
    let y = model.forward_nd(x.view())?;
    println!("output {:?}: {y}", y.shape());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/mlp/cases/0");

    /// The views give ExecuTorch's outputs, from a contiguous input and from
    /// every other column of a wider array (not contiguous, so copied in), and
    /// refuse a wrong shape.
    #[test]
    fn views_match_executorch() {
        let x = read(&format!("{CASE}/in0.npy")).unwrap();
        let want = read(&format!("{CASE}/out0.npy")).unwrap();
        let mut model = mlp::Model::new();
        let y = model.forward_nd(x.view()).unwrap().to_owned();
        assert_eq!(y.shape(), want.shape());
        assert!(y.iter().zip(&want).all(|(a, b)| (a - b).abs() <= 1e-5 + 1e-4 * b.abs()));

        let wide = ndarray::Array2::from_shape_fn((1, 128), |(_, j)| if j % 2 == 0 { x[[0, j / 2]] } else { f32::NAN });
        let strided = wide.slice(ndarray::s![.., ..;2]).into_dyn();
        assert!(strided.as_slice().is_none());
        assert_eq!(model.forward_nd(strided).unwrap().to_owned(), y);

        let t = x.t().to_owned();
        assert_eq!(model.forward_nd(t.view()).unwrap_err(), mlp::Error::InputShape { input: 0 });
    }
}
