//! The facility registries (设施台账) the plan's targets count: 工会驿站,
//! 农民工返乡创业示范园, 家政企业, 家政劳务输出示范基地 and 保障性租赁住房项目.
//!
//! Each kind is described once as data (`FacilitySpec`, a [`FieldSpec`]),
//! with the field vocabulary every kind shares (`crate::field`), so reading
//! values as people type them and the per-field Chinese messages are shared;
//! only the rules between fields of a facility are here.

pub use crate::field::validate;
use crate::field::{Errors, Field, FieldSpec, FieldType, Value, Values, f};

crate::coded! {
    /// A kind of facility; its label is its spec's.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum FacilityKind {
        /// 工会驿站
        Station = "station" / STATION.label,
        /// 农民工返乡创业示范园
        Park = "park" / PARK.label,
        /// 家政企业
        Housekeeping = "housekeeping" / HOUSEKEEPING.label,
        /// 家政劳务输出示范基地
        HousekeepingBase = "housekeeping_base" / HOUSEKEEPING_BASE.label,
        /// 保障性租赁住房项目
        RentalHousing = "rental_housing" / RENTAL_HOUSING.label,
    }
}

impl FacilityKind {
    pub fn spec(self) -> &'static FacilitySpec {
        match self {
            FacilityKind::Station => &STATION,
            FacilityKind::Park => &PARK,
            FacilityKind::Housekeeping => &HOUSEKEEPING,
            FacilityKind::HousekeepingBase => &HOUSEKEEPING_BASE,
            FacilityKind::RentalHousing => &RENTAL_HOUSING,
        }
    }
}

/// A facility kind's description.
#[derive(Debug)]
pub struct FacilitySpec {
    pub kind: FacilityKind,
    pub label: &'static str,
    pub fields: &'static [Field],
    /// The field that names a facility (searched and listed first).
    pub name: &'static str,
    /// The field giving its township or village (its region).
    pub place: &'static str,
    /// Fields whose values identify one facility of the kind (the natural key).
    pub key: &'static [&'static str],
    /// The department that owns the kind (unit `dept` code).
    pub dept: &'static str,
}

impl FieldSpec for FacilitySpec {
    fn code(&self) -> &'static str {
        self.kind.code()
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
        cross_checks(self.kind, values, errs);
    }
}

/// 工会驿站 status: built in the plan period, upgraded in it, or an
/// existing station neither built nor upgraded. Whether a station meets the
/// standard and runs effectively is a field of its own (`standard`), so a new
/// or an upgraded station can also be one that meets it.
pub const STATION_STATUSES: &[&str] = &["新建", "提升", "原有"];
/// 返乡创业示范园 status: built (continued construction) or upgraded.
pub const PARK_STATUSES: &[&str] = &["新建", "提升"];
/// Levels of a park or a demonstration base.
pub const LEVELS: &[&str] = &["国家级", "省级", "市级", "县级"];

static STATION: FacilitySpec = FacilitySpec {
    kind: FacilityKind::Station,
    label: "工会驿站",
    fields: &[
        f("name", "驿站名称", FieldType::Text(100), true, ""),
        f(
            "place",
            "所在地（乡镇/街道、村/社区）",
            FieldType::Place,
            true,
            "可填名称或区划代码",
        ),
        f(
            "status",
            "建设状态",
            FieldType::Choice(STATION_STATUSES),
            true,
            "新建、提升或原有（既非新建也非提升）",
        ),
        f(
            "opened",
            "开放日期",
            FieldType::Date,
            false,
            "已开放的填写，如 2023-06-01",
        ),
        f(
            "upgraded",
            "提升完成日期",
            FieldType::Date,
            false,
            "提升的驿站完成提升后填写",
        ),
        f(
            "standard",
            "达标并有效运行",
            FieldType::Flag,
            false,
            "经认定建成达标并有效运行的填“是”",
        ),
        f("host", "依托单位", FieldType::Text(100), true, ""),
        f("note", "备注", FieldType::Text(200), false, ""),
    ],
    name: "name",
    place: "place",
    key: &["name", "place"],
    dept: "zgh",
};

static PARK: FacilitySpec = FacilitySpec {
    kind: FacilityKind::Park,
    label: "返乡创业示范园",
    fields: &[
        f("name", "示范园名称", FieldType::Text(100), true, ""),
        f(
            "status",
            "建设状态",
            FieldType::Choice(PARK_STATUSES),
            true,
            "新建（继续建设）或提升（提升现有示范园功能）",
        ),
        f("level", "级别", FieldType::Choice(LEVELS), true, ""),
        f(
            "place",
            "所在地（乡镇/街道、村/社区）",
            FieldType::Place,
            true,
            "可填名称或区划代码",
        ),
        f("approved", "认定日期", FieldType::Date, true, ""),
        f(
            "upgraded",
            "提升完成日期",
            FieldType::Date,
            false,
            "提升的示范园完成提升后填写",
        ),
        f("firms", "入驻经营主体数（户）", FieldType::Count, true, ""),
        f("jobs", "带动就业人数", FieldType::Count, true, ""),
    ],
    name: "name",
    place: "place",
    key: &["name", "place"],
    dept: "rsj",
};

static HOUSEKEEPING: FacilitySpec = FacilitySpec {
    kind: FacilityKind::Housekeeping,
    label: "家政企业",
    fields: &[
        f("name", "企业名称", FieldType::Text(100), true, ""),
        f("credit_code", "统一社会信用代码", FieldType::CreditCode, true, "18位"),
        f(
            "place",
            "所在地（乡镇/街道、村/社区）",
            FieldType::Place,
            true,
            "可填名称或区划代码",
        ),
        f(
            "employee_based",
            "是否员工制",
            FieldType::Flag,
            true,
            "与家政服务员签订劳动合同或服务协议、统一管理的为员工制",
        ),
        f(
            "backbone",
            "是否骨干企业",
            FieldType::Flag,
            false,
            "列为家政骨干企业的填“是”",
        ),
        f("employees", "从业人员数", FieldType::Count, true, ""),
    ],
    name: "name",
    place: "place",
    key: &["credit_code"],
    dept: "fgw",
};

static HOUSEKEEPING_BASE: FacilitySpec = FacilitySpec {
    kind: FacilityKind::HousekeepingBase,
    label: "家政劳务输出示范基地",
    fields: &[
        f("name", "基地名称", FieldType::Text(100), true, ""),
        f(
            "credit_code",
            "运营主体统一社会信用代码",
            FieldType::CreditCode,
            true,
            "18位",
        ),
        f(
            "place",
            "所在地（乡镇/街道、村/社区）",
            FieldType::Place,
            true,
            "可填名称或区划代码",
        ),
        f("level", "级别", FieldType::Choice(LEVELS), true, ""),
        f("recognised", "认定日期", FieldType::Date, true, ""),
    ],
    name: "name",
    place: "place",
    key: &["credit_code"],
    dept: "fgw",
};

static RENTAL_HOUSING: FacilitySpec = FacilitySpec {
    kind: FacilityKind::RentalHousing,
    label: "保障性租赁住房项目",
    fields: &[
        f("name", "项目名称", FieldType::Text(100), true, ""),
        f(
            "place",
            "项目所在地（乡镇/街道、村/社区）",
            FieldType::Place,
            true,
            "可填名称或区划代码",
        ),
        f("planned", "计划套（间）数", FieldType::Count, true, ""),
        f(
            "delivered",
            "已交付套（间）数",
            FieldType::Count,
            true,
            "尚未交付的填 0",
        ),
        f(
            "delivered_on",
            "交付日期",
            FieldType::Date,
            false,
            "已交付的填写（分批交付的填最近一批）",
        ),
    ],
    name: "name",
    place: "place",
    key: &["name", "place"],
    dept: "zjj",
};

fn count(v: &Values, key: &str) -> Option<i64> {
    match v.get(key) {
        Some(Value::Count(n)) => Some(*n),
        _ => None,
    }
}

fn cross_checks(kind: FacilityKind, v: &Values, errs: &mut Errors) {
    match kind {
        FacilityKind::Station => {
            if v.get("standard") == Some(&Value::Flag(true)) && !v.contains_key("opened") {
                errs.push(("opened", "达标并有效运行的工会驿站，请填写开放日期".into()));
            }
            upgraded_only_if_upgraded(v, "驿站", errs);
        }
        FacilityKind::Park => upgraded_only_if_upgraded(v, "示范园", errs),
        FacilityKind::RentalHousing => {
            let planned = count(v, "planned").unwrap_or(0);
            let delivered = count(v, "delivered").unwrap_or(0);
            if planned == 0 {
                errs.push(("planned", "计划套（间）数至少为1".into()));
            } else if delivered > planned {
                errs.push((
                    "delivered",
                    format!("已交付套（间）数（{delivered}）不能多于计划套（间）数（{planned}）"),
                ));
            }
            if delivered > 0 && !v.contains_key("delivered_on") {
                errs.push(("delivered_on", "已有交付的，请填写交付日期".into()));
            }
            if delivered == 0 && v.contains_key("delivered_on") {
                errs.push(("delivered", "填写了交付日期的，请填写已交付套（间）数".into()));
            }
        }
        FacilityKind::Housekeeping => {
            if v.get("employee_based") == Some(&Value::Flag(true)) && count(v, "employees") == Some(0) {
                errs.push(("employees", "员工制家政企业的从业人员数至少为1".into()));
            }
        }
        FacilityKind::HousekeepingBase => {}
    }
}

/// A date of upgrade belongs to an upgraded station or park only.
fn upgraded_only_if_upgraded(v: &Values, what: &str, errs: &mut Errors) {
    if v.contains_key("upgraded") && v.get("status") != Some(&Value::Text("提升".into())) {
        errs.push(("upgraded", format!("只有建设状态为“提升”的{what}填写提升完成日期")));
    }
}

/// The natural key of a facility within its kind: the key fields' values
/// joined. Spaces inside a name do not make another facility.
pub fn natural_key(spec: &FacilitySpec, values: &Values) -> String {
    spec.key
        .iter()
        .map(|key| match values.get(key) {
            Some(Value::Text(s)) => s.split_whitespace().collect::<String>(),
            Some(v) => v.key_text(),
            None => String::new(),
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// The facility's name as given.
pub fn name(spec: &FacilitySpec, values: &Values) -> String {
    match values.get(spec.name) {
        Some(v) => v.display(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Town;
    use chrono::NaiveDate;
    use std::collections::HashMap;

    fn check(kind: FacilityKind, pairs: &[(&str, &str)]) -> Result<Values, Errors> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        validate(
            kind.spec(),
            &|k| map.get(k).cloned().unwrap_or_default(),
            &Town,
            NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
        )
    }

    #[test]
    fn specs_are_consistent() {
        for kind in FacilityKind::ALL {
            let s = kind.spec();
            assert_eq!(s.kind, kind);
            assert_eq!(FacilityKind::from_code(kind.code()), Some(kind));
            for key in s.key.iter().chain([&s.name, &s.place]) {
                assert!(s.field(key).is_some(), "{kind:?}: {key}");
            }
            assert_eq!(s.field(s.place).map(|f| f.ty), Some(FieldType::Place));
            assert!(s.field(s.name).is_some_and(|f| f.required));
            let mut keys: Vec<&str> = s.fields.iter().map(|f| f.key).collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), s.fields.len(), "{kind:?} has a duplicate field");
        }
        assert_eq!(FacilityKind::from_code("worker"), None);
    }

    #[test]
    fn each_field_reports_in_chinese() {
        let errs = check(
            FacilityKind::Housekeeping,
            &[
                ("credit_code", "91341000MA2N0Q0M8X"),
                ("place", "火星镇"),
                ("employee_based", "也许"),
                ("employees", "-3"),
            ],
        )
        .unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.0).collect();
        assert_eq!(keys, ["name", "credit_code", "place", "employee_based", "employees"]);
        assert_eq!(errs[0].1, "请填写企业名称");
        assert!(errs[2].1.contains("火星镇"), "{errs:?}");
    }

    #[test]
    fn rental_housing_rules_and_keys() {
        let base = [
            ("name", " 徽城 人才公寓 "),
            ("place", "徽城镇"),
            ("planned", "120套"),
            ("delivered", "80"),
            ("delivered_on", "2023年12月20日"),
        ];
        let v = check(FacilityKind::RentalHousing, &base).unwrap();
        let spec = FacilityKind::RentalHousing.spec();
        assert_eq!(natural_key(spec, &v), "徽城人才公寓|341021100");
        assert_eq!(name(spec, &v), "徽城 人才公寓");
        let mut more = base.to_vec();
        more[3] = ("delivered", "121");
        let errs = check(FacilityKind::RentalHousing, &more).unwrap_err();
        assert_eq!(errs[0].0, "delivered");
        more[3] = ("delivered", "5");
        more.pop();
        let errs = check(FacilityKind::RentalHousing, &more).unwrap_err();
        assert_eq!(errs, [("delivered_on", "已有交付的，请填写交付日期".to_string())]);
        let errs = check(
            FacilityKind::Station,
            &[
                ("name", "徽城驿站"),
                ("place", "徽城镇"),
                ("status", "新建"),
                ("standard", "是"),
                ("host", "县总工会"),
            ],
        )
        .unwrap_err();
        assert_eq!(errs[0].0, "opened");
    }

    #[test]
    fn a_station_can_be_new_and_meet_the_standard() {
        let v = check(
            FacilityKind::Station,
            &[
                ("name", "徽城驿站"),
                ("place", "徽城镇"),
                ("status", "新建"),
                ("opened", "2023-05-01"),
                ("standard", "是"),
                ("host", "县总工会"),
            ],
        )
        .unwrap();
        assert_eq!(v.get("status"), Some(&Value::Text("新建".into())));
        assert_eq!(v.get("standard"), Some(&Value::Flag(true)));
        // An upgrade date belongs to an upgraded station only.
        let errs = check(
            FacilityKind::Station,
            &[
                ("name", "徽城驿站"),
                ("place", "徽城镇"),
                ("status", "新建"),
                ("upgraded", "2023-05-01"),
                ("host", "县总工会"),
            ],
        )
        .unwrap_err();
        assert_eq!(errs[0].0, "upgraded");
        let errs = check(
            FacilityKind::Station,
            &[
                ("name", "旧驿站"),
                ("place", "徽城镇"),
                ("status", "达标"),
                ("host", "县总工会"),
            ],
        )
        .unwrap_err();
        assert_eq!(errs[0].0, "status", "{errs:?}");
    }
}
