//! A generated crate's `lib.rs`, and (feature `scaffold`) its Cargo.toml and
//! README through tera, which `include_model!` and build scripts do not need.

#[cfg(feature = "scaffold")]
pub use files::{cargo_toml, readme};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::COMMENT;
use crate::error::Result;
use crate::{MethodSummary, Summary};

/// `src/lib.rs`: the stamp, crate attributes and docs, the model items, then
/// what only a standalone crate has: `new_boxed` and the ndarray views.
pub fn lib_rs(stamp: &str, items: &str, crate_name: &str, summary: &Summary) -> Result<String> {
    let extras = crate::emit::unparse(extras(summary))?;
    Ok(format!(
        "{stamp}//! `{crate_name}`: an ExecuTorch program compiled to Rust by etch.\n\
         //!\n\
         //! See `Model` for the entry points. No allocator and no interpreter; the\n\
         //! one `unsafe` block is `Model::new_boxed`'s zeroed allocation.\n\
         #![no_std]\n\
         #![deny(unsafe_code)]\n\n\
         #[cfg(feature = \"alloc\")]\n\
         extern crate alloc;\n\n\
         /// Why a call was refused: what the `Result`-returning methods give.\n\
         pub use etch_kernels::Error;\n\n{items}\n{extras}"
    ))
}

fn extras(summary: &Summary) -> TokenStream {
    let zeroed = quote!(unsafe { etch_kernels::boxed::zeroed::<Self>() });
    // Views copy non-contiguous inputs into locals, so an output may not borrow an input.
    let views = summary.methods.iter().filter(|m| m.sizes.is_empty() && !m.passes_input).map(view);
    let safety = format!(
        "{COMMENT}SAFETY: every field of `Model` is an array of floats, integers or bools, for which \
         all-zero bytes are valid values (`new()` is all zeros too)."
    );
    let body = if summary.state_bytes > 0 {
        // Only state has values other than zeros: reset() writes them.
        quote! {
            #[doc = #safety]
            let mut model = #zeroed;
            model.reset();
            model
        }
    } else {
        quote! {
            #[doc = #safety]
            #zeroed
        }
    };
    quote! {
        #[cfg(feature = "alloc")]
        impl Model {
            /// `Model::new()` allocated directly on the heap, zeroed in place:
            /// it never passes through the stack, however big its arena.
            #[allow(unsafe_code)]
            pub fn new_boxed() -> alloc::boxed::Box<Self> {
                #body
            }
        }

        #[cfg(feature = "ndarray")]
        impl Model {
            #(#views)*
        }
    }
}

/// `<method>_nd`: the method over ndarray views, shapes checked at run time.
fn view(m: &MethodSummary) -> TokenStream {
    let f = format_ident!("{}", m.fn_name);
    let nd = format_ident!("{}_nd", m.fn_name);
    let doc = format!(" [`Model::{}`] over ndarray views: inputs of any layout (copied unless contiguous), outputs borrowing the arena.", m.fn_name);
    let elem = |t: &crate::ir::TensorType| format_ident!("{}", t.dtype.rust());
    let params = m.inputs.iter().enumerate().map(|(i, t)| {
        let (x, e) = (format_ident!("x{i}"), elem(t));
        quote!(#x: ndarray::ArrayViewD<'_, #e>)
    });
    let seed = m.random.then(|| quote!(seed: u64));
    let params = params.chain(seed.clone());
    let lit = proc_macro2::Literal::usize_unsuffixed;
    let dims = |shape: &[usize]| shape.iter().map(|&d| lit(d)).collect::<Vec<_>>();
    let loads = m.inputs.iter().enumerate().map(|(i, t)| {
        let (x, k, shape) = (format_ident!("x{i}"), lit(i), dims(&t.shape));
        quote!(let #x = etch_kernels::nd::input(&#x, #k, &[#(#shape),*])?;)
    });
    let args = (0..m.inputs.len()).map(|i| {
        let (x, k) = (format_ident!("x{i}"), lit(i));
        quote!(etch_kernels::nd::array(&#x, #k)?)
    });
    let args = args.chain(m.random.then(|| quote!(seed)));
    let outs: Vec<_> = (0..m.outputs.len()).map(|j| format_ident!("o{j}")).collect();
    let ret_types = m.outputs.iter().map(|t| {
        let e = elem(t);
        quote!(ndarray::ArrayViewD<'_, #e>)
    });
    let views: Vec<_> = m
        .outputs
        .iter()
        .zip(&outs)
        .enumerate()
        .map(|(j, (t, o))| {
            let (k, shape) = (lit(j), dims(&t.shape));
            quote!(etch_kernels::nd::output(&#o[..], #k, &[#(#shape),*]))
        })
        .collect();
    let (pattern, ret_ty, ret) = if outs.len() == 1 {
        (quote!(#(#outs)*), quote!(#(#ret_types)*), quote!(#(#views)*))
    } else {
        (quote!((#(#outs),*)), quote!((#(#ret_types),*)), quote!(Ok((#(#views?),*))))
    };
    let fallible = m.fallible.then(|| quote!(?));
    quote! {
        #[doc = #doc]
        pub fn #nd(&mut self, #(#params),*) -> Result<#ret_ty, Error> {
            #(#loads)*
            let #pattern = self.#f(#(#args),*)#fallible;
            #ret
        }
    }
}

#[cfg(feature = "scaffold")]
mod files {
    use tera::{Context, Tera};

    use crate::error::{Error, Result};
    use crate::{Config, KernelsDep, Summary};

    const CARGO_TOML: &str = include_str!("../templates/Cargo.toml.tera");
    const README: &str = include_str!("../templates/README.md.tera");

    pub fn cargo_toml(crate_name: &str, config: &Config) -> Result<String> {
        render("Cargo.toml", CARGO_TOML, &base(crate_name, config))
    }

    pub fn readme(crate_name: &str, config: &Config, summary: &Summary) -> Result<String> {
        let mut cx = base(crate_name, config);
        cx.insert("arena_bytes", &summary.arena_bytes);
        cx.insert("weight_bytes", &summary.weight_bytes);
        cx.insert("state_bytes", &summary.state_bytes);
        let methods: Vec<_> = summary
            .methods
            .iter()
            .map(|m| {
                let ty = |t: &crate::ir::TensorType| tensor_entry(t.dtype.rust(), &t.shape);
                // A bounded dynamic method also takes its runtime sizes: here, the bounds.
                let args = m
                    .inputs
                    .iter()
                    .map(|t| format!("&[0{}; {}]", if t.dtype.is_float() { ".0" } else { "" }, t.numel()))
                    .chain(m.sizes.iter().map(|s| s.bound.to_string()))
                    .chain(m.random.then(|| "0".to_string()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sizes: Vec<String> =
                    m.sizes.iter().map(|s| format!("`x{}_dim{}`: dim {} of input {}, at most {}", s.input, s.dim, s.dim, s.input, s.bound)).collect();
                let mut map = tera::Map::new();
                map.insert("fn_name".into(), m.fn_name.clone().into());
                map.insert("args".into(), args.into());
                map.insert("sizes".into(), sizes.into());
                map.insert("indexes".into(), (m.fallible && m.sizes.is_empty()).into());
                map.insert("inputs".into(), m.inputs.iter().map(ty).collect::<Vec<_>>().into());
                map.insert("outputs".into(), m.outputs.iter().map(ty).collect::<Vec<_>>().into());
                if let Some((scale, zero_point)) = m.int8_input {
                    let rows = m.patch.as_ref().is_some_and(|p| p.applied && p.streams_input);
                    let shape = m.inputs.first().map(|t| t.shape.clone()).unwrap_or_default();
                    let mut int8 = tera::Map::new();
                    int8.insert("scale".into(), scale.to_string().into());
                    int8.insert("zero_point".into(), zero_point.into());
                    int8.insert("rows".into(), rows.into());
                    int8.insert("channels".into(), shape.get(1).copied().unwrap_or(1).into());
                    int8.insert("height".into(), shape.get(2).copied().unwrap_or(1).into());
                    map.insert("int8".into(), tera::Value::Object(int8));
                }
                tera::Value::Object(map)
            })
            .collect();
        cx.insert("methods", &methods);
        render("README.md", README, &cx)
    }

    fn tensor_entry(dtype: &str, shape: &[usize]) -> tera::Value {
        let mut map = tera::Map::new();
        map.insert("dtype".into(), dtype.into());
        map.insert("shape".into(), format!("{shape:?}").into());
        tera::Value::Object(map)
    }

    fn base(crate_name: &str, config: &Config) -> Context {
        let mut cx = Context::new();
        cx.insert("version", env!("CARGO_PKG_VERSION"));
        cx.insert("source", &config.source);
        cx.insert("crate_name", crate_name);
        cx.insert("crate_ident", &crate_name.replace('-', "_"));
        cx.insert("kernels", &kernels_line(&config.kernels));
        cx.insert("kernels_from", &kernels_from(&config.kernels));
        cx.insert("repository", env!("CARGO_PKG_REPOSITORY"));
        cx
    }

    /// Where the dependency points, in words, for the README.
    fn kernels_from(dep: &KernelsDep) -> String {
        match dep {
            KernelsDep::Version(v) => format!("version {v} from crates.io"),
            KernelsDep::Path(p) if !p.starts_with('/') => format!("the copy in `{p}`, relative to this crate"),
            KernelsDep::Path(p) => format!("the checkout at `{p}`"),
            KernelsDep::Git(url) => format!("the git repository {url}"),
        }
    }

    /// The `etch-kernels` line of `[dependencies]`.
    fn kernels_line(dep: &KernelsDep) -> String {
        match dep {
            KernelsDep::Version(v) => format!("etch-kernels = \"{v}\""),
            KernelsDep::Path(p) => format!("etch-kernels = {{ path = {p:?} }}"),
            KernelsDep::Git(url) => format!("etch-kernels = {{ git = {url:?} }}"),
        }
    }

    fn render(name: &'static str, template: &str, cx: &Context) -> Result<String> {
        Tera::one_off(template, cx, false).map_err(|e| Error::Template { name, message: format!("{e:?}") })
    }
}
