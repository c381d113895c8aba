//! What can be wrong with a `.pte` file, and where.

/// A `.pte` file that etch cannot read. Messages name the offending field,
/// plan, value or instruction so that a user can find it in the program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("file too short: {len} bytes, an ExecuTorch program needs at least 8")]
    TooShort { len: usize },

    #[error(
        "not an ExecuTorch program: expected file identifier `ET12` at byte 4, found `{}`",
        found.escape_ascii()
    )]
    BadIdentifier { found: [u8; 4] },

    #[error("bad extended header: {reason}")]
    BadExtendedHeader { reason: String },

    #[error("invalid flatbuffer: {0}")]
    Flatbuffer(String),

    #[error("{what}: missing `{field}`")]
    MissingField { what: String, field: &'static str },

    #[error(
        "program has {count} non-empty data segment(s) but no extended header (or a zero segment_base_offset) to locate them"
    )]
    SegmentsWithoutHeader { count: usize },

    #[error(
        "segment {index} (offset {offset}, size {size}) lies outside the file ({file_len} bytes)"
    )]
    SegmentOutOfRange {
        index: usize,
        offset: u64,
        size: u64,
        file_len: usize,
    },

    #[error("{what}: segment index {index} is out of range (the len is {len})")]
    SegmentIndexOutOfRange {
        what: String,
        index: u64,
        len: usize,
    },

    #[error("{what}: offset {offset} is past the end of segment {segment} ({size} bytes)")]
    SubsegmentOutOfRange {
        what: String,
        segment: usize,
        offset: u64,
        size: usize,
    },

    #[error(
        "constant data is stored twice: {inline} inline buffers and {offsets} constant_segment offsets"
    )]
    ConflictingConstants { inline: usize, offsets: usize },

    #[error("{what}: {kind} index {index} is out of range (the len is {len})")]
    DataIndexOutOfRange {
        what: String,
        kind: &'static str,
        index: u64,
        len: usize,
    },

    #[error("{what}: needs {nbytes} bytes but only {available} are stored")]
    DataTooShort {
        what: String,
        nbytes: usize,
        available: usize,
    },

    #[error("plan `{plan}`: {what}: value index {index} is out of range (plan has {len} values)")]
    ValueIndexOutOfRange {
        plan: String,
        what: String,
        index: i64,
        len: usize,
    },

    #[error("plan `{plan}`: {what}: value {index} must be {expected}, found {found}")]
    ValueTypeMismatch {
        plan: String,
        what: String,
        index: usize,
        expected: &'static str,
        found: &'static str,
    },

    #[error("plan `{plan}`: {what}: {kind} index {index} is out of range (the len is {len})")]
    IndexOutOfRange {
        plan: String,
        what: String,
        kind: &'static str,
        index: i64,
        len: usize,
    },

    #[error("plan `{plan}`: {what}: unknown {kind} code {code}")]
    UnknownCode {
        plan: String,
        what: String,
        kind: &'static str,
        code: i64,
    },

    #[error("plan `{plan}`: {what}: {reason}")]
    BadTensor {
        plan: String,
        what: String,
        reason: String,
    },

    #[error(
        "plan `{plan}`: {what}: device {device_type}:{device_index} is not supported, etch only targets the CPU"
    )]
    UnsupportedDevice {
        plan: String,
        what: String,
        device_type: i8,
        device_index: i8,
    },

    #[error("{what}: {reason}")]
    Delegate { what: String, reason: String },
}
