//! Every program of the reference zoo, when ETCH_ZOO names its directory.

use super::super::{parse, EValue};

#[test]
fn zoo_parses() {
    let Some(dir) = std::env::var_os("ETCH_ZOO") else {
        eprintln!("ETCH_ZOO not set: skipping the zoo-wide test");
        return;
    };
    // A relative ETCH_ZOO is relative to the workspace root, where the README runs it.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut seen = 0;
    let mut models: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    models.sort();
    for model in models {
        for file in ["model.pte", "model.xnnpack.pte"] {
            let path = model.join(file);
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let p = parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!p.plans.is_empty(), "{}", path.display());
            for plan in &p.plans {
                for v in &plan.values {
                    let EValue::Tensor(t) = v else { continue };
                    if let Some(n) = t.nbytes() {
                        p.tensor_data(t, n)
                            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    }
                }
            }
            seen += 1;
        }
    }
    assert!(seen > 0, "no model.pte under {}", dir.display());
}
