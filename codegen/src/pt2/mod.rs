//! Reading `torch.export` archives (`.pt2`, from `torch.export.save`).
//!
//! [`parse`] opens the zip, checks `schema_version`, reads `models/model.json`
//! and every weight and constant the graph signature names, and returns an
//! owned [`ExportedProgram`]. No zip or serde type leaks out. Reading is
//! bounded: entries are read within a budget tied to the archive's size, so a
//! zip bomb is an error, not an allocation.

mod archive;
mod error;
mod json;
mod model;
mod tensor;

#[cfg(test)]
mod tests;

pub use error::Error;
pub use model::*;

/// Schema major versions this reader knows (torch 2.15 writes 8.20).
pub const KNOWN_SCHEMA_MAJOR: &[i64] = &[8];

/// Whether `bytes` look like a zip archive (a `.pt2`) rather than a `.pte`.
pub fn is_archive(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Parses a whole `.pt2` archive. Never panics, whatever the bytes.
pub fn parse(bytes: &[u8]) -> Result<ExportedProgram, Error> {
    let mut zip = archive::Archive::open(bytes)?;
    let root = zip.root()?;
    let text = zip.read(&format!("{root}/models/model.json"))?;
    let mut program = json::program(&text)?;
    let weights = zip.read_optional(&format!("{root}/data/weights/model_weights_config.json"))?;
    let constants = zip.read_optional(&format!("{root}/data/constants/model_constants_config.json"))?;
    for (dir, config) in [("weights", weights), ("constants", constants)] {
        let Some(config) = config else { continue };
        for entry in json::payload_config(&config, dir)? {
            if !program.wants(&entry.name) {
                continue;
            }
            if entry.use_pickle {
                return Err(Error::Pickled { name: entry.name, file: entry.file });
            }
            let raw = zip.read(&format!("{root}/data/{dir}/{}", entry.file))?;
            let data = tensor::contiguous(&entry.name, &entry.meta, &raw)?;
            program.data.insert(entry.name, Data { meta: entry.meta, bytes: data });
        }
    }
    program.check_data()?;
    Ok(program)
}
