//! What can be wrong with a `.pt2` archive, with what and where.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("not a readable zip archive: {0}")]
    Zip(String),

    #[error("archive entry `{0}` is missing")]
    Missing(String),

    #[error("archive entry `{name}` unpacks to more than {limit} bytes (the budget for a {archive}-byte archive)")]
    TooLarge { name: String, limit: u64, archive: usize },

    #[error("the archive has no single top folder holding `models/model.json` ({0})")]
    NoRoot(String),

    #[error("`{file}`: malformed JSON: {message}")]
    Json { file: String, message: String },

    #[error("schema_version {major}.{minor} is not one etch knows (it reads major version {known}; torch 2.15 writes 8.20)")]
    SchemaVersion { major: i64, minor: i64, known: String },

    #[error("`{name}` is stored pickled (`{file}`, use_pickle: true); etch reads raw tensor data only: save a plain tensor, not a tensor subclass")]
    Pickled { name: String, file: String },

    #[error("tensor `{name}`: {message}")]
    BadTensor { name: String, message: String },

    #[error("graph: {0}")]
    Graph(String),
}
