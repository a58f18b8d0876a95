//! Progress reports (调度报告) of the responsible units: their states.

/// A report's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportStatus {
    /// 已报送, waiting for the office.
    Filed,
    /// 已采纳.
    Accepted,
    /// 已退回: to be revised and filed again.
    Returned,
}

impl ReportStatus {
    pub fn code(self) -> &'static str {
        match self {
            ReportStatus::Filed => "filed",
            ReportStatus::Accepted => "accepted",
            ReportStatus::Returned => "returned",
        }
    }

    pub fn from_code(s: &str) -> Option<ReportStatus> {
        [ReportStatus::Filed, ReportStatus::Accepted, ReportStatus::Returned]
            .into_iter()
            .find(|x| x.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ReportStatus::Filed => "已报送",
            ReportStatus::Accepted => "已采纳",
            ReportStatus::Returned => "已退回",
        }
    }
}
