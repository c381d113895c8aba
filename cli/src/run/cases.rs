//! The cases layout: `DIR/meta.json` and `DIR/cases/<k>/in<i>.npy`, `out<j>.npy`.

use std::path::Path;

use super::Result;

/// One tensor read from an `.npy` file.
pub struct Array {
    pub shape: Vec<u64>,
    pub data: Data,
}

pub enum Data {
    F32(Vec<f32>),
    I64(Vec<i64>),
    I32(Vec<i32>),
    I8(Vec<i8>),
    U8(Vec<u8>),
    Bool(Vec<bool>),
}

impl Array {
    pub fn read(path: &Path) -> Result<Array> {
        let bytes = super::read(path)?;
        let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| format!("`{}`: {e}", path.display()))?;
        let shape = npy.shape().to_vec();
        let bad = |e: std::io::Error| format!("`{}`: {e}", path.display());
        let data = match npy.dtype() {
            npyz::DType::Plain(t) if t.type_char() == npyz::TypeChar::Float && t.size_field() == 4 => {
                Data::F32(npy.into_vec::<f32>().map_err(bad)?)
            }
            npyz::DType::Plain(t) if t.type_char() == npyz::TypeChar::Int && t.size_field() == 8 => {
                Data::I64(npy.into_vec::<i64>().map_err(bad)?)
            }
            npyz::DType::Plain(t) if t.type_char() == npyz::TypeChar::Int && t.size_field() == 4 => {
                Data::I32(npy.into_vec::<i32>().map_err(bad)?)
            }
            npyz::DType::Plain(t) if t.type_char() == npyz::TypeChar::Int && t.size_field() == 1 => {
                Data::I8(npy.into_vec::<i8>().map_err(bad)?)
            }
            npyz::DType::Plain(t) if t.type_char() == npyz::TypeChar::Uint && t.size_field() == 1 => {
                Data::U8(npy.into_vec::<u8>().map_err(bad)?)
            }
            npyz::DType::Plain(t) if t.type_char() == npyz::TypeChar::Bool => {
                Data::Bool(npy.into_vec::<bool>().map_err(bad)?)
            }
            other => return Err(format!("`{}`: dtype {} is not supported", path.display(), other.descr()).into()),
        };
        Ok(Array { shape, data })
    }

    pub fn numel(&self) -> usize {
        match &self.data {
            Data::F32(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::I32(v) => v.len(),
            Data::I8(v) => v.len(),
            Data::U8(v) => v.len(),
            Data::Bool(v) => v.len(),
        }
    }

    pub fn dtype(&self) -> &'static str {
        match &self.data {
            Data::F32(_) => "f32",
            Data::I64(_) => "i64",
            Data::I32(_) => "i32",
            Data::I8(_) => "i8",
            Data::U8(_) => "u8",
            Data::Bool(_) => "bool",
        }
    }

    /// Little-endian bytes, as the harness reads them.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        match &self.data {
            Data::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::I8(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::U8(v) => v.clone(),
            Data::Bool(v) => v.iter().map(|&b| u8::from(b)).collect(),
        }
    }

    pub fn to_f64(&self) -> Vec<f64> {
        match &self.data {
            Data::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Data::I64(v) => v.iter().map(|&x| x as f64).collect(),
            Data::I32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Data::I8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Data::U8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Data::Bool(v) => v.iter().map(|&b| f64::from(u8::from(b))).collect(),
        }
    }
}

/// Decodes a harness output file of the given dtype into f64s.
pub fn decode(bytes: &[u8], dtype: &str) -> Vec<f64> {
    match dtype {
        "f32" => bytes.chunks_exact(4).map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))).collect(),
        "i64" => bytes
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f64)
            .collect(),
        "i32" => bytes.chunks_exact(4).map(|b| f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))).collect(),
        "i8" => bytes.iter().map(|&b| f64::from(b as i8)).collect(),
        _ => bytes.iter().map(|&b| f64::from(b)).collect(),
    }
}

/// `in{i}.bin` per input, raw little-endian, and `shapes.txt` with their
/// shapes (the runtime sizes of a bounded dynamic method).
pub fn write_inputs(dir: &Path, inputs: &[Array]) -> Result<()> {
    let mut shapes = String::new();
    for (i, a) in inputs.iter().enumerate() {
        std::fs::write(dir.join(format!("in{i}.bin")), a.to_le_bytes())?;
        let dims: Vec<String> = a.shape.iter().map(u64::to_string).collect();
        shapes.push_str(&dims.join(" "));
        shapes.push('\n');
    }
    std::fs::write(dir.join("shapes.txt"), shapes)?;
    Ok(())
}

pub struct Case {
    pub method: String,
    pub inputs: Vec<Array>,
    pub expected: Vec<Array>,
}

pub struct Cases {
    pub atol: f64,
    pub rtol: f64,
    pub cases: Vec<Case>,
}

/// Reads `dir`'s cases. `meta.json` gives methods and tolerances; it may be
/// missing when `tolerances` are given (every case then calls `forward`).
pub fn load(dir: &Path, tolerances: Option<(f64, f64)>) -> Result<Cases> {
    let meta_path = dir.join("meta.json");
    let meta: serde_json::Value = if tolerances.is_some() && !meta_path.exists() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&super::read(&meta_path)?).map_err(|e| format!("`{}`: {e}", meta_path.display()))?
    };
    let number = |k: &str| meta.get(k).and_then(serde_json::Value::as_f64);
    let listed = meta.get("cases").and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
    let mut cases = Vec::new();
    for k in 0.. {
        let case_dir = dir.join("cases").join(k.to_string());
        if !case_dir.is_dir() {
            break;
        }
        let method = listed
            .get(k)
            .and_then(|c| c.get("method"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or("forward")
            .to_string();
        let inputs = numbered(&case_dir, "in")?;
        let expected = numbered(&case_dir, "out")?;
        cases.push(Case { method, inputs, expected });
    }
    if cases.is_empty() {
        return Err(format!("`{}` has no cases (expected cases/0/in0.npy, ...)", dir.display()).into());
    }
    Ok(Cases { atol: number("atol").unwrap_or(1e-5), rtol: number("rtol").unwrap_or(1e-4), cases })
}

/// `prefix0.npy`, `prefix1.npy`, … until one is missing.
fn numbered(dir: &Path, prefix: &str) -> Result<Vec<Array>> {
    let mut v = Vec::new();
    loop {
        let p = dir.join(format!("{prefix}{}.npy", v.len()));
        if !p.exists() {
            return Ok(v);
        }
        v.push(Array::read(&p)?);
    }
}
