//! 调度: the office's overview of a period (every owing unit, the overdue
//! first), the measures with their units' standing, a unit's report form
//! (text, notes on its measures, figures of the targets it reports,
//! attachments), the report page with its review, versions and 督办 marks.

mod detail;
mod form;
mod overview;
mod workbench;

pub use detail::{download, review, show};
pub use form::{create, edit_page, new_page, update};
pub use overview::{close, measures, overview, urge};
pub use workbench::{OwedLine, owed_lines};

use std::collections::HashMap;

fn notice_of(q: &HashMap<String, String>) -> Option<&'static str> {
    match q.get("done").map(String::as_str) {
        Some("filed") => Some("报告已报送，等待专班办公室审核。"),
        Some("saved") => Some("报告已修改并重新报送。"),
        Some("accepted") => Some("已采纳该报告。"),
        Some("returned") => Some("已退回该报告，单位修改后可重新报送。"),
        Some("urged") => Some("已督办，督办意见将显示在该单位的工作台上。"),
        Some("closed") => Some("本期调度已关闭，各单位不能再报送或修改本期报告。"),
        _ => None,
    }
}
