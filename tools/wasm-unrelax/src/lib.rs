//! Rewrites `relaxed_min`/`relaxed_max` in a wasm module to `pmin`/`pmax`.
//!
//! With `+relaxed-simd`, LLVM's wasm backend lowers every pmin/pmax pattern in
//! the module (`f32x4_pmax`, and `if v < lo { lo } else { v }` once vectorised)
//! to the relaxed forms, operands in the same order. On x86_64 engines
//! `relaxed_max(NaN, lo)` gives `lo`, so a NaN-keeping clamp loses its NaN.
//! `pmax` is one of the results the relaxed op may give for every input, so the
//! rewrite is sound whatever code LLVM emitted it for, and it is the exact
//! instruction the SIMD128 build has. `relaxed_madd`/`nmadd` (what the kernels
//! ask for) are kept; any other relaxed op is an error, to be looked at first.

use std::fmt;

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::Instruction;
use wasmparser::Operator;

/// What one rewrite did, by instruction.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// `f32x4.relaxed_min`/`max` and `f64x2.relaxed_min`/`max` made `pmin`/`pmax`.
    pub min_max: usize,
    /// `relaxed_madd`/`relaxed_nmadd` left as they are.
    pub madd: usize,
}

/// Why a module was not rewritten.
#[derive(Debug)]
pub enum Error {
    /// The module did not parse or re-encode.
    Module(String),
    /// A relaxed op this tool does not know to be safe (its name).
    Unknown(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Module(e) => write!(f, "{e}"),
            Error::Unknown(op) => write!(
                f,
                "{op}: a relaxed SIMD op the build was not expected to emit"
            ),
        }
    }
}

impl std::error::Error for Error {}

struct Unrelax {
    counts: Counts,
}

impl Reencode for Unrelax {
    type Error = String;

    fn instruction<'a>(
        &mut self,
        op: Operator<'a>,
    ) -> Result<Instruction<'a>, reencode::Error<String>> {
        let swap = match op {
            Operator::F32x4RelaxedMin => Instruction::F32x4PMin,
            Operator::F32x4RelaxedMax => Instruction::F32x4PMax,
            Operator::F64x2RelaxedMin => Instruction::F64x2PMin,
            Operator::F64x2RelaxedMax => Instruction::F64x2PMax,
            Operator::F32x4RelaxedMadd
            | Operator::F32x4RelaxedNmadd
            | Operator::F64x2RelaxedMadd
            | Operator::F64x2RelaxedNmadd => {
                self.counts.madd += 1;
                return reencode::utils::instruction(self, op);
            }
            _ if is_relaxed(&op) => return Err(reencode::Error::UserError(format!("{op:?}"))),
            _ => return reencode::utils::instruction(self, op),
        };
        self.counts.min_max += 1;
        Ok(swap)
    }
}

/// The relaxed SIMD proposal's ops (its opcodes are 0xfd 0x100..=0x113).
fn is_relaxed(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::I8x16RelaxedSwizzle
            | Operator::I32x4RelaxedTruncF32x4S
            | Operator::I32x4RelaxedTruncF32x4U
            | Operator::I32x4RelaxedTruncF64x2SZero
            | Operator::I32x4RelaxedTruncF64x2UZero
            | Operator::I8x16RelaxedLaneselect
            | Operator::I16x8RelaxedLaneselect
            | Operator::I32x4RelaxedLaneselect
            | Operator::I64x2RelaxedLaneselect
            | Operator::I16x8RelaxedQ15mulrS
            | Operator::I16x8RelaxedDotI8x16I7x16S
            | Operator::I32x4RelaxedDotI8x16I7x16AddS
    )
}

/// `wasm` with every relaxed min and max made pmin and pmax; all else is copied.
pub fn unrelax(wasm: &[u8]) -> Result<(Vec<u8>, Counts), Error> {
    let mut pass = Unrelax {
        counts: Counts::default(),
    };
    let mut module = wasm_encoder::Module::new();
    pass.parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
        .map_err(|e| match e {
            reencode::Error::UserError(op) => Error::Unknown(op),
            e => Error::Module(e.to_string()),
        })?;
    Ok((module.finish(), pass.counts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{CodeSection, Function, FunctionSection, Module, TypeSection, ValType};

    /// A module of one function per body, each `(v128, v128, v128) -> v128`.
    fn module(bodies: &[&[Instruction<'_>]]) -> Vec<u8> {
        let mut types = TypeSection::new();
        types.ty().function([ValType::V128; 3], [ValType::V128]);
        let mut funcs = FunctionSection::new();
        let mut code = CodeSection::new();
        for body in bodies {
            funcs.function(0);
            let mut f = Function::new([]);
            for i in *body {
                f.instruction(i);
            }
            f.instruction(&Instruction::End);
            code.function(&f);
        }
        let mut m = Module::new();
        m.section(&types).section(&funcs).section(&code);
        m.finish()
    }

    /// Every function's operators, `End` included.
    fn ops(wasm: &[u8]) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
                let mut reader = body.get_operators_reader().unwrap();
                let mut f = Vec::new();
                while !reader.eof() {
                    f.push(format!("{:?}", reader.read().unwrap()));
                }
                out.push(f);
            }
        }
        out
    }

    #[test]
    fn min_max_become_pmin_pmax_with_operands_in_place() {
        use Instruction::*;
        let b = |op| [LocalGet(1), LocalGet(0), op];
        let wasm = module(&[
            &b(F32x4RelaxedMax),
            &b(F32x4RelaxedMin),
            &b(F64x2RelaxedMax),
            &b(F64x2RelaxedMin),
            &[LocalGet(0), LocalGet(1), LocalGet(2), F32x4RelaxedMadd],
            &[LocalGet(0), LocalGet(1), F32x4Max],
        ]);
        let (out, counts) = unrelax(&wasm).unwrap();
        assert_eq!(
            counts,
            Counts {
                min_max: 4,
                madd: 1
            }
        );
        wasmparser::Validator::new().validate_all(&out).unwrap();
        let got = ops(&out);
        let want = |op: &str| {
            vec![
                "LocalGet { local_index: 1 }".to_string(),
                "LocalGet { local_index: 0 }".into(),
                op.into(),
                "End".into(),
            ]
        };
        assert_eq!(got[0], want("F32x4PMax"));
        assert_eq!(got[1], want("F32x4PMin"));
        assert_eq!(got[2], want("F64x2PMax"));
        assert_eq!(got[3], want("F64x2PMin"));
        assert_eq!(got[4][3], "F32x4RelaxedMadd");
        assert_eq!(got[5][2], "F32x4Max");
    }

    #[test]
    fn a_module_without_relaxed_ops_is_unchanged_but_for_encoding() {
        let wasm = module(&[&[
            Instruction::LocalGet(0),
            Instruction::LocalGet(1),
            Instruction::F32x4PMax,
        ]]);
        let (out, counts) = unrelax(&wasm).unwrap();
        assert_eq!(counts, Counts::default());
        assert_eq!(out, wasm);
    }

    #[test]
    fn other_relaxed_ops_are_refused() {
        use Instruction::*;
        for op in [
            I8x16RelaxedSwizzle,
            I32x4RelaxedTruncF32x4S,
            I16x8RelaxedQ15mulrS,
        ] {
            let wasm = module(&[&[LocalGet(0), LocalGet(1), op]]);
            assert!(matches!(unrelax(&wasm), Err(Error::Unknown(_))));
        }
        let wasm = module(&[&[
            LocalGet(0),
            LocalGet(1),
            LocalGet(2),
            I32x4RelaxedLaneselect,
        ]]);
        assert!(matches!(unrelax(&wasm), Err(Error::Unknown(_))));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(matches!(
            unrelax(b"\0asm\x01\0\0\0\x0a\x05\x01"),
            Err(Error::Module(_))
        ));
    }
}
