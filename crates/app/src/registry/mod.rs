//! The registry (农民工综合信息系统): workers and their families, the
//! records each department keeps of them, the service facilities, merging
//! duplicates, and importing spreadsheets.
//!
//! May use: the floor, `plan` (through `plan::feed` only, to hand the
//! indicator engine each record change) and `rights` (the import of the
//! national platform's clues registers cases). Used by: `ops`.

pub mod facilities;
pub mod import;
pub mod jobs;
pub mod merge;
pub mod records;
pub mod workers;

/// What became of a record that was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Inserted(i64),
    Updated(i64),
    Unchanged(i64),
}

impl Outcome {
    pub fn id(self) -> i64 {
        match self {
            Outcome::Inserted(i) | Outcome::Updated(i) | Outcome::Unchanged(i) => i,
        }
    }
}
