//! Error messages are part of the interface: each class of bad input, run
//! through `etch compile`, must print exactly `tests/golden/<case>.txt`.
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the files.

use std::path::Path;
use std::process::Command;

#[path = "../../codegen/tests/common/mod.rs"]
mod common;
use common::rename;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Just enough flatbuffer reading to find one field (tables only, no checks:
/// these are the fixtures, and a wrong walk fails the comparison anyway).
struct Fb<'a>(&'a [u8]);

impl Fb<'_> {
    fn u32(&self, at: usize) -> usize {
        u32::from_le_bytes(self.0[at..at + 4].try_into().unwrap()) as usize
    }
    fn u16(&self, at: usize) -> usize {
        u16::from_le_bytes(self.0[at..at + 2].try_into().unwrap()).into()
    }
    fn root(&self) -> usize {
        self.u32(0)
    }
    /// Byte position of field `f` of the table at `t`.
    fn field(&self, t: usize, f: usize) -> usize {
        let vtable = (t as i64 - i64::from(i32::from_le_bytes(self.0[t..t + 4].try_into().unwrap()))) as usize;
        assert!(4 + 2 * f < self.u16(vtable), "field {f} absent");
        let off = self.u16(vtable + 4 + 2 * f);
        assert!(off != 0, "field {f} absent");
        t + off
    }
    fn deref(&self, at: usize) -> usize {
        at + self.u32(at)
    }
    /// Table `i` of the vector in field `f` of table `t`.
    fn item(&self, t: usize, f: usize, i: usize) -> usize {
        let v = self.deref(self.field(t, f));
        self.deref(v + 4 + 4 * i)
    }
    /// Item `i` of the int vector in field `f` of table `t`.
    fn int(&self, t: usize, f: usize, i: usize) -> usize {
        let v = self.deref(self.field(t, f));
        self.u32(v + 4 + 4 * i)
    }
}

/// Field indices from `codegen/schema/program.fbs`.
mod schema {
    pub const PROGRAM_PLANS: usize = 1;
    pub const PROGRAM_SEGMENTS: usize = 4;
    pub const PLAN_VALUES: usize = 2;
    pub const PLAN_INPUTS: usize = 3;
    pub const EVALUE_VAL: usize = 1;
    pub const TENSOR_SCALAR_TYPE: usize = 0;
    pub const TENSOR_SIZES: usize = 2;
    pub const SEGMENT_SIZE: usize = 1;
}


/// Compiles `bytes` as `<case>.pte` from its own directory; returns the exit code and stderr.
fn compile(case: &str, bytes: &[u8]) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("etch-golden-{}-{case}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = format!("{case}.pte");
    std::fs::write(dir.join(&file), bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_etch")).args(["compile", &file, "-o", "out"]).current_dir(&dir).output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `code`: 1 for an error, 3 for unsupported ops (the exit codes of `etch --help`).
fn check(case: &str, bytes: &[u8], code: i32) {
    let (got, text) = compile(case, bytes);
    assert_eq!(got, code, "{case}: {text}");
    assert!(text.contains(&format!("`{case}.pte`")), "{case}: the message must name the file: {text}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{case}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(text, golden, "{case}: the message changed; if on purpose, rerun with UPDATE_GOLDEN=1");
}

#[test]
fn bad_identifier() {
    let mut bytes = fixture("digits_cnn/model.pte");
    bytes[4..8].copy_from_slice(b"XX12");
    check("bad_identifier", &bytes, 1);
}

#[test]
fn truncated_header() {
    check("truncated_header", &fixture("digits_cnn/model.pte")[..20], 1);
}

#[test]
fn segment_out_of_range() {
    let mut bytes = fixture("digits_cnn/model.pte");
    let fb = Fb(&bytes);
    let at = fb.field(fb.item(fb.root(), schema::PROGRAM_SEGMENTS, 0), schema::SEGMENT_SIZE);
    bytes[at..at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    check("segment_out_of_range", &bytes, 1);
}

#[test]
fn unsupported_dtype() {
    let mut bytes = fixture("digits_cnn/model.pte");
    let fb = Fb(&bytes);
    let plan = fb.item(fb.root(), schema::PROGRAM_PLANS, 0);
    let input = fb.item(plan, schema::PLAN_VALUES, fb.int(plan, schema::PLAN_INPUTS, 0));
    let tensor = fb.deref(fb.field(input, schema::EVALUE_VAL));
    let at = fb.field(tensor, schema::TENSOR_SCALAR_TYPE);
    assert_eq!(bytes[at], 6, "the input is float");
    bytes[at] = 7; // Double
    check("unsupported_dtype", &bytes, 1);
}

/// The input's first dim set to 2^31 - 1: more elements than etch will plan.
#[test]
fn absurd_size() {
    let mut bytes = fixture("digits_cnn/model.pte");
    let fb = Fb(&bytes);
    let plan = fb.item(fb.root(), schema::PROGRAM_PLANS, 0);
    let input = fb.item(plan, schema::PLAN_VALUES, fb.int(plan, schema::PLAN_INPUTS, 0));
    let tensor = fb.deref(fb.field(input, schema::EVALUE_VAL));
    let sizes = fb.deref(fb.field(tensor, schema::TENSOR_SIZES));
    bytes[sizes + 4..sizes + 8].copy_from_slice(&i32::MAX.to_le_bytes());
    check("absurd_size", &bytes, 1);
}

#[test]
fn unsupported_ops_all_listed() {
    let mut bytes = fixture("digits_cnn/model.pte");
    rename(&mut bytes, "aten::relu", "aten::relx");
    rename(&mut bytes, "aten::addmm", "aten::addmx");
    check("unsupported_ops", &bytes, 3);
}

#[test]
fn delegate_with_an_unknown_backend() {
    let mut bytes = fixture("mlp/model.xnnpack.pte");
    rename(&mut bytes, "XnnpackBackend", "UnknownBackend");
    check("unknown_delegate", &bytes, 3);
}

#[test]
fn methods_with_one_rust_name() {
    let mut bytes = fixture("codec/model.pte");
    rename(&mut bytes, "decode", "Encode");
    check("same_fn_name", &bytes, 1);
}
