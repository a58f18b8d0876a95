//! Embedded, append-only migrations: one folder per backend, same numbers.

use super::{Db, Sql};
use crate::error::{AppError, AppResult};
use sm3::{Digest, Sm3};

/// (version, name, SQLite script, PostgreSQL script). Append only: an applied
/// migration whose text changed stops the program.
pub const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../../migrations/sqlite/0001_foundation.sql"),
        include_str!("../../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "workers",
        include_str!("../../migrations/sqlite/0002_workers.sql"),
        include_str!("../../migrations/postgres/0002_workers.sql"),
    ),
    (
        3,
        "records",
        include_str!("../../migrations/sqlite/0003_records.sql"),
        include_str!("../../migrations/postgres/0003_records.sql"),
    ),
    (
        4,
        "name_order",
        include_str!("../../migrations/sqlite/0004_name_order.sql"),
        include_str!("../../migrations/postgres/0004_name_order.sql"),
    ),
    (
        5,
        "plan",
        include_str!("../../migrations/sqlite/0005_plan.sql"),
        include_str!("../../migrations/postgres/0005_plan.sql"),
    ),
    (
        6,
        "calendar",
        include_str!("../../migrations/sqlite/0006_calendar.sql"),
        include_str!("../../migrations/postgres/0006_calendar.sql"),
    ),
    (
        7,
        "indicators",
        include_str!("../../migrations/sqlite/0007_indicators.sql"),
        include_str!("../../migrations/postgres/0007_indicators.sql"),
    ),
    (
        8,
        "facilities",
        include_str!("../../migrations/sqlite/0008_facilities.sql"),
        include_str!("../../migrations/postgres/0008_facilities.sql"),
    ),
    (
        9,
        "record_period",
        include_str!("../../migrations/sqlite/0009_record_period.sql"),
        include_str!("../../migrations/postgres/0009_record_period.sql"),
    ),
    (
        10,
        "reports",
        include_str!("../../migrations/sqlite/0010_reports.sql"),
        include_str!("../../migrations/postgres/0010_reports.sql"),
    ),
    (
        11,
        "drill_indexes",
        include_str!("../../migrations/sqlite/0011_drill_indexes.sql"),
        include_str!("../../migrations/postgres/0011_drill_indexes.sql"),
    ),
    (
        12,
        "cases",
        include_str!("../../migrations/sqlite/0012_cases.sql"),
        include_str!("../../migrations/postgres/0012_cases.sql"),
    ),
    (
        13,
        "case_replies",
        include_str!("../../migrations/sqlite/0013_case_replies.sql"),
        include_str!("../../migrations/postgres/0013_case_replies.sql"),
    ),
    (
        14,
        "blacklist",
        include_str!("../../migrations/sqlite/0014_blacklist.sql"),
        include_str!("../../migrations/postgres/0014_blacklist.sql"),
    ),
    (
        15,
        "case_stats",
        include_str!("../../migrations/sqlite/0015_case_stats.sql"),
        include_str!("../../migrations/postgres/0015_case_stats.sql"),
    ),
    (
        16,
        "case_open_index",
        include_str!("../../migrations/sqlite/0016_case_open_index.sql"),
        include_str!("../../migrations/postgres/0016_case_open_index.sql"),
    ),
    (
        17,
        "id_masking",
        include_str!("../../migrations/sqlite/0017_id_masking.sql"),
        include_str!("../../migrations/postgres/0017_id_masking.sql"),
    ),
    (
        18,
        "grant_requests",
        include_str!("../../migrations/sqlite/0018_grant_requests.sql"),
        include_str!("../../migrations/postgres/0018_grant_requests.sql"),
    ),
    (
        19,
        "audit_chain_key",
        include_str!("../../migrations/sqlite/0019_audit_chain_key.sql"),
        include_str!("../../migrations/postgres/0019_audit_chain_key.sql"),
    ),
    (
        20,
        "station_standard",
        include_str!("../../migrations/sqlite/0020_station_standard.sql"),
        include_str!("../../migrations/postgres/0020_station_standard.sql"),
    ),
    (
        21,
        "import_mappings",
        include_str!("../../migrations/sqlite/0021_import_mappings.sql"),
        include_str!("../../migrations/postgres/0021_import_mappings.sql"),
    ),
    (
        22,
        "search_and_tallies",
        include_str!("../../migrations/sqlite/0022_search_and_tallies.sql"),
        include_str!("../../migrations/postgres/0022_search_and_tallies.sql"),
    ),
    (
        23,
        "case_submissions",
        include_str!("../../migrations/sqlite/0023_case_submissions.sql"),
        include_str!("../../migrations/postgres/0023_case_submissions.sql"),
    ),
    (
        24,
        "family_cells",
        include_str!("../../migrations/sqlite/0024_family_cells.sql"),
        include_str!("../../migrations/postgres/0024_family_cells.sql"),
    ),
    (
        25,
        "figure_version",
        include_str!("../../migrations/sqlite/0025_figure_version.sql"),
        include_str!("../../migrations/postgres/0025_figure_version.sql"),
    ),
    (
        26,
        "import_stage",
        include_str!("../../migrations/sqlite/0026_import_stage.sql"),
        include_str!("../../migrations/postgres/0026_import_stage.sql"),
    ),
    (
        27,
        "monitor",
        include_str!("../../migrations/sqlite/0027_monitor.sql"),
        include_str!("../../migrations/postgres/0027_monitor.sql"),
    ),
    (
        28,
        "payroll_index",
        include_str!("../../migrations/sqlite/0028_payroll_index.sql"),
        include_str!("../../migrations/postgres/0028_payroll_index.sql"),
    ),
    (
        29,
        "payroll_roster_key",
        include_str!("../../migrations/sqlite/0029_payroll_roster_key.sql"),
        include_str!("../../migrations/postgres/0029_payroll_roster_key.sql"),
    ),
    (
        30,
        "job_services",
        include_str!("../../migrations/sqlite/0030_job_services.sql"),
        include_str!("../../migrations/postgres/0030_job_services.sql"),
    ),
    (
        31,
        "job_events",
        include_str!("../../migrations/sqlite/0031_job_events.sql"),
        include_str!("../../migrations/postgres/0031_job_events.sql"),
    ),
    (
        32,
        "job_registrations",
        include_str!("../../migrations/sqlite/0032_job_registrations.sql"),
        include_str!("../../migrations/postgres/0032_job_registrations.sql"),
    ),
    (
        33,
        "job_figures",
        include_str!("../../migrations/sqlite/0033_job_figures.sql"),
        include_str!("../../migrations/postgres/0033_job_figures.sql"),
    ),
    (
        34,
        "job_applications",
        include_str!("../../migrations/sqlite/0034_job_applications.sql"),
        include_str!("../../migrations/postgres/0034_job_applications.sql"),
    ),
    (
        35,
        "board_version",
        include_str!("../../migrations/sqlite/0035_board_version.sql"),
        include_str!("../../migrations/postgres/0035_board_version.sql"),
    ),
    (
        36,
        "seeker_reach",
        include_str!("../../migrations/sqlite/0036_seeker_reach.sql"),
        include_str!("../../migrations/postgres/0036_seeker_reach.sql"),
    ),
    (
        37,
        "employment_pay",
        include_str!("../../migrations/sqlite/0037_employment_pay.sql"),
        include_str!("../../migrations/postgres/0037_employment_pay.sql"),
    ),
    (
        38,
        "vacancy_grams",
        include_str!("../../migrations/sqlite/0038_vacancy_grams.sql"),
        include_str!("../../migrations/postgres/0038_vacancy_grams.sql"),
    ),
];

#[derive(sqlx::FromRow)]
struct Applied {
    version: i64,
    checksum: String,
}

fn checksum(script: &str) -> String {
    crate::hex(&Sm3::digest(script.as_bytes()))
}

pub(super) async fn run(db: &Db, without: Option<i64>) -> AppResult<()> {
    let mut tx = db.write().await?;
    if tx.backend() == super::Backend::Postgres {
        // Two servers starting at once must not both migrate.
        tx.exec(Sql::new("SELECT pg_advisory_xact_lock(7270500)::text IS NULL"))
            .await?;
    }
    tx.exec(Sql::new(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL)",
    ))
    .await?;
    let applied: Vec<Applied> = tx
        .all(Sql::new(
            "SELECT version, checksum FROM schema_migrations ORDER BY version",
        ))
        .await?;
    if let Some(newest) = applied.last()
        && newest.version > MIGRATIONS.last().map_or(0, |m| m.0)
    {
        return Err(AppError::Config(format!(
            "数据库结构版本（{}）高于本程序支持的版本，请使用新版本程序。",
            newest.version
        )));
    }
    for &(version, name, sqlite, postgres) in MIGRATIONS.iter().filter(|m| without != Some(m.0)) {
        let script = match tx.backend() {
            super::Backend::Sqlite => sqlite,
            super::Backend::Postgres => postgres,
        };
        let sum = checksum(script);
        match applied.iter().find(|a| a.version == version) {
            Some(a) if a.checksum == sum => {}
            Some(_) => {
                return Err(AppError::Config(format!(
                    "第{version}号数据库迁移（{name}）与已执行的版本不一致，迁移文件只能追加不能修改。"
                )));
            }
            None => {
                tx.exec_script(script).await?;
                tx.exec(
                    Sql::new("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)")
                        .bind(version)
                        .bind(name)
                        .bind(sum),
                )
                .await?;
            }
        }
    }
    tx.commit().await
}
