//! The `etch` binary: its reports, its exit codes (0, 1, 2, 3; never a panic's
//! 101) and how `compile` treats the folder it writes.

use std::process::Command;

const DIGITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/digits_cnn/model.pte");

fn etch(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_etch")).args(args).output().expect("run etch");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn inspect_lists_ops_and_both_arenas() {
    let (code, text) = etch(&["inspect", DIGITS]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("aten::convolution.out") && text.contains("supported"), "{text}");
    assert!(text.contains("ExecuTorch 24.0 KiB (24,576 bytes)"), "{text}");
    assert!(text.contains("multiply-adds per call"), "{text}");
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("etch-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `--json` is for tools: one object with the fields the README lists.
#[test]
fn inspect_json() {
    let out = Command::new(env!("CARGO_BIN_EXE_etch")).args(["inspect", "--json", DIGITS]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["compiles"], true);
    let m = &v["methods"][0];
    assert_eq!(m["name"], "forward");
    assert_eq!(m["executorch_arena_bytes"], 24576);
    assert!(m["etch_arena_bytes"].as_u64().unwrap() > 0);
    // digits_cnn: conv 1→16 and 16→32, 3×3 on 8×8 (pad 1), then linear 512→10; the batch norm folds away.
    assert_eq!(m["macs"], 16 * 64 * 9 + 32 * 64 * 144 + 10 * 512);
    assert_eq!(m["params"], (16 * 9 + 16) + (32 * 144 + 32) + (10 * 512 + 10));
    assert!(m["ops"].as_array().unwrap().iter().all(|o| o["supported"] == true));
}

/// ExecuTorch's default llama export: the prompt length is a runtime size, and
/// inspect names it with its bound, in text and JSON.
#[test]
fn inspect_reports_the_runtime_sizes_of_a_dynamic_llama() {
    let llama = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/llama_et_dyn_xnnpack/model.pte");
    let (code, text) = etch(&["inspect", llama]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("input 0: Long [1, 31] (dynamic, bound)"), "{text}");
    assert!(text.contains("`forward` takes runtime sizes: dim 1 of input 0 (at most 31)"), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_etch")).args(["inspect", "--json", llama]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let forward = v["methods"].as_array().unwrap().iter().find(|m| m["name"] == "forward").unwrap();
    assert_eq!(forward["runtime_sizes"], serde_json::json!([{"input": 0, "dim": 1, "bound": 31}]));
}

/// Unsupported ops exit with 3 in both inspect and compile, and --json lists them.
#[test]
fn unsupported_ops_exit_3() {
    let dir = scratch("unsupported");
    let mut bytes = std::fs::read(DIGITS).unwrap();
    let at = bytes.windows(10).position(|w| w == b"aten::relu").unwrap();
    bytes[at..at + 10].copy_from_slice(b"aten::relx");
    let pte = dir.join("m.pte");
    std::fs::write(&pte, &bytes).unwrap();
    let p = pte.to_str().unwrap();
    assert_eq!(etch(&["inspect", p]).0, 3);
    assert_eq!(etch(&["compile", p, "-o", dir.join("out").to_str().unwrap()]).0, 3);
    assert!(!dir.join("out").exists(), "a failed compile must not create the folder");
    let out = Command::new(env!("CARGO_BIN_EXE_etch")).args(["inspect", "--json", p]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["compiles"], false);
    assert_eq!(v["unsupported"][0]["name"], "aten::relx.out");
    assert_eq!(etch(&["inspect"]).0, 2, "a usage error is 2");
    std::fs::remove_dir_all(&dir).ok();
}

/// compile names the crate after its folder, refuses folders it did not write
/// (unless --force), rewrites its own, and checks --kernels-path.
#[test]
fn compile_into_folders() {
    let dir = scratch("folders");
    let out = dir.join("my-model");
    let (code, text) = etch(&["compile", DIGITS, "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("cargo add --path"), "{text}");
    let toml = std::fs::read_to_string(out.join("Cargo.toml")).unwrap();
    assert!(toml.contains("name = \"my-model\""), "{toml}");
    assert!(toml.contains("etch-kernels = { path = \"/"), "the kernels this etch was built from: {toml}");
    assert_eq!(etch(&["compile", DIGITS, "-o", out.to_str().unwrap()]).0, 0, "its own folder is rewritten");

    let app = dir.join("app");
    std::fs::create_dir_all(app.join("src")).unwrap();
    std::fs::write(app.join("Cargo.toml"), "[package]\nname = \"app\"\n").unwrap();
    let (code, text) = etch(&["compile", DIGITS, "-o", app.to_str().unwrap()]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("--force"), "{text}");
    assert_eq!(std::fs::read_to_string(app.join("Cargo.toml")).unwrap(), "[package]\nname = \"app\"\n");
    assert!(!app.join("src/lib.rs").exists());

    let (code, text) = etch(&["compile", DIGITS, "-o", dir.join("k").to_str().unwrap(), "--kernels-path", "/nonexistent"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("no etch-kernels crate there"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A relative --kernels-path is taken from the current directory and written
/// relative to the crate; --vendor copies the kernels in.
#[test]
fn kernels_paths_and_vendoring() {
    let dir = scratch("kernels");
    let kernels = concat!(env!("CARGO_MANIFEST_DIR"), "/../kernels");
    std::os::unix::fs::symlink(kernels, dir.join("etch-kernels")).unwrap();
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_etch")).args(args).current_dir(&dir).output().unwrap();
    assert!(run(&["compile", DIGITS, "-o", "models/digits", "--kernels-path", "etch-kernels"]).status.success());
    let toml = std::fs::read_to_string(dir.join("models/digits/Cargo.toml")).unwrap();
    let line = toml.lines().find(|l| l.starts_with("etch-kernels")).unwrap();
    let path = line.split('"').nth(1).unwrap();
    assert!(!path.starts_with('/'), "{line}");
    assert!(dir.join("models/digits").join(path).join("Cargo.toml").exists(), "{line} does not resolve from the crate");

    assert!(run(&["compile", DIGITS, "-o", "vendored", "--vendor"]).status.success());
    let toml = std::fs::read_to_string(dir.join("vendored/Cargo.toml")).unwrap();
    assert!(toml.contains("etch-kernels = { path = \"vendor/etch-kernels\" }"), "{toml}");
    assert!(dir.join("vendored/vendor/etch-kernels/src/lib.rs").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cache_info_and_clean() {
    let dir = scratch("cache");
    let cache = dir.join("c");
    std::fs::create_dir_all(cache.join("x")).unwrap();
    std::fs::write(cache.join("x/f"), [0u8; 2048]).unwrap();
    let run = |action: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_etch")).args(["cache", action]).env("ETCH_CACHE", &cache).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run("info").contains("2.00 KiB (2,048 bytes)"));
    assert!(run("clean").contains("2.00 KiB (2,048 bytes) freed"));
    assert!(!cache.exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn thirty_truncations_exit_with_an_error_not_a_panic() {
    let bytes = std::fs::read(DIGITS).unwrap();
    let dir = std::env::temp_dir().join(format!("etch-cli-trunc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for k in 0..30 {
        let cut = bytes.len() * k / 30;
        let path = dir.join(format!("cut{k}.pte"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let p = path.to_str().unwrap();
        for args in [vec!["inspect", p], vec!["compile", p, "-o", dir.join("out").to_str().unwrap()]] {
            let (code, text) = etch(&args);
            assert_eq!(code, 1, "{args:?}: {text}");
            assert!(text.starts_with("error: "), "{args:?}: {text}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_missing_file_is_named() {
    let (code, text) = etch(&["compile", "/nonexistent/model.pte", "-o", "/tmp/x"]);
    assert_eq!(code, 1);
    assert!(text.contains("/nonexistent/model.pte"), "{text}");
}
