//! The registers of the public employment service as sources of plan
//! targets (`[target.count] service = "…"`): 求职登记, 推荐, 招聘活动 and
//! 就业失业登记, each described by the fields a plan file may filter, sum
//! or date by. The application reads each register's rows into these
//! fields (`app::plan::facility_tally`); the arithmetic is the facility
//! counts' (`plan::FacilityCount`).

use super::forms::{SERIES, UNEMPLOYMENT_REASONS};
use crate::field::{Errors, Field, FieldSpec, FieldType, Values};
use crate::record::f;

crate::coded! {
    /// A register of the public employment service a plan can count.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum ServiceRegister {
        /// 求职登记: one per registered seeker, at the seeker's place.
        Seekers = "job_seekers" / "求职登记",
        /// 推荐: one per referral, at the seeker's current place (the place
        /// that refers).
        Referrals = "job_referrals" / "推荐就业",
        /// 招聘活动: one per event, at its place.
        Events = "job_events" / "招聘活动",
        /// 就业失业登记: one per registration, at the place it was made.
        Registrations = "job_registrations" / "就业失业登记",
    }
}

/// How a seeker registered (`source` of the register).
pub const SEEKER_SOURCES: &[&str] = &["工作人员登记", "本人手机登记"];
/// The stored codes of [`SEEKER_SOURCES`], in the same order.
pub const SEEKER_SOURCE_CODES: &[&str] = &["form", "public"];

/// Labels of [`SeekerStatus`], as a plan file names them.
pub const SEEKER_STATUSES: &[&str] = &["求职中", "已就业", "已注销"];
/// Labels of [`ReferralOutcome`].
pub const REFERRAL_OUTCOMES: &[&str] = &["已推荐", "已面试", "录用", "未录用", "未到岗"];
/// Labels of [`RegistrationKind`].
pub const REGISTRATION_KINDS: &[&str] = &["就业登记", "失业登记"];

/// A register's description: its fields as a plan file names them.
#[derive(Debug)]
pub struct ServiceSpec {
    pub register: ServiceRegister,
    pub fields: &'static [Field],
}

impl FieldSpec for ServiceSpec {
    fn code(&self) -> &'static str {
        self.register.code()
    }

    fn label(&self) -> &'static str {
        self.register.label_zh()
    }

    fn fields(&self) -> &'static [Field] {
        self.fields
    }

    fn key(&self) -> &'static [&'static str] {
        &[]
    }

    fn cross_check(&self, _: &Values, _: &mut Errors) {}
}

static SEEKERS: ServiceSpec = ServiceSpec {
    register: ServiceRegister::Seekers,
    fields: &[
        f("registered", "求职登记日期", FieldType::Date, true, ""),
        f(
            "status",
            "求职状态",
            FieldType::Choice(SEEKER_STATUSES),
            true,
            "当前状态",
        ),
        f("source", "登记方式", FieldType::Choice(SEEKER_SOURCES), true, ""),
    ],
};

static REFERRALS: ServiceSpec = ServiceSpec {
    register: ServiceRegister::Referrals,
    fields: &[
        f("referred", "推荐日期", FieldType::Date, true, ""),
        f(
            "outcome",
            "推荐结果",
            FieldType::Choice(REFERRAL_OUTCOMES),
            true,
            "当前结果",
        ),
        f("outcome_on", "结果日期", FieldType::Date, false, "录用的为录用日期"),
        f(
            "across",
            "跨区县推荐",
            FieldType::Flag,
            true,
            "岗位所在区县与求职人员所在区县不同（劳务协作）",
        ),
    ],
};

static EVENTS: ServiceSpec = ServiceSpec {
    register: ServiceRegister::Events,
    fields: &[
        f("held", "举办日期", FieldType::Date, true, ""),
        f("series", "活动系列", FieldType::Choice(SERIES), true, ""),
        f("online", "线上活动", FieldType::Flag, true, ""),
        f("visitors", "参与人次", FieldType::Count, false, ""),
        f("intents", "达成就业意向人数", FieldType::Count, false, ""),
        f("hires", "现场录用人数", FieldType::Count, false, ""),
        f("vacancies", "参会岗位数", FieldType::Count, true, "参加活动的岗位条数"),
        f(
            "positions",
            "提供岗位（人）",
            FieldType::Count,
            true,
            "参加活动的岗位招聘人数之和",
        ),
    ],
};

static REGISTRATIONS: ServiceSpec = ServiceSpec {
    register: ServiceRegister::Registrations,
    fields: &[
        f("kind", "登记类别", FieldType::Choice(REGISTRATION_KINDS), true, ""),
        f("since", "就业（失业）日期", FieldType::Date, true, ""),
        f("registered", "办理登记日期", FieldType::Date, true, ""),
        f("late", "逾期办理", FieldType::Flag, true, "就业登记晚于用工之日起30日"),
        f(
            "reason",
            "失业原因",
            FieldType::Choice(UNEMPLOYMENT_REASONS),
            false,
            "失业登记",
        ),
        f("ended", "失业登记终止日期", FieldType::Date, false, "再就业之日"),
    ],
};

impl ServiceRegister {
    pub fn spec(self) -> &'static ServiceSpec {
        match self {
            ServiceRegister::Seekers => &SEEKERS,
            ServiceRegister::Referrals => &REFERRALS,
            ServiceRegister::Events => &EVENTS,
            ServiceRegister::Registrations => &REGISTRATIONS,
        }
    }
}

/// The label a plan file uses for a stored seeker source code.
pub fn seeker_source_label(code: &str) -> Option<&'static str> {
    SEEKER_SOURCE_CODES
        .iter()
        .position(|c| *c == code)
        .map(|i| SEEKER_SOURCES[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coded::Labelled;
    use crate::jobs::{EventSeries, ReferralOutcome, RegistrationKind, SeekerStatus, UnemploymentReason};

    fn labels<T: Labelled>() -> Vec<&'static str> {
        T::ALL.iter().map(|x| x.label_zh()).collect()
    }

    #[test]
    fn choice_lists_are_the_enums_labels() {
        assert_eq!(SEEKER_STATUSES, labels::<SeekerStatus>().as_slice());
        assert_eq!(REFERRAL_OUTCOMES, labels::<ReferralOutcome>().as_slice());
        assert_eq!(SERIES, labels::<EventSeries>().as_slice());
        assert_eq!(REGISTRATION_KINDS, labels::<RegistrationKind>().as_slice());
        assert_eq!(UNEMPLOYMENT_REASONS, labels::<UnemploymentReason>().as_slice());
        assert_eq!(SEEKER_SOURCES.len(), SEEKER_SOURCE_CODES.len());
        assert_eq!(seeker_source_label("public"), Some("本人手机登记"));
        assert_eq!(seeker_source_label("x"), None);
    }

    #[test]
    fn every_register_has_a_date_and_unique_keys() {
        for r in ServiceRegister::ALL {
            let spec = r.spec();
            assert_eq!(spec.register, r);
            assert!(spec.fields.iter().any(|f| f.ty == FieldType::Date), "{r:?}");
            let mut keys: Vec<_> = spec.fields.iter().map(|f| f.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), spec.fields.len(), "{r:?}");
        }
    }
}
