//! The non-Rust files of a generated crate, through tera, and its `lib.rs`.

use tera::{Context, Tera};

use crate::error::{Error, Result};
use crate::{Config, KernelsDep, Summary};

const CARGO_TOML: &str = include_str!("../../templates/Cargo.toml.tera");
const README: &str = include_str!("../../templates/README.md.tera");

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
            tera::Value::Object(map)
        })
        .collect();
    cx.insert("methods", &methods);
    render("README.md", README, &cx)
}

/// `src/lib.rs`: the stamp, crate attributes and docs, then the model items.
pub fn lib_rs(stamp: &str, items: &str, crate_name: &str) -> String {
    format!(
        "{stamp}//! `{crate_name}`: an ExecuTorch program compiled to Rust by etch.\n\
         //!\n\
         //! See `Model` for the entry points. No allocator, no interpreter, no `unsafe`.\n\
         #![no_std]\n\
         #![forbid(unsafe_code)]\n\n{items}"
    )
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
    cx
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
