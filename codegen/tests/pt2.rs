//! `.pt2` archives: errors that point at the user's Python (golden files), and
//! hostile archives (truncated, a zip bomb, malformed JSON, wrong dtype codes,
//! out-of-range sizes, strides and offsets), each a typed error, never a panic
//! or an unbounded allocation; then a seeded mutation sweep over the archives'
//! JSON and bytes.

mod sweep;

use std::io::{Read, Write};

use etch_codegen::{generate, pt2, Config, Error};
use sweep::{Counts, Rng};

const SMALL: [&str; 6] = ["mlp", "digits_cnn", "dynamic_mlp", "lstm", "tiny_encoder", "tiny_llama"];

fn dir(name: &str) -> String {
    format!("{}/../tests/fixtures/pt2/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str, file: &str) -> Vec<u8> {
    let path = format!("{}/{file}", dir(name));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn compile(bytes: &[u8]) -> Result<etch_codegen::Generated, Error> {
    let mut config = Config::new("pt2");
    config.max_arena_bytes = 64 << 20;
    generate(bytes, &config)
}

/// The entries of an archive, in order.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().to_string(), data)
        })
        .collect()
}

fn archive(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        out.start_file(name.as_str(), stored).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// `mlp`'s archive with the entry ending in `suffix` changed by `edit`.
fn edited(suffix: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
    edited_in("mlp", suffix, edit)
}

fn edited_in(name: &str, suffix: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let mut es = entries(&read(name, "model.pt2"));
    let e = es.iter_mut().find(|(n, _)| n.ends_with(suffix)).unwrap_or_else(|| panic!("no entry {suffix}"));
    e.1 = edit(std::str::from_utf8(&e.1).unwrap()).into_bytes();
    archive(&es)
}

fn golden(name: &str, file: &str, golden: &str) {
    let err = compile(&read(name, file)).err().unwrap_or_else(|| panic!("{name}/{file} compiled")).to_string();
    let path = format!("{}/{golden}", dir(name));
    if std::env::var_os("ETCH_BLESS").is_some() {
        std::fs::write(&path, format!("{err}\n")).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e} (ETCH_BLESS=1 writes it)"));
    assert_eq!(err.trim_end(), want.trim_end(), "{name}/{file}: the error changed (ETCH_BLESS=1 rewrites {path})");
}

/// Every unsupported op at once, each with its Python file and line.
#[test]
fn unsupported_ops_name_the_python_line() {
    golden("unsupported", "model.pt2", "error.txt");
    golden("unsupported", "model.core.pt2", "error.core.txt");
    let err = compile(&read("unsupported", "model.pt2")).unwrap_err();
    let Error::Unsupported(u) = err else { panic!("{err}") };
    let at: Vec<_> = u.ops.iter().map(|o| (o.name.as_str(), o.count, o.at.as_deref())).collect();
    assert_eq!((at[0].0, at[0].1), ("aten::unfold.default", 2));
    assert!(at.iter().all(|(_, _, a)| a.is_some_and(|a| a.starts_with("pt2_extra.py:") && a.ends_with(" in forward"))), "{at:?}");
}

/// An argument etch refuses names the op and the line too.
#[test]
fn a_refused_argument_names_the_python_line() {
    golden("refused", "model.pt2", "error.txt");
    let err = compile(&read("refused", "model.pt2")).unwrap_err();
    assert!(matches!(&err, Error::Source { op, at, .. } if op == "aten::lstm.input" && at.starts_with("pt2_extra.py:")), "{err}");
}

#[test]
fn the_kind_is_told_from_the_bytes() {
    assert!(pt2::is_archive(&read("mlp", "model.pt2")));
    let pte = std::fs::read(format!("{}/../tests/fixtures/mlp/model.pte", env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert!(!pt2::is_archive(&pte));
}

#[test]
fn truncated_archives_are_typed_errors() {
    for name in SMALL {
        let bytes = read(name, "model.pt2");
        for k in 0..32 {
            let cut = bytes.len() * k / 32;
            match compile(&bytes[..cut]) {
                Err(Error::Pt2(_) | Error::Pte(_)) => {}
                Err(other) => panic!("{name} cut at {cut}: unexpected error {other}"),
                Ok(_) => panic!("{name} cut at {cut}: compiled"),
            }
        }
    }
}

/// A small deflated entry that unpacks past the budget stops at the budget.
#[test]
fn a_zip_bomb_is_refused_within_its_budget() {
    let mut es = entries(&read("mlp", "model.pt2"));
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let zeros = vec![b' '; 1 << 20];
    for (name, data) in es.drain(..) {
        if name.ends_with("models/model.json") {
            out.start_file(name.as_str(), deflated).unwrap();
            out.write_all(&data).unwrap();
            for _ in 0..64 {
                out.write_all(&zeros).unwrap();
            }
        } else {
            out.start_file(name.as_str(), stored).unwrap();
            out.write_all(&data).unwrap();
        }
    }
    let bytes = out.finish().unwrap().into_inner();
    assert!(bytes.len() < 1 << 20, "the bomb is {} bytes", bytes.len());
    let base = { sweep::reset_peak(); sweep::peak() };
    let err = compile(&bytes).unwrap_err();
    assert!(matches!(err, Error::Pt2(pt2::Error::TooLarge { .. })), "{err}");
    let peak = sweep::peak() - base;
    assert!(peak < 40 << 20, "reading the bomb allocated {peak} bytes");
}

#[test]
fn malformed_json_is_named() {
    let bytes = edited("models/model.json", |t| t[..t.len() / 2].to_string());
    let err = compile(&bytes).unwrap_err();
    assert!(matches!(err, Error::Pt2(pt2::Error::Json { .. })), "{err}");
    assert!(err.to_string().contains("models/model.json"), "{err}");
}

#[test]
fn an_unknown_schema_version_is_refused_with_the_known_ones() {
    let bytes = edited("models/model.json", |t| t.replace("\"schema_version\": {\"major\": 8", "\"schema_version\": {\"major\": 99"));
    let err = compile(&bytes).unwrap_err();
    assert!(matches!(err, Error::Pt2(pt2::Error::SchemaVersion { major: 99, .. })), "{err}");
    assert!(err.to_string().contains("major version 8"), "{err}");
}

#[test]
fn pickled_weights_are_refused() {
    let bytes = edited("model_weights_config.json", |t| t.replacen("\"use_pickle\": false", "\"use_pickle\": true", 1));
    let err = compile(&bytes).unwrap_err();
    assert!(matches!(err, Error::Pt2(pt2::Error::Pickled { .. })), "{err}");
}

#[test]
fn wrong_dtype_codes_are_named() {
    let bytes = edited("model_weights_config.json", |t| t.replacen("\"dtype\": 7", "\"dtype\": 99", 1));
    let err = compile(&bytes).unwrap_err();
    assert!(matches!(err, Error::Pt2(pt2::Error::BadTensor { .. })), "{err}");
    // In the graph: the user input's dtype.
    let bytes = edited("models/model.json", |t| t.replace("\"dtype\": 7", "\"dtype\": 42"));
    let err = compile(&bytes).unwrap_err();
    assert!(err.to_string().contains("42") || err.to_string().contains("dtype"), "{err}");
}

#[test]
fn out_of_range_sizes_strides_and_offsets_are_named() {
    use serde_json::{json, Value};
    let cases: [(&str, Value); 7] = [
        ("storage_offset", json!({"as_int": i64::MAX})),
        ("storage_offset", json!({"as_int": -1})),
        ("storage_offset", json!({"as_int": 1})),
        ("strides", json!([{"as_int": 1_i64 << 62}, {"as_int": 1}])),
        ("strides", json!([{"as_int": -64}, {"as_int": 1}])),
        ("sizes", json!([{"as_int": 1_i64 << 32}, {"as_int": 64}])),
        ("sizes", json!([{"as_int": -3}, {"as_int": 64}])),
    ];
    for (field, to) in cases {
        let bytes = edited("model_weights_config.json", |t| {
            let mut v: Value = serde_json::from_str(t).unwrap();
            let weight = v["config"].as_object_mut().unwrap().values_mut().find(|w| w["tensor_meta"]["sizes"].as_array().is_some_and(|s| s.len() == 2)).unwrap();
            weight["tensor_meta"][field] = to.clone();
            v.to_string()
        });
        let err = compile(&bytes).unwrap_err();
        assert!(matches!(err, Error::Pt2(pt2::Error::BadTensor { .. })), "{field} = {to}: {err}");
    }
}

/// Range constraints are the bounds a dynamic dim is planned at; without one it is refused.
#[test]
fn dynamic_dims_take_their_bound_from_range_constraints() {
    let g = compile(&read("dynamic_mlp", "model.pt2")).unwrap();
    let sizes: Vec<_> = g.summary.methods[0].sizes.iter().map(|s| (s.input, s.dim, s.bound)).collect();
    assert_eq!(sizes, [(0, 0, 8)]);
    let bytes = edited_in("dynamic_mlp", "models/model.json", |t| t.replace("\"max_val\": 8", "\"max_val\": 3"));
    assert_eq!(compile(&bytes).unwrap().summary.methods[0].sizes[0].bound, 3);
    let bytes = edited_in("dynamic_mlp", "models/model.json", |t| t.replace("\"max_val\": 8", "\"max_val\": null"));
    let err = compile(&bytes).unwrap_err();
    assert!(err.to_string().contains("no upper bound"), "{err}");
}

const EDGES: [&str; 12] = ["0", "-1", "1", "7", "12", "99", "255", "2147483648", "4294967296", "9223372036854775807", "-9223372036854775808", "1e308"];

/// One to three edits of a JSON text: a number set to an edge value, a
/// string's character changed, or a span deleted.
fn mutate_json(rng: &mut Rng, text: &str) -> (String, String) {
    let mut t = text.to_string();
    let mut what = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let numbers: Vec<(usize, usize)> = {
            let b = t.as_bytes();
            let mut v = Vec::new();
            let mut i = 0;
            while i < b.len() {
                if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric() && b[i - 1] != b'_') {
                    let s = i;
                    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'e' || b[i] == b'-') {
                        i += 1;
                    }
                    v.push((s, i));
                } else {
                    i += 1;
                }
            }
            v
        };
        match rng.below(10) {
            0..=6 if !numbers.is_empty() => {
                let (s, e) = numbers[rng.below(numbers.len())];
                let v = EDGES[rng.below(EDGES.len())];
                what.push(format!("{}@{s}->{v}", &t[s..e]));
                t.replace_range(s..e, v);
            }
            7 | 8 => {
                let at = rng.below(t.len());
                if t.is_char_boundary(at) && t.is_char_boundary(at + 1) && at < t.len() {
                    let c = [b'x', b'"', b'{', b']', b'0', b'_'][rng.below(6)] as char;
                    t.replace_range(at..at + 1, &c.to_string());
                    what.push(format!("char@{at}->{c}"));
                }
            }
            _ => {
                let at = rng.below(t.len());
                let end = (at + 1 + rng.below(40)).min(t.len());
                if t.is_char_boundary(at) && t.is_char_boundary(end) {
                    t.replace_range(at..end, "");
                    what.push(format!("cut {at}..{end}"));
                }
            }
        }
    }
    (t, what.join(" "))
}

/// Mutants of `model.json` and the weights config, re-zipped so the zip's
/// checksums hold and the reader and the translation see them.
#[test]
fn json_mutation_sweep() {
    const MUTANTS: usize = 600;
    let files: Vec<(String, Vec<(String, Vec<u8>)>)> = SMALL
        .iter()
        .flat_map(|n| ["model.pt2", "model.core.pt2"].map(|f| (format!("{n}/{f}"), entries(&read(n, f)))))
        .collect();
    let mut rng = Rng(0x0070_7432_2026);
    let mut counts = Counts::default();
    for i in 0..MUTANTS {
        let (name, original) = &files[i % files.len()];
        let mut es = original.clone();
        let targets: Vec<usize> = es.iter().enumerate().filter(|(_, (n, _))| n.ends_with(".json")).map(|(k, _)| k).collect();
        let k = targets[if rng.below(4) == 0 { rng.below(targets.len()) } else { targets.iter().position(|&k| es[k].0.ends_with("models/model.json")).unwrap_or(0) }];
        let text = String::from_utf8_lossy(&es[k].1).into_owned();
        let (mutant, what) = mutate_json(&mut rng, &text);
        es[k].1 = mutant.into_bytes();
        counts.run(format!("mutant {i} of {name} ({}): {what}", es[k].0), &archive(&es));
    }
    counts.check("pt2 json mutations");
    assert_eq!(counts.compiled + counts.errors, MUTANTS);
}

/// Raw byte flips over the archives, local headers and central directory included.
#[test]
fn byte_flip_sweep() {
    const MUTANTS: usize = 400;
    let files: Vec<(&str, Vec<u8>)> = SMALL.iter().map(|&n| (n, read(n, "model.pt2"))).collect();
    let mut rng = Rng(0x0062_7974_6573);
    let mut counts = Counts::default();
    for i in 0..MUTANTS {
        let (name, original) = &files[i % files.len()];
        let mut bytes = original.clone();
        let len = bytes.len();
        let mut what = Vec::new();
        for _ in 0..1 + rng.below(4) {
            // Half at the end: the central directory and the end record.
            let at = if rng.below(2) == 0 { len - 1 - rng.below(2048.min(len)) } else { rng.below(len) };
            bytes[at] ^= 1 + rng.below(255) as u8;
            what.push(format!("xor@{at}"));
        }
        counts.run(format!("mutant {i} of {name}: {}", what.join(" ")), &bytes);
    }
    counts.check("pt2 byte flips");
    assert_eq!(counts.compiled + counts.errors, MUTANTS);
}
