//! Plan targets over wage-arrears cases (`kind = "wage_case"`): read from
//! the cases table when asked, since cases change by their workflow, not by
//! record writes, and their figures depend on the day through their end
//! date.

use crate::error::{AppError, AppResult};
use crate::store::{Sql, Tx};
use chrono::{Months, NaiveDate};
use shiminhua_core::case::{CaseStatus, Sector, Source};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::indicator::Span;
use shiminhua_core::plan::{Aggregate, Filter, Tally, Test, Window};
use std::collections::HashMap;

const REGION: &str = "+region_code";

/// A case ended within the time limit that ran then (the rule of
/// `shiminhua_core::indicator::closed_in_time`): a refusal by its acceptance
/// deadline, any other ending by its investigation deadline. NULL-safe only
/// inside `CASE WHEN … THEN 1 ELSE 0 END`.
pub(crate) const IN_TIME: &str = "closed_on IS NOT NULL AND ((status = 'rejected' AND closed_on <= accept_due) \
     OR (status <> 'rejected' AND handle_due IS NOT NULL AND closed_on <= handle_due))";

/// Appends a condition that is 1 or 0 for every case (never NULL).
fn flag(q: &mut Sql, cond: impl FnOnce(&mut Sql)) -> &mut Sql {
    q.push("(CASE WHEN ");
    cond(q);
    q.push(" THEN 1 ELSE 0 END)")
}

/// Ended by the end of `as_of`.
fn ended_by(q: &mut Sql, as_of: NaiveDate) {
    q.push("closed_on IS NOT NULL AND closed_on <= ").arg(as_of);
}

/// The codes of the labels a filter names (`plan::CASE_*` are the labels).
fn codes<T: Copy>(
    all: &[T],
    label: fn(T) -> &'static str,
    code: fn(T) -> &'static str,
    want: &[String],
) -> Vec<&'static str> {
    all.iter()
        .filter(|x| want.iter().any(|w| w == label(**x)))
        .map(|x| code(*x))
        .collect()
}

/// A condition of a case source's filter, as of the end of `as_of`
/// (`indicator::CaseFact::values` is the reference).
fn filter_sql(q: &mut Sql, f: &Filter, as_of: NaiveDate) -> AppResult<()> {
    let choice = |col: &str, list: Vec<&'static str>, negate: bool, q: &mut Sql| {
        if list.is_empty() {
            q.push(if negate { "1 = 1" } else { "1 = 0" });
            return;
        }
        q.push(col).push(if negate { " NOT IN (" } else { " IN (" });
        for (i, c) in list.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.arg(*c);
        }
        q.push(")");
    };
    let always = |present: bool, q: &mut Sql| {
        q.push(if present { "1 = 1" } else { "1 = 0" });
    };
    // A flag's condition for 是.
    let flag_cond = |field: &str, q: &mut Sql| match field {
        "open" => {
            flag(q, |q| {
                q.push("closed_on IS NULL OR closed_on > ").arg(as_of);
            });
        }
        _ => {
            flag(q, |q| {
                ended_by(q, as_of);
                q.push(" AND ").push(IN_TIME);
            });
        }
    };
    let field = f.field;
    q.push("(");
    match (field, &f.test) {
        ("status", Test::In(v) | Test::NotIn(v)) => choice(
            "status",
            codes(&CaseStatus::ALL, CaseStatus::label_zh, CaseStatus::code, v),
            matches!(f.test, Test::NotIn(_)),
            q,
        ),
        ("sector", Test::In(v) | Test::NotIn(v)) => choice(
            "sector",
            codes(&Sector::ALL, Sector::label_zh, Sector::code, v),
            matches!(f.test, Test::NotIn(_)),
            q,
        ),
        ("source", Test::In(v) | Test::NotIn(v)) => choice(
            "source",
            codes(&Source::ALL, Source::label_zh, Source::code, v),
            matches!(f.test, Test::NotIn(_)),
            q,
        ),
        ("open" | "on_time", Test::In(v) | Test::NotIn(v)) => {
            let yes = v.iter().any(|x| x == "是");
            let no = v.iter().any(|x| x == "否");
            let (yes, no) = if matches!(f.test, Test::NotIn(_)) {
                (!yes, !no)
            } else {
                (yes, no)
            };
            match (yes, no) {
                (true, true) => always(true, q),
                (false, false) => always(false, q),
                (true, false) => {
                    flag_cond(field, q);
                    q.push(" = 1");
                }
                (false, true) => {
                    flag_cond(field, q);
                    q.push(" = 0");
                }
            }
        }
        ("closed", Test::Present(p)) => {
            flag(q, |q| ended_by(q, as_of)).push(if *p { " = 1" } else { " = 0" });
        }
        ("amount_recovered" | "workers_paid", Test::Present(p)) => {
            let col = if field == "amount_recovered" {
                "amount_recovered_fen"
            } else {
                "workers_paid"
            };
            flag(q, |q| {
                q.push(col).push(" IS NOT NULL AND ");
                ended_by(q, as_of);
            })
            .push(if *p { " = 1" } else { " = 0" });
        }
        (
            "received" | "status" | "sector" | "source" | "open" | "on_time" | "amount_claimed" | "workers",
            Test::Present(p),
        ) => always(*p, q),
        _ => return Err(AppError::Internal(format!("case filter on {field}: {:?}", f.test))),
    }
    q.push(")");
    Ok(())
}

/// A tally over cases for several regions as of a day: for each source one
/// `GROUP BY region_code` over the cases of the regions' subtrees, added up
/// per region (the city, a county or a township).
pub(crate) async fn tally_in(
    tx: &mut Tx,
    tally: &Tally,
    regions: &[DivisionCode],
    span: Span,
) -> AppResult<HashMap<i64, i64>> {
    let mut totals: HashMap<i64, i64> = regions.iter().map(|r| (r.as_i64(), 0)).collect();
    if regions.is_empty() {
        return Ok(totals);
    }
    let ranges: Vec<(i64, i64)> = regions.iter().map(|r| r.subtree_range()).collect();
    let as_of = span.as_of;
    for source in &tally.from {
        let date = match source.date {
            None | Some("received") => "received_on",
            Some("closed") => "closed_on",
            Some(other) => return Err(AppError::Internal(format!("case date field {other}"))),
        };
        let mut q = Sql::new("SELECT +region_code, ");
        match tally.aggregate {
            Aggregate::Count => {
                q.push("COUNT(*)");
            }
            Aggregate::Sum(field) => {
                q.push("CAST(COALESCE(SUM(");
                match field {
                    "amount_claimed" => {
                        q.push("amount_claimed_fen");
                    }
                    "workers" => {
                        q.push("workers");
                    }
                    "amount_recovered" | "workers_paid" => {
                        let col = if field == "amount_recovered" {
                            "amount_recovered_fen"
                        } else {
                            "workers_paid"
                        };
                        q.push("CASE WHEN ");
                        ended_by(&mut q, as_of);
                        q.push(" THEN COALESCE(").push(col).push(", 0) ELSE 0 END");
                    }
                    other => return Err(AppError::Internal(format!("case sum of {other}"))),
                }
                q.push("), 0) AS BIGINT)");
            }
            Aggregate::CountDistinct(_) => {
                return Err(AppError::Internal("a distinct count of cases".into()));
            }
        }
        q.push(" FROM cases WHERE ")
            .push(date)
            .push(" IS NOT NULL AND ")
            .push(date)
            .push(" <= ")
            .arg(as_of);
        let from = match source.window {
            Window::Plan => Some(span.plan_start),
            Window::ToDate => None,
            Window::RollingYear => as_of.checked_sub_months(Months::new(12)).and_then(|d| d.succ_opt()),
        };
        if let Some(from) = from {
            q.push(" AND ").push(date).push(" >= ").arg(from);
        }
        q.push(" AND ");
        q.in_ranges(REGION, &ranges);
        for f in &source.filters {
            q.push(" AND ");
            filter_sql(&mut q, f, as_of)?;
        }
        q.push(" GROUP BY +region_code");
        let rows: Vec<(i64, i64)> = tx.all(q).await?;
        for (place, n) in rows {
            let Ok(place) = DivisionCode::from_i64(place) else {
                continue;
            };
            for r in regions {
                if r.contains(place) {
                    *totals.entry(r.as_i64()).or_default() += n;
                }
            }
        }
    }
    Ok(totals)
}
