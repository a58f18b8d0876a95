//! Demo data: a deterministic, realistic population of migrant workers and
//! their families over Huangshan's townships. Every ID number carries a valid
//! GB 11643 check character; the same seed always gives the same people.

mod cases;
mod facilities;
mod jobs;
mod monitor;
mod people;
mod population;
mod records;

pub use cases::{DemoCases, cases, cases_observed};
pub use facilities::facilities;
pub use jobs::{DemoJobs, JobsOptions, jobs, jobs_with};
pub use monitor::{DemoMonitor, MonitorOptions, monitor, monitor_with};
pub use population::{
    BASE_RECORDS_PER_WORKER, FileKind, Generated, Observer, Options, generate, generate_observed, generate_with,
    is_empty, write_import_file,
};
