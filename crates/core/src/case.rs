//! Wage-arrears cases (欠薪线索/案件): sources, sectors, the workflow as a
//! state machine, the fields each action requires, case validation and the
//! working-day deadlines.
//!
//! The workflow is data: [`TRANSITIONS`] lists every allowed
//! (from-status, action) pair with its target status and the roles that may
//! take it. Anything not listed is refused, whoever asks and however the
//! request arrives (pages, API, import), because every use case goes through
//! [`check`].
//!
//! Statuses (see `docs/cases.md`):
//!
//! * 登记 → 受理 or 不予受理 (with a reason);
//! * 受理 → 调查处理 → 办结 → 已回访;
//! * 移送仲裁 (green channel, from 受理 or 调查处理) and 移送公安 (涉嫌拒不
//!   支付劳动报酬罪, from 调查处理) are outcomes of their own, followed up
//!   like a closed case;
//! * 转办 hands a case not yet under investigation to another county: it
//!   returns to 登记 there and is accepted or refused anew;
//! * 延期 (once; the office approves by taking the action) and 督办 (by the
//!   office) leave the status as it is.

use crate::auth::{Role, RoleSet};
use crate::calendar::{Calendar, CalendarError};
use crate::credit_code::CreditCode;
use crate::division::{DivisionCode, Level};
use crate::id_number::IdNumber;
use crate::money::Fen;
use crate::phone::Phone;
use crate::record::{Errors, Places, parse_date, tidy};
use chrono::NaiveDate;

crate::coded! {
    /// Where a clue came from.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Source {
        /// 全国根治欠薪线索反映平台 (transferred with its clue number).
        Platform = "platform" / "全国根治欠薪线索反映平台",
        /// 12333 热线
        Hotline = "hotline" / "12333热线",
        /// 来访
        Visit = "visit" / "来访",
        /// 来信
        Letter = "letter" / "来信",
        /// 网上反映 (the public form).
        Online = "online" / "网上反映",
        /// 专项检查
        Inspection = "inspection" / "专项检查",
        /// 监控预警: a warning of the wage-payment monitoring turned into a case.
        Monitoring = "monitoring" / "监控预警",
    }
}

impl Source {
    /// By code or by Chinese label (forms and spreadsheets).
    pub fn parse(s: &str) -> Option<Source> {
        let t = tidy(s);
        Source::ALL
            .into_iter()
            .find(|x| x.code() == t || x.label_zh() == t || (t == "12333" && *x == Source::Hotline))
    }
}

crate::coded! {
    /// The sector where the arrears arose.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Sector {
        /// 工程建设
        Construction = "construction" / "工程建设",
        /// 加工制造
        Manufacturing = "manufacturing" / "加工制造",
        /// 餐饮
        Catering = "catering" / "餐饮",
        /// 其他
        Other = "other" / "其他",
    }
}

impl Sector {
    /// By code or by Chinese label.
    pub fn parse(s: &str) -> Option<Sector> {
        let t = tidy(s);
        Sector::ALL.into_iter().find(|x| x.code() == t || x.label_zh() == t)
    }
}

crate::coded! {
    /// Where a case stands.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum CaseStatus {
        /// 登记: received, waiting for the decision to accept.
        Registered = "registered" / "登记",
        /// 受理
        Accepted = "accepted" / "受理",
        /// 不予受理 (final).
        Rejected = "rejected" / "不予受理",
        /// 调查处理
        Investigating = "investigating" / "调查处理",
        /// 办结
        Closed = "closed" / "办结",
        /// 已回访 (final).
        FollowedUp = "followed_up" / "已回访",
        /// 已移送仲裁 (green channel).
        Arbitration = "arbitration" / "已移送仲裁",
        /// 已移送公安 (涉嫌拒不支付劳动报酬罪).
        Police = "police" / "已移送公安",
    }
}

impl CaseStatus {
    /// The status as told to the reporter on the public lookup.
    pub fn public_label(self) -> &'static str {
        match self {
            CaseStatus::Registered => "已登记，待受理",
            CaseStatus::Accepted => "已受理",
            CaseStatus::Rejected => "不予受理",
            CaseStatus::Investigating => "调查处理中",
            CaseStatus::Closed => "已办结",
            CaseStatus::FollowedUp => "已办结（已回访）",
            CaseStatus::Arbitration => "已移送劳动人事争议仲裁委员会",
            CaseStatus::Police => "已移送公安机关",
        }
    }

    /// Whether a time limit runs in this status (登记, 受理, 调查处理).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseStatus::Registered | CaseStatus::Accepted | CaseStatus::Investigating
        )
    }
}

crate::coded! {
    /// What an officer does to a case.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Action {
        /// 受理
        Accept = "accept" / "受理",
        /// 不予受理
        Reject = "reject" / "不予受理",
        /// 开始调查
        Investigate = "investigate" / "开始调查",
        /// 办结
        Close = "close" / "办结",
        /// 回访
        FollowUp = "follow_up" / "回访",
        /// 转办 (to another county)
        Transfer = "transfer" / "转办",
        /// 移送仲裁
        Arbitrate = "arbitrate" / "移送仲裁",
        /// 移送公安
        ReferPolice = "refer_police" / "移送公安",
        /// 延期 (approved by the office, once)
        Extend = "extend" / "延期",
        /// 督办 (by the office)
        Urge = "urge" / "督办",
    }
}

impl Action {
    /// The fields the action requires (besides the case's version).
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Action::Accept | Action::Investigate => &[],
            Action::Reject => &["reason"],
            Action::Close => &["conclusion", "amount_recovered", "workers_paid"],
            Action::FollowUp => &["note"],
            Action::Transfer => &["region", "reason"],
            Action::Arbitrate | Action::ReferPolice => &["note"],
            Action::Extend => &["reason"],
            Action::Urge => &["note"],
        }
    }
}

/// Who handles cases: 劳动保障监察员 and 区县/乡镇工作人员.
const HANDLERS: &[Role] = &[Role::Inspector, Role::Local];
/// The task-force office: approves extensions and urges.
const OFFICE: &[Role] = &[Role::Office];

/// One allowed transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: CaseStatus,
    pub action: Action,
    pub to: CaseStatus,
    pub roles: &'static [Role],
}

const fn t(from: CaseStatus, action: Action, to: CaseStatus, roles: &'static [Role]) -> Transition {
    Transition {
        from,
        action,
        to,
        roles,
    }
}

/// The whole workflow. A (status, action) pair not listed is refused.
pub const TRANSITIONS: &[Transition] = &[
    t(CaseStatus::Registered, Action::Accept, CaseStatus::Accepted, HANDLERS),
    t(CaseStatus::Registered, Action::Reject, CaseStatus::Rejected, HANDLERS),
    t(
        CaseStatus::Registered,
        Action::Transfer,
        CaseStatus::Registered,
        HANDLERS,
    ),
    t(CaseStatus::Registered, Action::Urge, CaseStatus::Registered, OFFICE),
    t(
        CaseStatus::Accepted,
        Action::Investigate,
        CaseStatus::Investigating,
        HANDLERS,
    ),
    t(CaseStatus::Accepted, Action::Transfer, CaseStatus::Registered, HANDLERS),
    t(
        CaseStatus::Accepted,
        Action::Arbitrate,
        CaseStatus::Arbitration,
        HANDLERS,
    ),
    t(CaseStatus::Accepted, Action::Urge, CaseStatus::Accepted, OFFICE),
    t(CaseStatus::Investigating, Action::Close, CaseStatus::Closed, HANDLERS),
    t(
        CaseStatus::Investigating,
        Action::Arbitrate,
        CaseStatus::Arbitration,
        HANDLERS,
    ),
    t(
        CaseStatus::Investigating,
        Action::ReferPolice,
        CaseStatus::Police,
        HANDLERS,
    ),
    t(
        CaseStatus::Investigating,
        Action::Extend,
        CaseStatus::Investigating,
        OFFICE,
    ),
    t(
        CaseStatus::Investigating,
        Action::Urge,
        CaseStatus::Investigating,
        OFFICE,
    ),
    t(CaseStatus::Closed, Action::FollowUp, CaseStatus::FollowedUp, HANDLERS),
    t(
        CaseStatus::Arbitration,
        Action::FollowUp,
        CaseStatus::FollowedUp,
        HANDLERS,
    ),
    t(CaseStatus::Police, Action::FollowUp, CaseStatus::FollowedUp, HANDLERS),
];

/// The transition `action` from `from`, if the workflow has one.
pub fn transition(from: CaseStatus, action: Action) -> Option<&'static Transition> {
    TRANSITIONS.iter().find(|t| t.from == from && t.action == action)
}

/// Whether a holder of `role` may take `action` on a case in `from`.
pub fn allowed(from: CaseStatus, action: Action, role: Role) -> bool {
    transition(from, action).is_some_and(|t| t.roles.contains(&role))
}

/// The actions a holder of `roles` may take on a case in `from` (for the
/// buttons of a case page).
pub fn actions_for(from: CaseStatus, roles: &RoleSet) -> Vec<Action> {
    TRANSITIONS
        .iter()
        .filter(|t| t.from == from && roles.iter().any(|r| t.roles.contains(&r)))
        .map(|t| t.action)
        .collect()
}

/// Roles that may read cases (in their scope): the handlers, the office and
/// the lead.
pub fn may_read(roles: &RoleSet) -> bool {
    roles.allows(crate::auth::Permission::ReadCases)
}

/// Roles that may register a case: the handlers and the office (which
/// receives the platform's transfers).
pub fn may_register(roles: &RoleSet) -> bool {
    roles
        .iter()
        .any(|r| matches!(r, Role::Inspector | Role::Local | Role::Office))
}

/// The default conclusion categories of 办结 (the office may configure its
/// own list of ten). 移送仲裁 and 移送公安 are outcomes of their own
/// transitions, not conclusions.
pub const DEFAULT_CONCLUSIONS: [&str; 10] = [
    "已全额支付",
    "部分支付",
    "经调解达成协议",
    "达成分期支付协议",
    "责令限期支付后已支付",
    "不属于欠薪",
    "查无实据",
    "用人单位已注销（无法追偿）",
    "反映人撤回",
    "其他",
];

/// Number of conclusion categories in a list.
pub const CONCLUSION_COUNT: usize = 10;

/// Reads a configured list of conclusion categories, one a line: exactly
/// ten distinct names of at most 20 characters.
pub fn parse_conclusions(text: &str) -> Result<Vec<String>, String> {
    let items: Vec<String> = text.lines().map(tidy).filter(|l| !l.is_empty()).collect();
    if items.len() != CONCLUSION_COUNT {
        return Err(format!(
            "办结结论分类应为{CONCLUSION_COUNT}项（每行一项），现有{}项",
            items.len()
        ));
    }
    for (i, item) in items.iter().enumerate() {
        if item.chars().count() > 20 {
            return Err(format!("办结结论分类“{item}”超过20个字"));
        }
        if items[..i].contains(item) {
            return Err(format!("办结结论分类“{item}”重复"));
        }
    }
    Ok(items)
}

// ---------------------------------------------------------------------------
// Deadlines
// ---------------------------------------------------------------------------

/// The time limits, in working days (day 1 is the working day after the
/// event; see `crate::calendar`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Acceptance: 5 working days from receipt (劳动和社会保障部令第25号).
    pub accept_days: u32,
    /// Investigation: 60 working days from acceptance (劳动保障监察条例 第17条).
    pub handle_days: u32,
    /// The one extension: 30 working days.
    pub extension_days: u32,
    /// Clues of the national platform: handled within this many working days
    /// of receipt (the office's setting).
    pub platform_days: u32,
    /// A case is near due from this many working days before its due date.
    pub near_days: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            accept_days: 5,
            handle_days: 60,
            extension_days: 30,
            platform_days: DEFAULT_PLATFORM_DAYS,
            near_days: 3,
        }
    }
}

/// The default time limit of a platform clue.
pub const DEFAULT_PLATFORM_DAYS: u32 = 10;

/// Checks an office setting of the platform time limit (1–60 working days).
pub fn parse_platform_days(s: &str) -> Result<u32, String> {
    match crate::record::normalise(s).parse::<u32>() {
        Ok(n) if (1..=60).contains(&n) => Ok(n),
        _ => Err("平台线索办理时限应为1至60个工作日".into()),
    }
}

/// A deadline that could not be computed, in Chinese.
pub fn deadline_error(what: &str, e: CalendarError) -> String {
    match e {
        CalendarError::NotLoaded { year } => {
            format!("无法计算{what}：{year}年的节假日安排尚未载入。请系统管理员在“节假日安排”中载入{year}年的安排。")
        }
        other => format!("无法计算{what}：{other}"),
    }
}

/// A running time limit: so many working days from a day. Kept with the
/// case so that the due date can be computed again when a year's holiday
/// arrangement is loaded after it was set provisionally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub from: NaiveDate,
    pub days: u32,
}

impl Span {
    /// The due date on `cal`.
    pub fn due(self, cal: &Calendar, what: &str) -> Result<NaiveDate, String> {
        cal.add_working_days(self.from, self.days)
            .map_err(|e| deadline_error(what, e))
    }
}

impl Limits {
    /// 受理: 5 working days from receipt (or from the transfer).
    pub fn accept_span(&self, received: NaiveDate) -> Span {
        Span {
            from: received,
            days: self.accept_days,
        }
    }

    /// 办理, set on acceptance: platform clues the platform limit from
    /// receipt, other cases 60 working days from acceptance.
    pub fn handle_span(&self, source: Source, received: NaiveDate, accepted: NaiveDate) -> Span {
        if source == Source::Platform {
            Span {
                from: received,
                days: self.platform_days,
            }
        } else {
            Span {
                from: accepted,
                days: self.handle_days,
            }
        }
    }

    /// The 办理 limit after the one extension.
    pub fn extended_span(&self, span: Span) -> Span {
        Span {
            days: span.days + self.extension_days,
            ..span
        }
    }

    /// 受理期限: `received` + 5 working days.
    pub fn accept_due(&self, cal: &Calendar, received: NaiveDate) -> Result<NaiveDate, String> {
        self.accept_span(received).due(cal, "受理期限")
    }

    /// 办理期限 (see [`Limits::handle_span`]).
    pub fn handle_due(
        &self,
        cal: &Calendar,
        source: Source,
        received: NaiveDate,
        accepted: NaiveDate,
    ) -> Result<NaiveDate, String> {
        self.handle_span(source, received, accepted).due(cal, "办理期限")
    }

    /// The first day from which a case due on `due` counts as near due:
    /// cases with `today ≤ due ≤ near_until(today)` are near due.
    pub fn near_until(&self, cal: &Calendar, today: NaiveDate) -> Result<NaiveDate, String> {
        cal.add_working_days(today, self.near_days)
            .map_err(|e| deadline_error("临期范围", e))
    }
}

/// How a case stands against its running time limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// No time limit runs (final or follow-up statuses).
    None,
    OnTime,
    /// Due within the near-due window.
    NearDue,
    Overdue,
}

impl Timing {
    pub fn of(due: Option<NaiveDate>, today: NaiveDate, near_until: NaiveDate) -> Timing {
        match due {
            None => Timing::None,
            Some(d) if d < today => Timing::Overdue,
            Some(d) if d <= near_until => Timing::NearDue,
            Some(_) => Timing::OnTime,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Timing::None => "",
            Timing::OnTime => "正常",
            Timing::NearDue => "临期",
            Timing::Overdue => "逾期",
        }
    }
}

// ---------------------------------------------------------------------------
// Case validation
// ---------------------------------------------------------------------------

/// A case as typed in a form (raw texts).
#[derive(Clone, Debug, Default)]
pub struct CaseInput {
    pub source: String,
    /// The national platform's clue number (platform clues only).
    pub clue_no: String,
    pub received_on: String,
    pub anonymous: bool,
    /// A registered worker who reports (checked by the caller).
    pub worker_id: Option<i64>,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub reporter_id_number: String,
    pub employer_name: String,
    pub employer_credit_code: String,
    pub employer_address: String,
    pub sector: String,
    pub project_name: String,
    /// The general contractor (施工总承包单位) by name.
    pub contractor_name: String,
    pub contractor_credit_code: String,
    pub workers: String,
    pub amount_claimed: String,
    pub arrears_from: String,
    pub arrears_to: String,
    pub description: String,
    /// The township (乡镇/街道) where the arrears arose, by name or code.
    pub region: String,
}

impl CaseInput {
    /// The fields read by their keys (the names of the form fields, the
    /// import's columns and the keys of the errors); `anonymous` and
    /// `worker_id` are left to the caller, whose forms say them differently.
    pub fn read(get: impl Fn(&str) -> String) -> CaseInput {
        CaseInput {
            source: get("source"),
            clue_no: get("clue_no"),
            received_on: get("received_on"),
            anonymous: false,
            worker_id: None,
            reporter_name: get("reporter_name"),
            reporter_phone: get("reporter_phone"),
            reporter_id_number: get("reporter_id_number"),
            employer_name: get("employer_name"),
            employer_credit_code: get("employer_credit_code"),
            employer_address: get("employer_address"),
            sector: get("sector"),
            project_name: get("project_name"),
            contractor_name: get("contractor_name"),
            contractor_credit_code: get("contractor_credit_code"),
            workers: get("workers"),
            amount_claimed: get("amount_claimed"),
            arrears_from: get("arrears_from"),
            arrears_to: get("arrears_to"),
            description: get("description"),
            region: get("region"),
        }
    }
}

/// Who reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reporter {
    Anonymous,
    /// A registered worker; a phone given is kept with the case.
    Worker {
        worker_id: i64,
        phone: Option<Phone>,
    },
    /// A contact: name and phone, ID number if given.
    Contact {
        name: String,
        phone: Phone,
        id_number: Option<IdNumber>,
    },
}

/// A validated case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseData {
    pub source: Source,
    pub clue_no: Option<String>,
    pub received_on: NaiveDate,
    pub reporter: Reporter,
    pub employer_name: String,
    pub employer_credit_code: Option<CreditCode>,
    pub employer_address: String,
    pub sector: Sector,
    pub project_name: Option<String>,
    pub contractor_name: Option<String>,
    pub contractor_credit_code: Option<CreditCode>,
    pub workers: i64,
    pub amount_claimed: Fen,
    pub arrears_from: NaiveDate,
    pub arrears_to: NaiveDate,
    pub description: String,
    pub region: DivisionCode,
    pub county: DivisionCode,
}

/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 2000;

fn text_field(errs: &mut Errors, key: &'static str, label: &str, raw: &str, max: usize, required: bool) -> String {
    let v = tidy(raw);
    if v.is_empty() && required {
        errs.push((key, format!("请填写{label}")));
    } else if v.chars().count() > max {
        errs.push((key, format!("{label}不超过{max}个字")));
    }
    v
}

fn date_field(errs: &mut Errors, key: &'static str, label: &str, raw: &str, today: NaiveDate) -> Option<NaiveDate> {
    if tidy(raw).is_empty() {
        errs.push((key, format!("请填写{label}")));
        return None;
    }
    match parse_date(raw) {
        Some(d) if d > today => {
            errs.push((key, format!("{label}不能晚于今天")));
            None
        }
        Some(d) => Some(d),
        None => {
            errs.push((
                key,
                format!("{label}“{}”不是有效日期，请按 2023-03-05 的格式填写", tidy(raw)),
            ));
            None
        }
    }
}

fn credit_field(errs: &mut Errors, key: &'static str, label: &str, raw: &str, required: bool) -> Option<CreditCode> {
    if tidy(raw).is_empty() {
        if required {
            errs.push((key, format!("请填写{label}")));
        }
        return None;
    }
    match CreditCode::parse(raw) {
        Ok(c) => Some(c),
        Err(e) => {
            // The error names the code already; shown next to the field.
            errs.push((key, e.to_string()));
            None
        }
    }
}

/// The township a place names, or the reason it is not one.
pub fn township(places: &dyn Places, raw: &str, label: &str) -> Result<DivisionCode, String> {
    if tidy(raw).is_empty() {
        return Err(format!("请填写{label}"));
    }
    let code = places.place(raw).map_err(|e| format!("{label}：{e}"))?;
    if code.level() != Level::Township || code.county().is_none() {
        return Err(format!("{label}应为本市的乡镇（街道）"));
    }
    Ok(code)
}

fn check_name(errs: &mut Errors, raw: &str) -> String {
    let name = tidy(raw);
    if let Err(e) = crate::person::check_name(&name, &crate::person::REPORTER_NAME) {
        errs.push(("reporter_name", e.into()));
    }
    name
}

fn reporter(input: &CaseInput, errs: &mut Errors) -> Option<Reporter> {
    let phone_raw = tidy(&input.reporter_phone);
    let id_raw = tidy(&input.reporter_id_number);
    let name_raw = tidy(&input.reporter_name);
    if input.anonymous {
        if input.worker_id.is_some() || !phone_raw.is_empty() || !id_raw.is_empty() || !name_raw.is_empty() {
            errs.push(("anonymous", "匿名反映的，不填写反映人信息".into()));
            return None;
        }
        return Some(Reporter::Anonymous);
    }
    let phone = if phone_raw.is_empty() {
        None
    } else {
        match Phone::parse(&phone_raw) {
            Ok(p) => Some(p),
            Err(e) => {
                errs.push(("reporter_phone", e.to_string()));
                return None;
            }
        }
    };
    if let Some(worker_id) = input.worker_id {
        return Some(Reporter::Worker { worker_id, phone });
    }
    let name = check_name(errs, &name_raw);
    let id_number = if id_raw.is_empty() {
        None
    } else {
        match IdNumber::parse(&id_raw) {
            Ok(i) => Some(i),
            Err(e) => {
                errs.push(("reporter_id_number", e.to_string()));
                None
            }
        }
    };
    if phone.is_none() {
        errs.push(("reporter_phone", "请填写反映人联系电话".into()));
    }
    match (phone, errs.is_empty()) {
        (Some(phone), true) => Some(Reporter::Contact { name, phone, id_number }),
        _ => None,
    }
}

/// Whether a platform clue number looks like one: 4–40 letters, digits or `-`.
fn clue_no_ok(s: &str) -> bool {
    (4..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Validates a case: one Chinese message per field, in form order.
pub fn validate(input: &CaseInput, places: &dyn Places, today: NaiveDate) -> Result<CaseData, Errors> {
    let mut errs: Errors = Vec::new();
    let source = Source::parse(&input.source);
    if source.is_none() {
        let labels: Vec<&str> = Source::ALL.iter().map(|s| s.label_zh()).collect();
        errs.push(("source", format!("线索来源应为：{}", labels.join("、"))));
    }
    let clue = crate::record::normalise(&input.clue_no).to_ascii_uppercase();
    let clue_no = match source {
        Some(Source::Platform) if clue.is_empty() => {
            errs.push(("clue_no", "平台转办的线索，请填写平台线索编号".into()));
            None
        }
        Some(Source::Platform) if !clue_no_ok(&clue) => {
            errs.push(("clue_no", "平台线索编号应为4至40位字母、数字或“-”".into()));
            None
        }
        Some(Source::Platform) => Some(clue),
        Some(_) if !clue.is_empty() => {
            errs.push((
                "clue_no",
                "只有全国根治欠薪线索反映平台转办的线索才有平台线索编号".into(),
            ));
            None
        }
        _ => None,
    };
    let received_on = date_field(&mut errs, "received_on", "收到日期", &input.received_on, today);
    let reporter = reporter(input, &mut errs);
    let employer_name = text_field(
        &mut errs,
        "employer_name",
        "用人单位名称",
        &input.employer_name,
        100,
        true,
    );
    let employer_credit_code = credit_field(
        &mut errs,
        "employer_credit_code",
        "用人单位统一社会信用代码",
        &input.employer_credit_code,
        false,
    );
    let employer_address = text_field(
        &mut errs,
        "employer_address",
        "用人单位地址",
        &input.employer_address,
        200,
        false,
    );
    let sector = Sector::parse(&input.sector);
    if sector.is_none() {
        let labels: Vec<&str> = Sector::ALL.iter().map(|s| s.label_zh()).collect();
        errs.push(("sector", format!("所属行业应为：{}", labels.join("、"))));
    }
    // A construction site is known by its project or its general
    // contractor: a worker who has left the site rarely knows the
    // contractor's credit code, so either name is enough and the code is
    // optional.
    let construction = sector == Some(Sector::Construction);
    let project = text_field(
        &mut errs,
        "project_name",
        "工程项目名称",
        &input.project_name,
        100,
        false,
    );
    let contractor_name = text_field(
        &mut errs,
        "contractor_name",
        "施工总承包单位名称",
        &input.contractor_name,
        100,
        false,
    );
    if construction && tidy(&input.project_name).is_empty() && tidy(&input.contractor_name).is_empty() {
        errs.push((
            "project_name",
            "工程建设领域的，请填写工程项目名称或施工总承包单位名称（填一项即可）".into(),
        ));
    }
    let contractor = credit_field(
        &mut errs,
        "contractor_credit_code",
        "施工总承包单位统一社会信用代码",
        &input.contractor_credit_code,
        false,
    );
    let workers = match crate::record::normalise(&input.workers)
        .trim_end_matches(['人', '名'])
        .trim()
        .parse::<i64>()
    {
        Ok(n) if (1..=100_000).contains(&n) => Some(n),
        Ok(_) => {
            errs.push(("workers", "涉及人数应为1至100000人".into()));
            None
        }
        Err(_) => {
            errs.push(("workers", "涉及人数应为正整数".into()));
            None
        }
    };
    let amount = match Fen::from_yuan_str(&input.amount_claimed) {
        Ok(v) if v.0 <= 0 => {
            errs.push(("amount_claimed", "反映欠薪金额应大于0".into()));
            None
        }
        Ok(v) if v.0 > 100_000_000_000 => {
            errs.push(("amount_claimed", "反映欠薪金额超过10亿元，请核对".into()));
            None
        }
        Ok(v) => Some(v),
        Err(e) => {
            errs.push(("amount_claimed", format!("反映欠薪金额：{e}")));
            None
        }
    };
    let from = date_field(&mut errs, "arrears_from", "欠薪起始日期", &input.arrears_from, today);
    let to = date_field(&mut errs, "arrears_to", "欠薪截止日期", &input.arrears_to, today);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        errs.push(("arrears_to", "欠薪截止日期不能早于起始日期".into()));
    }
    if let (Some(t), Some(r)) = (to, received_on)
        && t > r
    {
        errs.push(("arrears_to", "欠薪截止日期不能晚于收到日期".into()));
    }
    let description = text_field(
        &mut errs,
        "description",
        "反映内容",
        &input.description,
        MAX_DESCRIPTION,
        true,
    );
    let region = match township(places, &input.region, "欠薪发生地（乡镇/街道）") {
        Ok(c) => Some(c),
        Err(e) => {
            errs.push(("region", e));
            None
        }
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    match (source, received_on, reporter, sector, workers, amount, from, to, region) {
        (
            Some(source),
            Some(received_on),
            Some(reporter),
            Some(sector),
            Some(workers),
            Some(amount_claimed),
            Some(arrears_from),
            Some(arrears_to),
            Some(region),
        ) => Ok(CaseData {
            source,
            clue_no,
            received_on,
            reporter,
            employer_name,
            employer_credit_code,
            employer_address,
            sector,
            project_name: Some(project).filter(|p| !p.is_empty()),
            contractor_name: Some(contractor_name).filter(|p| !p.is_empty()),
            contractor_credit_code: contractor,
            workers,
            amount_claimed,
            arrears_from,
            arrears_to,
            description,
            region,
            county: region.county().unwrap_or(region),
        }),
        _ => Err(vec![("source", "登记信息不完整".into())]),
    }
}

// ---------------------------------------------------------------------------
// Taking an action
// ---------------------------------------------------------------------------

/// What an action form gives (raw texts; only the action's fields are read).
#[derive(Clone, Debug, Default)]
pub struct ActionInput {
    /// 不予受理, 转办, 延期: the reason.
    pub reason: String,
    /// 回访, 移送, 督办: the note; optional for the others.
    pub note: String,
    /// 办结: one of the configured conclusion categories.
    pub conclusion: String,
    /// 办结: amount recovered, in yuan as typed.
    pub amount_recovered: String,
    /// 办结: number of workers paid.
    pub workers_paid: String,
    /// 转办: the township of the receiving county.
    pub region: String,
    /// Any action: the reply the reporter reads on the public lookup
    /// (optional; the note stays internal).
    pub public_reply: String,
}

/// What the case looks like to [`check`].
#[derive(Clone, Copy, Debug)]
pub struct CaseState {
    pub status: CaseStatus,
    pub county: DivisionCode,
    pub workers: i64,
    pub extended: bool,
}

/// A checked action, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub action: Action,
    pub from: CaseStatus,
    pub to: CaseStatus,
    /// Reason or note (the text the event keeps).
    pub note: String,
    pub conclusion: Option<String>,
    pub amount_recovered: Option<Fen>,
    pub workers_paid: Option<i64>,
    /// 转办: the new township.
    pub region: Option<DivisionCode>,
    /// The reply shown to the reporter (empty: none).
    pub public_reply: String,
}

/// Why an action is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The workflow has no such step from the case's status.
    State(String),
    /// The step exists, but not for the actor's roles.
    Role(String),
    /// A rule of the case (extension once, transfer to another county).
    Rule(String),
    /// Missing or invalid fields.
    Fields(Errors),
}

/// Longest reason or note.
pub const MAX_NOTE: usize = 500;

/// Checks `action` by holders of `roles` on a case: the transition table,
/// the case's own rules and the action's fields.
pub fn check(
    case: &CaseState,
    action: Action,
    roles: &RoleSet,
    input: &ActionInput,
    conclusions: &[String],
    places: &dyn Places,
) -> Result<Step, Refusal> {
    let Some(tr) = transition(case.status, action) else {
        return Err(Refusal::State(format!(
            "该案件当前为“{}”，不能{}。",
            case.status.label_zh(),
            action.label_zh()
        )));
    };
    if !roles.iter().any(|r| tr.roles.contains(&r)) {
        let who: Vec<&str> = tr.roles.iter().map(|r| r.label_zh()).collect();
        return Err(Refusal::Role(format!(
            "{}只能由{}办理。",
            action.label_zh(),
            who.join("或")
        )));
    }
    if action == Action::Extend && case.extended {
        return Err(Refusal::Rule("该案件已延期一次，不能再次延期。".into()));
    }
    let mut errs: Errors = Vec::new();
    let required = action.required();
    let (key, label) = if required.contains(&"reason") {
        (
            "reason",
            match action {
                Action::Reject => "不予受理理由",
                Action::Transfer => "转办理由",
                _ => "延期理由",
            },
        )
    } else {
        (
            "note",
            match action {
                Action::FollowUp => "回访情况",
                Action::Arbitrate => "移送仲裁说明",
                Action::ReferPolice => "移送公安说明（涉嫌拒不支付劳动报酬罪的事实）",
                Action::Urge => "督办意见",
                _ => "办理意见",
            },
        )
    };
    let raw = if key == "reason" { &input.reason } else { &input.note };
    let note = text_field(&mut errs, key, label, raw, MAX_NOTE, required.contains(&key));
    let public_reply = text_field(
        &mut errs,
        "public_reply",
        "答复反映人",
        &input.public_reply,
        MAX_NOTE,
        false,
    );
    let mut step = Step {
        action,
        from: case.status,
        to: tr.to,
        note,
        conclusion: None,
        amount_recovered: None,
        workers_paid: None,
        region: None,
        public_reply,
    };
    match action {
        Action::Close => {
            let c = tidy(&input.conclusion);
            if c.is_empty() {
                errs.push(("conclusion", "请选择办结结论".into()));
            } else if !conclusions.contains(&c) {
                errs.push(("conclusion", format!("办结结论应为：{}", conclusions.join("、"))));
            } else {
                step.conclusion = Some(c);
            }
            if tidy(&input.amount_recovered).is_empty() {
                errs.push(("amount_recovered", "请填写追回金额（未追回的填0）".into()));
            } else {
                match Fen::from_yuan_str(&input.amount_recovered) {
                    Ok(v) if v.0 > 100_000_000_000 => {
                        errs.push(("amount_recovered", "追回金额超过10亿元，请核对".into()))
                    }
                    Ok(v) => step.amount_recovered = Some(v),
                    Err(e) => errs.push(("amount_recovered", format!("追回金额：{e}"))),
                }
            }
            let paid = crate::record::normalise(&input.workers_paid);
            match paid.trim_end_matches(['人', '名']).trim().parse::<i64>() {
                _ if paid.is_empty() => errs.push(("workers_paid", "请填写已支付人数（没有的填0）".into())),
                Ok(n) if n < 0 => errs.push(("workers_paid", "已支付人数应为0或正整数".into())),
                Ok(n) if n > case.workers => errs.push((
                    "workers_paid",
                    format!("已支付人数（{n}）不能多于涉及人数（{}）", case.workers),
                )),
                Ok(n) => step.workers_paid = Some(n),
                Err(_) => errs.push(("workers_paid", "已支付人数应为0或正整数".into())),
            }
            if let (Some(a), Some(n)) = (step.amount_recovered, step.workers_paid)
                && (a.0 > 0) != (n > 0)
            {
                errs.push((
                    "workers_paid",
                    if a.0 > 0 {
                        "追回了金额的，请填写已支付人数".into()
                    } else {
                        "已支付人数大于0的，请填写追回金额".into()
                    },
                ));
            }
        }
        Action::Transfer => match township(places, &input.region, "转办至（乡镇/街道）") {
            Ok(code) if code.county() == Some(case.county) => errs.push((
                "region",
                "转办应转至其他区县；同一区县内更正发生地请修改登记信息".into(),
            )),
            Ok(code) => step.region = Some(code),
            Err(e) => errs.push(("region", e)),
        },
        _ => {}
    }
    if errs.is_empty() {
        Ok(step)
    } else {
        errs.sort_by_key(|(k, _)| {
            [
                "conclusion",
                "amount_recovered",
                "workers_paid",
                "region",
                "reason",
                "note",
                "public_reply",
            ]
            .iter()
            .position(|x| x == k)
        });
        Err(Refusal::Fields(errs))
    }
}

// ---------------------------------------------------------------------------
// The dates a step sets
// ---------------------------------------------------------------------------

/// A time limit that runs, with its due date on the calendar time limits are
/// counted on (a year not loaded yet taken as ordinary: then provisional).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Running {
    pub span: Span,
    pub due: NaiveDate,
    /// The due date falls in a year whose holiday arrangement is not loaded.
    pub provisional: bool,
}

/// What dating a step needs: the calendars and the time limits.
#[derive(Clone, Copy, Debug)]
pub struct Deadlines<'a> {
    /// The stored calendar with the years after it taken as ordinary.
    pub cal: &'a Calendar,
    /// The stored calendar.
    pub real: &'a Calendar,
    pub limits: &'a Limits,
}

impl Deadlines<'_> {
    /// The due date of `span`, provisional when it falls in a year whose
    /// arrangement is not loaded.
    pub fn running(&self, span: Span, what: &str) -> Result<Running, String> {
        let due = span.due(self.cal, what)?;
        Ok(Running {
            span,
            due,
            provisional: !self.real.covers_date(due),
        })
    }
}

/// The dates of a case a step reads.
#[derive(Clone, Copy, Debug)]
pub struct CaseDates {
    pub source: Source,
    pub received_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    /// The running time limit as stored.
    pub span: Option<Span>,
}

/// The columns a step changes besides status and version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub accepted_on: Option<NaiveDate>,
    /// 转办: the new acceptance due date (and `accepted_on` cleared).
    pub accept_due: Option<NaiveDate>,
    pub handle_due: Option<Option<NaiveDate>>,
    /// The time limit that runs after the step (`Some(None)`: none).
    pub running: Option<Option<Running>>,
    pub closed_on: Option<NaiveDate>,
    pub extended: bool,
    pub urged: bool,
    pub region: Option<DivisionCode>,
}

impl Step {
    /// The columns this step changes on a case dated `case`, taken on
    /// `today`; an error (in Chinese) when a due date cannot be computed or
    /// the case has no time limit to extend.
    pub fn changes(&self, case: &CaseDates, deadlines: &Deadlines, today: NaiveDate) -> Result<Changes, String> {
        let mut c = Changes::default();
        let limits = deadlines.limits;
        let source = case.source;
        match self.action {
            Action::Accept => {
                let r = deadlines.running(limits.handle_span(source, case.received_on, today), "办理期限")?;
                c.accepted_on = Some(today);
                c.handle_due = Some(Some(r.due));
                c.running = Some(Some(r));
            }
            Action::Investigate | Action::Urge => c.urged = self.action == Action::Urge,
            Action::Reject | Action::Close | Action::Arbitrate | Action::ReferPolice => {
                c.closed_on = Some(today);
                c.running = Some(None);
            }
            Action::FollowUp => c.running = Some(None),
            Action::Transfer => {
                let r = deadlines.running(limits.accept_span(today), "受理期限")?;
                c.accept_due = Some(r.due);
                c.handle_due = Some(None);
                c.running = Some(Some(r));
                c.region = self.region;
            }
            Action::Extend => {
                let accepted = case.accepted_on.ok_or("该案件尚无办理期限，不能延期")?;
                let span = case
                    .span
                    .unwrap_or_else(|| limits.handle_span(source, case.received_on, accepted));
                let r = deadlines.running(limits.extended_span(span), "延期后的办理期限")?;
                c.handle_due = Some(Some(r.due));
                c.running = Some(Some(r));
                c.extended = true;
            }
        }
        Ok(c)
    }
}

/// A case number: `HS2023-000123`.
pub fn case_number(year: i32, seq: i64) -> String {
    format!("HS{year}-{seq:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    struct Towns;
    impl Places for Towns {
        fn place(&self, s: &str) -> Result<DivisionCode, String> {
            match s.trim() {
                "徽城镇" | "341021100" => Ok(code("341021100")),
                "海阳镇" | "341022100" => Ok(code("341022100")),
                "某村" => Ok(code("341021100201")),
                other => Err(format!("本市没有名为“{other}”的乡镇（街道）或村（社区）")),
            }
        }
    }

    /// The workflow as the issue describes it, written out independently of
    /// `TRANSITIONS`: (from, action, to, roles).
    fn expected() -> Vec<(CaseStatus, Action, CaseStatus, Vec<Role>)> {
        use Action as A;
        use CaseStatus as S;
        let h = vec![Role::Inspector, Role::Local];
        let o = vec![Role::Office];
        vec![
            (S::Registered, A::Accept, S::Accepted, h.clone()),
            (S::Registered, A::Reject, S::Rejected, h.clone()),
            (S::Registered, A::Transfer, S::Registered, h.clone()),
            (S::Accepted, A::Transfer, S::Registered, h.clone()),
            (S::Accepted, A::Investigate, S::Investigating, h.clone()),
            (S::Accepted, A::Arbitrate, S::Arbitration, h.clone()),
            (S::Investigating, A::Arbitrate, S::Arbitration, h.clone()),
            (S::Investigating, A::ReferPolice, S::Police, h.clone()),
            (S::Investigating, A::Close, S::Closed, h.clone()),
            (S::Closed, A::FollowUp, S::FollowedUp, h.clone()),
            (S::Arbitration, A::FollowUp, S::FollowedUp, h.clone()),
            (S::Police, A::FollowUp, S::FollowedUp, h.clone()),
            (S::Investigating, A::Extend, S::Investigating, o.clone()),
            (S::Registered, A::Urge, S::Registered, o.clone()),
            (S::Accepted, A::Urge, S::Accepted, o.clone()),
            (S::Investigating, A::Urge, S::Investigating, o),
        ]
    }

    fn state(status: CaseStatus) -> CaseState {
        CaseState {
            status,
            county: code("341021"),
            workers: 5,
            extended: false,
        }
    }

    /// Input that satisfies every action's required fields.
    fn full_input() -> ActionInput {
        ActionInput {
            reason: "理由".into(),
            note: "说明".into(),
            conclusion: "已全额支付".into(),
            amount_recovered: "1000".into(),
            workers_paid: "3".into(),
            region: "海阳镇".into(),
            public_reply: "已受理".into(),
        }
    }

    fn conclusions() -> Vec<String> {
        DEFAULT_CONCLUSIONS.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_whole_transition_table() {
        let exp = expected();
        let mut allowed_count = 0;
        for from in CaseStatus::ALL {
            for action in Action::ALL {
                let row = exp.iter().find(|(f, a, _, _)| *f == from && *a == action);
                for role in Role::ALL {
                    let should = row.is_some_and(|r| r.3.contains(&role));
                    assert_eq!(allowed(from, action, role), should, "{from:?} {action:?} {role:?}");
                    let roles = RoleSet::new(vec![role]);
                    let got = check(&state(from), action, &roles, &full_input(), &conclusions(), &Towns);
                    match (should, got) {
                        (true, Ok(step)) => {
                            allowed_count += 1;
                            assert_eq!(step.to, row.map(|r| r.2).unwrap(), "{from:?} {action:?}");
                            assert_eq!(step.from, from);
                        }
                        (false, Err(Refusal::State(m))) => {
                            assert!(row.is_none(), "{from:?} {action:?} {role:?}");
                            assert!(m.contains(from.label_zh()) && m.contains(action.label_zh()), "{m}");
                        }
                        (false, Err(Refusal::Role(m))) => {
                            assert!(row.is_some(), "{from:?} {action:?} {role:?}");
                            assert!(m.contains("只能由"), "{m}");
                        }
                        (should, got) => panic!("{from:?} {action:?} {role:?}: expected {should}, got {got:?}"),
                    }
                }
            }
        }
        assert_eq!(allowed_count, 12 * 2 + 4, "every listed transition was taken");
        assert_eq!(TRANSITIONS.len(), exp.len());
        let pairs: HashSet<(CaseStatus, Action)> = TRANSITIONS.iter().map(|t| (t.from, t.action)).collect();
        assert_eq!(pairs.len(), TRANSITIONS.len(), "one row per (status, action)");
        // Final statuses have no way out; the lead, the admin, the auditor
        // and departments never act.
        for s in [CaseStatus::Rejected, CaseStatus::FollowedUp] {
            assert!(TRANSITIONS.iter().all(|t| t.from != s), "{s:?}");
        }
        for r in [Role::Lead, Role::Admin, Role::Auditor, Role::Department] {
            assert!(TRANSITIONS.iter().all(|t| !t.roles.contains(&r)), "{r:?}");
        }
        let both = RoleSet::new(vec![Role::Inspector, Role::Office]);
        assert_eq!(
            actions_for(CaseStatus::Investigating, &both),
            [
                Action::Close,
                Action::Arbitrate,
                Action::ReferPolice,
                Action::Extend,
                Action::Urge
            ]
        );
        assert!(may_read(&RoleSet::new(vec![Role::Lead])));
        assert!(!may_register(&RoleSet::new(vec![Role::Lead])));
        assert!(!may_read(&RoleSet::new(vec![Role::Department])));
    }

    #[test]
    fn codes_round_trip() {
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::from_code(s.code()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::from_code(a.code()), Some(a));
        }
        for s in Source::ALL {
            assert_eq!(Source::from_code(s.code()), Some(s));
            assert_eq!(Source::parse(s.label_zh()), Some(s));
        }
        for s in Sector::ALL {
            assert_eq!(Sector::from_code(s.code()), Some(s));
            assert_eq!(Sector::parse(s.label_zh()), Some(s));
        }
        assert_eq!(Source::parse("12333"), Some(Source::Hotline));
        assert_eq!(case_number(2023, 123), "HS2023-000123");
    }

    #[test]
    fn required_fields_per_action_in_chinese() {
        let roles = RoleSet::new(vec![Role::Inspector]);
        let empty = ActionInput::default();
        let fields = |st: CaseStatus, a: Action, roles: &RoleSet| -> Errors {
            match check(&state(st), a, roles, &empty, &conclusions(), &Towns) {
                Err(Refusal::Fields(e)) => e,
                other => panic!("{a:?}: {other:?}"),
            }
        };
        assert_eq!(
            fields(CaseStatus::Registered, Action::Reject, &roles),
            [("reason", "请填写不予受理理由".to_string())]
        );
        let close = fields(CaseStatus::Investigating, Action::Close, &roles);
        let keys: Vec<&str> = close.iter().map(|e| e.0).collect();
        assert_eq!(keys, ["conclusion", "amount_recovered", "workers_paid"]);
        assert_eq!(close[0].1, "请选择办结结论");
        let transfer = fields(CaseStatus::Accepted, Action::Transfer, &roles);
        assert_eq!(transfer.iter().map(|e| e.0).collect::<Vec<_>>(), ["region", "reason"]);
        assert_eq!(
            fields(CaseStatus::Closed, Action::FollowUp, &roles),
            [("note", "请填写回访情况".to_string())]
        );
        let office = RoleSet::new(vec![Role::Office]);
        assert_eq!(
            fields(CaseStatus::Investigating, Action::Extend, &office),
            [("reason", "请填写延期理由".to_string())]
        );
        // Accepting needs nothing.
        let step = check(
            &state(CaseStatus::Registered),
            Action::Accept,
            &roles,
            &empty,
            &conclusions(),
            &Towns,
        )
        .unwrap();
        assert_eq!(step.to, CaseStatus::Accepted);
        for a in Action::ALL {
            for f in a.required() {
                assert!(
                    [
                        "reason",
                        "note",
                        "conclusion",
                        "amount_recovered",
                        "workers_paid",
                        "region"
                    ]
                    .contains(f),
                    "{a:?} {f}"
                );
            }
        }
    }

    #[test]
    fn close_and_transfer_rules() {
        let roles = RoleSet::new(vec![Role::Local]);
        let mut input = full_input();
        input.conclusion = "差不多".into();
        input.workers_paid = "6人".into();
        let Err(Refusal::Fields(errs)) = check(
            &state(CaseStatus::Investigating),
            Action::Close,
            &roles,
            &input,
            &conclusions(),
            &Towns,
        ) else {
            panic!()
        };
        assert!(errs[0].1.starts_with("办结结论应为：已全额支付、"), "{errs:?}");
        assert_eq!(
            errs[1],
            ("workers_paid", "已支付人数（6）不能多于涉及人数（5）".to_string())
        );
        input.conclusion = "查无实据".into();
        input.amount_recovered = "0".into();
        input.workers_paid = "2".into();
        let Err(Refusal::Fields(errs)) = check(
            &state(CaseStatus::Investigating),
            Action::Close,
            &roles,
            &input,
            &conclusions(),
            &Towns,
        ) else {
            panic!()
        };
        assert_eq!(
            errs,
            [("workers_paid", "已支付人数大于0的，请填写追回金额".to_string())]
        );
        input.amount_recovered = "3,500.50元".into();
        let step = check(
            &state(CaseStatus::Investigating),
            Action::Close,
            &roles,
            &input,
            &conclusions(),
            &Towns,
        )
        .unwrap();
        assert_eq!(step.amount_recovered, Some(Fen(350_050)));
        assert_eq!(step.workers_paid, Some(2));
        assert_eq!(step.conclusion.as_deref(), Some("查无实据"));

        // Transfer: to a township of another county only.
        let mut tr = full_input();
        tr.region = "徽城镇".into();
        let Err(Refusal::Fields(errs)) = check(
            &state(CaseStatus::Registered),
            Action::Transfer,
            &roles,
            &tr,
            &conclusions(),
            &Towns,
        ) else {
            panic!()
        };
        assert!(errs[0].1.starts_with("转办应转至其他区县"), "{errs:?}");
        tr.region = "某村".into();
        let Err(Refusal::Fields(errs)) = check(
            &state(CaseStatus::Registered),
            Action::Transfer,
            &roles,
            &tr,
            &conclusions(),
            &Towns,
        ) else {
            panic!()
        };
        assert_eq!(errs[0].1, "转办至（乡镇/街道）应为本市的乡镇（街道）");
        tr.region = "海阳镇".into();
        let step = check(
            &state(CaseStatus::Accepted),
            Action::Transfer,
            &roles,
            &tr,
            &conclusions(),
            &Towns,
        )
        .unwrap();
        assert_eq!(step.region, Some(code("341022100")));
        assert_eq!(step.to, CaseStatus::Registered);

        // Extension once.
        let office = RoleSet::new(vec![Role::Office]);
        let mut st = state(CaseStatus::Investigating);
        st.extended = true;
        assert_eq!(
            check(&st, Action::Extend, &office, &full_input(), &conclusions(), &Towns),
            Err(Refusal::Rule("该案件已延期一次，不能再次延期。".into()))
        );
    }

    fn good() -> CaseInput {
        CaseInput {
            source: "12333".into(),
            received_on: "2023-09-27".into(),
            reporter_name: "张三".into(),
            reporter_phone: "13800138000".into(),
            employer_name: "黄山某建筑劳务有限公司".into(),
            employer_credit_code: CreditCode::from_parts("91", "341021", "MA2N0001")
                .unwrap()
                .as_str()
                .to_string(),
            sector: "工程建设".into(),
            project_name: "徽城安置房项目".into(),
            contractor_credit_code: CreditCode::from_parts("91", "341000", "MA2N0002")
                .unwrap()
                .as_str()
                .to_string(),
            workers: "12人".into(),
            amount_claimed: "86,400元".into(),
            arrears_from: "2023年5月1日".into(),
            arrears_to: "2023-08-31".into(),
            description: "五月至八月工资未发放".into(),
            region: "徽城镇".into(),
            ..CaseInput::default()
        }
    }

    #[test]
    fn case_validation() {
        let today = d("2023-10-08");
        let c = validate(&good(), &Towns, today).unwrap();
        assert_eq!(c.source, Source::Hotline);
        assert_eq!(c.amount_claimed, Fen(8_640_000));
        assert_eq!(c.workers, 12);
        assert_eq!(c.county, code("341021"));
        assert_eq!(c.arrears_from, d("2023-05-01"));
        assert!(matches!(c.reporter, Reporter::Contact { ref name, .. } if name == "张三"));

        let mut bad = good();
        bad.source = "微博".into();
        bad.clue_no = "X1".into();
        let valid = CreditCode::from_parts("91", "341021", "MA2N0001")
            .unwrap()
            .as_str()
            .to_string();
        let last = if valid.ends_with('1') { '2' } else { '1' };
        bad.employer_credit_code = format!("{}{last}", &valid[..17]);
        bad.project_name = String::new();
        bad.workers = "0".into();
        bad.amount_claimed = "0".into();
        bad.arrears_from = "2023-09-01".into();
        bad.region = "某村".into();
        let errs = validate(&bad, &Towns, today).unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.0).collect();
        assert_eq!(
            keys,
            [
                "source",
                "employer_credit_code",
                "project_name",
                "workers",
                "amount_claimed",
                "arrears_to",
                "region"
            ],
            "{errs:?}"
        );
        assert_eq!(
            errs[1].1, "统一社会信用代码校验不通过，可能有字符输错，请对照营业执照逐位核对整个代码",
            "{errs:?}"
        );
        assert_eq!(
            errs[2].1,
            "工程建设领域的，请填写工程项目名称或施工总承包单位名称（填一项即可）"
        );
        assert_eq!(errs[4].1, "反映欠薪金额应大于0");
        assert_eq!(errs[5].1, "欠薪截止日期不能早于起始日期");
        assert_eq!(errs[6].1, "欠薪发生地（乡镇/街道）应为本市的乡镇（街道）");

        // Not construction: no project needed.
        let mut other = good();
        other.sector = "餐饮".into();
        other.project_name = String::new();
        other.contractor_credit_code = String::new();
        assert_eq!(validate(&other, &Towns, today).unwrap().project_name, None);

        // Platform clues carry their number; others may not.
        let mut p = good();
        p.source = "全国根治欠薪线索反映平台".into();
        let errs = validate(&p, &Towns, today).unwrap_err();
        assert_eq!(errs, [("clue_no", "平台转办的线索，请填写平台线索编号".to_string())]);
        p.clue_no = " xs2023-0001 ".into();
        assert_eq!(
            validate(&p, &Towns, today).unwrap().clue_no.as_deref(),
            Some("XS2023-0001")
        );
        let mut h = good();
        h.clue_no = "XS2023-0001".into();
        assert_eq!(validate(&h, &Towns, today).unwrap_err()[0].0, "clue_no");

        // Anonymous: no reporter fields; a contact needs a name and phone.
        let mut a = good();
        a.anonymous = true;
        assert_eq!(validate(&a, &Towns, today).unwrap_err()[0].0, "anonymous");
        a.reporter_name = String::new();
        a.reporter_phone = String::new();
        assert_eq!(validate(&a, &Towns, today).unwrap().reporter, Reporter::Anonymous);
        let mut n = good();
        n.reporter_phone = String::new();
        n.reporter_id_number = "123".into();
        let errs = validate(&n, &Towns, today).unwrap_err();
        assert_eq!(
            errs.iter().map(|e| e.0).collect::<Vec<_>>(),
            ["reporter_id_number", "reporter_phone"]
        );
        let mut w = good();
        w.worker_id = Some(7);
        w.reporter_name = String::new();
        w.reporter_phone = String::new();
        assert_eq!(
            validate(&w, &Towns, today).unwrap().reporter,
            Reporter::Worker {
                worker_id: 7,
                phone: None
            }
        );
        // Received in the future.
        let mut f = good();
        f.received_on = "2023-10-09".into();
        assert_eq!(
            validate(&f, &Towns, today).unwrap_err()[0],
            ("received_on", "收到日期不能晚于今天".to_string())
        );
    }

    #[test]
    fn deadlines_on_working_days() {
        let cal = Calendar::builtin();
        let l = Limits::default();
        // Received Wednesday 2023-09-27: 9-28, 10-07 (Sat, 调休), 10-08 (Sun,
        // 调休), 10-09, 10-10.
        assert_eq!(l.accept_due(&cal, d("2023-09-27")).unwrap(), d("2023-10-10"));
        let due = l
            .handle_due(&cal, Source::Hotline, d("2023-09-27"), d("2023-10-09"))
            .unwrap();
        assert_eq!(cal.working_days_between(d("2023-10-09"), due).unwrap(), 60);
        let span = l.handle_span(Source::Hotline, d("2023-09-27"), d("2023-10-09"));
        let ext = l.extended_span(span).due(&cal, "办理期限").unwrap();
        assert_eq!(ext, cal.add_working_days(d("2023-10-09"), 90).unwrap());
        // Platform clues count from receipt, with the office's limit.
        let p = l
            .handle_due(&cal, Source::Platform, d("2023-09-27"), d("2023-10-09"))
            .unwrap();
        assert_eq!(p, cal.add_working_days(d("2023-09-27"), 10).unwrap());
        assert_eq!(p, d("2023-10-17"));
        let e = l.accept_due(&cal, d("2027-06-01")).unwrap_err();
        assert!(e.contains("2027年的节假日安排尚未载入"), "{e}");
        // A year not published yet is taken as ordinary: 2026-12-25 (Fri)
        // + 5 working days lands on 2027-01-01 (Fri), a holiday in every
        // real arrangement, which the real calendar would then move.
        let assumed = cal.assuming_ordinary_years(2028);
        assert_eq!(l.accept_due(&assumed, d("2026-12-25")).unwrap(), d("2027-01-01"));
        assert!(!cal.covers_date(d("2027-01-01")));
        assert!(l.accept_due(&assumed, d("2029-01-02")).is_err());
        let near = l.near_until(&cal, d("2023-09-28")).unwrap();
        assert_eq!(near, d("2023-10-09"));
        assert_eq!(
            Timing::of(Some(d("2023-10-09")), d("2023-09-28"), near),
            Timing::NearDue
        );
        assert_eq!(
            Timing::of(Some(d("2023-09-27")), d("2023-09-28"), near),
            Timing::Overdue
        );
        assert_eq!(Timing::of(Some(d("2023-10-10")), d("2023-09-28"), near), Timing::OnTime);
        assert_eq!(Timing::of(None, d("2023-09-28"), near), Timing::None);
        assert_eq!(parse_platform_days("15"), Ok(15));
        assert!(parse_platform_days("0").is_err());
    }

    #[test]
    fn the_dates_each_step_sets() {
        let real = Calendar::builtin();
        let cal = real.assuming_ordinary_years(2028);
        let limits = Limits::default();
        let dl = Deadlines {
            cal: &cal,
            real: &real,
            limits: &limits,
        };
        let today = d("2023-10-09");
        let case = CaseDates {
            source: Source::Hotline,
            received_on: d("2023-09-27"),
            accepted_on: None,
            span: None,
        };
        let step = |action| Step {
            action,
            from: CaseStatus::Registered,
            to: CaseStatus::Registered,
            note: String::new(),
            conclusion: None,
            amount_recovered: None,
            workers_paid: None,
            region: (action == Action::Transfer).then(|| code("341022100")),
            public_reply: String::new(),
        };
        // 受理: accepted today, 60 working days from today.
        let c = step(Action::Accept).changes(&case, &dl, today).unwrap();
        let handle = limits.handle_span(Source::Hotline, case.received_on, today);
        let due = handle.due(&cal, "办理期限").unwrap();
        assert_eq!(c.accepted_on, Some(today));
        assert_eq!(c.handle_due, Some(Some(due)));
        assert_eq!(
            c.running,
            Some(Some(Running {
                span: handle,
                due,
                provisional: false
            }))
        );
        assert_eq!((c.closed_on, c.extended, c.urged, c.region), (None, false, false, None));
        // Final outcomes close the case and stop the clock.
        for a in [Action::Reject, Action::Close, Action::Arbitrate, Action::ReferPolice] {
            let c = step(a).changes(&case, &dl, today).unwrap();
            assert_eq!(
                c,
                Changes {
                    closed_on: Some(today),
                    running: Some(None),
                    ..Changes::default()
                },
                "{a:?}"
            );
        }
        let c = step(Action::FollowUp).changes(&case, &dl, today).unwrap();
        assert_eq!(
            c,
            Changes {
                running: Some(None),
                ..Changes::default()
            }
        );
        assert_eq!(
            step(Action::Investigate).changes(&case, &dl, today).unwrap(),
            Changes::default()
        );
        let c = step(Action::Urge).changes(&case, &dl, today).unwrap();
        assert!(c.urged && c.running.is_none());
        // 转办: accepted anew within 5 working days in the new county.
        let c = step(Action::Transfer).changes(&case, &dl, today).unwrap();
        let accept = limits.accept_due(&cal, today).unwrap();
        assert_eq!(c.accept_due, Some(accept));
        assert_eq!(c.handle_due, Some(None));
        assert_eq!(c.region, Some(code("341022100")));
        assert_eq!(c.running.flatten().map(|r| r.due), Some(accept));
        // 延期: 30 more working days on the running limit; none without one.
        assert_eq!(
            step(Action::Extend).changes(&case, &dl, today),
            Err("该案件尚无办理期限，不能延期".into())
        );
        let accepted = CaseDates {
            accepted_on: Some(today),
            span: Some(handle),
            ..case
        };
        let c = step(Action::Extend).changes(&accepted, &dl, today).unwrap();
        let extended = limits.extended_span(handle);
        assert!(c.extended);
        assert_eq!(c.handle_due, Some(Some(extended.due(&cal, "x").unwrap())));
        // Without a stored span the limit is taken from acceptance.
        let unstored = CaseDates { span: None, ..accepted };
        assert_eq!(step(Action::Extend).changes(&unstored, &dl, today).unwrap(), c);
        // A due date in a year not loaded is provisional.
        let late = step(Action::Transfer).changes(&case, &dl, d("2026-12-25")).unwrap();
        let r = late.running.flatten().unwrap();
        assert_eq!(r.due, d("2027-01-01"));
        assert!(r.provisional);
    }

    #[test]
    fn conclusion_lists() {
        let text = DEFAULT_CONCLUSIONS.join("\n");
        assert_eq!(parse_conclusions(&text).unwrap().len(), 10);
        let nine = DEFAULT_CONCLUSIONS[..9].join("\n");
        assert_eq!(
            parse_conclusions(&nine).unwrap_err(),
            "办结结论分类应为10项（每行一项），现有9项"
        );
        let dup = format!("{}\n已全额支付", DEFAULT_CONCLUSIONS[..9].join("\n"));
        assert_eq!(parse_conclusions(&dup).unwrap_err(), "办结结论分类“已全额支付”重复");
    }
}
