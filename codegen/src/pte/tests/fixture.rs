//! Tests on a real program: tests/fixtures/digits_cnn/model.pte.

use super::super::{parse, read_header, EValue, Error, Instruction};

pub fn digits() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/digits_cnn/model.pte"
    );
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// Where the u64 `value` sits inside the flatbuffer (past the header).
fn find_u64(bytes: &[u8], value: u64) -> usize {
    let pat = value.to_le_bytes();
    let hits: Vec<usize> = (40..4664 - 8).filter(|&i| bytes[i..i + 8] == pat).collect();
    assert_eq!(hits.len(), 1, "{value} should occur once in the flatbuffer");
    hits[0]
}

#[test]
fn header_fields() {
    let h = read_header(&digits())
        .unwrap()
        .expect("digits_cnn has an extended header");
    assert_eq!(h.length, 32);
    assert_eq!(h.program_size, 4664);
    assert_eq!(h.segment_base_offset, 0x1280);
    assert_eq!(h.segment_data_size, Some(0x9c38));
}

#[test]
fn plan_and_operators() {
    let bytes = digits();
    let p = parse(&bytes).unwrap();
    assert_eq!(p.plans.len(), 1);
    let plan = &p.plans[0];
    assert_eq!(plan.name, "forward");
    assert!(plan
        .operators
        .iter()
        .any(|o| o.name == "aten::convolution" && o.overload == "out"));
    let mut ops: Vec<_> = plan.operators.iter().map(|o| o.name.as_str()).collect();
    ops.sort_unstable();
    ops.dedup();
    assert_eq!(
        ops,
        [
            "aten::_native_batch_norm_legit_no_training",
            "aten::addmm",
            "aten::convolution",
            "aten::max_pool2d_with_indices",
            "aten::permute_copy",
            "aten::relu",
        ]
    );
    assert_eq!(p.constants.len(), 12);
    assert_eq!(p.constants[0], 0x1280..0x1280);
    assert_eq!(p.segments.len(), 1);
    assert_eq!(p.segments[0], 0x1280..bytes.len());
    assert_eq!(plan.non_const_buffer_sizes, [0, 24576]);
    assert!(p.mutable_data.is_empty() && p.named_data.is_empty());
}

#[test]
fn first_conv_weight_is_finite_floats() {
    let bytes = digits();
    let p = parse(&bytes).unwrap();
    let plan = &p.plans[0];
    let conv = plan
        .operators
        .iter()
        .position(|o| o.name == "aten::convolution")
        .unwrap();
    let args = plan.chains[0]
        .instructions
        .iter()
        .find_map(|i| match i {
            Instruction::Kernel { op, args } if *op == conv => Some(args),
            _ => None,
        })
        .unwrap();
    let EValue::Tensor(w) = &plan.values[args[1]] else {
        panic!("conv weight is not a tensor")
    };
    assert!(w.data_buffer_idx > 0 && w.allocation.is_none());
    let nbytes = w.nbytes().unwrap();
    let range = p.constant_bytes(w.data_buffer_idx, nbytes).unwrap();
    assert_eq!(p.tensor_data(w, nbytes).unwrap(), Some(range.clone()));
    let floats: Vec<f32> = bytes[range]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(floats.len(), w.numel().unwrap());
    assert!(floats.iter().all(|f| f.is_finite()) && floats.iter().any(|&f| f != 0.0));
    // Asking for more than is stored is an error, not a longer slice.
    let len = p.constants[w.data_buffer_idx as usize].len();
    assert!(matches!(
        p.constant_bytes(w.data_buffer_idx, len + 1),
        Err(Error::DataTooShort { .. })
    ));
    assert!(matches!(
        p.constant_bytes(99, 4),
        Err(Error::DataIndexOutOfRange { .. })
    ));
}

#[test]
fn truncation_is_an_error() {
    let bytes = digits();
    let cuts =
        (0..40)
            .map(|k| k * bytes.len() / 40)
            .chain([1, 7, 8, 12, 39, 4663, bytes.len() - 1]);
    for cut in cuts {
        assert!(
            parse(&bytes[..cut]).is_err(),
            "parse of the first {cut} bytes succeeded"
        );
    }
    assert_eq!(parse(&bytes[..5]), Err(Error::TooShort { len: 5 }));
}

#[test]
fn wrong_identifier() {
    let mut bytes = digits();
    bytes[4..8].copy_from_slice(b"PK\x03\x04");
    let err = parse(&bytes).unwrap_err();
    assert_eq!(
        err,
        Error::BadIdentifier {
            found: *b"PK\x03\x04"
        }
    );
    assert_eq!(
        err.to_string(),
        "not an ExecuTorch program: expected file identifier `ET12` at byte 4, found `PK\\x03\\x04`"
    );
}

#[test]
fn huge_segment_size() {
    let mut bytes = digits();
    let at = find_u64(&bytes, 39992);
    bytes[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    let err = parse(&bytes).unwrap_err();
    assert!(
        matches!(err, Error::SegmentOutOfRange { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn huge_segment_base() {
    let mut bytes = digits();
    bytes[24..32].copy_from_slice(&(u64::MAX - 4).to_le_bytes());
    let err = parse(&bytes).unwrap_err();
    assert!(matches!(err, Error::BadExtendedHeader { .. }), "{err}");
    // Without segment_data_size the header can't tell; the segment can.
    let near_end = bytes.len() as u64 - 8;
    bytes[24..32].copy_from_slice(&near_end.to_le_bytes());
    bytes[32..40].copy_from_slice(&0u64.to_le_bytes());
    let err = parse(&bytes).unwrap_err();
    assert!(
        matches!(err, Error::SegmentOutOfRange { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn constant_offset_past_segment() {
    let mut bytes = digits();
    let at = find_u64(&bytes, 19200);
    bytes[at..at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let err = parse(&bytes).unwrap_err();
    assert!(
        matches!(err, Error::SubsegmentOutOfRange { segment: 0, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("constant_segment buffer 6: offset 1099511627776"),
        "{err}"
    );
}

/// Deterministic; a panic fails the test.
#[test]
fn random_flips_never_panic() {
    let clean = digits();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let (mut ok, mut err) = (0, 0);
    for round in 0..2000 {
        let mut bytes = clean.clone();
        // Mostly hit the flatbuffer, where the structure is.
        let span = if round % 4 == 0 { bytes.len() } else { 4664 };
        for _ in 0..1 + next() % 4 {
            let at = next() % span;
            bytes[at] ^= 1 << (next() % 8);
        }
        match parse(&bytes) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    assert!(ok > 0 && err > 0, "{ok} parsed, {err} rejected");
}
