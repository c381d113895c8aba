//! Program-level reading: verification, segments, constant and named data.
//! Plans are read by `plan.rs`.

use core::ops::Range;

use flatbuffers::{ForwardsUOffset, Vector, VerifierOptions};

use super::generated as fb;
use super::header::{read_header, ExtendedHeader};
use super::plan::{read_plan, DataCounts};
use super::{Error, NamedData, Program};

pub fn parse(bytes: &[u8]) -> Result<Program, Error> {
    let header = read_header(bytes)?;
    // The header check guarantees program_size <= bytes.len().
    let fb_len = match header {
        Some(h) => usize::try_from(h.program_size).unwrap_or(usize::MAX),
        None => bytes.len(),
    };
    let fb_bytes = bytes
        .get(..fb_len)
        .ok_or(Error::TooShort { len: bytes.len() })?;
    let root = fb::root_as_program_with_opts(&verifier_options(fb_len), fb_bytes)
        .map_err(|e| Error::Flatbuffer(one_line(&e.to_string())))?;

    let segments = read_segments(root.segments(), header, bytes.len())?;
    let constants = read_constants(&root, &segments, bytes)?;
    let mutable_data = read_mutable_data(root.mutable_data_segments(), &segments)?;
    let named_data = read_named_data(root.named_data(), segments.len())?;
    let inline_delegate_data = root
        .backend_delegate_data()
        .iter()
        .flatten()
        .map(|d| d.data().map_or(0..0, |v| file_range(bytes, v.bytes())))
        .collect::<Vec<_>>();

    let counts = DataCounts {
        constants: &constants,
        mutable: &mutable_data,
        segments: segments.len(),
        inline_delegates: inline_delegate_data.len(),
    };
    let plans = root
        .execution_plan()
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, p)| read_plan(i, p, &counts))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Program {
        version: root.version(),
        plans,
        constants,
        mutable_data,
        named_data,
        segments,
        inline_delegate_data,
    })
}

/// Limits that keep a hostile file from making the verifier (and then our
/// copies) walk far more data than the file holds, e.g. via shared tables.
pub(super) fn verifier_options(len: usize) -> VerifierOptions {
    VerifierOptions {
        max_depth: 64,
        // A table takes at least 4 bytes, so more visits than that means
        // shared tables. The zoo needs at most len / 19.
        max_tables: len / 4 + 64,
        // Visits re-count shared vtables and each field; the zoo needs < 2x.
        max_apparent_size: len.saturating_mul(8).saturating_add(1 << 16),
        ignore_missing_null_terminator: false,
    }
}

/// flatbuffers' message is a sentence plus one line per enclosing field.
pub(super) fn one_line(msg: &str) -> String {
    let parts: Vec<&str> = msg
        .split('\n')
        .map(|l| l.trim().trim_end_matches('.'))
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = parts.join(", ");
    if let Some(first) = out.get(..1) {
        out.replace_range(..1, &first.to_lowercase());
    }
    out
}

/// Position of a slice of `file` (verified flatbuffer data always is one).
fn file_range(file: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(file.as_ptr() as usize);
    start..start.saturating_add(part.len())
}

type Tables<'a, T> = Option<Vector<'a, ForwardsUOffset<T>>>;

fn read_segments(
    list: Tables<'_, fb::DataSegment<'_>>,
    header: Option<ExtendedHeader>,
    file_len: usize,
) -> Result<Vec<Range<usize>>, Error> {
    let Some(list) = list.filter(|l| !l.is_empty()) else {
        return Ok(Vec::new());
    };
    let base = header.map_or(0, |h| h.segment_base_offset);
    if base == 0 {
        // ExecuTorch writes an empty constant segment and no extended header
        // for a program without constants: empty segments need no locating.
        let count = list.iter().filter(|s| s.size() > 0).count();
        if count > 0 {
            return Err(Error::SegmentsWithoutHeader { count });
        }
        return Ok(list.iter().map(|_| 0..0).collect());
    }
    list.iter()
        .enumerate()
        .map(|(index, s)| {
            let (offset, size) = (s.offset(), s.size());
            let out = || Error::SegmentOutOfRange {
                index,
                offset,
                size,
                file_len,
            };
            let start = base.checked_add(offset).ok_or_else(out)?;
            let end = start.checked_add(size).ok_or_else(out)?;
            if end > file_len as u64 {
                return Err(out());
            }
            // Both fit in file_len, hence in usize.
            Ok(start as usize..end as usize)
        })
        .collect()
}

fn read_constants(
    root: &fb::Program<'_>,
    segments: &[Range<usize>],
    bytes: &[u8],
) -> Result<Vec<Range<usize>>, Error> {
    let inline = root.constant_buffer().map_or(0, |v| v.len());
    if let Some(cs) = root.constant_segment() {
        let offsets = cs.offsets().map_or(0, |v| v.len());
        // A lone offset is the reserved entry: there is no constant data.
        if offsets > 1 {
            if inline > 0 {
                return Err(Error::ConflictingConstants { inline, offsets });
            }
            return subsegments(&cs, segments, || "constant_segment".into());
        }
    }
    let Some(buffers) = root.constant_buffer().filter(|v| !v.is_empty()) else {
        return Ok(core::iter::once(0..0).collect());
    };
    Ok(buffers
        .iter()
        .enumerate()
        .map(|(i, b)| match b.storage() {
            Some(s) if i > 0 => file_range(bytes, s.bytes()),
            _ => 0..0,
        })
        .collect())
}

fn read_mutable_data(
    list: Tables<'_, fb::SubsegmentOffsets<'_>>,
    segments: &[Range<usize>],
) -> Result<Vec<Vec<Range<usize>>>, Error> {
    list.iter()
        .flatten()
        .enumerate()
        .map(|(j, s)| subsegments(&s, segments, || format!("mutable_data_segments[{j}]")))
        .collect()
}

/// File ranges of the sub-buffers of one segment. Entry 0 is reserved and
/// empty; every other runs to the next larger offset or the segment's end.
fn subsegments(
    s: &fb::SubsegmentOffsets<'_>,
    segments: &[Range<usize>],
    what: impl Fn() -> String,
) -> Result<Vec<Range<usize>>, Error> {
    let index = s.segment_index();
    let seg = usize::try_from(index)
        .ok()
        .and_then(|i| segments.get(i).map(|r| (i, r)));
    let Some((seg_idx, seg)) = seg else {
        return Err(Error::SegmentIndexOutOfRange {
            what: what(),
            index: u64::from(index),
            len: segments.len(),
        });
    };
    let offsets: Vec<u64> = s.offsets().iter().flatten().collect();
    for (i, &offset) in offsets.iter().enumerate() {
        if offset > seg.len() as u64 {
            return Err(Error::SubsegmentOutOfRange {
                what: format!("{} buffer {i}", what()),
                segment: seg_idx,
                offset,
                size: seg.len(),
            });
        }
    }
    let mut sorted = offsets.clone();
    sorted.sort_unstable();
    sorted.dedup();
    Ok(offsets
        .iter()
        .enumerate()
        .map(|(i, &offset)| {
            if i == 0 {
                return seg.start..seg.start;
            }
            let next = sorted.partition_point(|&o| o <= offset);
            let end = sorted.get(next).map_or(seg.len(), |&o| o as usize);
            // Offsets were checked against the segment length above.
            seg.start + offset as usize..seg.start + end
        })
        .collect())
}

fn read_named_data(
    list: Tables<'_, fb::NamedData<'_>>,
    n_segments: usize,
) -> Result<Vec<NamedData>, Error> {
    list.iter()
        .flatten()
        .enumerate()
        .map(|(i, d)| {
            let key = d.key().ok_or_else(|| Error::MissingField {
                what: format!("named_data[{i}]"),
                field: "key",
            })?;
            let index = d.segment_index();
            match usize::try_from(index) {
                Ok(segment) if segment < n_segments => Ok(NamedData {
                    key: key.to_owned(),
                    segment,
                }),
                _ => Err(Error::SegmentIndexOutOfRange {
                    what: format!("named_data[{i}] `{key}`"),
                    index: u64::from(index),
                    len: n_segments,
                }),
            }
        })
        .collect()
}
