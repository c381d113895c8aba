//! Tests on programs built here, for paths the zoo doesn't cover.

use super::super::{parse, DelegateData, EValue, Error, Instruction, NamedData};
use super::build::{build, Spec, I, V};

fn err(spec: &Spec) -> Error {
    parse(&build(spec)).expect_err("the program should be rejected")
}

#[test]
fn inline_constants_and_delegate_data() {
    let bytes = build(&Spec::default());
    let p = parse(&bytes).unwrap();
    assert_eq!(p.constants.len(), 2);
    assert!(p.constants[0].is_empty());
    let floats: Vec<f32> = bytes[p.constant_bytes(1, 8).unwrap()]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(floats, [1.5, -2.0]);
    assert_eq!(&bytes[p.inline_delegate_data[0].clone()], b"blob");
    assert!(p.segments.is_empty());
    let plan = &p.plans[0];
    assert_eq!(
        (plan.inputs.as_slice(), plan.outputs.as_slice()),
        ([1].as_slice(), [2].as_slice())
    );
    assert_eq!(plan.delegates[0].data, DelegateData::Inline(0));
    assert_eq!(
        plan.chains[0].instructions,
        [Instruction::Kernel {
            op: 0,
            args: vec![0, 1, 3, 2]
        }]
    );
}

#[test]
fn value_index_names_the_argument() {
    let spec = Spec {
        instrs: vec![I::Kernel(0, vec![0, 1, 3, 9])],
        ..Spec::default()
    };
    let e = err(&spec);
    assert_eq!(
        e.to_string(),
        "plan `forward`: instruction 0 argument 3: value index 9 is out of range (plan has 4 values)"
    );
    let e = err(&Spec {
        inputs: vec![-2],
        ..Spec::default()
    });
    assert!(
        matches!(e, Error::ValueIndexOutOfRange { index: -2, ref what, .. } if what == "input 0")
    );
    let e = err(&Spec {
        instrs: vec![I::Move(0, 4)],
        ..Spec::default()
    });
    assert!(
        matches!(e, Error::ValueIndexOutOfRange { index: 4, .. }),
        "{e}"
    );
    let e = err(&Spec {
        instrs: vec![I::Free(-1)],
        ..Spec::default()
    });
    assert!(
        matches!(e, Error::ValueIndexOutOfRange { index: -1, .. }),
        "{e}"
    );
}

#[test]
fn operator_and_delegate_indices() {
    let e = err(&Spec {
        instrs: vec![I::Kernel(1, vec![])],
        ..Spec::default()
    });
    assert_eq!(
        e.to_string(),
        "plan `forward`: instruction 0: operator index 1 is out of range (the len is 1)"
    );
    let e = err(&Spec {
        instrs: vec![I::Delegate(1, vec![])],
        ..Spec::default()
    });
    assert!(
        matches!(
            e,
            Error::IndexOutOfRange {
                kind: "delegate",
                index: 1,
                ..
            }
        ),
        "{e}"
    );
    let e = err(&Spec {
        delegate_blobs: vec![],
        instrs: vec![I::Delegate(0, vec![])],
        ..Spec::default()
    });
    assert!(
        matches!(
            e,
            Error::IndexOutOfRange {
                kind: "delegate",
                len: 0,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn jumps_and_delegate_calls_are_kept() {
    let spec = Spec {
        instrs: vec![I::Jump(3, 1), I::Delegate(0, vec![1, 2])],
        ..Spec::default()
    };
    let p = parse(&build(&spec)).unwrap();
    assert_eq!(
        p.plans[0].chains[0].instructions,
        [
            Instruction::JumpFalse {
                cond: 3,
                destination: 1
            },
            Instruction::Delegate {
                delegate: 0,
                args: vec![1, 2]
            }
        ]
    );
    let e = err(&Spec {
        instrs: vec![I::Jump(3, 2)],
        ..Spec::default()
    });
    assert!(
        matches!(
            e,
            Error::IndexOutOfRange {
                kind: "instruction",
                index: 2,
                len: 1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn tensor_lists() {
    let mut spec = Spec::default();
    spec.values.extend([
        V::OptList(vec![-1, 0]),
        V::List(vec![1, 2]),
        V::Null,
        V::OptList(vec![6]),
    ]);
    let p = parse(&build(&spec)).unwrap();
    assert_eq!(
        p.plans[0].values[4],
        EValue::OptionalTensorList(vec![None, Some(0)])
    );
    assert_eq!(p.plans[0].values[5], EValue::TensorList(vec![1, 2]));

    let mut spec = Spec::default();
    spec.values.push(V::OptList(vec![-3]));
    assert!(matches!(
        err(&spec),
        Error::ValueIndexOutOfRange { index: -3, .. }
    ));
    let mut spec = Spec::default();
    spec.values.push(V::List(vec![0, 3]));
    assert_eq!(
        err(&spec).to_string(),
        "plan `forward`: value 4 (tensor list) item 1: value 3 must be a tensor, found an int"
    );
}

#[test]
fn unknown_value_types() {
    let mut spec = Spec::default();
    spec.values.push(V::Tag(42));
    assert_eq!(
        err(&spec).to_string(),
        "plan `forward`: value 4: unknown value type code 42"
    );
    let mut spec = Spec::default();
    spec.values.push(V::Tag(0));
    let e = err(&spec);
    assert!(matches!(e, Error::MissingField { .. }), "{e}");
}

#[test]
fn tensor_data_and_memory() {
    let mut spec = Spec::default();
    spec.values[0] = V::Tensor(vec![2], 5);
    assert!(matches!(
        err(&spec),
        Error::DataIndexOutOfRange {
            kind: "constant buffer",
            index: 5,
            len: 2,
            ..
        }
    ));
    spec.values[0] = V::Tensor(vec![3], 1);
    assert!(matches!(
        err(&spec),
        Error::DataTooShort {
            nbytes: 12,
            available: 8,
            ..
        }
    ));
    spec.values[0] = V::Tensor(vec![2, -1], 1);
    assert!(matches!(err(&spec), Error::BadTensor { .. }));
    let mut spec = Spec::default();
    spec.values[2] = V::Planned(vec![2], 1, 12, 0);
    assert_eq!(
        err(&spec).to_string(),
        "plan `forward`: value 2: 8 bytes at offset 12 overrun non-constant buffer 1 (16 bytes)"
    );
    spec.values[2] = V::Planned(vec![2], 2, 0, 0);
    assert!(matches!(err(&spec), Error::BadTensor { .. }));
}

#[test]
fn segments_mutable_and_named_data() {
    let mut spec = Spec {
        segments: vec![vec![7; 40], vec![9; 3]],
        mutable: vec![(0, vec![0, 0, 16])],
        named: vec![("weights", 1)],
        ..Spec::default()
    };
    spec.values[1] = V::Planned(vec![2], 1, 0, 2);
    let bytes = build(&spec);
    let p = parse(&bytes).unwrap();
    assert_eq!(p.segments.len(), 2);
    assert_eq!(&bytes[p.segments[1].clone()], [9; 3]);
    assert_eq!(
        p.named_data,
        [NamedData {
            key: "weights".into(),
            segment: 1
        }]
    );
    let seg = p.segments[0].start;
    assert_eq!(
        p.mutable_data,
        [vec![seg..seg, seg..seg + 16, seg + 16..seg + 40]]
    );
    let EValue::Tensor(t) = &p.plans[0].values[1] else {
        panic!()
    };
    assert_eq!(p.tensor_data(t, 8).unwrap(), Some(seg + 16..seg + 24));
    assert!(matches!(
        p.mutable_bytes(1, 1, 1),
        Err(Error::DataIndexOutOfRange { .. })
    ));
    assert!(matches!(
        p.mutable_bytes(0, 2, 25),
        Err(Error::DataTooShort { .. })
    ));

    let bad = |f: &dyn Fn(&mut Spec)| {
        let mut s = Spec {
            segments: spec.segments.clone(),
            mutable: spec.mutable.clone(),
            ..Spec::default()
        };
        f(&mut s);
        err(&s)
    };
    let e = bad(&|s| s.named = vec![("x", 2)]);
    assert_eq!(
        e.to_string(),
        "named_data[0] `x`: segment index 2 is out of range (the len is 2)"
    );
    let e = bad(&|s| s.mutable = vec![(0, vec![0, 41])]);
    assert!(
        matches!(
            e,
            Error::SubsegmentOutOfRange {
                offset: 41,
                size: 40,
                ..
            }
        ),
        "{e}"
    );
    let e = bad(&|s| s.values[1] = V::Planned(vec![2], 1, 0, 3));
    assert!(
        matches!(
            e,
            Error::DataIndexOutOfRange {
                kind: "mutable data buffer",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn segments_need_a_header() {
    let spec = Spec {
        segments: vec![vec![1; 4]],
        ..Spec::default()
    };
    let mut bytes = build(&spec);
    bytes[8..12].copy_from_slice(b"xxxx"); // no magic: no header
    assert!(matches!(
        parse(&bytes),
        Err(Error::SegmentsWithoutHeader { count: 1 })
    ));
}

/// What ExecuTorch writes for a program without constants: one empty
/// segment and no extended header.
#[test]
fn empty_segments_need_no_header() {
    let spec = Spec {
        segments: vec![vec![]],
        ..Spec::default()
    };
    let mut bytes = build(&spec);
    bytes[8..12].copy_from_slice(b"xxxx");
    let program = parse(&bytes).expect("an empty segment without a header");
    assert_eq!(program.segments.len(), 1);
    assert!(program.segments[0].is_empty());
}
