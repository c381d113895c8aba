// elementwise with three ops renamed: every one is listed, not just the first.
etch_macros::include_model!(pub mod model = "tests/ui/models/unsupported.pte");

fn main() {}
