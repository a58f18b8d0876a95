//! The forms of the public employment services, described once as data
//! (`FieldSpec`s): a vacancy (岗位), a job seeker's wishes (求职登记) and a
//! referral's result. Occupations and wanted places are typed as text and
//! resolved by the application, which holds the loaded occupation list and
//! the city's regions.

use crate::field::{Errors, Field, FieldSpec, FieldType, Value, Values, f};

/// One of the job services' forms.
#[derive(Debug)]
pub struct JobForm {
    pub code: &'static str,
    pub label: &'static str,
    pub fields: &'static [Field],
}

impl FieldSpec for JobForm {
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
        &[]
    }

    fn cross_check(&self, values: &Values, errs: &mut Errors) {
        if self.code == "event" {
            let n = |k: &str| match values.get(k) {
                Some(Value::Count(n)) => Some(*n),
                _ => None,
            };
            if let (Some(v), Some(i)) = (n("visitors"), n("intents"))
                && i > v
            {
                errs.push(("intents", "达成就业意向人数不能超过参与人次".into()));
            }
            if let (Some(i), Some(h)) = (n("intents"), n("hires"))
                && h > i
            {
                errs.push(("hires", "现场录用人数不能超过达成就业意向人数".into()));
            }
        }
        if self.code == "vacancy" {
            if let Some(Value::Money(lo)) = values.get("wage_min")
                && lo.0 <= 0
            {
                errs.push(("wage_min", "月工资下限应大于0".into()));
            }
            for key in ["contact", "requirements"] {
                if let Some(Value::Text(t)) = values.get(key)
                    && private_number(t)
                {
                    errs.push((
                        key,
                        "公开的岗位上不能有手机号码或身份证号码，请填人社部门服务窗口的电话".into(),
                    ));
                }
            }
            if let (Some(Value::Money(lo)), Some(Value::Money(hi))) = (values.get("wage_min"), values.get("wage_max"))
                && hi.0 < lo.0
            {
                errs.push(("wage_max", "月工资上限不能低于下限".into()));
            }
            if let Some(Value::Count(n)) = values.get("headcount")
                && !(1..=9999).contains(n)
            {
                errs.push(("headcount", "招聘人数应在1至9999之间".into()));
            }
        }
    }
}

/// Whether a text holds a mobile number (11 digits from 13–19) or an ID
/// number (17 digits and a check character): what the public board must
/// not show.
fn private_number(t: &str) -> bool {
    let chars: Vec<char> = t.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let run = &chars[start..i];
        let id_tail = run.len() == 17 && chars.get(i).is_some_and(|c| matches!(c, 'X' | 'x'));
        let mobile = run.len() == 11 && run[0] == '1' && ('3'..='9').contains(&run[1]);
        if mobile || run.len() == 18 || id_tail {
            return true;
        }
    }
    false
}

/// 岗位: what an employer offers, published through the HR office.
pub static VACANCY: JobForm = JobForm {
    code: "vacancy",
    label: "岗位",
    fields: &[
        f(
            "employer_code",
            "用人单位统一社会信用代码",
            FieldType::CreditCode,
            true,
            "",
        ),
        f("employer", "用人单位名称", FieldType::Text(100), true, ""),
        f(
            "industry",
            "行业门类",
            FieldType::Industry,
            true,
            "按《国民经济行业分类》（GB/T 4754-2017）门类",
        ),
        f("title", "岗位名称", FieldType::Text(50), true, "如 焊工、收银员"),
        f(
            "occupation",
            "职业（工种）",
            FieldType::Text(80),
            true,
            "填《职业分类大典（2022年版）》的代码或名称，如 6 或 生产制造及有关人员",
        ),
        f("headcount", "招聘人数", FieldType::Count, true, ""),
        f("wage_min", "月工资下限（元）", FieldType::Money, true, ""),
        f("wage_max", "月工资上限（元）", FieldType::Money, true, ""),
        f("place", "工作地点（乡镇/街道）", FieldType::Place, true, ""),
        f(
            "requirements",
            "岗位要求",
            FieldType::Text(500),
            false,
            "年龄、技能、证书等",
        ),
        f(
            "contact",
            "报名方式",
            FieldType::Text(200),
            true,
            "人社部门服务窗口的地址和电话，不填用人单位或个人的私人电话",
        ),
        f(
            "valid_until",
            "有效期至",
            FieldType::LaterDate,
            true,
            "过期后自动从公开岗位中撤下",
        ),
    ],
};

/// 求职登记: a registered worker's wishes.
pub static SEEKER: JobForm = JobForm {
    code: "seeker",
    label: "求职登记",
    fields: &[
        f(
            "occupations",
            "求职意向（职业）",
            FieldType::Text(300),
            true,
            "1至5个职业的代码或名称，用顿号或逗号分隔",
        ),
        f(
            "places",
            "意向工作地",
            FieldType::Text(200),
            false,
            "区县或乡镇（街道）名称，可填多个，用顿号分隔；不填按居住地",
        ),
        f("min_wage", "期望月工资下限（元）", FieldType::Money, false, ""),
        f(
            "available_from",
            "可到岗日期",
            FieldType::LaterDate,
            false,
            "不填为随时可到岗",
        ),
        f("skills", "技能和证书", FieldType::Text(200), false, ""),
    ],
};

/// A monthly wage written as a range in one cell, as employers' lists
/// write it: "4000-6000", "4,000～6,000元", "4000至6000元/月", "4k-6k",
/// "4-6k" and "4千-6千" (a unit on the upper figure only is the lower's
/// too), "0.8万-1.2万", or one figure ("5000"). The two amounts in yuan as
/// typed into the form's two wage fields, or `None` when the cell is empty
/// or not such a range (面议, 5000以上: the vacancy must state its range).
pub fn wage_range(cell: &str) -> Option<(String, String)> {
    let s = crate::field::normalise(cell).replace([',', ' '], "");
    let s = ["元/月", "元每月", "/月", "元", "每月"]
        .iter()
        .fold(s, |s, tail| s.strip_suffix(tail).map(str::to_string).unwrap_or(s));
    if s.is_empty() {
        return None;
    }
    // A figure and its unit, if written.
    let figure = |t: &str| -> Option<(f64, Option<f64>)> {
        let t = t.trim().strip_suffix("元").unwrap_or(t.trim());
        let (t, unit) = if let Some(n) = t.strip_suffix(['k', 'K', '千']) {
            (n, Some(1000.0))
        } else if let Some(n) = t.strip_suffix('万') {
            (n, Some(10_000.0))
        } else {
            (t, None)
        };
        if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        Some((t.parse().ok()?, unit))
    };
    let yuan = |n: f64, unit: Option<f64>| -> Option<String> {
        let y = (n * unit.unwrap_or(1.0)).round();
        (y > 0.0 && y < 1e7).then(|| format!("{y:.0}"))
    };
    let parts: Vec<&str> = s.split(['-', '–', '—', '−', '~', '～', '〜', '至', '到']).collect();
    match parts.as_slice() {
        [one] => {
            let (n, unit) = figure(one)?;
            let a = yuan(n, unit)?;
            Some((a.clone(), a))
        }
        [lo, hi] => {
            let ((l, lu), (h, hu)) = (figure(lo)?, figure(hi)?);
            Some((yuan(l, lu.or(hu))?, yuan(h, hu)?))
        }
        _ => None,
    }
}

/// The series of recruitment events, as the form offers them.
pub const SERIES: &[&str] = &[
    "春风行动",
    "2+N招聘活动",
    "接您回家",
    "工会送岗位",
    "就业援助月",
    "民营企业招聘月",
    "其他",
];

/// 招聘活动: an event and, once held, its figures.
pub static EVENT: JobForm = JobForm {
    code: "event",
    label: "招聘活动",
    fields: &[
        f(
            "name",
            "活动名称",
            FieldType::Text(100),
            true,
            "如 2024年歙县春风行动专场招聘会",
        ),
        f("series", "活动系列", FieldType::Choice(SERIES), true, ""),
        f("organiser", "主办单位", FieldType::Text(100), true, ""),
        f("held_on", "举办日期", FieldType::LaterDate, true, ""),
        f(
            "place",
            "举办地（乡镇/街道）",
            FieldType::Place,
            true,
            "线上活动填主办地",
        ),
        f("venue", "具体地点", FieldType::Text(100), false, "如 县人力资源市场"),
        f("online", "线上举办", FieldType::Flag, true, ""),
        f("visitors", "参与人次", FieldType::Count, false, "活动结束后填写"),
        f(
            "intents",
            "达成就业意向（人）",
            FieldType::Count,
            false,
            "活动结束后填写",
        ),
        f("hires", "现场录用（人）", FieldType::Count, false, "活动结束后填写"),
    ],
};

/// The reasons of an unemployment registration, as the form offers them.
pub const UNEMPLOYMENT_REASONS: &[&str] = &[
    "被用人单位解除或终止劳动合同",
    "劳动合同期满",
    "本人辞职",
    "个体经营停业",
    "返乡未就业",
    "毕业未就业",
    "其他",
];

/// 失业登记 at the place of residence (常住地).
pub static UNEMPLOYMENT: JobForm = JobForm {
    code: "unemployment",
    label: "失业登记",
    fields: &[
        f("since", "失业日期", FieldType::Date, true, ""),
        f("reason", "失业原因", FieldType::Choice(UNEMPLOYMENT_REASONS), true, ""),
        f("registered_on", "登记日期", FieldType::Date, true, ""),
        f("note", "说明", FieldType::Text(200), false, ""),
    ],
};

/// 就业登记: the day of the registration; the job itself is the worker's
/// employment record, whose fields the form carries too.
pub static EMPLOYMENT_REGISTRATION: JobForm = JobForm {
    code: "employment_registration",
    label: "就业登记",
    fields: &[f(
        "registered_on",
        "登记日期",
        FieldType::Date,
        true,
        "用人单位应在招用之日起30日内办理",
    )],
};

/// The result of a referral (推荐) as the HR office learns it.
pub static OUTCOME: JobForm = JobForm {
    code: "outcome",
    label: "推荐结果",
    fields: &[
        f("on", "日期", FieldType::Date, true, "面试、录用或得知结果的日期"),
        f(
            "wage",
            "月工资（元）",
            FieldType::Money,
            false,
            "录用时填写，登记为就业记录的月工资",
        ),
        f("contract", "是否签订劳动合同", FieldType::Flag, false, "录用时填写"),
        f("note", "说明", FieldType::Text(200), false, ""),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wage_written_as_a_range_is_split() {
        let two = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(wage_range("4000-6000"), two("4000", "6000"));
        assert_eq!(wage_range(" 4,000～6,000元 "), two("4000", "6000"));
        assert_eq!(wage_range("4000至6000元/月"), two("4000", "6000"));
        assert_eq!(wage_range("４０００—６０００"), two("4000", "6000"));
        assert_eq!(wage_range("4k-6.5K"), two("4000", "6500"));
        assert_eq!(wage_range("5000"), two("5000", "5000"));
        assert_eq!(wage_range("4000元-6000元"), two("4000", "6000"));
        assert_eq!(wage_range("4-6k"), two("4000", "6000"));
        assert_eq!(wage_range("8-10K"), two("8000", "10000"));
        assert_eq!(wage_range("4千-6千"), two("4000", "6000"));
        assert_eq!(wage_range("0.8万-1.2万"), two("8000", "12000"));
        assert_eq!(wage_range("4000〜6000"), two("4000", "6000"));
        assert_eq!(wage_range("4000−6000"), two("4000", "6000"));
        for bad in ["", "面议", "5000以上", "4000-", "-6000", "1-2-3", "0", "abc-def"] {
            assert_eq!(wage_range(bad), None, "{bad}");
        }
    }
    use crate::field::{Town, validate};
    use chrono::NaiveDate;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
    }

    fn vacancy(over: &[(&str, &str)]) -> Result<Values, Errors> {
        let base = [
            ("employer_code", "91341002MA2N0001XL"),
            ("employer", "黄山市某制造有限公司"),
            ("industry", "C"),
            ("title", "焊工"),
            ("occupation", "6"),
            ("headcount", "3"),
            ("wage_min", "4500"),
            ("wage_max", "6000"),
            ("place", "徽城镇"),
            ("contact", "歙县人社局就业服务窗口 0559-0000000"),
            ("valid_until", "2026-06-30"),
        ];
        let get = |k: &str| {
            over.iter()
                .chain(base.iter())
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        };
        validate(&VACANCY, &get, &Town, day())
    }

    #[test]
    fn the_reasons_offered_are_the_coded_ones() {
        let labels: Vec<&str> = super::super::UnemploymentReason::ALL
            .iter()
            .map(|s| s.label_zh())
            .collect();
        assert_eq!(labels, UNEMPLOYMENT_REASONS);
    }

    #[test]
    fn the_series_offered_are_the_coded_ones() {
        let labels: Vec<&str> = super::super::EventSeries::ALL.iter().map(|s| s.label_zh()).collect();
        assert_eq!(labels, SERIES);
    }

    #[test]
    fn an_events_figures_hold_together() {
        let base = [
            ("name", "春风行动专场"),
            ("series", "春风行动"),
            ("organiser", "歙县人社局"),
            ("held_on", "2026-02-20"),
            ("place", "徽城镇"),
            ("online", "否"),
            ("visitors", "300"),
            ("intents", "400"),
            ("hires", "500"),
        ];
        let get = |k: &str| {
            base.iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        };
        let errs = validate(&EVENT, &get, &Town, day()).unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["intents", "hires"], "{errs:?}");
    }

    #[test]
    fn a_vacancy_publishes_no_private_number() {
        for (text, private) in [
            ("歙县人社局窗口 0559-6500000", false),
            ("窗口电话 05596500000", false),
            ("联系 13905596688", true),
            ("联系人 139-0559-6688", false),
            ("身份证 34102119900505213X", true),
            ("身份证 341021199005052134", true),
            ("招聘 20 人，年龄 18-45 岁", false),
        ] {
            assert_eq!(private_number(text), private, "{text}");
        }
        let errs = vacancy(&[("contact", "请联系 13905596688")]).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].0, "contact");
    }

    #[test]
    fn a_vacancy_checks_its_wage_range_and_headcount() {
        let errs = vacancy(&[("wage_min", "6000"), ("wage_max", "4500"), ("headcount", "0")]).unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|(k, _)| *k).collect();
        assert!(keys.contains(&"wage_max"), "{errs:?}");
        assert!(keys.contains(&"headcount"), "{errs:?}");
        let errs = vacancy(&[("contact", "")]).unwrap_err();
        assert_eq!(errs, vec![("contact", "请填写报名方式".to_string())]);
    }
}
