//! Time-based one-time passwords as a second factor: RFC 4226 (HOTP),
//! RFC 6238 (TOTP with HMAC-SHA1, 30-second steps, 6 digits) and the
//! RFC 4648 base32 alphabet used by authenticator apps.
//!
//! Time is always a parameter (Unix seconds); this module never reads a
//! clock. Replay protection is the caller's job: store the step returned by
//! [`TotpSecret::verify`] and reject any later code whose step is not
//! greater than the stored one.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Length of one TOTP time step, in seconds.
pub const STEP_SECS: i64 = 30;
/// Number of digits of a TOTP code.
pub const DIGITS: u32 = 6;
/// Upper bound applied to the `skew_steps` argument of
/// [`TotpSecret::verify`], so a misconfiguration cannot widen the window
/// arbitrarily.
pub const MAX_SKEW_STEPS: i64 = 10;

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Encodes bytes as RFC 4648 base32, upper case, without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u16 = 0;
    let mut bits: u32 = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u16::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(base32_char((buffer >> bits) & 0x1f));
        }
        // Keep only the bits not yet emitted.
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(base32_char((buffer << (5 - bits)) & 0x1f));
    }
    out
}

fn base32_char(index: u16) -> char {
    BASE32_ALPHABET.get(usize::from(index)).map_or('A', |&c| char::from(c))
}

fn base32_value(c: char) -> Option<u16> {
    match c {
        'A'..='Z' => Some(u16::from(c as u8 - b'A')),
        'a'..='z' => Some(u16::from(c as u8 - b'a')),
        '2'..='7' => Some(u16::from(c as u8 - b'2') + 26),
        _ => None,
    }
}

/// Decodes RFC 4648 base32. Case-insensitive; whitespace and `=` padding
/// are ignored. Returns `None` on any other character or on a length that
/// no encoder can produce.
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut buffer: u16 = 0;
    let mut bits: u32 = 0;
    let mut symbols: usize = 0;
    for c in s.chars() {
        if c == '=' || c.is_whitespace() {
            continue;
        }
        let v = base32_value(c)?;
        symbols += 1;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // 1, 3 or 6 trailing symbols cannot come from whole bytes.
    match symbols % 8 {
        1 | 3 | 6 => None,
        _ => Some(out),
    }
}

/// HMAC-SHA1 of `msg` under `key`.
fn hmac_sha1(key: &[u8], msg: &[u8]) -> Option<[u8; 20]> {
    // HMAC accepts keys of any length, so this never fails in practice.
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(msg);
    let tag = mac.finalize().into_bytes();
    <[u8; 20]>::try_from(tag.as_slice()).ok()
}

fn hotp_checked(key: &[u8], counter: u64, digits: u32) -> Option<u32> {
    let h = hmac_sha1(key, &counter.to_be_bytes())?;
    // Dynamic truncation (RFC 4226 §5.3): offset <= 15, so offset + 3 < 20.
    let offset = usize::from(h[19] & 0x0f);
    let bin = u32::from_be_bytes([h[offset] & 0x7f, h[offset + 1], h[offset + 2], h[offset + 3]]);
    Some(match 10u32.checked_pow(digits) {
        Some(modulus) => bin % modulus,
        // 10^digits exceeds u32: the 31-bit value is already smaller.
        None => bin,
    })
}

/// RFC 4226 HOTP value of `key` at `counter`, reduced to `digits` decimal
/// digits (not zero-padded; format with `{:0width$}`).
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    hotp_checked(key, counter, digits).unwrap_or(0)
}

/// Compares two byte strings without data-dependent early exit.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Percent-encodes UTF-8 bytes, keeping only RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`).
fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// A shared TOTP secret. Its `Debug` output never shows the key.
#[derive(Clone)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    /// Wraps raw key bytes (RFC 4226 recommends 20 random bytes).
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        TotpSecret(bytes.into())
    }

    /// Decodes a base32 secret as shown by authenticator apps. `None` if the
    /// text is not valid base32 or decodes to no bytes.
    pub fn from_base32(s: &str) -> Option<Self> {
        let bytes = base32_decode(s)?;
        if bytes.is_empty() {
            return None;
        }
        Some(TotpSecret(bytes))
    }

    /// The secret as unpadded upper-case base32.
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// The raw key bytes (e.g. for encrypted storage).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The time-step counter for a Unix time: `floor(unix_secs / 30)`.
    pub fn step_at(unix_secs: i64) -> i64 {
        unix_secs.div_euclid(STEP_SECS)
    }

    fn code_for_step(&self, step: i64) -> Option<String> {
        let counter = u64::try_from(step).ok()?;
        let value = hotp_checked(&self.0, counter, DIGITS)?;
        Some(format!("{value:06}"))
    }

    /// The 6-digit code (zero-padded) valid at `unix_secs`. Times before
    /// the Unix epoch are treated as step 0.
    pub fn code_at(&self, unix_secs: i64) -> String {
        let step = Self::step_at(unix_secs).max(0);
        self.code_for_step(step).unwrap_or_else(|| "000000".to_string())
    }

    /// Checks `code` (surrounding whitespace trimmed, exactly 6 ASCII
    /// digits) against every time step within `±skew_steps` of `unix_secs`
    /// (`skew_steps` is clamped to `0..=MAX_SKEW_STEPS`). Returns the matched
    /// step, preferring the one closest to `unix_secs`, or `None`.
    ///
    /// All candidate steps are computed and compared in constant time. An
    /// empty secret never verifies.
    pub fn verify(&self, code: &str, unix_secs: i64, skew_steps: i64) -> Option<i64> {
        let code = code.trim();
        if self.0.is_empty() || code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = Self::step_at(unix_secs);
        let skew = skew_steps.clamp(0, MAX_SKEW_STEPS);
        let mut matched: Option<(i64, i64)> = None; // (distance, step)
        for delta in -skew..=skew {
            let Some(step) = now.checked_add(delta) else {
                continue;
            };
            let Some(expected) = self.code_for_step(step) else {
                continue;
            };
            if constant_time_eq(expected.as_bytes(), code.as_bytes()) {
                let distance = delta.abs();
                if matched.is_none_or(|(best, _)| distance < best) {
                    matched = Some((distance, step));
                }
            }
        }
        matched.map(|(_, step)| step)
    }

    /// The `otpauth://` provisioning URI for QR codes, e.g.
    /// `otpauth://totp/Issuer:alice?secret=...&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
    /// Issuer and account are percent-encoded as UTF-8. With an empty
    /// issuer the label is the account alone and no `issuer` parameter is
    /// added.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let secret = self.to_base32();
        let account = percent_encode(account);
        if issuer.is_empty() {
            format!("otpauth://totp/{account}?secret={secret}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}")
        } else {
            let issuer = percent_encode(issuer);
            format!(
                "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_KEY: &[u8] = b"12345678901234567890";

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(RFC_KEY)
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, want) in (0u64..).zip(expected) {
            assert_eq!(hotp(RFC_KEY, counter, 6), want, "counter {counter}");
        }
    }

    #[test]
    fn hotp_digit_counts() {
        // RFC 4226 Appendix D truncated value for counter 0 is 1284755224.
        assert_eq!(hotp(RFC_KEY, 0, 10), 1_284_755_224);
        assert_eq!(hotp(RFC_KEY, 0, 32), 1_284_755_224);
        assert_eq!(hotp(RFC_KEY, 0, 8), 84_755_224);
        assert_eq!(hotp(RFC_KEY, 0, 0), 0);
        // RFC 6238 Appendix B, 8-digit SHA1 at T=59.
        assert_eq!(hotp(RFC_KEY, 1, 8), 94_287_082);
        assert_eq!(hotp(b"", 0, 6), hotp(b"", 0, 6));
    }

    #[test]
    fn rfc6238_totp_vectors() {
        let s = rfc_secret();
        for (t, want) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(s.code_at(t), want, "T={t}");
        }
    }

    #[test]
    fn code_is_constant_within_a_step() {
        let s = rfc_secret();
        assert_eq!(s.code_at(30), s.code_at(59));
        assert_ne!(s.code_at(59), s.code_at(60));
        assert_eq!(TotpSecret::step_at(59), 1);
        assert_eq!(TotpSecret::step_at(60), 2);
        assert_eq!(TotpSecret::step_at(-1), -1);
        // Pre-epoch times fall back to step 0 instead of panicking.
        assert_eq!(s.code_at(-100), s.code_at(0));
        assert_eq!(s.code_at(i64::MIN).len(), 6);
        assert_eq!(s.code_at(i64::MAX).len(), 6);
    }

    #[test]
    fn base32_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).as_deref(), Some(plain.as_bytes()), "{encoded}");
        }
    }

    #[test]
    fn base32_decode_is_lenient_about_case_spaces_and_padding() {
        assert_eq!(base32_decode("MY======").as_deref(), Some(&b"f"[..]));
        assert_eq!(base32_decode("mzxw6ytboi").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(base32_decode("mzxw 6ytb oi").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(base32_decode("MZXW6YQ=").as_deref(), Some(&b"foob"[..]));
    }

    #[test]
    fn base32_decode_rejects_invalid_input() {
        assert_eq!(base32_decode("MZXW1"), None);
        assert_eq!(base32_decode("MZXW8"), None);
        assert_eq!(base32_decode("MZ-XW"), None);
        assert_eq!(base32_decode("ＭＹ"), None);
        assert_eq!(base32_decode("市民"), None);
        // Lengths that no encoder produces.
        assert_eq!(base32_decode("M"), None);
        assert_eq!(base32_decode("MZX"), None);
        assert_eq!(base32_decode("MZXW6Y"), None);
    }

    #[test]
    fn base32_round_trips_all_lengths() {
        let data: Vec<u8> = (0u8..=255).collect();
        for len in 0..=data.len() {
            let slice = &data[..len];
            assert_eq!(base32_decode(&base32_encode(slice)).as_deref(), Some(slice));
        }
        let rfc = base32_encode(RFC_KEY);
        assert_eq!(rfc, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn secret_conversions_and_redacted_debug() {
        let s = rfc_secret();
        assert_eq!(s.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let back = TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").expect("valid base32");
        assert_eq!(back.as_bytes(), RFC_KEY);
        assert_eq!(back.code_at(59), "287082");
        assert_eq!(format!("{s:?}"), "TotpSecret(***)");
        assert!(!format!("{s:?}").contains("GEZD"));
        assert!(TotpSecret::from_base32("").is_none());
        assert!(TotpSecret::from_base32("====").is_none());
        assert!(TotpSecret::from_base32("not base32!").is_none());
        assert_eq!(TotpSecret::from_bytes(vec![1, 2, 3]).as_bytes(), &[1, 2, 3]);
        assert_eq!(TotpSecret::from_bytes([9u8; 4]).as_bytes(), &[9; 4]);
    }

    #[test]
    fn verify_exact_and_with_skew() {
        let s = rfc_secret();
        let t = 1_111_111_111; // step 37037037
        let step = TotpSecret::step_at(t);
        assert_eq!(step, 37_037_037);
        assert_eq!(s.verify("050471", t, 0), Some(step));
        assert_eq!(s.verify(" 050471\n", t, 0), Some(step));
        // The code of the previous step is accepted only with skew.
        let prev = s.code_at(t - 30);
        assert_eq!(s.verify(&prev, t, 0), None);
        assert_eq!(s.verify(&prev, t, 1), Some(step - 1));
        let next = s.code_at(t + 30);
        assert_eq!(s.verify(&next, t, 1), Some(step + 1));
        // Two steps away needs skew 2.
        let far = s.code_at(t + 60);
        assert_eq!(s.verify(&far, t, 1), None);
        assert_eq!(s.verify(&far, t, 2), Some(step + 2));
        // Negative skew behaves like zero.
        assert_eq!(s.verify(&prev, t, -5), None);
        assert_eq!(s.verify("050471", t, -5), Some(step));
        // Skew is capped.
        let very_far = s.code_at(t + 30 * (MAX_SKEW_STEPS + 1));
        assert_eq!(s.verify(&very_far, t, i64::MAX), None);
        let edge = s.code_at(t + 30 * MAX_SKEW_STEPS);
        assert_eq!(s.verify(&edge, t, i64::MAX), Some(step + MAX_SKEW_STEPS));
    }

    #[test]
    fn verify_rejects_wrong_codes() {
        let s = rfc_secret();
        let t = 59;
        assert_eq!(s.verify("287082", t, 1), Some(1));
        for bad in [
            "",
            "28708",
            "2870820",
            "28708a",
            "287 082",
            "２８７０８２",
            "-28708",
            "+287082",
            "287082\u{0}",
            "00287082",
        ] {
            assert_eq!(s.verify(bad, t, 1), None, "code {bad:?}");
        }
        // A valid-looking but wrong code.
        let wrong = if s.code_at(t) == "123456" { "654321" } else { "123456" };
        assert_eq!(s.verify(wrong, t, 0), None);
        // An empty secret never verifies, even its own code.
        let empty = TotpSecret::from_bytes(Vec::new());
        let code = empty.code_at(t);
        assert_eq!(empty.verify(&code, t, 1), None);
    }

    #[test]
    fn verify_near_epoch_and_extremes() {
        let s = rfc_secret();
        assert_eq!(s.verify(&s.code_at(0), 0, 1), Some(0));
        assert_eq!(s.verify(&s.code_at(0), 10, 3), Some(0));
        // Negative steps are never candidates.
        assert_eq!(s.verify(&s.code_at(0), -60, 1), None);
        assert_eq!(s.verify("000000", i64::MIN, MAX_SKEW_STEPS), None);
        let last = s.code_at(i64::MAX);
        assert_eq!(
            s.verify(&last, i64::MAX, MAX_SKEW_STEPS),
            Some(TotpSecret::step_at(i64::MAX))
        );
    }

    #[test]
    fn constant_time_eq_behaviour() {
        assert!(constant_time_eq(b"123456", b"123456"));
        assert!(!constant_time_eq(b"123456", b"123457"));
        assert!(!constant_time_eq(b"123456", b"12345"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn otpauth_uri_format() {
        let s = rfc_secret();
        assert_eq!(
            s.otpauth_uri("Shiminhua", "alice@example.com"),
            "otpauth://totp/Shiminhua:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Shiminhua&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            s.otpauth_uri("市民化 平台", "张三"),
            "otpauth://totp/%E5%B8%82%E6%B0%91%E5%8C%96%20%E5%B9%B3%E5%8F%B0:%E5%BC%A0%E4%B8%89?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=%E5%B8%82%E6%B0%91%E5%8C%96%20%E5%B9%B3%E5%8F%B0&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            s.otpauth_uri("", "bob"),
            "otpauth://totp/bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(percent_encode("a b:c/d?e&f=g+h%"), "a%20b%3Ac%2Fd%3Fe%26f%3Dg%2Bh%25");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode(""), "");
    }
}
