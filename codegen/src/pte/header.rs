//! The fixed bytes in front of the flatbuffer: root offset, file identifier
//! and ExecuTorch's optional extended header (which locates the segments).

use super::Error;

/// Where the extended header starts: after the root offset and identifier.
const HEADER_OFFSET: usize = 8;
const MAGIC: &[u8; 4] = b"eh00";
/// magic + length + program_size + segment_base_offset.
const MIN_LENGTH: u32 = 24;
/// ... + segment_data_size.
const LENGTH_WITH_DATA_SIZE: u32 = 32;

/// ExecuTorch's extended header, found at byte 8 of most `.pte` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtendedHeader {
    /// Counted from the magic; 24 or 32 in files seen so far.
    pub length: u32,
    /// Bytes of the flatbuffer, from the start of the file.
    pub program_size: u64,
    /// File offset that `DataSegment::offset`s are relative to (0: no segments).
    pub segment_base_offset: u64,
    /// Total bytes of segment data, when the header is long enough to say.
    pub segment_data_size: Option<u64>,
}

/// Checks the identifier and reads the extended header, if there is one.
pub fn read_header(bytes: &[u8]) -> Result<Option<ExtendedHeader>, Error> {
    let Some(ident) = bytes.get(4..8) else {
        return Err(Error::TooShort { len: bytes.len() });
    };
    if ident != b"ET12" {
        let mut found = [0; 4];
        found.copy_from_slice(ident);
        return Err(Error::BadIdentifier { found });
    }
    if bytes.get(HEADER_OFFSET..HEADER_OFFSET + 4) != Some(MAGIC) {
        return Ok(None);
    }
    let bad = |reason: String| Error::BadExtendedHeader { reason };
    let ends = |field: &str, at: usize, width: usize| {
        let (start, end) = (HEADER_OFFSET + at, HEADER_OFFSET + at + width);
        bad(format!(
            "the file ends at byte {}, inside field `{field}` (bytes {start}..{end})",
            bytes.len()
        ))
    };
    let length = u32_at(bytes, HEADER_OFFSET + 4).ok_or_else(|| ends("length", 4, 4))?;
    if length < MIN_LENGTH {
        return Err(bad(format!(
            "length {length} is below the minimum of {MIN_LENGTH}"
        )));
    }
    let field =
        |name: &str, at: usize| u64_at(bytes, HEADER_OFFSET + at).ok_or_else(|| ends(name, at, 8));
    let header = ExtendedHeader {
        length,
        program_size: field("program_size", 8)?,
        segment_base_offset: field("segment_base_offset", 16)?,
        segment_data_size: if length >= LENGTH_WITH_DATA_SIZE {
            Some(field("segment_data_size", 24)?)
        } else {
            None
        },
    };
    header.check(bytes.len())?;
    Ok(Some(header))
}

impl ExtendedHeader {
    /// The file-level consistency ExecuTorch's loader insists on.
    fn check(&self, file_len: usize) -> Result<(), Error> {
        let bad = |reason: String| Error::BadExtendedHeader { reason };
        let len = file_len as u64;
        let header_end = HEADER_OFFSET as u64 + u64::from(self.length);
        if self.program_size < header_end || self.program_size > len {
            return Err(bad(format!(
                "program_size {} is outside {header_end}..={len} (header end..file length)",
                self.program_size
            )));
        }
        let base = self.segment_base_offset;
        if base != 0 && (base < self.program_size || base > len) {
            return Err(bad(format!(
                "segment_base_offset {base} is outside {}..={len} (program end..file length)",
                self.program_size
            )));
        }
        if let Some(size) = self.segment_data_size.filter(|&s| s > 0) {
            let end = base.checked_add(size);
            if end.is_none_or(|end| end > len) {
                return Err(bad(format!(
                    "segment data ({size} bytes at {base}) runs past the end of the file \
                     ({len} bytes); is the file truncated?"
                )));
            }
        }
        Ok(())
    }
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}
