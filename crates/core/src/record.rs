//! The seven record kinds of the registry (就业, 返乡创业, 职业技能培训, 参保,
//! 随迁子女就学, 住房保障, 落户): their fields, natural keys and the rules
//! between their fields.
//!
//! Each kind is described by a table (`KindSpec`, a [`FieldSpec`]): forms,
//! import templates, the JSON API and the plan's indicator filters are all
//! driven by it, so a field is defined once. Reading each field's value is
//! shared with every kind described this way (`crate::field`).

use crate::auth::RecordKind;
pub(crate) use crate::field::f;
pub use crate::field::{
    Errors, Field, FieldSpec, FieldType, INDUSTRIES, Places, Value, Values, industry_name, normalise, parse_date,
    parse_flag, school_year_start, tidy, validate, validate_fields,
};
use chrono::NaiveDate;

/// Forms of employment (就业形式).
pub const EMPLOYMENT_FORMS: &[&str] = &["就近就业", "外出务工", "灵活就业", "新就业形态"];
pub const CERTIFICATE_LEVELS: &[&str] = &[
    "未取得证书",
    "培训合格证书",
    "专项职业能力证书",
    "五级/初级工",
    "四级/中级工",
    "三级/高级工",
    "二级/技师",
    "一级/高级技师",
];
pub const INSURANCE_TYPES: &[&str] = &[
    "养老保险",
    "医疗保险",
    "工伤保险",
    "失业保险",
    "生育保险",
    "职业伤害保障",
];
pub const INSURANCE_SCHEMES: &[&str] = &["职工", "城乡居民"];
pub const INSURANCE_STATUSES: &[&str] = &["参保缴费", "暂停缴费", "终止参保"];
pub const SCHOOL_TYPES: &[&str] = &["公办", "政府购买学位的民办", "其他民办"];
pub const SCHOOL_STAGES: &[&str] = &["小学", "初中"];
pub const HOUSING_TYPES: &[&str] = &["保障性租赁住房", "公租房", "其他"];
pub const INTENTIONS: &[&str] = &["有", "无", "未定"];
pub const HOUSEHOLD_TYPES: &[&str] = &["家庭户", "集体户"];

/// A record kind's description.
#[derive(Debug)]
pub struct KindSpec {
    pub kind: RecordKind,
    pub fields: &'static [Field],
    /// Fields that, with the worker, identify one record (the natural key).
    pub key: &'static [&'static str],
    /// Date fields that place a record in a period, first present wins.
    pub date: &'static [&'static str],
    /// The field giving the record's region, if any (else the worker's residence).
    pub place: Option<&'static str>,
    /// The department that owns the kind (unit `dept` code).
    pub dept: &'static str,
}

static EMPLOYMENT: KindSpec = KindSpec {
    kind: RecordKind::Employment,
    fields: &[
        f(
            "credit_code",
            "用人单位统一社会信用代码",
            FieldType::CreditCode,
            true,
            "18位，灵活就业、新就业形态可填平台企业代码",
        ),
        f("employer", "用人单位名称", FieldType::Text(100), true, ""),
        f(
            "industry",
            "行业门类",
            FieldType::Industry,
            true,
            "按《国民经济行业分类》（GB/T 4754-2017）门类",
        ),
        f("form", "就业形式", FieldType::Choice(EMPLOYMENT_FORMS), true, ""),
        f(
            "place",
            "就业地（乡镇/街道）",
            FieldType::Place,
            false,
            "在本市就业时填写，可填名称或区划代码",
        ),
        f("start", "就业开始日期", FieldType::Date, true, "如 2023-03-05"),
        f("end", "就业结束日期", FieldType::Date, false, "仍在岗的不填"),
        f("wage", "月工资（元）", FieldType::Money, false, ""),
        f(
            "occupation",
            "职业大类",
            FieldType::Choice(&crate::jobs::occupation::MAJOR_GROUP_NAMES),
            false,
            "按《职业分类大典（2022年版）》的8个大类，工资价位按此统计",
        ),
        f("contract", "是否签订劳动合同", FieldType::Flag, true, ""),
        f(
            "public_service",
            "是否经公共就业服务机构介绍",
            FieldType::Flag,
            true,
            "",
        ),
    ],
    key: &["credit_code", "start"],
    date: &["start"],
    place: Some("place"),
    dept: "rsj",
};

static VENTURE: KindSpec = KindSpec {
    kind: RecordKind::Venture,
    fields: &[
        f(
            "credit_code",
            "经营主体统一社会信用代码",
            FieldType::CreditCode,
            true,
            "",
        ),
        f("business", "经营主体名称", FieldType::Text(100), true, ""),
        f("place", "创业地（乡镇/街道）", FieldType::Place, true, ""),
        f(
            "park",
            "入驻返乡创业示范园",
            FieldType::Text(100),
            false,
            "未入驻的不填",
        ),
        f("start", "创业日期", FieldType::Date, true, ""),
        f("jobs", "带动就业人数", FieldType::Count, true, "不含本人"),
        f(
            "loan",
            "创业担保贷款金额（元）",
            FieldType::Money,
            false,
            "未获贷款的不填",
        ),
        f("loan_bank", "贷款银行", FieldType::Text(50), false, ""),
        f("loan_date", "放款日期", FieldType::Date, false, ""),
    ],
    key: &["credit_code"],
    date: &["start"],
    place: Some("place"),
    dept: "rsj",
};

static TRAINING: KindSpec = KindSpec {
    kind: RecordKind::Training,
    fields: &[
        f("subsidised", "是否补贴性培训", FieldType::Flag, true, ""),
        f("programme", "培训项目", FieldType::Text(100), true, ""),
        f("provider", "培训机构", FieldType::Text(100), true, ""),
        f("occupation", "培训职业（工种）", FieldType::Text(50), true, ""),
        f("start", "培训开始日期", FieldType::Date, true, ""),
        f("end", "培训结束日期", FieldType::Date, false, ""),
        f(
            "certificate",
            "培训结果/证书等级",
            FieldType::Choice(CERTIFICATE_LEVELS),
            false,
            "",
        ),
        f(
            "subsidy",
            "培训补贴金额（元）",
            FieldType::Money,
            false,
            "补贴性培训填写",
        ),
    ],
    key: &["programme", "start"],
    date: &["start"],
    place: None,
    dept: "rsj",
};

static INSURANCE: KindSpec = KindSpec {
    kind: RecordKind::Insurance,
    fields: &[
        f("insurance", "险种", FieldType::Choice(INSURANCE_TYPES), true, ""),
        f("scheme", "参保类别", FieldType::Choice(INSURANCE_SCHEMES), true, ""),
        f("status", "参保状态", FieldType::Choice(INSURANCE_STATUSES), true, ""),
        f("from", "参保起始日期", FieldType::Date, true, ""),
        f("to", "参保终止日期", FieldType::Date, false, "仍在参保的不填"),
    ],
    key: &["insurance", "scheme", "from"],
    date: &["from"],
    place: None,
    dept: "rsj",
};

static SCHOOLING: KindSpec = KindSpec {
    kind: RecordKind::Schooling,
    fields: &[
        f(
            "child",
            "随迁子女",
            FieldType::Child,
            true,
            "子女的身份证号或姓名，须已登记为随迁家属",
        ),
        f("school", "就读学校", FieldType::Text(100), true, ""),
        f("school_type", "学校类型", FieldType::Choice(SCHOOL_TYPES), true, ""),
        f("place", "学校所在地（乡镇/街道）", FieldType::Place, false, ""),
        f("stage", "学段", FieldType::Choice(SCHOOL_STAGES), true, ""),
        f("grade", "年级", FieldType::Count, true, "小学1至6，初中7至9"),
        f("school_year", "学年", FieldType::SchoolYear, true, "如 2023-2024"),
    ],
    key: &["child", "school_year"],
    date: &["school_year"],
    place: Some("place"),
    dept: "jyj",
};

static HOUSING: KindSpec = KindSpec {
    kind: RecordKind::Housing,
    fields: &[
        f("housing_type", "保障类型", FieldType::Choice(HOUSING_TYPES), true, ""),
        f("project", "项目名称", FieldType::Text(100), true, ""),
        f("place", "项目所在地（乡镇/街道）", FieldType::Place, false, ""),
        f("units", "套（间）数", FieldType::Count, true, ""),
        f("date", "保障日期", FieldType::Date, true, "入住或领取补贴的日期"),
    ],
    key: &["housing_type", "project"],
    date: &["date"],
    place: Some("place"),
    dept: "zjj",
};

static SETTLEMENT: KindSpec = KindSpec {
    kind: RecordKind::Settlement,
    fields: &[
        f("intention", "落户意愿", FieldType::Choice(INTENTIONS), true, ""),
        f("intention_date", "意愿登记日期", FieldType::Date, true, ""),
        f("settled", "落户日期", FieldType::Date, false, "已落户的填写"),
        f(
            "household",
            "户别",
            FieldType::Choice(HOUSEHOLD_TYPES),
            false,
            "已落户的填写",
        ),
        f("place", "落户地（乡镇/街道）", FieldType::Place, false, "已落户的填写"),
    ],
    key: &[],
    date: &["settled", "intention_date"],
    place: Some("place"),
    dept: "gaj",
};

/// The seven record kinds, in the plan's order.
pub const KINDS: [RecordKind; 7] = [
    RecordKind::Employment,
    RecordKind::Venture,
    RecordKind::Training,
    RecordKind::Insurance,
    RecordKind::Schooling,
    RecordKind::Housing,
    RecordKind::Settlement,
];

/// The description of a record kind (`None` for workers and cases).
pub fn spec(kind: RecordKind) -> Option<&'static KindSpec> {
    Some(match kind {
        RecordKind::Employment => &EMPLOYMENT,
        RecordKind::Venture => &VENTURE,
        RecordKind::Training => &TRAINING,
        RecordKind::Insurance => &INSURANCE,
        RecordKind::Schooling => &SCHOOLING,
        RecordKind::Housing => &HOUSING,
        RecordKind::Settlement => &SETTLEMENT,
        RecordKind::Worker | RecordKind::WageCase | RecordKind::Project | RecordKind::JobService => return None,
    })
}

impl FieldSpec for KindSpec {
    fn code(&self) -> &'static str {
        self.kind.code()
    }

    fn label(&self) -> &'static str {
        self.kind.label_zh()
    }

    fn fields(&self) -> &'static [Field] {
        self.fields
    }

    fn key(&self) -> &'static [&'static str] {
        self.key
    }

    fn cross_check(&self, values: &Values, errs: &mut Errors) {
        cross_checks(self.kind, values, errs);
    }
}

fn date(values: &Values, key: &str) -> Option<NaiveDate> {
    match values.get(key) {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    }
}

fn text<'a>(values: &'a Values, key: &str) -> &'a str {
    match values.get(key) {
        Some(Value::Text(s)) => s,
        _ => "",
    }
}

fn cross_checks(kind: RecordKind, v: &Values, errs: &mut Errors) {
    let order = |errs: &mut Errors, start: &str, end: &'static str, msg: &str| {
        if let (Some(s), Some(e)) = (date(v, start), date(v, end))
            && e < s
        {
            errs.push((end, msg.to_string()));
        }
    };
    match kind {
        RecordKind::Employment => {
            order(errs, "start", "end", "就业结束日期不能早于开始日期");
            if let Some(Value::Money(w)) = v.get("wage")
                && w.0 > 100_000_000
            {
                errs.push(("wage", "月工资超过100万元，请核对".into()));
            }
        }
        RecordKind::Venture => {
            let loan = matches!(v.get("loan"), Some(Value::Money(m)) if m.0 > 0);
            if loan {
                if !v.contains_key("loan_bank") {
                    errs.push(("loan_bank", "有创业担保贷款的，请填写贷款银行".into()));
                }
                if !v.contains_key("loan_date") {
                    errs.push(("loan_date", "有创业担保贷款的，请填写放款日期".into()));
                }
            } else if v.contains_key("loan_bank") || v.contains_key("loan_date") {
                errs.push(("loan", "填写了贷款银行或放款日期的，请填写贷款金额".into()));
            }
            order(errs, "start", "loan_date", "放款日期不能早于创业日期");
        }
        RecordKind::Training => {
            order(errs, "start", "end", "培训结束日期不能早于开始日期");
            if matches!(v.get("subsidised"), Some(Value::Flag(false)))
                && matches!(v.get("subsidy"), Some(Value::Money(m)) if m.0 > 0)
            {
                errs.push(("subsidy", "非补贴性培训不应填写补贴金额".into()));
            }
        }
        RecordKind::Insurance => {
            order(errs, "from", "to", "参保终止日期不能早于起始日期");
            let status = text(v, "status");
            if status == "终止参保" && !v.contains_key("to") {
                errs.push(("to", "终止参保的，请填写参保终止日期".into()));
            }
            if status == "参保缴费" && v.contains_key("to") {
                errs.push(("status", "已填写终止日期的，参保状态不应为“参保缴费”".into()));
            }
        }
        RecordKind::Schooling => {
            let grade = match v.get("grade") {
                Some(Value::Count(g)) => *g,
                _ => 0,
            };
            let ok = match text(v, "stage") {
                "小学" => (1..=6).contains(&grade),
                "初中" => (7..=9).contains(&grade),
                _ => true,
            };
            if !ok {
                errs.push(("grade", "年级与学段不符：小学为1至6年级，初中为7至9年级".into()));
            }
        }
        RecordKind::Housing => {
            if matches!(v.get("units"), Some(Value::Count(0))) {
                errs.push(("units", "套（间）数至少为1".into()));
            }
        }
        RecordKind::Settlement => {
            if v.contains_key("settled") {
                if !v.contains_key("household") {
                    errs.push(("household", "已落户的，请选择户别".into()));
                }
                if !v.contains_key("place") {
                    errs.push(("place", "已落户的，请填写落户地".into()));
                }
                order(errs, "intention_date", "settled", "落户日期不能早于意愿登记日期");
            } else if v.contains_key("household") {
                errs.push(("settled", "选择了户别的，请填写落户日期".into()));
            }
        }
        RecordKind::Worker | RecordKind::WageCase | RecordKind::Project | RecordKind::JobService => {}
    }
}

/// The date that places a record in a period.
pub fn period_date(spec: &KindSpec, values: &Values) -> Option<NaiveDate> {
    spec.date.iter().find_map(|key| match values.get(key) {
        Some(Value::Date(d)) => Some(*d),
        Some(Value::Text(s)) if spec.field(key).is_some_and(|f| f.ty == FieldType::SchoolYear) => school_year_start(s),
        _ => None,
    })
}

/// The natural key of a record within its worker: the key fields' values
/// joined (the child's field is replaced by the resolved dependant id).
pub fn natural_key(spec: &KindSpec, values: &Values, child: Option<i64>) -> String {
    let mut parts = Vec::with_capacity(spec.key.len());
    for key in spec.key {
        let part = match (spec.field(key).map(|f| f.ty), values.get(key)) {
            (Some(FieldType::Child), _) => child.map(|c| c.to_string()).unwrap_or_default(),
            (_, Some(v)) => v.key_text(),
            (_, None) => String::new(),
        };
        parts.push(part);
    }
    parts.join("|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::division::DivisionCode;
    use crate::field::{Town, parse_industry};
    use crate::money::Fen;
    use std::collections::HashMap;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 30).unwrap()
    }

    fn check(kind: RecordKind, pairs: &[(&str, &str)]) -> Result<Values, Errors> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        validate(
            spec(kind).unwrap(),
            &|k| map.get(k).cloned().unwrap_or_default(),
            &Town,
            today(),
        )
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_as_people_type_them() {
        for s in [
            "2023-03-05",
            "2023/3/5",
            "2023.03.05",
            "2023年3月5日",
            "２０２３－０３－０５",
            " 20230305 ",
            "44990",
            "44990.0",
            "2023-03-05 00:00:00",
        ] {
            assert_eq!(parse_date(s), Some(d(2023, 3, 5)), "{s}");
        }
        for s in ["2023-02-30", "2023-03", "abc", "", "123"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn employment_accepts_loose_input_and_keys_naturally() {
        let v = check(
            RecordKind::Employment,
            &[
                ("credit_code", "91341000MA2N0Q0M26"),
                ("employer", " 黄山某某建筑有限公司 "),
                ("industry", "e"),
                ("form", "就近就业"),
                ("place", "徽城镇"),
                ("start", "2023年3月5日"),
                ("wage", "3,500元"),
                ("contract", "是"),
                ("public_service", "否"),
            ],
        );
        let v = v.unwrap();
        assert_eq!(v["industry"], Value::Text("E".into()));
        assert_eq!(v["wage"], Value::Money(Fen(350_000)));
        assert_eq!(v["employer"], Value::Text("黄山某某建筑有限公司".into()));
        assert_eq!(v["place"], Value::Place(DivisionCode::parse("341021100").unwrap()));
        let s = spec(RecordKind::Employment).unwrap();
        assert_eq!(period_date(s, &v), Some(d(2023, 3, 5)));
        assert_eq!(natural_key(s, &v, None), "91341000MA2N0Q0M26|2023-03-05");
    }

    #[test]
    fn every_error_names_the_field() {
        let errs = check(
            RecordKind::Employment,
            &[
                ("credit_code", "91341000MA2N0Q0M8X"),
                ("industry", "Z"),
                ("form", "打零工"),
                ("place", "火星镇"),
                ("start", "2023-02-30"),
                ("wage", "-5"),
                ("contract", "也许"),
            ],
        )
        .unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                "credit_code",
                "employer",
                "industry",
                "form",
                "place",
                "start",
                "wage",
                "contract",
                "public_service"
            ]
        );
        assert!(errs[1].1.contains("用人单位名称"), "{errs:?}");
        assert!(errs[3].1.contains("就近就业"), "{errs:?}");
        assert!(errs[4].1.contains("火星镇"), "{errs:?}");
        assert!(errs[5].1.contains("2023-02-30"), "{errs:?}");
    }

    #[test]
    fn cross_field_rules() {
        let base = [
            ("credit_code", "91341000MA2N0Q0M26"),
            ("business", "某农家乐"),
            ("place", "341021100"),
            ("start", "2023-05-01"),
            ("jobs", "6人"),
        ];
        assert!(check(RecordKind::Venture, &base).is_ok());
        let mut with_loan = base.to_vec();
        with_loan.push(("loan", "20万元"));
        let errs = check(RecordKind::Venture, &with_loan).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.0).collect::<Vec<_>>(), ["loan_bank", "loan_date"]);
        with_loan.extend([("loan_bank", "徽商银行"), ("loan_date", "2023-04-01")]);
        let errs = check(RecordKind::Venture, &with_loan).unwrap_err();
        assert_eq!(errs[0].0, "loan_date");

        let school = |grade: &'static str| {
            check(
                RecordKind::Schooling,
                &[
                    ("child", "张小明"),
                    ("school", "歙县实验小学"),
                    ("school_type", "公办"),
                    ("stage", "小学"),
                    ("grade", grade),
                    ("school_year", "2023—2024学年"),
                ],
            )
        };
        let v = school("3").unwrap();
        assert_eq!(v["school_year"], Value::Text("2023-2024".into()));
        assert_eq!(
            period_date(spec(RecordKind::Schooling).unwrap(), &v),
            Some(d(2023, 9, 1))
        );
        assert_eq!(
            natural_key(spec(RecordKind::Schooling).unwrap(), &v, Some(42)),
            "42|2023-2024"
        );
        assert_eq!(school("8").unwrap_err()[0].0, "grade");

        let errs = check(
            RecordKind::Settlement,
            &[
                ("intention", "有"),
                ("intention_date", "2023-01-01"),
                ("settled", "2023-06-01"),
            ],
        )
        .unwrap_err();
        assert_eq!(errs.iter().map(|e| e.0).collect::<Vec<_>>(), ["household", "place"]);
        let v = check(
            RecordKind::Settlement,
            &[
                ("intention", "有"),
                ("intention_date", "2023-01-01"),
                ("settled", "2023-06-01"),
                ("household", "家庭户"),
                ("place", "徽城镇"),
            ],
        )
        .unwrap();
        assert_eq!(
            period_date(spec(RecordKind::Settlement).unwrap(), &v),
            Some(d(2023, 6, 1))
        );

        let errs = check(
            RecordKind::Insurance,
            &[
                ("insurance", "工伤保险"),
                ("scheme", "职工"),
                ("status", "终止参保"),
                ("from", "2022-01-01"),
            ],
        )
        .unwrap_err();
        assert_eq!(errs[0].0, "to");
        let errs = check(
            RecordKind::Training,
            &[
                ("subsidised", "否"),
                ("programme", "电工"),
                ("provider", "黄山技师学院"),
                ("occupation", "电工"),
                ("start", "2024-07-01"),
                ("subsidy", "800"),
            ],
        )
        .unwrap_err();
        assert_eq!(errs[0], ("start", "培训开始日期不能晚于今天".to_string()));
    }

    #[test]
    fn specs_are_consistent() {
        for kind in KINDS {
            let s = spec(kind).unwrap();
            assert_eq!(s.kind, kind);
            for key in s.key.iter().chain(s.date).chain(s.place.iter()) {
                assert!(s.field(key).is_some(), "{kind:?}: {key}");
            }
            let mut keys: Vec<&str> = s.fields.iter().map(|f| f.key).collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), s.fields.len(), "{kind:?} has a duplicate field");
        }
        assert!(spec(RecordKind::Worker).is_none());
        assert_eq!(parse_flag("ｙ"), Some(true));
        assert_eq!(parse_industry("C制造业"), Some("C"));
        assert_eq!(parse_industry("制造业"), Some("C"));
        assert_eq!(industry_name("H"), "住宿和餐饮业");
    }
}
