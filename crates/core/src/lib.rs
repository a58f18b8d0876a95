//! Pure domain rules of shiminhua (市民化): identifiers, roles and data scope,
//! password and second-factor rules, the audit hash chain. No I/O, no clock.

pub mod audit;
pub mod auth;
pub mod division;
pub mod password;
pub mod totp;
