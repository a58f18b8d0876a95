//! Excel workbooks for exports.

use crate::audit::AuditRow;
use crate::error::{AppError, AppResult};
use chrono::Duration;
use rust_xlsxwriter::{Format, Workbook};

fn err(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

/// A text cell that a spreadsheet will not run as a formula: text starting
/// with = + - @ (or a tab/CR) gets a leading apostrophe.
pub fn safe(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Times are shown in China Standard Time.
pub fn local_time(t: chrono::DateTime<chrono::Utc>) -> String {
    (t + Duration::hours(8)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The audit log as a workbook: one row per record, hashes included.
pub fn audit_workbook(rows: &[AuditRow]) -> AppResult<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("审计日志").map_err(err)?;
    let bold = Format::new().set_bold();
    let headers = [
        "序号",
        "时间",
        "用户",
        "角色",
        "操作",
        "操作代码",
        "对象类型",
        "对象编号",
        "结果",
        "客户端地址",
        "详情",
        "哈希",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(err)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 1) as u32;
        ws.write_number(row, 0, r.id as f64).map_err(err)?;
        ws.write_string(row, 1, local_time(r.at)).map_err(err)?;
        ws.write_string(row, 2, &r.actor_name).map_err(err)?;
        ws.write_string(row, 3, &r.role).map_err(err)?;
        ws.write_string(row, 4, r.action_label()).map_err(err)?;
        ws.write_string(row, 5, &r.action).map_err(err)?;
        ws.write_string(row, 6, &r.object_kind).map_err(err)?;
        ws.write_string(row, 7, &r.object_id).map_err(err)?;
        ws.write_string(row, 8, if r.success { "成功" } else { "失败" })
            .map_err(err)?;
        ws.write_string(row, 9, &r.client_addr).map_err(err)?;
        ws.write_string(row, 10, &r.detail).map_err(err)?;
        ws.write_string(row, 11, crate::hex(&r.hash)).map_err(err)?;
    }
    ws.set_column_width(1, 20).map_err(err)?;
    ws.set_column_width(10, 40).map_err(err)?;
    ws.set_freeze_panes(1, 0).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}

/// The worker list as a workbook; personal information stays masked.
pub fn workers_workbook(rows: &[crate::registry::WorkerRow]) -> AppResult<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("农民工名册").map_err(err)?;
    let bold = Format::new().set_bold();
    let headers = [
        "姓名",
        "身份证号",
        "性别",
        "出生日期",
        "手机号",
        "现居住地",
        "户籍地",
        "文化程度",
        "职业技能",
        "标签",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(err)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 1) as u32;
        let cells = [
            safe(&r.name),
            r.id_masked.clone(),
            r.sex.clone(),
            r.birth_date.to_string(),
            r.phone_masked.clone(),
            safe(&r.region_name),
            safe(&r.hukou_place),
            safe(&r.education),
            safe(&r.skills),
            safe(&r.tags),
        ];
        for (c, v) in cells.iter().enumerate() {
            ws.write_string(row, c as u16, v).map_err(err)?;
        }
    }
    ws.set_column_width(1, 22).map_err(err)?;
    ws.set_freeze_panes(1, 0).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for bad in ["=1+1", "+86", "-2", "@SUM(A1)", "\t=x"] {
            assert!(safe(bad).starts_with('\''), "{bad}");
        }
        assert_eq!(safe("王小红"), "王小红");
        assert_eq!(safe(""), "");
    }
}
