//! The expansion, over proc_macro2 types so unit tests can call it.

use std::path::{Path, PathBuf};

use etch_codegen::{builder::write_if_changed, generate, Config, WeightsPath};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token, Visibility};

/// Tests compiled in a scratch crate (trybuild) name the directory that
/// relative paths resolve against here; everyone else gets `CARGO_MANIFEST_DIR`.
const MANIFEST_DIR_OVERRIDE: &str = "ETCH_MANIFEST_DIR_OVERRIDE";

const USAGE: &str = "expected the path of a .pte or .pt2 file as a string literal, or `pub mod NAME = \"path.pte\"`";

/// `"path.pte"` or `VIS mod NAME = "path.pte"`, then optionally `, patch = N`
/// (`Config::patch`: patch-based execution over N × N patches, 0 for the best grid).
pub struct Input {
    module: Option<(Visibility, Ident)>,
    path: LitStr,
    patch: Option<usize>,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let module = if input.peek(LitStr) {
            None
        } else if input.peek(Token![pub]) || input.peek(Token![mod]) {
            let vis: Visibility = input.parse()?;
            input.parse::<Token![mod]>()?;
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            Some((vis, name))
        } else {
            return Err(input.error(USAGE));
        };
        let path = input.parse()?;
        input.parse::<Option<Token![,]>>()?;
        let mut patch = None;
        if !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "patch" {
                return Err(syn::Error::new(
                    key.span(),
                    "expected `patch = N` after the path",
                ));
            }
            input.parse::<Token![=]>()?;
            patch = Some(input.parse::<syn::LitInt>()?.base10_parse()?);
            input.parse::<Option<Token![,]>>()?;
        }
        Ok(Self {
            module,
            path,
            patch,
        })
    }
}

pub fn include_model(input: TokenStream) -> TokenStream {
    match syn::parse2::<Input>(input).and_then(|i| expand(&i)) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

fn expand(input: &Input) -> syn::Result<TokenStream> {
    let span = input.path.span();
    let fail = |message: String| syn::Error::new(span, message);
    let written = input.path.value();
    let base = manifest_dir().ok_or_else(|| fail("CARGO_MANIFEST_DIR is not set: build with cargo".into()))?;
    let pte = base.join(&written);
    let bytes = std::fs::read(&pte).map_err(|e| {
        fail(format!(
            "cannot read `{written}`: {e}\nlooked for `{}`: paths are relative to the directory of Cargo.toml",
            pte.display()
        ))
    })?;

    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from);
    let weights = cache_dir(target_dir, &base).join(format!("{:016x}.weights.bin", key(&bytes)));
    let name = match &input.module {
        Some((_, name)) => name.to_string(),
        None => stem(&pte),
    };
    let mut config = Config::new(name);
    config.source = pte.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    config.patch = input.patch;
    config.weights = WeightsPath::Absolute(utf8(&weights, span)?.to_owned());
    let generated = generate(&bytes, &config).map_err(|e| fail(format!("`{written}`: {e}")))?;
    if !generated.weights.is_empty() {
        write_if_changed(&weights, &generated.weights).map_err(|e| fail(format!("`{written}`: {e}")))?;
    }
    let items: TokenStream = generated
        .model_rs
        .parse()
        .map_err(|e| fail(format!("internal error (a bug in etch): generated code does not parse: {e}")))?;

    let pte_path = utf8(&pte, span)?;
    let body = quote! {
        // Cargo tracks files that `include_bytes!` reads: editing the program rebuilds.
        const _: &[u8] = include_bytes!(#pte_path);
        #items
    };
    Ok(match &input.module {
        Some((vis, name)) => quote!(#vis mod #name { #body }),
        None => body,
    })
}

fn manifest_dir() -> Option<PathBuf> {
    std::env::var_os(MANIFEST_DIR_OVERRIDE).or_else(|| std::env::var_os("CARGO_MANIFEST_DIR")).map(PathBuf::from)
}

/// Where weight blobs go: `$CARGO_TARGET_DIR/etch`, else `target/etch` beside
/// the nearest `Cargo.lock` (the workspace root), else a temporary directory.
fn cache_dir(target_dir: Option<PathBuf>, manifest: &Path) -> PathBuf {
    if let Some(dir) = target_dir {
        return std::path::absolute(&dir).unwrap_or(dir).join("etch");
    }
    match manifest.ancestors().find(|d| d.join("Cargo.lock").is_file()) {
        Some(root) => root.join("target").join("etch"),
        None => std::env::temp_dir().join("etch"),
    }
}

/// FNV-1a over etch's version and the program: the blob is a function of both.
fn key(bytes: &[u8]) -> u64 {
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    version.iter().chain([0u8].iter()).chain(bytes).fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into())
}

/// `include_bytes!` takes a string literal: the path must be UTF-8.
fn utf8(path: &Path, span: Span) -> syn::Result<&str> {
    path.to_str().ok_or_else(|| syn::Error::new(span, format!("`{}` is not valid UTF-8", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tokens: TokenStream) -> syn::Result<Input> {
        syn::parse2(tokens)
    }

    #[test]
    fn both_forms_parse() {
        let plain = parse(quote!("a.pte")).unwrap();
        assert!(plain.module.is_none());
        assert_eq!(plain.path.value(), "a.pte");
        let module = parse(quote!(pub(crate) mod digits = "d.pte")).unwrap();
        let (vis, name) = module.module.unwrap();
        assert_eq!(quote!(#vis).to_string(), "pub (crate)");
        assert_eq!(name, "digits");
    }

    #[test]
    fn a_patch_grid_may_follow() {
        assert_eq!(
            parse(quote!(mod m = "a.pte", patch = 0)).unwrap().patch,
            Some(0)
        );
        assert_eq!(parse(quote!("a.pte", patch = 4,)).unwrap().patch, Some(4));
        assert_eq!(parse(quote!("a.pte",)).unwrap().patch, None);
        assert!(parse(quote!("a.pte", grid = 4)).is_err());
        assert!(parse(quote!("a.pte", patch = "4")).is_err());
    }

    #[test]
    fn other_input_is_refused() {
        assert!(parse(quote!(digits)).is_err());
        assert!(parse(quote!(mod digits "d.pte")).is_err());
        assert!(parse(quote!("a.pte" "b.pte")).is_err());
    }

    #[test]
    fn weights_are_included_by_path_not_pasted() {
        let start = std::time::Instant::now();
        let tokens = include_model(quote!(mod digits = "../tests/fixtures/digits_cnn/model.pte"));
        eprintln!("digits_cnn expands in {:?}", start.elapsed());
        let text = tokens.to_string();
        assert!(text.starts_with("mod digits { const _"), "{text}");
        let manifest = manifest_dir().unwrap();
        let pte = manifest.join("../tests/fixtures/digits_cnn/model.pte");
        let bytes = std::fs::read(&pte).unwrap();
        let weights = generate(&bytes, &Config::new("digits")).unwrap().weights;
        // About 40 kB of weights: as literals, the expansion would be far larger.
        assert!(weights.len() > 30_000 && text.len() < 20_000, "{} bytes of tokens", text.len());
        let target_dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from);
        let blob = cache_dir(target_dir, &manifest).join(format!("{:016x}.weights.bin", key(&bytes)));
        assert!(std::fs::read(&blob).unwrap() == weights, "{} holds other bytes", blob.display());
        assert!(text.contains(&format!("include_bytes ! ({:?})", blob.to_str().unwrap())), "{text}");
        assert!(text.contains(&format!("include_bytes ! ({:?})", pte.to_str().unwrap())), "{text}");
    }

    #[test]
    fn errors_point_at_the_path() {
        let text = include_model(quote!("no/such/model.pte")).to_string();
        assert!(text.contains("compile_error") && text.contains("cannot read `no/such/model.pte`"), "{text}");
    }

    #[test]
    fn the_key_depends_on_every_byte() {
        assert_ne!(key(b"abc"), key(b"abd"));
        assert_ne!(key(b""), key(b"\0"));
        assert_eq!(key(b"abc"), key(b"abc"));
    }

    #[test]
    fn the_cache_is_in_the_target_dir() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = here.parent().unwrap();
        assert!(root.join("Cargo.lock").is_file());
        assert_eq!(cache_dir(None, here), root.join("target/etch"));
        assert_eq!(cache_dir(Some("/t".into()), here), Path::new("/t/etch"));
        let relative = cache_dir(Some("t".into()), here);
        assert!(relative.is_absolute() && relative.ends_with("t/etch"), "{}", relative.display());
    }
}
