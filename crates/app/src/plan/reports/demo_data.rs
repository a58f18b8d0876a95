//! Demo data: a year of reports for the demonstration database.

use super::filing::{figures_json, insert_report, keep_version};
use super::input::Checked;
use super::owing::{measures_of, owing_depts, targets_for};
use super::periods::{ReportPeriod, local_date, periods};
use super::rows::{all_units, counties, figures_of, report};
use crate::Origin;
use crate::audit::{self, Event, Who};
use crate::error::AppResult;
use crate::store::{Db, Sql};
use chrono::{DateTime, Utc};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::plan::Figure;
use shiminhua_core::report::ReportStatus;
use std::collections::BTreeMap;

/// What [`demo`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemoReports {
    pub filed: usize,
    pub accepted: usize,
    pub returned: usize,
    pub urged: usize,
}

/// Files and reviews a plausible set of reports for the demo data, for the
/// periods begun by `now`: the earlier periods filed and accepted; in the
/// last period but one, 市公安局 and 市住房城乡建设局 (cooperating units of
/// measure (六)) have not filed, 市发展改革委's report is returned and
/// 市公安局 is marked 督办; in the last period some reports wait for review
/// and some are missing. Does nothing when reports exist already.
pub async fn demo(db: &Db, now: DateTime<Utc>) -> AppResult<DemoReports> {
    let mut done = DemoReports::default();
    let mut tx = db.write().await?;
    if tx.int(Sql::new("SELECT COUNT(*) FROM reports")).await? > 0 {
        return Ok(done);
    }
    let Some(plan) = crate::plan::in_force::plan_in(&mut tx).await? else {
        return Ok(done);
    };
    let today = local_date(now);
    let all: Vec<ReportPeriod> = periods(&plan).into_iter().filter(|p| p.end < today).collect();
    let n = all.len();
    let units = all_units(&mut tx).await?;
    let counties = counties(&mut tx, &plan).await?;
    let city = plan.meta.region.as_i64();
    let depts = owing_depts(&plan);
    let office = "专班办公室（演示）";
    let who = Who::system(&Origin::cli());
    for (i, p) in all.iter().enumerate() {
        let share = (i + 1) as f64 / periods(&plan).len().max(1) as f64;
        for dept in &depts {
            let Some(u) = units.iter().find(|u| u.region_code == city && &u.dept == dept) else {
                continue;
            };
            let second_last = n >= 2 && i == n - 2;
            let last = i + 1 == n;
            if (second_last && (dept == "gaj" || dept == "zjj")) || (last && (dept == "ybj" || dept == "jyj")) {
                continue;
            }
            let measures = measures_of(&plan, dept);
            let body = format!(
                "{}本单位按照《{}》分工推进各项工作：{}。下一步将继续抓好落实，按时报送调度情况。",
                p.label,
                plan.meta.title,
                measures
                    .iter()
                    .map(|m| format!("{}（{}）", m.heading, m.role))
                    .collect::<Vec<_>>()
                    .join("；")
            );
            let notes: BTreeMap<String, String> = measures
                .iter()
                .take(2)
                .map(|m| (m.id.clone(), format!("{}已按计划推进。", m.heading)))
                .collect();
            let mut figures = Vec::new();
            for t in targets_for(&plan, dept, p.end) {
                let goal = t.value.map_or(10.0 * Figure::SCALE as f64, |v| v.0 as f64);
                let level = t.progress == shiminhua_core::plan::Progress::Level;
                let v = if level { goal * 1.02 } else { goal * share * 0.97 };
                let v = (v / Figure::SCALE as f64).round() as i64 * Figure::SCALE;
                figures.push((t.id.clone(), city, v));
                if !t.allocation.is_empty() {
                    for (code, _) in &counties {
                        let a = DivisionCode::from_i64(*code)
                            .ok()
                            .and_then(|c| t.allocation.get(&c))
                            .map_or(0.0, |f| f.0 as f64);
                        let cv = (a * share * 0.95 / Figure::SCALE as f64).round() as i64 * Figure::SCALE;
                        figures.push((t.id.clone(), *code, cv));
                    }
                }
            }
            let by = format!("{}（演示）", u.short_name);
            let filed_at = now.min(
                p.end
                    .and_hms_opt(2, 0, 0)
                    .map(|d| d.and_utc() + chrono::Duration::days(3))
                    .unwrap_or(now),
            );
            let c = Checked {
                body,
                notes,
                figures,
                files: Vec::new(),
            };
            let id = insert_report(&mut tx, u, p, c, filed_at, &by).await?;
            done.filed += 1;
            audit::record(
                &mut tx,
                now,
                &who,
                Event::ok("report.file", "report", id).detail(format!("unit={}; period={}; demo", u.code, p.code)),
            )
            .await?;
            let verdict = if last {
                None
            } else if second_last && dept == "fgw" {
                Some((false, "员工制家政骨干企业覆盖区县情况未分区县说明，请补充后重新报送。"))
            } else {
                Some((true, "同意采纳。"))
            };
            if let Some((accept, comment)) = verdict {
                let to = if accept {
                    ReportStatus::Accepted
                } else {
                    ReportStatus::Returned
                };
                let r = report(&mut tx, id).await?;
                tx.exec(
                    Sql::new(
                        "UPDATE reports SET status = $1, reviewed_at = $2, reviewed_by = $3, comment = $4, version = 2 WHERE id = $5",
                    )
                    .bind(to.code())
                    .bind(filed_at + chrono::Duration::days(2))
                    .bind(office)
                    .bind(comment)
                    .bind(id),
                )
                .await?;
                let figs: Vec<(String, i64, i64)> = figures_of(&mut tx, id)
                    .await?
                    .iter()
                    .map(|f| (f.target.clone(), f.region, f.value))
                    .collect();
                keep_version(
                    &mut tx,
                    id,
                    2,
                    if accept { "accept" } else { "return" },
                    to,
                    &r.body,
                    &r.notes,
                    &figures_json(&figs),
                    comment,
                    filed_at + chrono::Duration::days(2),
                    office,
                )
                .await?;
                if accept {
                    done.accepted += 1;
                } else {
                    done.returned += 1;
                }
            }
        }
        if n >= 2
            && i == n - 2
            && let Some(u) = units.iter().find(|u| u.region_code == city && u.dept == "gaj")
        {
            tx.exec(
                Sql::new(
                    "INSERT INTO report_urges (unit_id, period, note, urged_at, urged_by) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(u.id)
                .bind(p.code.clone())
                .bind(format!("{}调度报告已逾期，请于3个工作日内报送。", p.label))
                .bind(now)
                .bind(office),
            )
            .await?;
            done.urged += 1;
        }
    }
    tx.commit().await?;
    Ok(done)
}
