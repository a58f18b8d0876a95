//! Key derivation: one key per use, derived from a master key.

use hmac::{Hmac, Mac};
use sm3::Sm3;

/// The key for the use `label` derived from `master` (HMAC-SM3 of the label).
pub fn derive(master: &[u8], label: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sm3> as hmac::KeyInit>::new_from_slice(master).expect("HMAC takes keys of any length");
    m.update(label);
    m.finalize().into_bytes().into()
}
