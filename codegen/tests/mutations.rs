//! A seeded mutation sweep over the small fixtures: every mutant compiles or
//! returns a typed error. A panic fails the test; an allocation over the cap
//! aborts it; a hang never finishes it. `ETCH_SWEEP_VERBOSE=1` names each
//! mutant before it runs, to find one that aborts or hangs.

mod sweep;

use sweep::{Counts, Rng};

const FIXTURES: [&str; 11] = ["digits_cnn", "mlp", "elementwise", "codec", "dynamic_mlp", "lstm", "tiny_encoder", "tiny_llama", "vision_ops", "math_ops", "decoder"];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/fixtures/{name}/model.pte", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn truncation_at_32_points() {
    let mut counts = Counts::default();
    for name in FIXTURES {
        let bytes = fixture(name);
        for k in 0..32 {
            let cut = bytes.len() * k / 32;
            counts.run(format!("{name} cut at {cut}"), &bytes[..cut]);
        }
    }
    counts.check("truncation");
    // A truncated program never compiles: its segments or tables are gone.
    assert_eq!(counts.compiled, 0, "{counts:?}");
    assert_eq!(counts.errors, FIXTURES.len() * 32);
}

/// Where the flatbuffer ends and segment data begins (the extended header says).
fn program_end(bytes: &[u8]) -> usize {
    match bytes.get(16..24) {
        Some(b) if bytes.get(8..12) == Some(b"eh00") => u64::from_le_bytes(b.try_into().unwrap()) as usize,
        _ => bytes.len(),
    }
    .min(bytes.len())
}

/// Values that hit the edges of offsets, lengths and indices.
const EDGES: [u32; 8] = [0, 1, 0x7f, 0x80, 0xff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];

/// One to four spots of one to four bytes, each XORed or set to an edge
/// value; a quarter in the headers (first 40 bytes), most in the tables.
fn mutate(rng: &mut Rng, bytes: &mut [u8]) -> String {
    let (len, end) = (bytes.len(), program_end(bytes));
    let mut what = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let at = match rng.below(20) {
            0..=4 => rng.below(40.min(len)),
            5..=16 => 40 + rng.below(end.saturating_sub(40)),
            _ => rng.below(len),
        };
        let width = (1 + rng.below(4)).min(len - at);
        if rng.below(2) == 0 {
            for b in &mut bytes[at..at + width] {
                *b ^= 1 + rng.below(255) as u8;
            }
            what.push(format!("xor {width}@{at}"));
        } else {
            let v = EDGES[rng.below(EDGES.len())].to_le_bytes();
            bytes[at..at + width].copy_from_slice(&v[..width]);
            what.push(format!("set {width}@{at}"));
        }
    }
    what.join(" ")
}

#[test]
fn byte_flips_biased_to_the_header_and_tables() {
    const MUTANTS: usize = 1200;
    let files: Vec<(&str, Vec<u8>)> = FIXTURES.iter().map(|&n| (n, fixture(n))).collect();
    let mut rng = Rng(0x00e7_c4f0_2024);
    let mut counts = Counts::default();
    for i in 0..MUTANTS {
        let (name, original) = &files[i % files.len()];
        let mut bytes = original.clone();
        let what = mutate(&mut rng, &mut bytes);
        counts.run(format!("mutant {i} of {name}: {what}"), &bytes);
    }
    counts.check("byte flips");
    assert_eq!(counts.compiled + counts.errors, MUTANTS);
}

const TWINS: [&str; 12] = ["digits_cnn", "mlp", "tiny_encoder", "tiny_llama", "vision_ops", "math_ops", "dynamic_mlp", "elementwise", "lstm", "codec", "decoder", "dq_mlp"];

/// A twin's name, bytes and delegate payload ranges.
type Twin = (&'static str, Vec<u8>, Vec<std::ops::Range<usize>>);

/// Byte ranges of every delegate payload in `bytes`.
fn payloads(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    use etch_codegen::pte::{self, DelegateData};
    let program = pte::parse(bytes).expect("fixture parses");
    let delegates = program.plans.iter().flat_map(|p| &p.delegates);
    delegates
        .map(|d| match d.data {
            DelegateData::Segment(i) => program.segments[i].clone(),
            DelegateData::Inline(i) => program.inline_delegate_data[i].clone(),
        })
        .collect()
}

/// The same mutations inside XNNPACK payloads: their header, graph tables
/// and value ids.
#[test]
fn byte_flips_inside_xnnpack_payloads() {
    const MUTANTS: usize = 800;
    let mut rng = Rng(0x0078_6e6e_7061);
    let mut counts = Counts::default();
    let files: Vec<Twin> = TWINS
        .iter()
        .map(|&n| {
            let path = format!("{}/../tests/fixtures/{n}/model.xnnpack.pte", env!("CARGO_MANIFEST_DIR"));
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let ranges = payloads(&bytes);
            assert!(!ranges.is_empty(), "{path} has no delegate");
            (n, bytes, ranges)
        })
        .collect();
    for i in 0..MUTANTS {
        let (name, original, ranges) = &files[i % files.len()];
        let range = ranges[rng.below(ranges.len())].clone();
        let mut bytes = original.clone();
        let what = mutate(&mut rng, &mut bytes[range.clone()]);
        counts.run(format!("mutant {i} of {name}'s payload at {}: {what}", range.start), &bytes);
    }
    counts.check("payload flips");
    assert_eq!(counts.compiled + counts.errors, MUTANTS);
}
