//! `include_model!`: an ExecuTorch program (`.pte`) compiled into Rust items
//! where the macro stands, by the same `etch_codegen::generate` that
//! `etch compile` and the build-script `Builder` use.
//!
//! Users reach it as `etch_kernels::include_model!` (feature `macros` of
//! `etch-kernels`): the expansion names `::etch_kernels` by absolute path, so
//! that crate is a dependency anyway.

mod expand;

use proc_macro::TokenStream;

/// Compiles a `.pte` into a `Model` type, `ARENA_BYTES`, `WEIGHT_BYTES` and the
/// weight statics, in place.
///
/// Two forms: `include_model!("model.pte")` puts the items where it stands;
/// `include_model!(pub mod digits = "model.pte")` wraps them in a module.
/// Users write `etch_kernels::include_model!`, the re-export.
///
/// ```
/// etch_macros::include_model!(pub mod digits = "../tests/fixtures/digits_cnn/model.pte");
///
/// let mut model = digits::Model::new();
/// let logits: &[f32; 10] = model.forward(&[0.0; 64]);
/// assert!(logits.iter().all(|x| x.is_finite()));
/// ```
///
/// - The path is relative to `CARGO_MANIFEST_DIR`.
/// - The expansion includes the `.pte` through `include_bytes!`, so editing it rebuilds.
/// - Weights are not pasted as tokens: they are written once, named by a hash
///   of the program, to `$CARGO_TARGET_DIR/etch/` (or `target/etch/` beside the
///   nearest `Cargo.lock`), and included from there.
/// - A missing file, a file that is not a `.pte`, or unsupported ops (all of
///   them, listed) are compile errors on the path literal.
#[proc_macro]
pub fn include_model(input: TokenStream) -> TokenStream {
    expand::include_model(input.into()).into()
}
