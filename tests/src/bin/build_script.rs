//! Stands in for a user's build script in tests/builder.rs: `build_script
//! MODEL.pte NAME` runs the Builder into `OUT_DIR`, as a build.rs would.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, model, name] = &args[..] else {
        eprintln!("usage: build_script MODEL.pte NAME");
        std::process::exit(2);
    };
    etch_codegen::Builder::new(model).name(name).generate_or_exit();
}
