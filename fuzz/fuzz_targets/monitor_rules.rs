//! The monitoring's rules file: never panics; a file that is refused names
//! each mistake's line (within the file) in Chinese; one that is accepted
//! evaluates any project without panicking.
#![no_main]
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::money::Fen;
use shiminhua_core::monitor::{ProjectFacts, ProjectStatus, Rules, checked_month, evaluate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Rules::parse(text) {
        Ok(rules) => {
            let today = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
            let month = checked_month(&rules, today);
            assert!(month.last_day() < today, "{month}");
            let facts = ProjectFacts {
                status: ProjectStatus::Building,
                region: DivisionCode::parse("341002001").unwrap(),
                contract_date: NaiveDate::from_ymd_opt(2025, 1, 1),
                start_date: NaiveDate::from_ymd_opt(2025, 2, 1),
                contract_sum: Fen(100_000_000_000),
                account_opened: None,
                transferred: false,
                deposit_held: Fen(0),
                contractor: Default::default(),
                board_set: false,
                roster_active: 3,
                attended: Some(2),
                unsigned: 1,
                payroll_lines: 1,
                unpaid: 2,
                below_minimum: 1,
            };
            for f in evaluate(&rules, &facts, today) {
                assert!(f.rule < rules.rules.len());
                assert!(chinese(&f.detail), "{}", f.detail);
            }
        }
        Err(errs) => {
            assert!(!errs.is_empty());
            let lines = text.split('\n').count();
            for e in errs {
                assert!(e.line >= 1 && e.line <= lines, "line {} of {lines}: {e}", e.line);
                assert!(chinese(&e.message), "{e}");
            }
        }
    }
});

fn chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}
