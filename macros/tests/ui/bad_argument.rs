etch_macros::include_model!(digits);

fn main() {}
