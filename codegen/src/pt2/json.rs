//! `model.json` and the payload configs: serde stays inside this file.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::model::*;
use super::{Error, KNOWN_SCHEMA_MAJOR};

const MODEL: &str = "models/model.json";

fn bad(file: &str, message: impl Into<String>) -> Error {
    Error::Json { file: file.to_string(), message: message.into() }
}

fn parse(text: &[u8], file: &str) -> Result<Value, Error> {
    serde_json::from_slice(text).map_err(|e| bad(file, e.to_string()))
}

fn obj<'v>(v: &'v Value, what: &str) -> Result<&'v Map<String, Value>, Error> {
    v.as_object().ok_or_else(|| bad(MODEL, format!("{what}: expected an object")))
}

fn field<'v>(v: &'v Value, key: &str, what: &str) -> Result<&'v Value, Error> {
    obj(v, what)?.get(key).ok_or_else(|| bad(MODEL, format!("{what}: no `{key}`")))
}

fn arr<'v>(v: &'v Value, what: &str) -> Result<&'v [Value], Error> {
    v.as_array().map(Vec::as_slice).ok_or_else(|| bad(MODEL, format!("{what}: expected a list")))
}

fn string(v: &Value, what: &str) -> Result<String, Error> {
    v.as_str().map(str::to_owned).ok_or_else(|| bad(MODEL, format!("{what}: expected a string")))
}

fn int(v: &Value, what: &str) -> Result<i64, Error> {
    v.as_i64().ok_or_else(|| bad(MODEL, format!("{what}: expected an integer, found {}", short(v))))
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

/// A union: an object with exactly one set key.
fn union<'v>(v: &'v Value, what: &str) -> Result<(&'v str, &'v Value), Error> {
    let m = obj(v, what)?;
    let mut set = m.iter().filter(|(_, v)| !v.is_null());
    match (set.next(), set.next()) {
        (Some((k, v)), None) => Ok((k.as_str(), v)),
        // A union whose only member is null, e.g. `{"as_none": null}`.
        (None, None) if m.len() == 1 => m.iter().next().map(|(k, v)| (k.as_str(), v)).ok_or_else(|| bad(MODEL, what.to_string())),
        _ => Err(bad(MODEL, format!("{what}: expected one field of a union, found {}", short(v)))),
    }
}

pub fn program(text: &[u8]) -> Result<ExportedProgram, Error> {
    let root = parse(text, MODEL)?;
    let version = field(&root, "schema_version", "the program")?;
    let major = int(field(version, "major", "schema_version")?, "schema_version.major")?;
    let minor = int(field(version, "minor", "schema_version")?, "schema_version.minor")?;
    if !KNOWN_SCHEMA_MAJOR.contains(&major) {
        let known = KNOWN_SCHEMA_MAJOR.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        return Err(Error::SchemaVersion { major, minor, known });
    }
    let torch_version = root.get("torch_version").and_then(Value::as_str).unwrap_or("").to_string();
    let gm = field(&root, "graph_module", "the program")?;
    let graph = field(gm, "graph", "graph_module")?;
    let mut tensors = BTreeMap::new();
    for (name, meta) in obj(field(graph, "tensor_values", "graph")?, "tensor_values")? {
        tensors.insert(name.clone(), tensor_meta(meta, &format!("tensor_values `{name}`"))?);
    }
    let nodes = arr(field(graph, "nodes", "graph")?, "nodes")?
        .iter()
        .enumerate()
        .map(|(i, n)| node(n, i))
        .collect::<Result<Vec<_>, _>>()?;
    let placeholders: Vec<String> = arr(field(graph, "inputs", "graph")?, "graph inputs")?
        .iter()
        .map(|a| match argument(a, "graph input")? {
            Arg::Tensor(t) => Ok(t),
            other => Err(Error::Graph(format!("graph input {other:?} is not a tensor (etch takes tensor inputs only)"))),
        })
        .collect::<Result<_, _>>()?;
    let sig = field(gm, "signature", "graph_module")?;
    let specs = arr(field(sig, "input_specs", "signature")?, "input_specs")?;
    if specs.len() != placeholders.len() {
        return Err(Error::Graph(format!("{} input specs for {} graph inputs", specs.len(), placeholders.len())));
    }
    let inputs = specs.iter().zip(&placeholders).map(|(s, p)| input_spec(s, p)).collect::<Result<Vec<_>, _>>()?;
    let outputs = arr(field(sig, "output_specs", "signature")?, "output_specs")?.iter().map(output_spec).collect::<Result<Vec<_>, _>>()?;
    let mut ranges = BTreeMap::new();
    if let Some(rc) = root.get("range_constraints").and_then(Value::as_object) {
        for (sym, r) in rc {
            let lo = r.get("min_val").and_then(Value::as_i64).unwrap_or(0);
            let hi = r.get("max_val").and_then(Value::as_i64);
            ranges.insert(sym.clone(), (lo, hi));
        }
    }
    Ok(ExportedProgram { schema: (major, minor), torch_version, nodes, tensors, inputs, outputs, ranges, data: BTreeMap::new() })
}

fn node(v: &Value, i: usize) -> Result<Node, Error> {
    let what = format!("node {i}");
    let raw = string(field(v, "target", &what)?, &what)?;
    let target = qualify(&raw);
    let name = v.get("name").and_then(Value::as_str).map_or_else(|| format!("node_{i}"), str::to_owned);
    let what = format!("node {i} (`{name}`)");
    let mut inputs = Vec::new();
    for a in arr(field(v, "inputs", &what)?, &what)? {
        let n = string(field(a, "name", &what)?, &what)?;
        inputs.push((n, argument(field(a, "arg", &what)?, &what)?));
    }
    let mut outputs = Vec::new();
    for o in arr(field(v, "outputs", &what)?, &what)? {
        match argument(o, &what)? {
            Arg::Tensor(t) => outputs.push(Some(t)),
            Arg::Tensors(ts) => outputs.extend(ts.into_iter().map(Some)),
            Arg::OptTensors(ts) => outputs.extend(ts),
            Arg::None => outputs.push(None),
            // Symbolic-int outputs (`sym_size`) are named like tensors here.
            Arg::SymInt(SymInt::Name(s)) => outputs.push(Some(s)),
            other => return Err(bad(MODEL, format!("{what}: output {other:?} is not supported"))),
        }
    }
    let stack_trace = v.get("metadata").and_then(|m| m.get("stack_trace")).and_then(Value::as_str).map(str::to_owned);
    Ok(Node { target, name, inputs, outputs, stack_trace })
}

/// `torch.ops.aten.conv2d.default` → `aten::conv2d.default`.
fn qualify(raw: &str) -> String {
    let t = raw.strip_prefix("torch.ops.").unwrap_or(raw);
    match t.split_once('.') {
        Some((ns, rest)) if !raw.starts_with('_') && raw.starts_with("torch.ops.") => format!("{ns}::{rest}"),
        _ => t.to_string(),
    }
}

fn tensor_name(v: &Value, what: &str) -> Result<String, Error> {
    string(field(v, "name", what)?, what)
}

fn sym_int(v: &Value, what: &str) -> Result<SymInt, Error> {
    match union(v, what)? {
        ("as_int", i) => Ok(SymInt::Int(int(i, what)?)),
        ("as_name", n) => Ok(SymInt::Name(string(n, what)?)),
        (k, _) => Err(bad(MODEL, format!("{what}: unknown sym int kind `{k}`"))),
    }
}

fn opt_tensor(v: &Value, what: &str) -> Result<Option<String>, Error> {
    match union(v, what)? {
        ("as_tensor", t) => Ok(Some(tensor_name(t, what)?)),
        ("as_none", _) => Ok(None),
        (k, _) => Err(bad(MODEL, format!("{what}: unknown optional tensor kind `{k}`"))),
    }
}

fn argument(v: &Value, what: &str) -> Result<Arg, Error> {
    let (kind, x) = union(v, what)?;
    let list = |x: &Value| arr(x, what).map(|a| a.to_vec());
    Ok(match kind {
        "as_none" => Arg::None,
        "as_tensor" => Arg::Tensor(tensor_name(x, what)?),
        "as_tensors" => Arg::Tensors(list(x)?.iter().map(|t| tensor_name(t, what)).collect::<Result<_, _>>()?),
        "as_optional_tensors" => Arg::OptTensors(list(x)?.iter().map(|t| opt_tensor(t, what)).collect::<Result<_, _>>()?),
        "as_optional_tensor" => match opt_tensor(x, what)? {
            Some(t) => Arg::Tensor(t),
            None => Arg::None,
        },
        "as_int" => Arg::Int(int(x, what)?),
        "as_ints" => Arg::Ints(list(x)?.iter().map(|i| int(i, what)).collect::<Result<_, _>>()?),
        "as_float" => Arg::Float(float(x, what)?),
        "as_floats" => Arg::Floats(list(x)?.iter().map(|f| float(f, what)).collect::<Result<_, _>>()?),
        "as_bool" => Arg::Bool(x.as_bool().ok_or_else(|| bad(MODEL, format!("{what}: expected a bool")))?),
        "as_bools" => Arg::Bools(list(x)?.iter().map(|b| b.as_bool().ok_or_else(|| bad(MODEL, format!("{what}: expected a bool")))).collect::<Result<_, _>>()?),
        "as_string" => Arg::Str(string(x, what)?),
        "as_sym_int" => Arg::SymInt(sym_int(x, what)?),
        "as_sym_ints" => Arg::SymInts(list(x)?.iter().map(|s| sym_int(s, what)).collect::<Result<_, _>>()?),
        "as_scalar_type" => Arg::ScalarType(Dtype::from_code(int(x, what)?)),
        "as_memory_format" => Arg::MemoryFormat(int(x, what)?),
        "as_layout" => Arg::Layout(int(x, what)?),
        "as_device" => Arg::Device(x.get("type").and_then(Value::as_str).unwrap_or("").to_string()),
        other => Arg::Unknown(other.to_string()),
    })
}

/// torch writes non-finite floats as the strings `Infinity`, `-Infinity` and `NaN`.
fn float(v: &Value, what: &str) -> Result<f64, Error> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| bad(MODEL, format!("{what}: bad float"))),
        Value::String(s) => match s.as_str() {
            "Infinity" | "inf" => Ok(f64::INFINITY),
            "-Infinity" | "-inf" => Ok(f64::NEG_INFINITY),
            "NaN" | "nan" => Ok(f64::NAN),
            _ => Err(bad(MODEL, format!("{what}: bad float {s:?}"))),
        },
        _ => Err(bad(MODEL, format!("{what}: expected a float, found {}", short(v)))),
    }
}

fn size(v: &Value, what: &str) -> Result<Size, Error> {
    match union(v, what)? {
        ("as_int", i) => Ok(Size::Int(int(i, what)?)),
        ("as_expr", e) => Ok(Size::Expr(string(field(e, "expr_str", what)?, what)?)),
        (k, _) => Err(bad(MODEL, format!("{what}: unknown size kind `{k}`"))),
    }
}

fn tensor_meta(v: &Value, what: &str) -> Result<TensorMeta, Error> {
    let dtype = Dtype::from_code(int(field(v, "dtype", what)?, what)?);
    let sizes = arr(field(v, "sizes", what)?, what)?.iter().map(|s| size(s, what)).collect::<Result<_, _>>()?;
    let strides = match v.get("strides") {
        Some(s) => arr(s, what)?.iter().map(|s| size(s, what)).collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let storage_offset = match v.get("storage_offset") {
        Some(o) => size(o, what)?,
        None => Size::Int(0),
    };
    Ok(TensorMeta { dtype, sizes, strides, storage_offset })
}

fn input_spec(v: &Value, placeholder: &str) -> Result<Input, Error> {
    let what = format!("input spec of `{placeholder}`");
    let (kind, x) = union(v, &what)?;
    let arg_name = |x: &Value| -> Result<String, Error> {
        let a = field(x, "arg", &what)?;
        match a.get("as_tensor") {
            Some(t) => tensor_name(t, &what),
            None => tensor_name(a, &what),
        }
    };
    let arg = arg_name(x)?;
    if arg != placeholder {
        return Err(Error::Graph(format!("{what} names `{arg}`")));
    }
    let target = |key: &str| string(field(x, key, &what)?, &what);
    Ok(match kind {
        "user_input" => Input::User(arg),
        "parameter" => Input::Parameter { arg, target: target("parameter_name")? },
        "buffer" => Input::Buffer { arg, target: target("buffer_name")? },
        "tensor_constant" => Input::Constant { arg, target: target("tensor_constant_name")? },
        other => return Err(Error::Graph(format!("{what}: input kind `{other}` is not supported (etch takes tensors, parameters, buffers and constants)"))),
    })
}

fn output_spec(v: &Value) -> Result<Output, Error> {
    let what = "output spec";
    let (kind, x) = union(v, what)?;
    match kind {
        "user_output" => Ok(Output::User(argument(field(x, "arg", what)?, what)?)),
        "buffer_mutation" => Ok(Output::BufferMutation { arg: tensor_name(field(x, "arg", what)?, what)?, buffer: string(field(x, "buffer_name", what)?, what)? }),
        other => Err(Error::Graph(format!("output kind `{other}` is not supported (etch compiles inference programs: user outputs and buffer mutations)"))),
    }
}

/// One entry of `model_weights_config.json` or `model_constants_config.json`.
pub struct Payload {
    pub name: String,
    pub file: String,
    pub use_pickle: bool,
    pub meta: TensorMeta,
}

pub fn payload_config(text: &[u8], dir: &str) -> Result<Vec<Payload>, Error> {
    let file = format!("data/{dir}/model_{dir}_config.json");
    let root = parse(text, &file)?;
    let config = root.get("config").and_then(Value::as_object).ok_or_else(|| bad(&file, "no `config` object"))?;
    let mut out = Vec::new();
    for (name, p) in config {
        let what = format!("{file}: `{name}`");
        let path = p.get("path_name").and_then(Value::as_str).ok_or_else(|| bad(&file, format!("`{name}`: no path_name")))?;
        if path.contains('/') || path.contains("..") || path.is_empty() {
            return Err(bad(&file, format!("`{name}`: path_name {path:?} leaves the folder")));
        }
        let use_pickle = p.get("use_pickle").and_then(Value::as_bool).unwrap_or(false);
        let meta = tensor_meta(p.get("tensor_meta").ok_or_else(|| bad(&file, format!("`{name}`: no tensor_meta")))?, &what)?;
        out.push(Payload { name: name.clone(), file: path.to_string(), use_pickle, meta });
    }
    Ok(out)
}
