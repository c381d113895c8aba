//! `docs/OPS.md` is generated: this test regenerates it and fails when the
//! committed file differs. `ETCH_BLESS=1` writes the new table instead.

use std::path::PathBuf;

#[test]
fn ops_md_is_fresh() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let table = etch_tests::coverage::ops_md(&root.join("fixtures"), &root.join("tests"));
    let path = root.join("../docs/OPS.md");
    if std::env::var_os("ETCH_BLESS").is_some() {
        std::fs::write(&path, &table).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == table, "docs/OPS.md is stale: run `ETCH_BLESS=1 cargo test -p etch-tests --test ops_md` and commit it");
}

/// The table names a verified fixture for an op the suite covers, and marks
/// an op etch lacks.
#[test]
fn ops_md_links_fixtures() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let table = etch_tests::coverage::ops_md(&root.join("fixtures"), &root.join("tests"));
    let row = |op: &str| table.lines().find(|l| l.starts_with(&format!("| `{op}` |"))).unwrap_or_default().to_string();
    assert!(row("sum.IntList_out").contains("| yes |") && row("sum.IntList_out").contains("ops_reduce"), "{}", row("sum.IntList_out"));
    assert!(row("convolution.out").contains("ops_conv1d (xnnpack)") || row("convolution.out").contains("ops_conv1d"), "{}", row("convolution.out"));
    assert!(row("nonzero.out").contains("| no |"), "{}", row("nonzero.out"));
    assert!(row("Conv2d").contains("| yes |") && row("ScaledDotProductAttention").contains("xnn_sdpa (xnnpack)"), "{}", row("ScaledDotProductAttention"));
}
