//! Wage-payment monitoring on construction projects (智慧监管): the
//! projects, their special account, labour-cost transfers, deposits and
//! notice board, the real-name roster with monthly attendance, the monthly
//! payroll, and the warnings the rules of `shiminhua_core::monitor` raise —
//! followed, urged and turned into wage-arrears cases.
//!
//! Scope: a project is a `Project` record of the data scope, in the region
//! (township) where it is built. A department account of a supervising
//! authority (住房城乡建设, 交通运输, 水利) sees only the projects that answer
//! to it; every other role sees the projects of its region. Writes take
//! `WriteRecords`. The roster and payroll link to workers of the registry:
//! their personal data stays sealed there, and lists show the masks.

mod board;
mod people;
mod projects;
mod rules;
mod warnings;

pub use board::{Board, BoardCount, MonthCount, board};
pub use people::{
    AttendanceInput, MonthCell, PayCheck, PayInput, RosterInput, RosterRow, add_roster, grid, payroll_check,
    record_attendance, record_pay, roster,
};
pub(crate) use people::{attendance_in, check_attendance, check_roster, roster_in};
pub use projects::Written;
pub use projects::{
    BoardPhoto, MAX_BOARD_PHOTOS, MoneyRow, ProjectFilter, ProjectRow, ProjectVersion, add_deposit, add_transfer,
    board_photo, board_photos, create, deposits, get, history, list, set_account, set_board, transfers, update,
};
pub(crate) use projects::{by_code, ids_by_code, upsert_in};
pub use rules::{RULES_KEY, current_rules, set_rules};
pub use warnings::{
    Evaluated, FactQueries, WarningAction, WarningEvent, WarningFilter, WarningRow, act, evaluate, evaluate_all,
    evaluate_if_due, evaluate_project, events, to_case, warning, warnings,
};

/// The local (UTC+8) date of an instant.
pub(crate) fn local_date(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    (t + chrono::Duration::hours(8)).date_naive()
}
