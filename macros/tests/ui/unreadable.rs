// A directory, not a file.
etch_macros::include_model!(mod models = "tests/ui/models");

fn main() {}
