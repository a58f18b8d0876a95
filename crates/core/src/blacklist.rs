//! The arrears blacklist (拖欠农民工工资失信联合惩戒对象名单): listing rules.
//!
//! 人力资源社会保障部令第45号《拖欠农民工工资失信联合惩戒对象名单管理暂行
//! 办法》(in force 2022-01-01):
//!
//! * an employer (with its responsible persons) is listed when its arrears
//!   reach the threshold of 拒不支付劳动报酬罪 (刑事立案标准), or cause a mass
//!   or extreme incident, and it did not pay by the deadline of a correction
//!   order ([`Reason`]);
//! * the listing lasts 3 years from the listing decision ([`removal_due`])
//!   and ends by itself;
//! * it may end early once the wages are paid in full, at least 6 months
//!   have passed since the listing and a credit commitment (信用承诺) is
//!   signed ([`early_removal`]);
//! * a listing decision revoked on review or in court (撤销) ends as well.
//!
//! What state a listing is in is a function of the day ([`state_on`]): no
//! job has to run when a period ends.

use crate::credit_code::CreditCode;
use crate::money::Fen;
use crate::record::{Errors, normalise, parse_date, tidy};
use chrono::{Datelike, Months, NaiveDate};

/// The day the 办法 came into force; listings decided earlier belong to the
/// former rules and are not entered here.
pub fn in_force() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 1).unwrap_or_default()
}

/// Years a listing lasts.
pub const LISTING_YEARS: i32 = 3;
/// Months after listing from which early removal may be granted.
pub const EARLY_REMOVAL_MONTHS: u32 = 6;

crate::coded! {
    /// Why an employer is listed (办法 第五条).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Reason {
        /// 拒不支付劳动报酬（达到刑事立案标准）
        Refusal = "refusal" / "拒不支付劳动报酬（达到刑事立案标准）",
        /// 引发群体性事件或极端事件
        Incident = "incident" / "引发群体性事件或极端事件",
    }
}

impl Reason {
    /// By code or by Chinese label.
    pub fn parse(s: &str) -> Option<Reason> {
        let t = tidy(s);
        Reason::ALL.into_iter().find(|r| r.code() == t || r.label_zh() == t)
    }
}

crate::coded! {
    /// How a listing ended before its period ran out.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum RemovalKind {
        /// 提前移出: paid, 6 months, commitment.
        Early = "early",
        /// 撤销: the listing decision was revoked (复议、诉讼).
        Revoked = "revoked",
    }
}

/// Where a listing stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// The day lies before the listing date.
    Pending,
    /// 列入中
    Listed,
    /// 已期满移出
    Expired,
    /// 提前移出
    RemovedEarly,
    /// 已撤销
    Revoked,
}

impl State {
    /// The states a list can be filtered by.
    pub const FILTERS: [State; 4] = [State::Listed, State::Expired, State::RemovedEarly, State::Revoked];

    pub fn code(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Listed => "listed",
            State::Expired => "expired",
            State::RemovedEarly => "removed",
            State::Revoked => "revoked",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            State::Pending => "尚未列入",
            State::Listed => "列入中",
            State::Expired => "已期满移出",
            State::RemovedEarly => "提前移出",
            State::Revoked => "已撤销",
        }
    }

    pub fn from_code(code: &str) -> Option<State> {
        State::FILTERS.into_iter().find(|s| s.code() == code)
    }

    /// Whether the listing has effect (joint punishment applies).
    pub fn is_listed(self) -> bool {
        self == State::Listed
    }
}

/// The day a listing ends by itself: the same day three years after the
/// listing decision. The listing has effect from `listed_on` up to the day
/// before (the decision day counts as the first day, 办法 第十五条 “自作出
/// 列入决定之日起计算”). A listing of 29 February ends on 1 March: the year
/// three years on has no 29 February, so its period's last day is the end
/// of February (民法典 第二百零三条 on periods counted in years).
pub fn removal_due(listed_on: NaiveDate) -> NaiveDate {
    let year = listed_on.year() + LISTING_YEARS;
    listed_on
        .with_year(year)
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
        .unwrap_or(listed_on)
}

/// The first day on which early removal may be granted: six months after
/// listing (a day of month the target month lacks falls on its last day,
/// e.g. 31 August → 28/29 February).
pub fn early_from(listed_on: NaiveDate) -> NaiveDate {
    listed_on
        .checked_add_months(Months::new(EARLY_REMOVAL_MONTHS))
        .unwrap_or(listed_on)
}

/// How a listing ended, if it did before its period ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Removal {
    pub kind: RemovalKind,
    pub on: NaiveDate,
}

/// The state of a listing on `day`. A removal or revocation counts from its
/// date; a revocation may come after the period ran out (a court's judgment
/// can take that long) and then shows from its date on.
pub fn state_on(listed_on: NaiveDate, due: NaiveDate, removal: Option<Removal>, day: NaiveDate) -> State {
    if let Some(r) = removal
        && r.on <= day
    {
        return match r.kind {
            RemovalKind::Early => State::RemovedEarly,
            RemovalKind::Revoked => State::Revoked,
        };
    }
    if day < listed_on {
        State::Pending
    } else if day < due {
        State::Listed
    } else {
        State::Expired
    }
}

// ---------------------------------------------------------------------------
// A new listing
// ---------------------------------------------------------------------------

/// A listing as typed in a form (raw texts). The county and the related
/// case are resolved by the caller, which needs the database.
#[derive(Clone, Debug, Default)]
pub struct ListingInput {
    pub employer_name: String,
    pub credit_code: String,
    /// Names of the responsible persons (法定代表人、主要负责人、直接责任人员),
    /// separated by 、，, ; or spaces; optional.
    pub responsible_persons: String,
    pub reason: String,
    pub listed_on: String,
    /// 列入决定书文号
    pub document_no: String,
    /// 作出决定的部门
    pub authority: String,
    /// Arrears, in yuan as typed (optional).
    pub amount_owed: String,
    /// Workers owed (optional).
    pub workers: String,
}

/// A validated listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingData {
    pub employer_name: String,
    pub credit_code: CreditCode,
    /// Names joined with “、” ("" when none).
    pub responsible_persons: String,
    pub reason: Reason,
    pub listed_on: NaiveDate,
    pub removal_due: NaiveDate,
    pub document_no: String,
    pub authority: String,
    pub amount_owed: Option<Fen>,
    pub workers: Option<i64>,
}

/// Most responsible persons a listing names.
pub const MAX_PERSONS: usize = 10;

fn text(errs: &mut Errors, key: &'static str, label: &str, raw: &str, max: usize) -> String {
    let v = tidy(raw);
    if v.is_empty() {
        errs.push((key, format!("请填写{label}")));
    } else if v.chars().count() > max {
        errs.push((key, format!("{label}不超过{max}个字")));
    }
    v
}

/// The names of the responsible persons, joined with “、”, or the reason
/// they are refused. Names only: anything with digits (an ID number, a
/// phone) is refused.
pub fn persons(raw: &str) -> Result<String, String> {
    let names: Vec<String> = tidy(raw)
        .split(['、', '，', ',', '；', ';', ' ', '\n', '\r', '\t'])
        .map(tidy)
        .filter(|s| !s.is_empty())
        .collect();
    if names.len() > MAX_PERSONS {
        return Err(format!("责任人最多填写{MAX_PERSONS}人"));
    }
    for n in &names {
        if n.chars().any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c)) {
            return Err("责任人只填写姓名，不填写身份证号码、电话等其他信息".into());
        }
        if !(2..=20).contains(&n.chars().count()) {
            return Err(format!("责任人姓名“{n}”应为2至20个字"));
        }
    }
    Ok(names.join("、"))
}

/// Validates a listing entered on `today`: one Chinese message per field,
/// in form order.
pub fn validate(input: &ListingInput, today: NaiveDate) -> Result<ListingData, Errors> {
    let mut errs: Errors = Vec::new();
    let employer_name = text(&mut errs, "employer_name", "用人单位名称", &input.employer_name, 100);
    let credit_code = if tidy(&input.credit_code).is_empty() {
        errs.push(("credit_code", "请填写统一社会信用代码".into()));
        None
    } else {
        match CreditCode::parse(&input.credit_code) {
            Ok(c) => Some(c),
            Err(e) => {
                errs.push(("credit_code", e.to_string()));
                None
            }
        }
    };
    let responsible_persons = persons(&input.responsible_persons).unwrap_or_else(|m| {
        errs.push(("responsible_persons", m));
        String::new()
    });
    let reason = Reason::parse(&input.reason);
    if reason.is_none() {
        if tidy(&input.reason).is_empty() {
            errs.push(("reason", "请选择列入事由".into()));
        } else {
            let labels: Vec<&str> = Reason::ALL.iter().map(|r| r.label_zh()).collect();
            errs.push(("reason", format!("列入事由应为：{}", labels.join("、"))));
        }
    }
    let listed_on = if tidy(&input.listed_on).is_empty() {
        errs.push(("listed_on", "请填写列入日期（列入决定作出之日）".into()));
        None
    } else {
        match parse_date(&input.listed_on) {
            Some(d) if d > today => {
                errs.push(("listed_on", "列入日期不能晚于今天".into()));
                None
            }
            Some(d) if d < in_force() => {
                errs.push((
                    "listed_on",
                    "列入日期不能早于2022年1月1日（《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》施行之日）".into(),
                ));
                None
            }
            Some(d) => Some(d),
            None => {
                errs.push((
                    "listed_on",
                    format!(
                        "列入日期“{}”不是有效日期，请按 2023-03-05 的格式填写",
                        tidy(&input.listed_on)
                    ),
                ));
                None
            }
        }
    };
    let document_no: String = text(&mut errs, "document_no", "列入决定书文号", &input.document_no, 50)
        .split_whitespace()
        .collect();
    let authority = text(&mut errs, "authority", "作出决定的部门", &input.authority, 50);
    let amount_owed = if tidy(&input.amount_owed).is_empty() {
        None
    } else {
        match Fen::from_yuan_str(&input.amount_owed) {
            Ok(v) if v.0 <= 0 => {
                errs.push(("amount_owed", "拖欠工资金额应大于0".into()));
                None
            }
            Ok(v) if v.0 > 100_000_000_000 => {
                errs.push(("amount_owed", "拖欠工资金额超过10亿元，请核对".into()));
                None
            }
            Ok(v) => Some(v),
            Err(e) => {
                errs.push(("amount_owed", format!("拖欠工资金额：{e}")));
                None
            }
        }
    };
    let workers_raw = normalise(&input.workers);
    let workers = if workers_raw.is_empty() {
        None
    } else {
        match workers_raw.trim_end_matches(['人', '名']).trim().parse::<i64>() {
            Ok(n) if (1..=100_000).contains(&n) => Some(n),
            Ok(_) => {
                errs.push(("workers", "涉及农民工人数应为1至100000人".into()));
                None
            }
            Err(_) => {
                errs.push(("workers", "涉及农民工人数应为正整数".into()));
                None
            }
        }
    };
    match (credit_code, reason, listed_on) {
        (Some(credit_code), Some(reason), Some(listed_on)) if errs.is_empty() => Ok(ListingData {
            employer_name,
            credit_code,
            responsible_persons,
            reason,
            listed_on,
            removal_due: removal_due(listed_on),
            document_no,
            authority,
            amount_owed,
            workers,
        }),
        _ => Err(errs),
    }
}

// ---------------------------------------------------------------------------
// Ending a listing
// ---------------------------------------------------------------------------

/// What an early-removal or revocation form gives (raw texts).
#[derive(Clone, Debug, Default)]
pub struct RemovalInput {
    /// The day of removal (移出日期) or of the revoking decision.
    pub on: String,
    /// 提前移出: the wages owed are paid in full.
    pub paid_in_full: bool,
    /// 提前移出: the employer signed a credit commitment (信用承诺书).
    pub commitment: bool,
    /// 提前移出: optional note; 撤销: required (which decision or judgment).
    pub note: String,
}

/// What the rules see of a listing being ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListingDates {
    pub listed_on: NaiveDate,
    pub removal_due: NaiveDate,
    pub removal: Option<Removal>,
}

impl ListingDates {
    pub fn state_on(&self, day: NaiveDate) -> State {
        state_on(self.listed_on, self.removal_due, self.removal, day)
    }
}

/// A checked removal or revocation, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ending {
    pub kind: RemovalKind,
    pub on: NaiveDate,
    pub note: String,
}

/// Why ending a listing is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The listing is not in a state that can be ended so.
    State(String),
    /// Missing or invalid fields, or conditions not met (per field).
    Fields(Errors),
}

/// Longest removal note.
pub const MAX_NOTE: usize = 500;

fn date_of(errs: &mut Errors, raw: &str, label: &str, d: &ListingDates, today: NaiveDate) -> Option<NaiveDate> {
    if tidy(raw).is_empty() {
        errs.push(("on", format!("请填写{label}")));
        return None;
    }
    match parse_date(raw) {
        Some(day) if day > today => {
            errs.push(("on", format!("{label}不能晚于今天")));
            None
        }
        Some(day) if day < d.listed_on => {
            errs.push((
                "on",
                format!("{label}不能早于列入日期（{}）", d.listed_on.format("%Y年%m月%d日")),
            ));
            None
        }
        Some(day) => Some(day),
        None => {
            errs.push((
                "on",
                format!("{label}“{}”不是有效日期，请按 2023-03-05 的格式填写", tidy(raw)),
            ));
            None
        }
    }
}

fn already_ended(d: &ListingDates) -> Option<String> {
    let r = d.removal?;
    let on = r.on.format("%Y年%m月%d日");
    Some(match r.kind {
        RemovalKind::Revoked => format!("该列入决定已于{on}撤销。"),
        RemovalKind::Early => format!("该名单已于{on}提前移出。"),
    })
}

/// Whether early removal may be granted on `on` (the three conditions of
/// 办法 第十六条 as this platform applies them): the wages paid in full, at
/// least six months since listing, a credit commitment signed. Each unmet
/// condition gives its own Chinese reason, keyed by the form field.
pub fn early_removal_allowed(
    listed_on: NaiveDate,
    paid_in_full: bool,
    commitment: bool,
    on: NaiveDate,
) -> Result<(), Errors> {
    let mut errs: Errors = Vec::new();
    if !paid_in_full {
        errs.push(("paid_in_full", "提前移出须已全额支付拖欠的农民工工资".into()));
    }
    let from = early_from(listed_on);
    if on < from {
        errs.push((
            "on",
            format!("列入未满6个月，{}起方可提前移出", from.format("%Y年%m月%d日")),
        ));
    }
    if !commitment {
        errs.push((
            "commitment",
            "提前移出须由用人单位作出信用承诺（签署信用承诺书）".into(),
        ));
    }
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

/// Checks an early removal (提前移出) of a listing on `today`.
pub fn early_removal(d: &ListingDates, input: &RemovalInput, today: NaiveDate) -> Result<Ending, Refusal> {
    if let Some(m) = already_ended(d) {
        return Err(Refusal::State(m));
    }
    if d.state_on(today) == State::Expired {
        return Err(Refusal::State(format!(
            "该名单已于{}期满移出，无需提前移出。",
            d.removal_due.format("%Y年%m月%d日")
        )));
    }
    let mut errs: Errors = Vec::new();
    let on = date_of(&mut errs, &input.on, "移出日期", d, today);
    let note = tidy(&input.note);
    if note.chars().count() > MAX_NOTE {
        errs.push(("note", format!("移出说明不超过{MAX_NOTE}个字")));
    }
    match on {
        Some(on) => {
            if on >= d.removal_due {
                errs.push((
                    "on",
                    format!(
                        "移出日期应早于期满日期（{}），期满后自动移出",
                        d.removal_due.format("%Y年%m月%d日")
                    ),
                ));
            } else if let Err(e) = early_removal_allowed(d.listed_on, input.paid_in_full, input.commitment, on) {
                errs.extend(e);
            }
        }
        None => {
            // The other two conditions are told at once as well.
            if !input.paid_in_full {
                errs.push(("paid_in_full", "提前移出须已全额支付拖欠的农民工工资".into()));
            }
            if !input.commitment {
                errs.push((
                    "commitment",
                    "提前移出须由用人单位作出信用承诺（签署信用承诺书）".into(),
                ));
            }
        }
    }
    match on {
        Some(on) if errs.is_empty() => Ok(Ending {
            kind: RemovalKind::Early,
            on,
            note,
        }),
        _ => Err(Refusal::Fields(sorted(errs))),
    }
}

/// Checks a revocation (撤销) of a listing decision on `today`: the date of
/// the revoking decision or judgment and what it was. A listing whose
/// period ran out may still be revoked.
pub fn revocation(d: &ListingDates, input: &RemovalInput, today: NaiveDate) -> Result<Ending, Refusal> {
    if let Some(m) = already_ended(d) {
        return Err(Refusal::State(m));
    }
    let mut errs: Errors = Vec::new();
    let on = date_of(&mut errs, &input.on, "撤销日期", d, today);
    let note = tidy(&input.note);
    if note.is_empty() {
        errs.push(("note", "请填写撤销依据（行政复议决定书或判决书及其文号）".into()));
    } else if note.chars().count() > MAX_NOTE {
        errs.push(("note", format!("撤销依据不超过{MAX_NOTE}个字")));
    }
    match on {
        Some(on) if errs.is_empty() => Ok(Ending {
            kind: RemovalKind::Revoked,
            on,
            note,
        }),
        _ => Err(Refusal::Fields(sorted(errs))),
    }
}

fn sorted(mut errs: Errors) -> Errors {
    errs.sort_by_key(|(k, _)| ["on", "paid_in_full", "commitment", "note"].iter().position(|x| x == k));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn code() -> String {
        CreditCode::from_parts("91", "341021", "MA2N0001")
            .unwrap()
            .as_str()
            .to_string()
    }

    fn good() -> ListingInput {
        ListingInput {
            employer_name: "黄山某建筑劳务有限公司".into(),
            credit_code: code().to_lowercase(),
            responsible_persons: "张某某、李某，王某".into(),
            reason: "拒不支付劳动报酬（达到刑事立案标准）".into(),
            listed_on: "2023年10月8日".into(),
            document_no: "歙人社失信决〔2023〕 1号".into(),
            authority: "歙县人力资源和社会保障局".into(),
            amount_owed: "86,400元".into(),
            workers: "12人".into(),
        }
    }

    #[test]
    fn removal_due_three_years_on_and_29_february() {
        assert_eq!(removal_due(d("2023-10-08")), d("2026-10-08"));
        assert_eq!(removal_due(d("2024-02-29")), d("2027-03-01"));
        assert_eq!(removal_due(d("2024-02-28")), d("2027-02-28"));
        assert_eq!(removal_due(d("2025-03-01")), d("2028-03-01"));
        assert_eq!(removal_due(d("2023-12-31")), d("2026-12-31"));
        // Six months, month-end clamped.
        assert_eq!(early_from(d("2023-10-08")), d("2024-04-08"));
        assert_eq!(early_from(d("2023-08-31")), d("2024-02-29"));
        assert_eq!(early_from(d("2022-08-31")), d("2023-02-28"));
    }

    #[test]
    fn state_by_day() {
        let listed = d("2023-10-08");
        let due = removal_due(listed);
        assert_eq!(state_on(listed, due, None, d("2023-10-07")), State::Pending);
        assert_eq!(state_on(listed, due, None, listed), State::Listed);
        assert_eq!(state_on(listed, due, None, d("2026-10-07")), State::Listed);
        assert_eq!(state_on(listed, due, None, due), State::Expired);
        assert_eq!(state_on(listed, due, None, d("2030-01-01")), State::Expired);
        let early = Some(Removal {
            kind: RemovalKind::Early,
            on: d("2024-05-01"),
        });
        assert_eq!(state_on(listed, due, early, d("2024-04-30")), State::Listed);
        assert_eq!(state_on(listed, due, early, d("2024-05-01")), State::RemovedEarly);
        assert_eq!(state_on(listed, due, early, d("2027-01-01")), State::RemovedEarly);
        let revoked = Some(Removal {
            kind: RemovalKind::Revoked,
            on: d("2027-01-01"),
        });
        assert_eq!(state_on(listed, due, revoked, d("2026-12-01")), State::Expired);
        assert_eq!(state_on(listed, due, revoked, d("2027-01-01")), State::Revoked);
        for s in State::FILTERS {
            assert_eq!(State::from_code(s.code()), Some(s));
        }
        assert_eq!(State::Expired.label_zh(), "已期满移出");
        assert!(State::Listed.is_listed() && !State::Expired.is_listed());
    }

    #[test]
    fn listing_validation() {
        let today = d("2023-10-09");
        let v = validate(&good(), today).unwrap();
        assert_eq!(v.credit_code.as_str(), code());
        assert_eq!(v.responsible_persons, "张某某、李某、王某");
        assert_eq!(v.reason, Reason::Refusal);
        assert_eq!(v.listed_on, d("2023-10-08"));
        assert_eq!(v.removal_due, d("2026-10-08"));
        assert_eq!(v.document_no, "歙人社失信决〔2023〕1号");
        assert_eq!(v.amount_owed, Some(Fen(8_640_000)));
        assert_eq!(v.workers, Some(12));
        // Optional fields may be left out.
        let mut min = good();
        min.responsible_persons = String::new();
        min.amount_owed = String::new();
        min.workers = String::new();
        min.reason = "incident".into();
        let v = validate(&min, today).unwrap();
        assert_eq!(
            (v.responsible_persons.as_str(), v.amount_owed, v.workers),
            ("", None, None)
        );
        assert_eq!(v.reason, Reason::Incident);

        // Everything wrong: one message per field, in form order.
        let valid = code();
        let last = if valid.ends_with('1') { '2' } else { '1' };
        let bad = ListingInput {
            employer_name: String::new(),
            credit_code: format!("{}{last}", &valid[..17]),
            responsible_persons: "张三 341021199001011234".into(),
            reason: "欠钱".into(),
            listed_on: "2023-10-10".into(),
            document_no: String::new(),
            authority: String::new(),
            amount_owed: "0".into(),
            workers: "十二".into(),
        };
        let errs = validate(&bad, today).unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.0).collect();
        assert_eq!(
            keys,
            [
                "employer_name",
                "credit_code",
                "responsible_persons",
                "reason",
                "listed_on",
                "document_no",
                "authority",
                "amount_owed",
                "workers"
            ]
        );
        assert_eq!(errs[0].1, "请填写用人单位名称");
        assert_eq!(
            errs[1].1, "统一社会信用代码校验不通过，可能有字符输错，请对照营业执照逐位核对整个代码",
            "the problem named once: {errs:?}"
        );
        assert_eq!(errs[2].1, "责任人只填写姓名，不填写身份证号码、电话等其他信息");
        assert!(errs[3].1.starts_with("列入事由应为："));
        assert_eq!(errs[4].1, "列入日期不能晚于今天");
        assert_eq!(errs[7].1, "拖欠工资金额应大于0");
        let mut old = good();
        old.listed_on = "2021-12-31".into();
        let errs = validate(&old, today).unwrap_err();
        assert!(errs[0].1.starts_with("列入日期不能早于2022年1月1日"), "{errs:?}");
        let empty = ListingInput {
            employer_name: "某公司".into(),
            ..ListingInput::default()
        };
        let errs = validate(&empty, today).unwrap_err();
        assert_eq!(errs[0], ("credit_code", "请填写统一社会信用代码".to_string()));
        assert_eq!(errs[1], ("reason", "请选择列入事由".to_string()));
        assert_eq!(errs[2].1, "请填写列入日期（列入决定作出之日）");
        assert_eq!(persons("欧阳某某 ; 某").unwrap_err(), "责任人姓名“某”应为2至20个字");
        let many = (0..11)
            .map(|i| {
                format!(
                    "某人{}",
                    ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸", "子"][i]
                )
            })
            .collect::<Vec<_>>()
            .join("、");
        assert_eq!(persons(&many).unwrap_err(), "责任人最多填写10人");
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(r.code()), Some(r));
            assert_eq!(Reason::parse(r.label_zh()), Some(r));
        }
    }

    fn dates() -> ListingDates {
        ListingDates {
            listed_on: d("2023-10-08"),
            removal_due: d("2026-10-08"),
            removal: None,
        }
    }

    fn full(on: &str) -> RemovalInput {
        RemovalInput {
            on: on.into(),
            paid_in_full: true,
            commitment: true,
            note: "已全额支付并签署信用承诺书".into(),
        }
    }

    fn fields(r: Result<Ending, Refusal>) -> Errors {
        match r {
            Err(Refusal::Fields(e)) => e,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn early_removal_conditions() {
        let ds = dates();
        // Before six months: refused with the first possible day.
        let e = fields(early_removal(&ds, &full("2024-04-07"), d("2024-04-07")));
        assert_eq!(e, [("on", "列入未满6个月，2024年04月08日起方可提前移出".to_string())]);
        // Six months to the day: granted.
        let ok = early_removal(&ds, &full("2024-04-08"), d("2024-04-08")).unwrap();
        assert_eq!(ok.kind, RemovalKind::Early);
        assert_eq!(ok.on, d("2024-04-08"));
        // Without payment or commitment: each condition named.
        let mut none = full("2024-06-01");
        none.paid_in_full = false;
        none.commitment = false;
        let e = fields(early_removal(&ds, &none, d("2024-06-01")));
        assert_eq!(
            e.iter().map(|x| x.0).collect::<Vec<_>>(),
            ["paid_in_full", "commitment"]
        );
        assert_eq!(e[0].1, "提前移出须已全额支付拖欠的农民工工资");
        assert!(e[1].1.contains("信用承诺"));
        let mut unpaid = full("2024-06-01");
        unpaid.paid_in_full = false;
        assert_eq!(
            fields(early_removal(&ds, &unpaid, d("2024-06-01")))[0].0,
            "paid_in_full"
        );
        assert_eq!(
            early_removal_allowed(ds.listed_on, true, false, d("2024-06-01")).unwrap_err()[0].0,
            "commitment"
        );
        assert!(early_removal_allowed(ds.listed_on, true, true, d("2024-04-08")).is_ok());
        // Dates: required, not in the future, not before listing.
        let e = fields(early_removal(&ds, &full(""), d("2024-06-01")));
        assert_eq!(e, [("on", "请填写移出日期".to_string())]);
        let e = fields(early_removal(&ds, &full("2024-06-02"), d("2024-06-01")));
        assert_eq!(e[0].1, "移出日期不能晚于今天");
        let e = fields(early_removal(&ds, &full("2023-10-01"), d("2024-06-01")));
        assert_eq!(e[0].1, "移出日期不能早于列入日期（2023年10月08日）");
        // Expired or already removed: no early removal.
        assert_eq!(
            early_removal(&ds, &full("2026-10-08"), d("2026-10-08")),
            Err(Refusal::State(
                "该名单已于2026年10月08日期满移出，无需提前移出。".into()
            ))
        );
        let removed = ListingDates {
            removal: Some(Removal {
                kind: RemovalKind::Early,
                on: d("2024-05-01"),
            }),
            ..ds
        };
        assert!(matches!(
            early_removal(&removed, &full("2024-06-01"), d("2024-06-01")),
            Err(Refusal::State(m)) if m.contains("已于2024年05月01日提前移出")
        ));
        // A date after today is refused even before the period ends.
        let e = fields(early_removal(&ds, &full("2026-10-08"), d("2026-10-07")));
        assert!(e[0].1.contains("不能晚于今天"), "{e:?}");
    }

    #[test]
    fn revocation_rules() {
        let ds = dates();
        let mut r = RemovalInput {
            on: "2024-01-15".into(),
            ..RemovalInput::default()
        };
        let e = fields(revocation(&ds, &r, d("2024-01-20")));
        assert_eq!(
            e,
            [("note", "请填写撤销依据（行政复议决定书或判决书及其文号）".to_string())]
        );
        r.note = "黄山市人民政府行政复议决定书（黄政复决〔2024〕3号）".into();
        let ok = revocation(&ds, &r, d("2024-01-20")).unwrap();
        assert_eq!((ok.kind, ok.on), (RemovalKind::Revoked, d("2024-01-15")));
        // After expiry a revocation is still possible.
        r.on = "2027-01-01".into();
        assert!(revocation(&ds, &r, d("2027-01-02")).is_ok());
        let revoked = ListingDates {
            removal: Some(Removal {
                kind: RemovalKind::Revoked,
                on: d("2024-01-15"),
            }),
            ..ds
        };
        assert_eq!(
            revocation(&revoked, &r, d("2027-01-02")),
            Err(Refusal::State("该列入决定已于2024年01月15日撤销。".into()))
        );
    }
}
