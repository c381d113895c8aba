//! The `XH00` header in front of an XNNPACK payload: where its flatbuffer
//! graph and its constant data lie. Little-endian, 30 bytes:
//! 4 unused, magic `XH00`, u16 header length, u32 graph offset, u32 graph
//! size, u32 constant offset, u64 constant size.

use core::ops::Range;

const MAGIC: &[u8; 4] = b"XH00";
const MIN_LEN: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Byte ranges inside the payload.
    pub graph: Range<usize>,
    pub constants: Range<usize>,
}

pub fn read(payload: &[u8]) -> Result<Header, String> {
    if payload.len() < MIN_LEN {
        return Err(format!("payload of {} bytes is shorter than the 30-byte XH00 header", payload.len()));
    }
    if &payload[4..8] != MAGIC {
        return Err(format!("expected magic `XH00` at byte 4, found `{}`", payload[4..8].escape_ascii()));
    }
    let u32_at = |at: usize| u32::from_le_bytes([payload[at], payload[at + 1], payload[at + 2], payload[at + 3]]) as u64;
    let u64_at = |at: usize| u32_at(at) | u32_at(at + 4) << 32;
    let range = |what: &str, offset: u64, size: u64| -> Result<Range<usize>, String> {
        let end = offset.checked_add(size).filter(|&e| e <= payload.len() as u64);
        match end {
            Some(end) => Ok(offset as usize..end as usize),
            None => Err(format!("{what} (offset {offset}, size {size}) lies outside the {}-byte payload", payload.len())),
        }
    };
    Ok(Header {
        graph: range("graph", u32_at(10), u32_at(14))?,
        constants: range("constant data", u32_at(18), u64_at(22))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(graph: (u32, u32), constants: (u32, u64)) -> Vec<u8> {
        let mut h = vec![0, 0, 0, 0];
        h.extend_from_slice(MAGIC);
        h.extend_from_slice(&30u16.to_le_bytes());
        h.extend_from_slice(&graph.0.to_le_bytes());
        h.extend_from_slice(&graph.1.to_le_bytes());
        h.extend_from_slice(&constants.0.to_le_bytes());
        h.extend_from_slice(&constants.1.to_le_bytes());
        h
    }

    #[test]
    fn reads_ranges() {
        let mut p = header((32, 8), (40, 2));
        p.resize(42, 0);
        assert_eq!(read(&p), Ok(Header { graph: 32..40, constants: 40..42 }));
    }

    #[test]
    fn refuses_bad_magic_short_input_and_overflowing_ranges() {
        assert!(read(&[0; 10]).unwrap_err().contains("shorter"));
        let mut p = header((32, 8), (40, 0));
        p[4] = b'Y';
        assert!(read(&p).unwrap_err().contains("magic"));
        let p = header((30, u32::MAX), (0, 0));
        assert!(read(&p).unwrap_err().contains("graph"));
        let p = header((0, 0), (u32::MAX, u64::MAX));
        assert!(read(&p).unwrap_err().contains("constant data"));
    }
}
