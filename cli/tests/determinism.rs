//! The same `.pte` always gives byte-identical crates: in one process, and
//! across two runs of `etch compile` (fresh hash seeds, fresh allocations).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use etch_codegen::{generate, Config};

const FIXTURES: [&str; 11] = ["digits_cnn", "mlp", "elementwise", "codec", "dynamic_mlp", "lstm", "tiny_encoder", "tiny_llama", "vision_ops", "math_ops", "decoder"];

fn path(name: &str) -> String {
    format!("{}/../tests/fixtures/{name}/model.pte", env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                files.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    files
}

/// Every bundled program: each fixture's, and every fixture's XNNPACK twin
/// (dq_mlp has only its twin compiled).
fn programs() -> Vec<String> {
    let twins = FIXTURES.iter().chain(&["dq_mlp"]).map(|n| format!("{n}/model.xnnpack.pte"));
    FIXTURES.iter().map(|n| format!("{n}/model.pte")).chain(twins).collect()
}

#[test]
fn generate_twice_gives_the_same_files() {
    for program in programs() {
        let file = format!("{}/../tests/fixtures/{program}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let (a, b) = (generate(&bytes, &Config::new("m")).unwrap(), generate(&bytes, &Config::new("m")).unwrap());
        assert_eq!(a.crate_files(), b.crate_files(), "{program}");
        assert_eq!(a.model_rs, b.model_rs, "{program}");
    }
}

#[test]
fn two_cli_runs_write_identical_trees() {
    let root = std::env::temp_dir().join(format!("etch-determinism-{}", std::process::id()));
    for name in FIXTURES {
        let trees: Vec<_> = ["a", "b"]
            .iter()
            .map(|run| {
                let out = root.join(run).join(name);
                let status = Command::new(env!("CARGO_BIN_EXE_etch")).args(["compile", &path(name), "-o"]).arg(&out).output().unwrap();
                assert!(status.status.success(), "{name}: {}", String::from_utf8_lossy(&status.stderr));
                tree(&out)
            })
            .collect();
        assert_eq!(trees[0].keys().collect::<Vec<_>>(), ["Cargo.toml", "README.md", "src/lib.rs", "src/weights.bin"], "{name}");
        for (file, content) in &trees[0] {
            assert!(trees[1][file] == *content, "{name}: {file} differs between two runs");
        }
    }
    std::fs::remove_dir_all(&root).ok();
}

/// Generated crates deny `unsafe`: the model's code has none, and the crate's one
/// block is `new_boxed`'s zeroed allocation, behind its SAFETY line.
#[test]
fn generated_code_has_one_unsafe_block() {
    for name in FIXTURES {
        let g = generate(&std::fs::read(path(name)).unwrap(), &Config::new(name)).unwrap();
        assert!(g.lib_rs.contains("#![deny(unsafe_code)]"), "{name}");
        let count = |code: &str| ["unsafe {", "unsafe fn", "unsafe impl", "unsafe extern"].iter().map(|u| code.matches(u).count()).sum::<usize>();
        assert_eq!(count(&g.model_rs), 0, "{name}: the model's code uses unsafe");
        assert_eq!(count(&g.lib_rs), 1, "{name}");
        let at = g.lib_rs.find("unsafe {").unwrap();
        assert!(g.lib_rs[..at].rfind("// SAFETY:").is_some_and(|s| at - s < 300), "{name}: no SAFETY line");
        assert_eq!(g.lib_rs.matches("#[allow(unsafe_code)]").count(), 1, "{name}");
    }
}

/// The op conformance suite (`tests/fixtures/ops_*`, `edge_*`): every program
/// and twin generates the same files twice, and its model code uses no `unsafe`
/// (the crate's one block is `new_boxed`'s).
#[test]
fn op_suite_is_deterministic() {
    let dir = format!("{}/../tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.retain(|n| n.starts_with("ops_") || n.starts_with("edge_"));
    names.sort();
    assert!(names.len() >= 10, "the op suite is missing: {names:?}");
    for name in names {
        for program in ["model.pte", "model.xnnpack.pte"] {
            let Ok(bytes) = std::fs::read(format!("{dir}/{name}/{program}")) else { continue };
            let (a, b) = (generate(&bytes, &Config::new("m")).unwrap(), generate(&bytes, &Config::new("m")).unwrap());
            assert_eq!(a.model_rs, b.model_rs, "{name}/{program}");
            let uses = |code: &str| ["unsafe {", "unsafe fn", "unsafe impl"].iter().map(|u| code.matches(u).count()).sum::<usize>();
            assert_eq!(uses(&a.model_rs), 0, "{name}/{program}: the model's code uses unsafe");
            assert_eq!(uses(&a.lib_rs), 1, "{name}/{program}: unsafe beyond new_boxed");
        }
    }
}
