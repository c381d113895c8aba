//! etch: compiles ExecuTorch programs (`.pte`) into standalone `#![no_std]` Rust.
//!
//! The pipeline is `pte` (read the file) → `lower` (typed IR) → `passes`
//! (rewrite, plan memory) → `emit` (Rust source) → `scaffold` (a crate).
//! [`generate`] runs all of it and touches no file system: the CLI, the
//! build-script [`Builder`] and the `include_model!` macro wrap it.

pub mod builder;
pub mod cost;
pub mod emit;
pub mod error;
pub mod ident;
pub mod inspect;
pub mod ir;
mod limits;
pub mod lower;
pub mod meta;
pub mod passes;
pub mod pt2;
pub mod pte;
pub mod scaffold;

pub use builder::Builder;
pub use emit::WeightsPath;
pub use error::{Error, Result};
pub use passes::{Fallback, Int8Report, PatchReport};

use ir::TensorType;

/// What to generate and how the result refers to its surroundings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The model's name: crate name and README title.
    pub name: String,
    /// The file name shown in the `@generated` stamp, e.g. `model.pte`.
    pub source: String,
    /// Where the generated code finds its weight blob.
    pub weights: WeightsPath,
    /// How a generated crate depends on `etch-kernels`.
    pub kernels: KernelsDep,
    /// Inputs larger than this many bytes are refused before parsing.
    pub max_file_bytes: u64,
    /// Refuses a method whose tensors (scratch and state) add up to more,
    /// before anything of that size is planned or folded.
    pub max_arena_bytes: u64,
    /// Patch-based execution of the leading int8 convolutions (MCUNetV2):
    /// `Some(g)` runs them over `g × g` patches of their last output, `Some(0)`
    /// picks the grid and chain that plan the smallest arena; `None` is off.
    pub patch: Option<usize>,
}

impl Config {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source: "model.pte".into(),
            weights: WeightsPath::Relative("weights.bin".into()),
            kernels: KernelsDep::Version(env!("CARGO_PKG_VERSION").into()),
            max_file_bytes: 4 << 30,
            max_arena_bytes: 4 << 30,
            patch: None,
        }
    }
}

/// The `etch-kernels` dependency line of a generated crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelsDep {
    Version(String),
    Path(String),
    Git(String),
}

/// Everything `generate` produces, in memory.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The model as Rust items (no inner attributes), for `include!`.
    pub model_rs: String,
    /// The weight blob the items include.
    pub weights: Vec<u8>,
    pub summary: Summary,
    /// `Cargo.toml` of a standalone crate (feature `scaffold`).
    #[cfg(feature = "scaffold")]
    pub cargo_toml: String,
    /// Its `README.md` (feature `scaffold`).
    #[cfg(feature = "scaffold")]
    pub readme: String,
    /// `src/lib.rs` of a standalone crate.
    pub lib_rs: String,
}

#[cfg(feature = "scaffold")]
impl Generated {
    /// The files of a standalone crate, relative to its root, in a fixed order.
    pub fn crate_files(&self) -> Vec<(&'static str, &[u8])> {
        vec![
            ("Cargo.toml", self.cargo_toml.as_bytes()),
            ("README.md", self.readme.as_bytes()),
            ("src/lib.rs", self.lib_rs.as_bytes()),
            ("src/weights.bin", &self.weights),
        ]
    }
}

/// Shapes and sizes of the generated model, for reports and harnesses.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub methods: Vec<MethodSummary>,
    /// Scratch bytes of the generated `Model` (shared by all methods).
    pub arena_bytes: usize,
    /// Bytes of mutable state (KV caches) in `Model`, apart from the scratch.
    pub state_bytes: usize,
    pub weight_bytes: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MethodSummary {
    pub name: String,
    /// The Rust fn name.
    pub fn_name: String,
    pub inputs: Vec<TensorType>,
    pub outputs: Vec<TensorType>,
    /// Bytes this method's own plan needs.
    pub arena_bytes: usize,
    /// The runtime sizes a bounded dynamic method takes after its inputs, in order.
    pub sizes: Vec<ir::Sym>,
    /// Per input: whether it is passed as a slice of runtime length.
    pub dynamic_inputs: Vec<bool>,
    /// Whether the method returns a `Result` (runtime sizes or indices from data).
    pub fallible: bool,
    /// Whether the method takes a trailing `seed: u64` (it calls `rand`/`randn`).
    pub random: bool,
    /// Whether an output borrows from an input (no ndarray view is emitted for it).
    pub passes_input: bool,
    pub executorch_arena: Option<u64>,
    pub kernel_calls: usize,
    /// Weight elements this method reads.
    pub params: u64,
    /// Multiply-adds of one call (convolutions and matrix products).
    pub macs: u64,
    /// Ops on int8 kernels, and the quantized ones left in f32 with why.
    pub int8: Int8Report,
    /// Patch-based execution: what it does to the arena, applied or not
    /// (`None`: no chain of int8 convolutions to patch).
    pub patch: Option<passes::PatchReport>,
    /// When the method begins by quantizing its f32 input: that input's int8
    /// scale and zero point, and the method has an int8 entry point (`<fn>_i8`).
    pub int8_input: Option<(f32, i32)>,
}

/// Compiles a `.pte` or a `.pt2` (told apart by their bytes) into Rust. Pure: no file system, no environment.
/// Two methods whose names become one Rust fn (`Encode` and `encode`) cannot both be emitted.
fn distinct_fn_names(program: &pte::Program) -> Result<()> {
    let mut seen = std::collections::BTreeMap::new();
    for plan in &program.plans {
        let name = ident::method(&plan.name).to_string();
        if let Some(first) = seen.insert(name.clone(), &plan.name) {
            return Err(Error::Method {
                method: plan.name.clone(),
                message: format!("its Rust name `{name}` is also the name of method `{first}`; rename one before export"),
            });
        }
    }
    Ok(())
}

pub fn generate(bytes: &[u8], config: &Config) -> Result<Generated> {
    if bytes.len() as u64 > config.max_file_bytes {
        return Err(Error::TooLarge { what: "the program file".into(), size: bytes.len() as u64, limit: config.max_file_bytes });
    }
    let mut graph = if pt2::is_archive(bytes) {
        let t = lower::pt2::read(bytes)?;
        lower::lower(&t.program, &t.bytes).map_err(|e| t.locate(e))?
    } else {
        let program = pte::parse(bytes)?;
        distinct_fn_names(&program)?;
        lower::lower(&program, bytes)?
    };
    limits::check(&graph, config)?;
    let int8 = passes::run(&mut graph, config.patch);
    let plans: Vec<_> = graph.methods.iter().map(passes::plan).collect();
    let stamp = format!(
        "// @generated by etch {} from {} — do not edit\n",
        env!("CARGO_PKG_VERSION"),
        config.source
    );
    let emitted = emit::emit(&graph, &plans, &config.weights, &stamp)?;
    let summary = Summary {
        methods: graph
            .methods
            .iter()
            .zip(&plans)
            .zip(int8)
            .map(|((m, p), (int8, patch))| MethodSummary {
                name: m.name.clone(),
                fn_name: ident::method(&m.name).to_string(),
                inputs: m.inputs.iter().map(|&v| m.values[v].ty.clone()).collect(),
                outputs: m.outputs.iter().map(|&v| m.values[v].ty.clone()).collect(),
                arena_bytes: p.bytes(),
                sizes: m.dynamic.syms.clone(),
                dynamic_inputs: m.inputs.iter().map(|&v| m.dynamic.is_dynamic(v)).collect(),
                fallible: m.fallible(),
                passes_input: m.passes_input(),
                random: m.random(),
                executorch_arena: m.executorch_arena,
                kernel_calls: m.nodes.len(),
                params: cost::params(m, &graph.constants),
                macs: cost::macs(m),
                int8,
                patch,
                int8_input: emit::int8_input(m),
            })
            .collect(),
        arena_bytes: emitted.arena_bytes,
        state_bytes: graph
            .methods
            .iter()
            .flat_map(|m| &m.values)
            .filter(|v| matches!(v.storage, ir::Storage::State { .. }))
            .map(|v| v.ty.bytes())
            .sum(),
        weight_bytes: emitted.weights.len(),
    };
    let crate_name = ident::crate_name(&config.name);
    let lib_rs = scaffold::lib_rs(&stamp, &emitted.source[stamp.len()..], &crate_name, &summary)?;
    Ok(Generated {
        model_rs: emitted.source,
        weights: emitted.weights,
        #[cfg(feature = "scaffold")]
        cargo_toml: scaffold::cargo_toml(&crate_name, config)?,
        #[cfg(feature = "scaffold")]
        readme: scaffold::readme(&crate_name, config, &summary)?,
        summary,
        lib_rs,
    })
}
