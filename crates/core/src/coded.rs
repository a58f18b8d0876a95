//! Coded enums: a closed set of values, each stored as a short ASCII code and
//! shown with a Chinese label, declared once with [`coded!`](crate::coded!).
//!
//! ```
//! shiminhua_core::coded! {
//!     /// A report's state.
//!     #[derive(Clone, Copy, Debug, PartialEq, Eq)]
//!     pub enum Example {
//!         /// 已报送
//!         Filed = "filed" / "已报送",
//!         Returned = "returned" / "已退回",
//!     }
//! }
//! use shiminhua_core::coded::Coded;
//! assert_eq!(Example::from_code("filed"), Some(Example::Filed));
//! assert_eq!(Example::Returned.label_zh(), "已退回");
//! assert_eq!(<Example as Coded>::ALL.len(), 2);
//! ```
//!
//! The macro writes the enum (its attributes and the variants' doc comments
//! as given), the inherent `ALL` (an array, in declaration order), `code`,
//! `from_code` and `label_zh`, and implements [`Coded`] and [`Labelled`].
//! Without labels (`Variant = "code"`) it implements [`Coded`] only.

/// A closed set of values stored by code.
pub trait Coded: Copy + Eq + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];

    /// The code stored in the database and used in URLs and forms.
    fn code(self) -> &'static str;

    /// The value of a code, if it is one.
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.code() == code)
    }
}

/// A coded value with a Chinese label for display.
pub trait Labelled: Coded {
    /// The Chinese label.
    fn label_zh(self) -> &'static str;
}

/// Declares a coded enum; see the [module documentation](crate::coded).
#[macro_export]
macro_rules! coded {
    (@count $($v:ident)*) => { 0usize $(+ $crate::coded!(@one $v))* };
    (@one $v:ident) => { 1usize };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal / $label:expr ),+ $(,)?
        }
    ) => {
        $crate::coded! {
            $(#[$meta])*
            $vis enum $name {
                $( $(#[$vmeta])* $variant = $code ),+
            }
        }

        impl $name {
            /// The Chinese label.
            pub fn label_zh(self) -> &'static str {
                <$name as $crate::coded::Labelled>::label_zh(self)
            }
        }

        impl $crate::coded::Labelled for $name {
            fn label_zh(self) -> &'static str {
                match self {
                    $( $name::$variant => $label, )+
                }
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; $crate::coded!(@count $($variant)+)] = [$($name::$variant),+];

            /// The stored code.
            pub fn code(self) -> &'static str {
                <$name as $crate::coded::Coded>::code(self)
            }

            /// The value of a stored code.
            pub fn from_code(code: &str) -> Option<$name> {
                <$name as $crate::coded::Coded>::from_code(code)
            }
        }

        impl $crate::coded::Coded for $name {
            const ALL: &'static [$name] = &$name::ALL;

            fn code(self) -> &'static str {
                match self {
                    $( $name::$variant => $code, )+
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::{Coded, Labelled};
    use std::collections::HashSet;

    /// Every value of `T` has a distinct code that reads back as itself.
    fn round_trips<T: Coded + std::fmt::Debug>() -> usize {
        let mut seen = HashSet::new();
        for &x in T::ALL {
            let code = x.code();
            assert!(
                seen.insert(code),
                "{} code {code:?} repeated",
                std::any::type_name::<T>()
            );
            assert!(!code.is_empty());
            assert_eq!(T::from_code(code), Some(x), "{code:?}");
        }
        assert_eq!(T::from_code(""), None);
        assert_eq!(T::from_code("no such code"), None);
        T::ALL.len()
    }

    /// Every labelled value has a non-empty label, distinct within its enum.
    fn labels_distinct<T: Labelled>() {
        let labels: HashSet<&str> = T::ALL.iter().map(|x| x.label_zh()).collect();
        assert_eq!(labels.len(), T::ALL.len(), "{}", std::any::type_name::<T>());
        assert!(!labels.contains(""));
    }

    #[test]
    fn every_coded_enum_round_trips() {
        use crate::{auth, blacklist, calendar, case, facility, jobs, plan, report};
        let sizes = [
            round_trips::<case::Source>(),
            round_trips::<case::Sector>(),
            round_trips::<case::CaseStatus>(),
            round_trips::<case::Action>(),
            round_trips::<auth::Role>(),
            round_trips::<auth::RecordKind>(),
            round_trips::<blacklist::Reason>(),
            round_trips::<blacklist::RemovalKind>(),
            round_trips::<calendar::DayKind>(),
            round_trips::<facility::FacilityKind>(),
            round_trips::<plan::Cycle>(),
            round_trips::<plan::Comparison>(),
            round_trips::<plan::Progress>(),
            round_trips::<plan::Window>(),
            round_trips::<report::ReportStatus>(),
            round_trips::<jobs::EventSeries>(),
            round_trips::<jobs::ReferralOutcome>(),
            round_trips::<jobs::SeekerStatus>(),
            round_trips::<jobs::VacancyStatus>(),
        ];
        assert_eq!(sizes, [7, 4, 8, 10, 7, 11, 2, 2, 2, 5, 4, 4, 2, 3, 3, 7, 5, 3, 3]);
        labels_distinct::<case::Source>();
        labels_distinct::<case::Sector>();
        labels_distinct::<case::CaseStatus>();
        labels_distinct::<case::Action>();
        labels_distinct::<auth::Role>();
        labels_distinct::<auth::RecordKind>();
        labels_distinct::<jobs::EventSeries>();
        labels_distinct::<jobs::ReferralOutcome>();
        labels_distinct::<blacklist::Reason>();
        labels_distinct::<calendar::DayKind>();
        labels_distinct::<facility::FacilityKind>();
        labels_distinct::<plan::Cycle>();
        labels_distinct::<plan::Comparison>();
        labels_distinct::<report::ReportStatus>();
    }
}
