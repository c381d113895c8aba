//! Helpers shared by the integration tests.

/// Replaces every occurrence of `from` with `to` (same length): the flatbuffer
/// stays valid, so this renames an operator without breaking the file.
pub fn rename(bytes: &mut [u8], from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let mut found = 0;
    for i in 0..bytes.len() - from.len() {
        if &bytes[i..i + from.len()] == from.as_bytes() {
            bytes[i..i + from.len()].copy_from_slice(to.as_bytes());
            found += 1;
        }
    }
    assert!(found > 0, "{from} not in the file");
}
