//! The one sanitizer every generated identifier goes through.

use proc_macro2::Ident;
use quote::format_ident;

/// A method name as a Rust fn name: snake_case ASCII, never a keyword.
pub fn method(name: &str) -> Ident {
    let s = sanitize(name);
    if syn::parse_str::<Ident>(&s).is_ok() && !matches!(s.as_str(), "new" | "default" | "reset") {
        format_ident!("{s}")
    } else {
        format_ident!("{s}_")
    }
}

/// A crate name: lowercase ASCII letters, digits, `_` and `-`, starting with a letter.
pub fn crate_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c.to_ascii_lowercase() } else { '_' })
        .collect();
    match s.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => s,
        _ => format!("model_{s}"),
    }
}

fn sanitize(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'm');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_identifiers() {
        assert_eq!(method("forward").to_string(), "forward");
        assert_eq!(method("fn").to_string(), "fn_");
        assert_eq!(method("new").to_string(), "new_");
        assert_eq!(method("9 lives").to_string(), "m9_lives");
        assert_eq!(crate_name("Digits CNN"), "digits_cnn");
        assert_eq!(crate_name("3d"), "model_3d");
    }
}
