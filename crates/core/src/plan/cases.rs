//! Wage-arrears cases as a source of computed targets.

use super::*;

/// The statuses of a case as the plan file names them (`case::CaseStatus` labels).
pub const CASE_STATUSES: &[&str] = &[
    "登记",
    "受理",
    "不予受理",
    "调查处理",
    "办结",
    "已回访",
    "已移送仲裁",
    "已移送公安",
];
/// The sectors of a case (`case::Sector` labels).
pub const CASE_SECTORS: &[&str] = &["工程建设", "加工制造", "餐饮", "其他"];
/// The sources of a case (`case::Source` labels).
pub const CASE_SOURCES: &[&str] = &[
    "全国根治欠薪线索反映平台",
    "12333热线",
    "来访",
    "来信",
    "网上反映",
    "专项检查",
    "监控预警",
];

/// Wage-arrears cases (`kind = "wage_case"`) as a source of computed
/// targets. They are not registry records, but a plan names their fields
/// the same way. Each field is read as the case stood at the end of the day
/// a figure is taken on (see `indicator::CaseFact::values`), except
/// `status`, which is the status now. See `docs/plan-format.md`.
pub static CASE_SPEC: KindSpec = KindSpec {
    kind: RecordKind::WageCase,
    fields: &[
        record::f("received", "收到日期", FieldType::Date, true, ""),
        record::f(
            "closed",
            "结案日期",
            FieldType::Date,
            false,
            "办结、不予受理、移送仲裁或移送公安之日",
        ),
        record::f("status", "案件状态", FieldType::Choice(CASE_STATUSES), true, "当前状态"),
        record::f("sector", "行业", FieldType::Choice(CASE_SECTORS), true, ""),
        record::f("source", "线索来源", FieldType::Choice(CASE_SOURCES), true, ""),
        record::f("open", "未结案", FieldType::Flag, true, "当日尚未结案"),
        record::f(
            "on_time",
            "按期结案",
            FieldType::Flag,
            true,
            "当日已结案，且结案日不晚于当时的期限",
        ),
        record::f("amount_claimed", "反映欠薪金额", FieldType::Money, true, ""),
        record::f("amount_recovered", "追回金额", FieldType::Money, false, "办结的案件"),
        record::f("workers", "涉及人数", FieldType::Count, true, ""),
        record::f("workers_paid", "已支付人数", FieldType::Count, false, "办结的案件"),
    ],
    key: &[],
    date: &["received"],
    place: None,
    dept: "rsj",
};

/// The fields a source of a computed target may name: a registry kind's, or
/// the cases' ([`CASE_SPEC`]).
pub fn source_spec(kind: RecordKind) -> Option<&'static KindSpec> {
    match kind {
        RecordKind::WageCase => Some(&CASE_SPEC),
        other => record::spec(other),
    }
}
