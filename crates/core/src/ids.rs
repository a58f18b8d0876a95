//! Typed ids: a worker's id cannot be passed where a case's is wanted.
//! Each wraps the row id the database gave (a positive integer).
//!
//! ```compile_fail
//! fn case_page(_: shiminhua_core::ids::CaseId) {}
//! case_page(shiminhua_core::ids::WorkerId(1));
//! ```
//!
//! ```
//! fn case_page(id: shiminhua_core::ids::CaseId) -> String { id.to_string() }
//! assert_eq!(case_page(shiminhua_core::ids::CaseId(7)), "7");
//! ```

use std::fmt;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

    )*};
}

ids! {
    /// A worker (农民工).
    WorkerId;
    /// A worker's family member (随迁家属).
    DependantId;
    /// A record of one of the seven kinds.
    RecordId;
    /// A wage-arrears case.
    CaseId;
    /// A service facility.
    FacilityId;
    /// A progress report.
    ReportId;
    /// A user account.
    UserId;
}
