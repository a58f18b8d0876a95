//! Public employment services (公共就业服务): the occupation list, job
//! seekers (求职登记), vacancies (岗位), matching the two, referrals (推荐)
//! whose hires become employment records, and the wage guide (工资价位).
//! See `docs/jobs.md`.
//!
//! Who sees what (劳务协作): every staff account with the business
//! dashboard and some `job_service` scope sees the vacancies and seekers of
//! the whole city, so that a county with jobs and a county with people
//! meet; a seeker's name and ID number are shown only to the staff of the
//! seeker's own place, or of a place holding a vacancy the seeker was
//! referred to. Writes take `WriteRecords` and `job_service` scope over the
//! place written.

pub mod applications;
pub mod events;
pub mod matching;
pub mod occupations;
pub mod referrals;
pub mod registrations;
pub mod seekers;
pub mod vacancies;
pub mod wage_guide;

use crate::error::{AppError, AppResult};
use crate::require;
use shiminhua_core::auth::{Actor, Permission, RecordKind};

/// The place ranges where the actor works on job services (writes, and
/// sees seekers' personal data); refused without any.
pub(crate) fn own_ranges(actor: &Actor) -> AppResult<Vec<(i64, i64)>> {
    require(actor, Permission::ViewDashboard)?;
    let ranges = actor.scope.ranges_for(RecordKind::JobService);
    if ranges.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(ranges)
}

/// The ranges of a writer (as [`own_ranges`], and `WriteRecords`).
pub(crate) fn write_ranges(actor: &Actor) -> AppResult<Vec<(i64, i64)>> {
    require(actor, Permission::WriteRecords)?;
    own_ranges(actor)
}

pub(crate) fn within(ranges: &[(i64, i64)], code: i64) -> bool {
    ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&code))
}

/// Splits a list typed by people (顿号, commas, semicolons, spaces or new
/// lines between items).
pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split(['、', ',', '，', ';', '；', '\n', '/'])
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_split_on_what_people_type() {
        assert_eq!(
            super::split_list("焊工、电工，木工;\n 瓦工"),
            ["焊工", "电工", "木工", "瓦工"]
        );
        assert!(super::split_list(" 、 ").is_empty());
    }
}
