//! The audit trail's hash chain (审计日志哈希链).
//!
//! Every audit row carries `hash = HMAC-SM3(key, prev_hash ‖ canonical(row))`
//! ([`chain_mac`]); the first row chains to 32 zero bytes. Changing,
//! inserting or deleting any row breaks the chain at that row, and without
//! the key (which lives outside the database) nobody can compute a chain
//! that verifies. Rows written before the chain was keyed carry the unkeyed
//! `SM3(prev_hash ‖ canonical(row))` ([`chain_hash`]); the first keyed row
//! covers their head.

use hmac::{Hmac, Mac};
use sm3::{Digest, Sm3};

pub const GENESIS: [u8; 32] = [0u8; 32];

/// The fields of one audit row that the chain protects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFields<'a> {
    /// Sequence number (the row id); gaps are detected by the caller.
    pub seq: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub at_micros: i64,
    pub actor_id: Option<i64>,
    pub actor_name: &'a str,
    pub role: &'a str,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: &'a str,
    pub success: bool,
    pub client_addr: &'a str,
    pub detail: &'a str,
}

/// Computes the unkeyed chain hash of a row from the previous row's hash
/// (rows written before the chain was keyed).
pub fn chain_hash(prev: &[u8], f: &AuditFields<'_>) -> [u8; 32] {
    let mut h = Sm3::new();
    h.update(b"shiminhua-audit-v1");
    canonical(&mut |b| h.update(b), prev, f);
    h.finalize().into()
}

/// Computes the keyed chain MAC of a row from the previous row's hash or MAC.
pub fn chain_mac(key: &[u8; 32], prev: &[u8], f: &AuditFields<'_>) -> [u8; 32] {
    let mut m = <Hmac<Sm3> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(b"shiminhua-audit-v2");
    canonical(&mut |b| m.update(b), prev, f);
    m.finalize().into_bytes().into()
}

/// The MAC of an anchor (a checkpoint of the chain's head kept outside the
/// database), so that a forged checkpoint is recognised.
pub fn anchor_mac(key: &[u8; 32], seq: i64, head: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sm3> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(b"shiminhua-audit-anchor-v1");
    m.update(&seq.to_be_bytes());
    m.update(&(head.len() as u64).to_be_bytes());
    m.update(head);
    m.finalize().into_bytes().into()
}

/// Feeds the canonical encoding of a row (after its previous hash) to `out`.
fn canonical(out: &mut dyn FnMut(&[u8]), prev: &[u8], f: &AuditFields<'_>) {
    put(out, prev);
    out(&f.seq.to_be_bytes());
    out(&f.at_micros.to_be_bytes());
    match f.actor_id {
        Some(id) => {
            out(&[1u8]);
            out(&id.to_be_bytes());
        }
        None => out(&[0u8]),
    }
    for s in [
        f.actor_name,
        f.role,
        f.action,
        f.object_kind,
        f.object_id,
        f.client_addr,
        f.detail,
    ] {
        put(out, s.as_bytes());
    }
    out(&[u8::from(f.success)]);
}

/// Length-prefixed, so that moving bytes between fields changes the hash.
fn put(out: &mut dyn FnMut(&[u8]), bytes: &[u8]) {
    out(&(bytes.len() as u64).to_be_bytes());
    out(bytes);
}

/// Lower-case hex of a hash, for display.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The bytes of hex text (either case); `None` for anything else.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    // Digits only: a number's parser would also take a sign ("+1").
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lowercase_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff, 0x10]), "000fabff10");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn unhex_reads_either_case_and_refuses_the_rest() {
        let bytes = [0x00, 0x0f, 0xab, 0xff, 0x10];
        assert_eq!(unhex(&hex(&bytes)).as_deref(), Some(&bytes[..]));
        assert_eq!(unhex("000FABFF10").as_deref(), Some(&bytes[..]));
        assert_eq!(unhex(""), Some(Vec::new()));
        for bad in ["0", "0g", "1 ", "+1", "é0"] {
            assert_eq!(unhex(bad), None, "{bad}");
        }
    }

    fn row(seq: i64, detail: &str) -> AuditFields<'_> {
        AuditFields {
            seq,
            at_micros: 1_700_000_000_000_000,
            actor_id: Some(7),
            actor_name: "admin",
            role: "admin",
            action: "user.create",
            object_kind: "user",
            object_id: "12",
            success: true,
            client_addr: "127.0.0.1",
            detail,
        }
    }

    #[test]
    fn sm3_matches_the_standard_vector() {
        // GB/T 32905-2016 example 1: SM3("abc").
        let d: [u8; 32] = Sm3::digest(b"abc").into();
        assert_eq!(
            hex(&d),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn every_field_and_the_previous_hash_matter() {
        let base = chain_hash(&GENESIS, &row(1, "x"));
        assert_eq!(base, chain_hash(&GENESIS, &row(1, "x")));
        assert_ne!(base, chain_hash(&GENESIS, &row(2, "x")));
        assert_ne!(base, chain_hash(&GENESIS, &row(1, "y")));
        assert_ne!(base, chain_hash(&[1u8; 32], &row(1, "x")));
        let mut failed = row(1, "x");
        failed.success = false;
        assert_ne!(base, chain_hash(&GENESIS, &failed));
        let mut anon = row(1, "x");
        anon.actor_id = None;
        assert_ne!(base, chain_hash(&GENESIS, &anon));
        // Moving a byte from one field to the next changes the hash.
        let mut a = row(1, "");
        a.object_kind = "users";
        a.object_id = "";
        let mut b = row(1, "");
        b.object_kind = "user";
        b.object_id = "s";
        assert_ne!(chain_hash(&GENESIS, &a), chain_hash(&GENESIS, &b));
    }

    #[test]
    fn the_keyed_chain_depends_on_the_key() {
        let k1 = [1u8; 32];
        let k2 = [2u8; 32];
        let r = row(1, "x");
        assert_eq!(chain_mac(&k1, &GENESIS, &r), chain_mac(&k1, &GENESIS, &r));
        assert_ne!(chain_mac(&k1, &GENESIS, &r), chain_mac(&k2, &GENESIS, &r));
        assert_ne!(chain_mac(&k1, &GENESIS, &r), chain_hash(&GENESIS, &r));
        assert_ne!(chain_mac(&k1, &GENESIS, &r), chain_mac(&k1, &GENESIS, &row(1, "y")));
        assert_ne!(anchor_mac(&k1, 5, &[3u8; 32]), anchor_mac(&k1, 6, &[3u8; 32]));
        assert_ne!(anchor_mac(&k1, 5, &[3u8; 32]), anchor_mac(&k2, 5, &[3u8; 32]));
    }
}
