//! Statistics of wage-arrears cases (their figures for the plan's targets
//! are `crate::plan::case_tally`'s).
//!
//! * [`stats`] (案件统计): the cases received in a period within the
//!   actor's scope, by county (with the city's total), sector, source and
//!   status: counts, open and overdue cases, cases ended and ended within
//!   their time limit, amounts claimed and recovered, workers involved and
//!   paid, and the working days from receipt to the end.
//! * [`clearance`] (欠薪清零): every open case in scope by county, how many
//!   are overdue, the oldest, and the open count at each month end of a
//!   period.
//!
//! Every figure is exact and comes from one `GROUP BY` over `cases` (the
//! days to the end from a second one), whatever the number of cases. The
//! definitions are in `docs/cases.md` ("Statistics").
//!
//! Who sees them: holders of `ViewDashboard` (the lead, the office, the
//! departments, county staff and inspectors), over the cases their scope
//! grants for the `WageCase` kind. The figures are aggregates only; the case
//! lists they link to stay with those who read cases ([`may_list`]).

mod clearance;
mod period;
mod scope;
mod stats;
mod workbook;

pub use clearance::{Clearance, OpenLine, clearance};
pub use period::{CasePeriod, MAX_POINTS, date_label, may_list, may_view, point_label};
pub use stats::{CaseStats, Days, Line, share, stats};
pub use workbook::{export, workbook};
