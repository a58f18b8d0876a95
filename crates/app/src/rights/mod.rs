//! Rights (欠薪线索与劳动保障监察): wage-arrears cases and their deadlines,
//! case statistics, and the arrears blacklist.
//!
//! May use: the floor and `plan`. Used by: `registry` (the platform import
//! registers cases) and `ops`.

pub mod blacklist;
pub mod case_stats;
pub mod cases;
pub mod holidays;
pub mod monitor;
