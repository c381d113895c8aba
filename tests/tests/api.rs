//! The generated API itself: runtime sizes and their errors, state across
//! calls and `reset()`. Each test builds a small program against a fixture.

use etch_tests::{fixture, run_with_model};

/// Batch 9 against a bound of 8 is an error value, as is a slice that does
/// not match its batch; within the bound, a row's result does not depend on
/// the batch it came in.
#[test]
fn dynamic_batch_beyond_the_bound_is_an_error() {
    let main = r#"
fn main() {
    let mut m = Box::new(model::Model::new());
    let x: Vec<f32> = (0..9 * 16).map(|i| (i as f32 * 0.37).sin()).collect();
    println!("{:?}", m.forward(&x, 9).err());
    println!("{:?}", m.forward(&x[..79], 5).err());
    println!("{}", m.forward(&x[..80], 5).map(|o| o.len()).unwrap_or(0));
    let eight = m.forward(&x[..128], 8).unwrap().to_vec();
    let three = m.forward(&x[48..96], 3).unwrap().to_vec();
    println!("{}", eight[24..48] == three[..]);
    println!("{}", m.forward(&[], 0).map(|o| o.len()).unwrap_or(9));
}
"#;
    let out = run_with_model(&fixture("dynamic_mlp"), main);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "Some(DimTooLarge { input: 0, dim: 0, size: 9, bound: 8 })",
            "Some(InputLength { input: 0, len: 79, expected: 80 })",
            "40",
            "true",
            "0",
        ],
        "{out}"
    );
}

/// The KV cache persists from call to call, and `reset()` restores the
/// fresh state exactly.
#[test]
fn tiny_llama_state_persists_and_resets() {
    let main = r#"
fn main() {
    let mut m = Box::new(model::Model::new());
    let first = m.forward(&[3], &[0]).unwrap().to_vec();
    let second = m.forward(&[141], &[1]).unwrap().to_vec();
    m.reset();
    // Without token 3 in the cache, position 1 sees other keys.
    let alone = m.forward(&[141], &[1]).unwrap().to_vec();
    m.reset();
    let again = (m.forward(&[3], &[0]).unwrap().to_vec(), m.forward(&[141], &[1]).unwrap().to_vec());
    println!("{}", second != alone);
    println!("{}", again == (first, second));
}
"#;
    let out = run_with_model(&fixture("tiny_llama"), main);
    assert_eq!(out.lines().collect::<Vec<_>>(), ["true", "true"], "{out}");
}

/// A token id outside the embedding table is an `Err` naming the op and the
/// index, as ExecuTorch fails the call; ids in range still work afterwards.
#[test]
fn embedding_index_out_of_range_is_an_error() {
    let main = r#"
fn main() {
    let mut m = Box::new(model::Model::new());
    let mut ids = [1i64; 32];
    println!("{}", m.forward(&ids).is_ok());
    ids[5] = 256;
    println!("{:?}", m.forward(&ids).err());
    ids[5] = -1;
    println!("{}", m.forward(&ids).err().map(|e| e.to_string()).unwrap_or_default());
    ids[5] = 255;
    println!("{}", m.forward(&ids).is_ok());
}
"#;
    let out = run_with_model(&fixture("tiny_encoder"), main);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "true",
            "Some(IndexOutOfRange { op: \"embedding\", index: 256, size: 256 })",
            "embedding: index -1 is out of range for size 256",
            "true",
        ],
        "{out}"
    );
}

/// An integer division or remainder by a zero from the data is an `Err`,
/// as ExecuTorch fails the call; the same call without the zero works.
#[test]
fn integer_division_by_zero_is_an_error() {
    let main = r#"
fn main() {
    let mut m = Box::new(model::Model::new());
    let a = [7i64, -7, 3, 0, 9, 1, 2, 3, 4, 5];
    let mut b = [2i64; 10];
    let (m1, m2) = ([true; 10], [false; 5]);
    println!("{}", m.forward(&a, &b, &m1, &m2).is_ok());
    b[3] = 0;
    println!("{}", m.forward(&a, &b, &m1, &m2).err().map(|e| e.to_string()).unwrap_or_default());
}
"#;
    let out = run_with_model(&fixture("ops_bitwise"), main);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, ["true", "trunc_divide: integer division by zero"], "{out}");
}

/// `x[i]` with `i` from the data: an index past the end (after negative ones
/// wrap) is an `Err` naming `index`; -4 on a dim of 4 is row 0.
#[test]
fn index_tensor_out_of_range_is_an_error() {
    let main = r#"
fn main() {
    let mut m = Box::new(model::Model::new());
    let x = [0.5f32; 20];
    let mask = [false; 20];
    println!("{}", m.forward(&x, &[-4, 0, 3], &[0, 4], &mask).is_ok());
    println!("{:?}", m.forward(&x, &[0, 4, 1], &[0, 4], &mask).err());
    println!("{:?}", m.forward(&x, &[0, -5, 1], &[0, 4], &mask).err());
}
"#;
    let out = run_with_model(&fixture("ops_index"), main);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "true",
            "Some(IndexOutOfRange { op: \"index\", index: 4, size: 4 })",
            "Some(IndexOutOfRange { op: \"index\", index: -5, size: 4 })",
        ],
        "{out}"
    );
}

/// A method with `rand`/`randn` takes a trailing `seed`; the values it draws
/// do not reach these outputs, so every seed gives ExecuTorch's outputs.
#[test]
fn random_ops_take_a_seed() {
    let main = r#"
fn main() {
    let mut m = Box::new(model::Model::new());
    let x = [0.25f32, -1.0, 2.0, 3.5, 0.0, 1.0];
    let (a, ok, z) = m.forward(&x, 7);
    println!("{} {} {}", a == &x, ok.iter().all(|&b| b), z.iter().all(|&v| v == 0.0));
    let (b, _, _) = m.forward(&x, u64::MAX);
    println!("{}", b == &x);
}
"#;
    let out = run_with_model(&fixture("edge_random"), main);
    assert_eq!(out.lines().collect::<Vec<_>>(), ["true true true", "true"], "{out}");
}
