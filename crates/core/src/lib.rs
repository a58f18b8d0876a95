//! Pure domain rules of shiminhua (市民化): identifiers, roles and data scope,
//! password and second-factor rules, the audit hash chain. No I/O, no clock.

pub mod audit;
pub mod auth;
pub mod credit_code;
pub mod division;
pub mod id_number;
pub mod money;
pub mod password;
pub mod phone;
pub mod totp;
