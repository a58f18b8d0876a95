//! Pure domain rules of shiminhua (市民化): identifiers, roles and data scope,
//! password and second-factor rules, the audit hash chain. No I/O, no clock.

/// Serde for a parsed identifier as its canonical string: serialised with
/// `$to`, deserialised through the type's `parse` (so invalid input is refused).
#[macro_export]
macro_rules! serde_as_string {
    ($t:ty, $to:expr) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&($to)(self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                <$t>::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub mod audit;
pub mod auth;
pub mod blacklist;
pub mod calendar;
pub mod case;
pub mod coded;
pub mod credit_code;
pub mod division;
pub mod evaluation;
pub mod facility;
pub mod field;
pub mod id_number;
pub mod ids;
pub mod indicator;
pub mod jobs;
pub mod kdf;
pub mod money;
pub mod monitor;
pub mod password;
pub mod person;
pub mod phone;
pub mod plan;
pub mod record;
pub mod report;
pub mod totp;
