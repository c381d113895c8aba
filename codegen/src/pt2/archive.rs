//! The zip container, read within a byte budget.

use std::io::{Cursor, Read};

use super::Error;

/// Unpacked bytes allowed per archive byte, plus a floor: torch stores entries
/// uncompressed, so a real archive unpacks to about its own size.
const RATIO: u64 = 16;
const FLOOR: u64 = 16 << 20;

pub struct Archive<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    len: usize,
    budget: u64,
}

impl<'a> Archive<'a> {
    pub fn open(bytes: &'a [u8]) -> Result<Self, Error> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| Error::Zip(e.to_string()))?;
        let budget = (bytes.len() as u64).saturating_mul(RATIO).saturating_add(FLOOR);
        Ok(Self { zip, len: bytes.len(), budget })
    }

    /// The top folder: the one holding `models/model.json`.
    pub fn root(&self) -> Result<String, Error> {
        let mut roots: Vec<&str> = self.zip.file_names().filter_map(|n| n.strip_suffix("/models/model.json")).filter(|r| !r.contains('/')).collect();
        roots.sort_unstable();
        roots.dedup();
        match roots.as_slice() {
            [one] => Ok((*one).to_string()),
            [] => Err(Error::NoRoot("no `<top>/models/model.json` entry".into())),
            many => Err(Error::NoRoot(format!("{} candidates: {}", many.len(), many.join(", ")))),
        }
    }

    pub fn read_optional(&mut self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        if self.zip.index_for_name(name).is_none() {
            return Ok(None);
        }
        self.read(name).map(Some)
    }

    /// One entry's bytes, never more than what is left of the budget.
    pub fn read(&mut self, name: &str) -> Result<Vec<u8>, Error> {
        let limit = self.budget;
        let file = self.zip.by_name(name).map_err(|e| match e {
            zip::result::ZipError::FileNotFound => Error::Missing(name.to_string()),
            other => Error::Zip(format!("`{name}`: {other}")),
        })?;
        if file.size() > limit {
            return Err(Error::TooLarge { name: name.to_string(), limit, archive: self.len });
        }
        let mut out = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0).min(self.len.saturating_add(1)));
        file.take(limit.saturating_add(1)).read_to_end(&mut out).map_err(|e| Error::Zip(format!("`{name}`: {e}")))?;
        if out.len() as u64 > limit {
            return Err(Error::TooLarge { name: name.to_string(), limit, archive: self.len });
        }
        self.budget -= out.len() as u64;
        Ok(out)
    }
}
