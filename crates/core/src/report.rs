//! Progress reports (调度报告) of the responsible units: their states.

crate::coded! {
    /// A report's state.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ReportStatus {
        /// 已报送, waiting for the office.
        Filed = "filed" / "已报送",
        /// 已采纳.
        Accepted = "accepted" / "已采纳",
        /// 已退回: to be revised and filed again.
        Returned = "returned" / "已退回",
    }
}
