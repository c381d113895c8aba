//! `docs/OPS.md`: every portable op and XNNPACK node type, whether etch
//! lowers it, and which verified fixtures prove it. A fixture program counts
//! when a test in `tests/tests/` verifies it (`verify(&fixture("name"), "file")`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

/// Ops the issue leaves out: training-only kernels.
const OUT_OF_SCOPE: &[&str] = &["convolution_backward.out", "max_pool2d_with_indices_backward.grad_input", "native_dropout.out"];

/// What a row needs beyond yes/no: dtypes, ranks and known differences.
const NOTES: &[(&str, &str)] = &[
    ("_adaptive_avg_pool2d.out", "f32 and i64, 3-D or 4-D"),
    ("amax.out", "NaN wins"),
    ("argmax.out", "first index of ties; a NaN wins"),
    ("avg_pool2d.out", "f32, 2-D (1-D through unsqueeze)"),
    ("convolution.out", "f32, row-major or channels-last; 1-D and 2-D, grouped, dilated, transposed (ExecuTorch's portable kernel has no 3-D)"),
    ("cumsum.out", "any dtype into f32 or an integer"),
    ("div.out_mode", "an integer division by a zero from the data returns Err, as ExecuTorch fails the call"),
    ("floor_divide.out", "an integer division by a zero from the data returns Err, as ExecuTorch fails the call"),
    ("embedding.out", "runtime index check: the method returns Err"),
    ("fmod.Tensor_out", "integers in f64; a zero divisor gives 0"),
    ("gather.out", "runtime index check: the method returns Err"),
    ("grid_sampler_2d.out", "f32; bilinear and nearest (bicubic is refused)"),
    ("masked_scatter.out", "an Err when the source runs out, only where it can"),
    ("masked_select.out", "data-dependent: planned at its bound, returned as a slice of what the data selects; only as a method output"),
    ("nonzero.out", "ExecuTorch 1.5.1 plans the output with dim order [1, 0] but writes it row-major: its own runtime returns scrambled coordinates, so there is no oracle"),
    ("rand.out", "from the method's `seed` argument (ExecuTorch seeds from the system)"),
    ("randn.out", "from the method's `seed` argument (ExecuTorch seeds from the system)"),
    ("roll.out", "one shift per dim, as ExecuTorch requires"),
    ("index.Tensor_out", "integer indices on adjacent dims (runtime index check), or one boolean mask over the leading dims (data-dependent size)"),
    ("index_put.out", "integer index tensors on adjacent dims; runtime index check"),
    ("index_select.out", "runtime index check: the method returns Err"),
    ("max_pool2d_with_indices.out", "f32, 2-D (1-D through unsqueeze)"),
    ("mean.out", "f32"),
    ("native_group_norm.out", "f32"),
    ("native_layer_norm.out", "f32"),
    ("remainder.Tensor_out", "C's % for integers, as ExecuTorch; a zero divisor from the data returns Err"),
    ("scatter.src_out", "runtime index check: the method returns Err"),
    ("scatter_add.out", "runtime index check: the method returns Err"),
    ("topk.values", "sorted; ties by lower index"),
    ("upsample_bilinear2d.vec_out", "f32"),
    ("upsample_nearest2d.vec_out", "any dtype"),
    ("var.correction_out", "f32"),
];

/// XNNPACK node types whose twins are proven another way.
const NODE_NOTES: &[(&str, &str)] = &[(
    "ScaledDotProductAttention",
    "ExecuTorch 1.5.1 dropped this node: its partitioner never emits it and its runtime refuses it (\"Unhandled node type\"). \
     Its twins are written by 1.5.1's own serializer through a config and visitor that `tests/export/xnnpack_sdpa.py` adds, \
     and checked against the runtime's outputs on the portable program (`docs/XNNPACK.md`).",
)];

/// `(fixture, program)` pairs the tests verify, read from `tests/tests/*.rs`.
pub fn verified_programs(tests_dir: &Path) -> Vec<(String, String)> {
    let mut found = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(tests_dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    files.sort();
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "rs")) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for part in text.split("verify(&fixture(\"").skip(1) {
            let Some((name, rest)) = part.split_once("\"), \"") else { continue };
            let Some((program, _)) = rest.split_once('"') else { continue };
            found.insert((name.to_string(), program.to_string()));
        }
    }
    found.into_iter().collect()
}

/// The whole table, from the fixtures under `fixtures` and the tests in `tests_dir`.
pub fn ops_md(fixtures: &Path, tests_dir: &Path) -> String {
    let mut portable: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut nodes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let programs = verified_programs(tests_dir);
    for (name, program) in &programs {
        let Ok(bytes) = std::fs::read(fixtures.join(name).join(program)) else { continue };
        let Ok(info) = etch_codegen::inspect::inspect(&bytes) else { continue };
        let label = if program == "model.pte" { name.clone() } else { format!("{name} ({})", program.trim_start_matches("model.").trim_end_matches(".pte")) };
        for m in &info.methods {
            for op in m.ops.keys() {
                let op = op.split_once("::").map_or(op.as_str(), |(_, o)| o);
                portable.entry(op.to_string()).or_default().insert(label.clone());
            }
            for node in m.delegated.keys() {
                nodes.entry(node.clone()).or_default().insert(label.clone());
            }
        }
    }
    let notes: BTreeMap<&str, &str> = NOTES.iter().copied().collect();
    let ops: Vec<&str> = etch_codegen::lower::portable_ops().collect();
    let supported = |op: &str| etch_codegen::lower::is_supported(&format!("aten::{op}"));
    let n_ok = ops.iter().filter(|o| supported(o)).count();
    let n_proven = ops.iter().filter(|o| supported(o) && portable.contains_key(**o)).count();
    let node_types = etch_codegen::pte::xnnpack::node_types();
    let n_nodes = node_types.iter().filter(|(_, ok)| *ok).count();
    let n_nodes_proven = node_types.iter().filter(|(n, ok)| *ok && nodes.contains_key(*n)).count();

    let mut s = String::new();
    let _ = writeln!(s, "<!-- @generated by tests/src/coverage.rs: `ETCH_BLESS=1 cargo test -p etch-tests --test ops_md` rewrites it -->");
    let _ = writeln!(s, "# Op coverage\n");
    let _ = writeln!(s, "Every op of ExecuTorch 1.5.1's portable kernel library (`kernels/portable/functions.yaml`) and every");
    let _ = writeln!(s, "XNNPACK node type, whether etch lowers it, and the fixtures that prove it: programs under");
    let _ = writeln!(s, "`tests/fixtures/` that a test verifies against ExecuTorch's own outputs (`tests/export/ops.py`");
    let _ = writeln!(s, "exports the conformance suite). A twin is the XNNPACK-delegated program of the same fixture.\n");
    let _ = writeln!(s, "- portable ops: {n_ok} of {} lowered, {n_proven} of them proven by a fixture", ops.len());
    let _ = writeln!(s, "- XNNPACK node types: {n_nodes} of {} lowered, {n_nodes_proven} of them proven by a twin", node_types.len());
    let _ = writeln!(s, "- verified fixture programs: {}\n", programs.len());
    let _ = writeln!(s, "## Portable ops\n");
    let _ = writeln!(s, "| op | etch | fixtures | notes |");
    let _ = writeln!(s, "|---|---|---|---|");
    for op in &ops {
        let status = if supported(op) {
            "yes"
        } else if OUT_OF_SCOPE.contains(op) {
            "out of scope (training)"
        } else {
            "no"
        };
        let fixtures = portable.get(*op).map(|f| f.iter().cloned().collect::<Vec<_>>().join(", ")).unwrap_or_default();
        let _ = writeln!(s, "| `{op}` | {status} | {fixtures} | {} |", notes.get(op).copied().unwrap_or(""));
    }
    let others: Vec<_> = portable.keys().filter(|o| !ops.contains(&o.as_str()) && !o.starts_with("delegate")).collect();
    if !others.is_empty() {
        let _ = writeln!(s, "\nOther kernels the fixtures use (outside `functions.yaml`): {}.", others.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", "));
    }
    let _ = writeln!(s, "\n## XNNPACK node types\n");
    let _ = writeln!(s, "| node | etch | twins |");
    let _ = writeln!(s, "|---|---|---|");
    for (node, ok) in &node_types {
        let twins = nodes.get(*node).map(|f| f.iter().cloned().collect::<Vec<_>>().join(", ")).unwrap_or_default();
        let _ = writeln!(s, "| `{node}` | {} | {twins} |", if *ok { "yes" } else { "no" });
    }
    for (node, note) in NODE_NOTES {
        let _ = writeln!(s, "\n`{node}`: {note}");
    }
    let _ = writeln!(s, "\n## XNNPACK quantization kinds\n");
    let _ = writeln!(s, "| kind | etch |");
    let _ = writeln!(s, "|---|---|");
    for (q, ok) in etch_codegen::pte::xnnpack::quant_kinds() {
        let _ = writeln!(s, "| `{q}` | {} |", if ok { "yes" } else { "no" });
    }
    s
}
