etch_macros::include_model!("tests/ui/models/not_a_model.pte");

fn main() {}
