etch_macros::include_model!("tests/ui/models/missing.pte");

fn main() {}
