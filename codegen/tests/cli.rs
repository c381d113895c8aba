//! The `etch` binary on bad input: error exits (1 or 2), never a panic (101).

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
    assert!(text.contains("ExecuTorch 24576 bytes"), "{text}");
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
