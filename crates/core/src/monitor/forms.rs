//! The forms and import columns of the monitoring, described once as data
//! (`FieldSpec`s): a project, its special account, a labour-cost transfer, a
//! wage deposit, its notice board, a roster line, a month's attendance and
//! a payroll line. The ID number of roster, attendance and payroll lines is
//! read by the application (it finds or registers the worker).

use super::{Authority, DepositForm, ProjectKind, ProjectStatus};
use crate::field::{Errors, Field, FieldSpec, FieldType, Value, Values, f};
use chrono::NaiveDate;

/// One of the monitoring's forms.
#[derive(Debug)]
pub struct FormSpec {
    pub code: &'static str,
    pub label: &'static str,
    pub fields: &'static [Field],
    pub key: &'static [&'static str],
}

impl FieldSpec for FormSpec {
    fn code(&self) -> &'static str {
        self.code
    }

    fn label(&self) -> &'static str {
        self.label
    }

    fn fields(&self) -> &'static [Field] {
        self.fields
    }

    fn key(&self) -> &'static [&'static str] {
        self.key
    }

    fn cross_check(&self, values: &Values, errs: &mut Errors) {
        let order = |errs: &mut Errors, start: &str, end: &'static str, msg: &str| {
            if let (Some(s), Some(e)) = (date(values, start), date(values, end))
                && e < s
            {
                errs.push((end, msg.to_string()));
            }
        };
        match self.code {
            "project" => {
                order(errs, "contract_date", "planned_end", "计划竣工日期不能早于合同签订日期");
                order(errs, "start_date", "planned_end", "计划竣工日期不能早于开工日期");
                if let Some(Value::Count(p)) = values.get("labour_pct")
                    && *p > 100
                {
                    errs.push(("labour_pct", "人工费用占比不能超过100%".into()));
                }
            }
            "deposit" => order(errs, "from", "to", "保证金到期日不能早于存储日期"),
            "roster" => order(errs, "entered", "left", "退场日期不能早于进场日期"),
            "attendance" => {
                if let Some(Value::Count(d)) = values.get("days")
                    && *d > 31
                {
                    errs.push(("days", "出勤天数不能超过31天".into()));
                }
            }
            _ => {}
        }
    }
}

fn date(values: &Values, key: &str) -> Option<NaiveDate> {
    match values.get(key) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    }
}

const KINDS: &[&str] = &["房屋建筑", "市政", "交通运输", "水利", "其他"];
const STATUSES: &[&str] = &["未开工", "在建", "停工", "完工", "工资结清"];
const AUTHORITIES: &[&str] = &["住房城乡建设", "交通运输", "水利", "人力资源社会保障"];
const DEPOSIT_FORMS: &[&str] = &["现金", "银行保函", "保险"];

/// 工程建设项目.
pub static PROJECT: FormSpec = FormSpec {
    code: "project",
    label: "工程建设项目",
    key: &["code"],
    fields: &[
        f(
            "code",
            "项目编号",
            FieldType::Text(40),
            true,
            "行业主管部门的项目编号（施工许可证号或立项编号）",
        ),
        f("name", "项目名称", FieldType::Text(100), true, ""),
        f("kind", "项目类型", FieldType::Choice(KINDS), true, ""),
        f("place", "项目所在地", FieldType::Place, true, "所在乡镇（街道）"),
        f("builder", "建设单位", FieldType::Text(100), true, ""),
        f(
            "builder_code",
            "建设单位统一社会信用代码",
            FieldType::CreditCode,
            true,
            "",
        ),
        f("contractor", "施工总承包单位", FieldType::Text(100), true, ""),
        f(
            "contractor_code",
            "施工总承包单位统一社会信用代码",
            FieldType::CreditCode,
            true,
            "",
        ),
        f(
            "subcontractors",
            "分包单位",
            FieldType::Text(1000),
            false,
            "每行一个：单位名称（统一社会信用代码）",
        ),
        f("contract_sum", "合同金额（元）", FieldType::Money, true, ""),
        f(
            "labour_pct",
            "人工费用占比（%）",
            FieldType::Count,
            false,
            "合同约定的人工费用占工程款的比例",
        ),
        f(
            "labour_amount",
            "人工费用月拨付额（元）",
            FieldType::Money,
            false,
            "合同约定按月拨付的人工费用数额",
        ),
        f(
            "contract_date",
            "施工合同签订日期",
            FieldType::Date,
            true,
            "专用账户应在签订后30日内开设",
        ),
        f("start_date", "开工日期", FieldType::Date, false, ""),
        f("planned_end", "计划竣工日期", FieldType::LaterDate, false, ""),
        f(
            "authority",
            "行业主管部门",
            FieldType::Choice(AUTHORITIES),
            false,
            "不填则按项目类型：房屋建筑和市政为住房城乡建设，交通运输、水利为本部门，其他为人力资源社会保障",
        ),
        f("status", "项目状态", FieldType::Choice(STATUSES), true, ""),
        f(
            "clean_years",
            "总包单位连续无拖欠年数",
            FieldType::Count,
            false,
            "用于计算工资保证金应存金额",
        ),
        f("recent_arrears", "总包单位近一年有拖欠", FieldType::Flag, false, ""),
    ],
};

/// 农民工工资专用账户.
pub static ACCOUNT: FormSpec = FormSpec {
    code: "account",
    label: "农民工工资专用账户",
    key: &[],
    fields: &[
        f("bank", "开户银行", FieldType::Text(60), true, "项目所在地的银行网点"),
        f("opened", "开户日期", FieldType::Date, true, ""),
        f(
            "agreement",
            "已签订三方协议",
            FieldType::Flag,
            true,
            "总包单位、建设单位与银行的资金监管协议",
        ),
    ],
};

/// 人工费用拨付.
pub static TRANSFER: FormSpec = FormSpec {
    code: "transfer",
    label: "人工费用拨付",
    key: &[],
    fields: &[
        f("paid_on", "拨付日期", FieldType::Date, true, ""),
        f("amount", "拨付金额（元）", FieldType::Money, true, ""),
    ],
};

/// 工资保证金.
pub static DEPOSIT: FormSpec = FormSpec {
    code: "deposit",
    label: "工资保证金",
    key: &[],
    fields: &[
        f("form", "存储形式", FieldType::Choice(DEPOSIT_FORMS), true, ""),
        f("amount", "金额（元）", FieldType::Money, true, ""),
        f("from", "存储日期", FieldType::Date, true, ""),
        f(
            "to",
            "到期日期",
            FieldType::LaterDate,
            false,
            "银行保函、保险的有效期；现金不填",
        ),
    ],
};

/// 维权信息告示牌.
pub static BOARD: FormSpec = FormSpec {
    code: "board",
    label: "维权信息告示牌",
    key: &[],
    fields: &[f("set_on", "设置日期", FieldType::Date, true, "")],
};

/// 实名制人员 (the worker is found or registered by ID number).
pub static ROSTER: FormSpec = FormSpec {
    code: "roster",
    label: "实名制人员",
    key: &[],
    fields: &[
        f("subcontractor", "所属分包单位", FieldType::Text(100), false, ""),
        f("team", "班组", FieldType::Text(40), false, ""),
        f("contract", "已签订劳动合同", FieldType::Flag, true, ""),
        f("entered", "进场日期", FieldType::Date, true, ""),
        f("left", "退场日期", FieldType::Date, false, ""),
    ],
};

/// 月度考勤.
pub static ATTENDANCE: FormSpec = FormSpec {
    code: "attendance",
    label: "月度考勤",
    key: &[],
    fields: &[
        f("month", "考勤月份", FieldType::Text(10), true, "如 2026-03"),
        f("days", "出勤天数", FieldType::Count, true, ""),
    ],
};

/// 工资发放 (a line of the bank's 代发 file).
pub static PAYROLL: FormSpec = FormSpec {
    code: "payroll",
    label: "工资发放",
    key: &[],
    fields: &[
        f("month", "工资月份", FieldType::Text(10), true, "如 2026-03"),
        f("amount", "实发金额（元）", FieldType::Money, true, ""),
        f("paid_on", "发放日期", FieldType::Date, true, ""),
        f("account", "收款账号", FieldType::Text(40), false, "只保存脱敏后的账号"),
    ],
};

/// A validated project form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectInput {
    pub code: String,
    pub name: String,
    pub kind: ProjectKind,
    pub authority: Authority,
    pub status: ProjectStatus,
}

fn text<'a>(values: &'a Values, key: &str) -> &'a str {
    match values.get(key) {
        Some(Value::Text(s)) => s,
        _ => "",
    }
}

/// The coded values of a validated project (kind, authority, status).
pub fn project_codes(values: &Values) -> Option<ProjectInput> {
    let kind = ProjectKind::ALL
        .into_iter()
        .find(|k| k.label_zh() == text(values, "kind"))?;
    let status = ProjectStatus::ALL
        .into_iter()
        .find(|s| s.label_zh() == text(values, "status"))?;
    let authority = match text(values, "authority") {
        "" => Authority::for_kind(kind),
        a => Authority::ALL.into_iter().find(|x| x.label_zh() == a)?,
    };
    Some(ProjectInput {
        code: text(values, "code").to_string(),
        name: text(values, "name").to_string(),
        kind,
        authority,
        status,
    })
}

/// The deposit form of a validated deposit.
pub fn deposit_form(values: &Values) -> Option<DepositForm> {
    DepositForm::ALL
        .into_iter()
        .find(|x| x.label_zh() == text(values, "form"))
}

/// A bank account number as kept: its first 4 and last 4 digits.
pub fn mask_account(account: &str) -> String {
    let digits: Vec<char> = account
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '*')
        .collect();
    if digits.len() <= 8 {
        return "*".repeat(digits.len());
    }
    let head: String = digits[..4].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(digits.len() - 8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::division::DivisionCode;
    use crate::field::{Places, validate};

    struct One;
    impl Places for One {
        fn place(&self, s: &str) -> Result<DivisionCode, String> {
            if s == "屯溪区昱中街道" {
                Ok(DivisionCode::parse("341002001").unwrap())
            } else {
                Err("不是本市的乡镇".into())
            }
        }
    }

    fn code(org: &str) -> String {
        crate::credit_code::CreditCode::from_parts("91", "341000", org)
            .unwrap()
            .as_str()
            .to_string()
    }

    #[test]
    fn a_project_form_reads_and_checks() {
        let (builder, contractor) = (code("MA2N0ABC"), code("14897531"));
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let form = |k: &str| -> String {
            match k {
                "builder_code" => return builder.clone(),
                "contractor_code" => return contractor.clone(),
                "code" => "HS-2026-001",
                "name" => "昱中花园二期",
                "kind" => "市政",
                "place" => "屯溪区昱中街道",
                "builder" => "黄山市城投公司",
                "contractor" => "安徽建工",
                "contract_sum" => "12,000,000",
                "contract_date" => "2026-01-10",
                "planned_end" => "2028-12-31",
                "status" => "在建",
                _ => "",
            }
            .to_string()
        };
        let v = match validate(&PROJECT, &form, &One, today) {
            Ok(v) => v,
            Err(e) => panic!("{e:?}"),
        };
        let p = project_codes(&v).unwrap();
        assert_eq!(p.authority, Authority::Housing);
        assert_eq!(p.status, ProjectStatus::Building);
        assert_eq!(
            v.get("contract_sum"),
            Some(&Value::Money(crate::money::Fen(1_200_000_000)))
        );
        // The planned end may lie ahead; the contract date may not.
        let later = |k: &str| {
            if k == "contract_date" {
                "2026-06-01".into()
            } else {
                form(k)
            }
        };
        let errs = validate(&PROJECT, &later, &One, today).unwrap_err();
        assert!(errs.iter().any(|(k, _)| *k == "contract_date"), "{errs:?}");
        let reversed = |k: &str| {
            if k == "planned_end" {
                "2025-01-01".into()
            } else {
                form(k)
            }
        };
        let errs = validate(&PROJECT, &reversed, &One, today).unwrap_err();
        assert_eq!(
            errs,
            vec![("planned_end", "计划竣工日期不能早于合同签订日期".to_string())]
        );
    }

    #[test]
    fn accounts_are_kept_masked() {
        assert_eq!(mask_account("6222 0212 3456 7890 123"), "6222***********0123");
        assert_eq!(mask_account("6222021234567890123").len(), 19);
        assert!(mask_account("6222021234567890123").starts_with("6222"));
        assert!(mask_account("6222021234567890123").ends_with("0123"));
        assert_eq!(mask_account("12345"), "*****");
    }
}
