//! Public employment services (公共就业服务): job seekers' registrations
//! (求职登记), vacancies (岗位), recruitment events (招聘活动), referrals
//! (推荐) and the wage guide (工资价位).
//!
//! * [`occupation`]: the national occupation classification
//!   (职业分类大典2022年版) codes and the list an administrator loads;
//! * [`counts`]: the registers as sources of plan targets;
//! * [`forms`]: the vacancy, seeker and referral-result forms as fields;
//! * [`matching`]: how well a seeker and a vacancy fit, and the ranking;
//! * [`wage_guide`]: the statistics of one cell of the wage guide.
//!
//! Nothing here reads a clock or a database: the application hands in the
//! dates and the rows.

pub mod counts;
pub mod forms;
pub mod matching;
pub mod occupation;
pub mod wage_guide;

use chrono::NaiveDate;

crate::coded! {
    /// 招聘活动系列: the national recruitment campaigns an event belongs to.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum EventSeries {
        /// 春风行动 (early in the year, for rural workers)
        Spring = "spring" / "春风行动",
        /// 2+N招聘活动
        TwoPlusN = "two_plus_n" / "2+N招聘活动",
        /// 接您回家 (returning migrant workers)
        HomeComing = "home" / "接您回家",
        /// 工会送岗位
        Union = "union" / "工会送岗位",
        /// 就业援助月
        Aid = "aid" / "就业援助月",
        /// 民营企业招聘月
        Private = "private" / "民营企业招聘月",
        /// 其他
        Other = "other" / "其他",
    }
}

crate::coded! {
    /// 推荐结果: where a referral of a seeker to a vacancy stands.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum ReferralOutcome {
        /// 已推荐 (the starting state)
        Referred = "referred" / "已推荐",
        /// 已面试
        Interview = "interview" / "已面试",
        /// 录用 (final)
        Hired = "hired" / "录用",
        /// 未录用 (final)
        Rejected = "rejected" / "未录用",
        /// 未到岗 (final)
        NoShow = "no_show" / "未到岗",
    }
}

impl ReferralOutcome {
    /// Whether the referral is over: 录用, 未录用 or 未到岗.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ReferralOutcome::Hired | ReferralOutcome::Rejected | ReferralOutcome::NoShow
        )
    }

    /// The outcomes a referral in this state may move to; empty when final.
    pub fn next_allowed(self) -> &'static [ReferralOutcome] {
        match self {
            ReferralOutcome::Referred => &[
                ReferralOutcome::Interview,
                ReferralOutcome::Hired,
                ReferralOutcome::Rejected,
                ReferralOutcome::NoShow,
            ],
            ReferralOutcome::Interview => &[
                ReferralOutcome::Hired,
                ReferralOutcome::Rejected,
                ReferralOutcome::NoShow,
            ],
            ReferralOutcome::Hired | ReferralOutcome::Rejected | ReferralOutcome::NoShow => &[],
        }
    }
}

crate::coded! {
    /// 求职登记状态.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum SeekerStatus {
        Active = "active" / "求职中",
        Employed = "employed" / "已就业",
        Closed = "closed" / "已注销",
    }
}

crate::coded! {
    /// 岗位状态.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum VacancyStatus {
        Open = "open" / "招聘中",
        Filled = "filled" / "已招满",
        Withdrawn = "withdrawn" / "已撤回",
    }
}

crate::coded! {
    /// 就业失业登记的种类.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum RegistrationKind {
        Employment = "employment" / "就业登记",
        Unemployment = "unemployment" / "失业登记",
    }
}

crate::coded! {
    /// 失业原因, as asked at the unemployment registration.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum UnemploymentReason {
        Dismissed = "dismissed" / "被用人单位解除或终止劳动合同",
        ContractEnd = "contract_end" / "劳动合同期满",
        Quit = "quit" / "本人辞职",
        BusinessClosed = "business_closed" / "个体经营停业",
        Returned = "returned" / "返乡未就业",
        Graduate = "graduate" / "毕业未就业",
        Other = "other" / "其他",
    }
}

/// Days an employer has to file the employment registration after hiring
/// (FACTS: 30 days). The deployment may set another figure; this is the
/// default.
pub const EMPLOYMENT_REGISTRATION_DAYS: i64 = 30;

/// Whether an employment registration filed on `registered` for a hire on
/// `start` is late, given the allowed `days`.
///
/// The day of hiring is not counted (民法典 第201条), so with 30 days a hire
/// on 1 March may be registered up to and including 31 March. A registration
/// dated before the start is not late.
pub fn registration_late(start: NaiveDate, registered: NaiveDate, days: i64) -> bool {
    (registered - start).num_days() > days
}

/// Days a registered unemployed person has waited: the plain difference
/// `until - since` in days, never negative (0 when `until` is not after
/// `since`).
pub fn waited_days(since: NaiveDate, until: NaiveDate) -> i64 {
    (until - since).num_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coded::Labelled;
    use std::collections::HashSet;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// Every value has a distinct code that reads back as itself and a
    /// distinct non-empty label; returns the number of values.
    fn check<T: Labelled + std::fmt::Debug>() -> usize {
        let codes: HashSet<&str> = T::ALL.iter().map(|x| x.code()).collect();
        let labels: HashSet<&str> = T::ALL.iter().map(|x| x.label_zh()).collect();
        assert_eq!(codes.len(), T::ALL.len());
        assert_eq!(labels.len(), T::ALL.len());
        assert!(!labels.contains(""));
        for &x in T::ALL {
            assert_eq!(T::from_code(x.code()), Some(x), "{x:?}");
            assert!(x.code().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{x:?}");
        }
        assert_eq!(T::from_code(""), None);
        T::ALL.len()
    }

    #[test]
    fn coded_enums_round_trip() {
        assert_eq!(check::<EventSeries>(), 7);
        assert_eq!(check::<ReferralOutcome>(), 5);
        assert_eq!(check::<SeekerStatus>(), 3);
        assert_eq!(check::<VacancyStatus>(), 3);
        assert_eq!(check::<RegistrationKind>(), 2);
        assert_eq!(check::<UnemploymentReason>(), 7);
    }

    #[test]
    fn codes_and_labels_as_agreed() {
        assert_eq!(EventSeries::from_code("two_plus_n"), Some(EventSeries::TwoPlusN));
        assert_eq!(EventSeries::TwoPlusN.label_zh(), "2+N招聘活动");
        assert_eq!(EventSeries::HomeComing.code(), "home");
        assert_eq!(EventSeries::HomeComing.label_zh(), "接您回家");
        assert_eq!(EventSeries::Private.label_zh(), "民营企业招聘月");
        assert_eq!(ReferralOutcome::NoShow.code(), "no_show");
        assert_eq!(ReferralOutcome::Hired.label_zh(), "录用");
        assert_eq!(SeekerStatus::Closed.label_zh(), "已注销");
        assert_eq!(VacancyStatus::Filled.label_zh(), "已招满");
        assert_eq!(RegistrationKind::Unemployment.label_zh(), "失业登记");
        assert_eq!(
            UnemploymentReason::from_code("business_closed"),
            Some(UnemploymentReason::BusinessClosed)
        );
        assert_eq!(UnemploymentReason::Dismissed.label_zh(), "被用人单位解除或终止劳动合同");
        assert_eq!(UnemploymentReason::Returned.label_zh(), "返乡未就业");
        assert_eq!(UnemploymentReason::ALL[0], UnemploymentReason::Dismissed);
    }

    #[test]
    fn referral_transitions() {
        use ReferralOutcome::*;
        assert!(!Referred.is_final());
        assert!(!Interview.is_final());
        assert!(Hired.is_final() && Rejected.is_final() && NoShow.is_final());
        assert_eq!(Referred.next_allowed(), &[Interview, Hired, Rejected, NoShow]);
        assert_eq!(Interview.next_allowed(), &[Hired, Rejected, NoShow]);
        for x in ReferralOutcome::ALL {
            // Final exactly when nothing follows; never back to the start,
            // never to itself.
            assert_eq!(x.is_final(), x.next_allowed().is_empty(), "{x:?}");
            assert!(!x.next_allowed().contains(&Referred));
            assert!(!x.next_allowed().contains(&x));
        }
    }

    #[test]
    fn registration_deadline() {
        assert_eq!(EMPLOYMENT_REGISTRATION_DAYS, 30);
        let start = d("2026-03-01");
        assert!(!registration_late(start, d("2026-03-01"), 30));
        assert!(!registration_late(start, d("2026-03-31"), 30));
        assert!(registration_late(start, d("2026-04-01"), 30));
        assert!(!registration_late(start, d("2026-02-20"), 30));
        // Across a leap day.
        assert!(!registration_late(d("2024-02-01"), d("2024-03-02"), 30));
        assert!(registration_late(d("2024-02-01"), d("2024-03-03"), 30));
        // Another figure set by the deployment.
        assert!(registration_late(start, d("2026-03-16"), 14));
        assert!(!registration_late(start, d("2026-03-15"), 14));
    }

    #[test]
    fn waiting_days() {
        assert_eq!(waited_days(d("2026-01-01"), d("2026-01-01")), 0);
        assert_eq!(waited_days(d("2026-01-01"), d("2026-01-02")), 1);
        assert_eq!(waited_days(d("2025-12-31"), d("2026-03-01")), 60);
        assert_eq!(waited_days(d("2024-02-28"), d("2024-03-01")), 2);
        assert_eq!(waited_days(d("2026-03-01"), d("2026-01-01")), 0);
    }
}
