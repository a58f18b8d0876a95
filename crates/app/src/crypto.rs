//! Encryption of personal information at rest: SM4-GCM (GB/T 32907 in the
//! GCM construction) for values, HMAC-SM3 blind indexes for exact search.
//!
//! Both keys are derived from the master key ([`MasterKey`]) with HMAC-SM3 and
//! distinct labels. A sealed value is `version (1) ‖ key id (4) ‖ nonce (12) ‖
//! ciphertext ‖ tag (16)`; the key id lets a key rotation find values still
//! sealed under the old key. Every value is bound to its place by the
//! associated data (e.g. `totp:42`), so a ciphertext copied to another row or
//! column does not open.

use crate::error::{AppError, AppResult};
use crate::keys::MasterKey;
use aes_gcm::aead::Aead;
use aes_gcm::aead::Payload;
use aes_gcm::{AesGcm, KeyInit};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sm3::Sm3;
use sm4::Sm4;
use sm4::cipher::consts::U12;
use std::fmt;

type Sm4Gcm = AesGcm<Sm4, U12>;

const VERSION: u8 = 1;
const HEADER: usize = 1 + 4 + 12;

/// The keys derived from one master key.
#[derive(Clone)]
pub struct Cipher {
    aead: Sm4Gcm,
    key_id: [u8; 4],
    index_key: [u8; 32],
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cipher(key id {})", crate::hex(&self.key_id))
    }
}

fn hmac(key: &[u8]) -> Hmac<Sm3> {
    <Hmac<Sm3> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length")
}

fn derive(master: &[u8], label: &[u8]) -> [u8; 32] {
    let mut m = hmac(master);
    m.update(label);
    m.finalize().into_bytes().into()
}

impl Cipher {
    pub fn new(master: &MasterKey) -> Cipher {
        let enc = derive(master.bytes(), b"shiminhua/pii-enc/sm4-gcm/v1");
        let index_key = derive(master.bytes(), b"shiminhua/pii-index/hmac-sm3/v1");
        let id = derive(master.bytes(), b"shiminhua/key-id/v1");
        let aead = Sm4Gcm::new_from_slice(&enc[..16]).expect("SM4 keys are 16 bytes");
        Cipher {
            aead,
            key_id: [id[0], id[1], id[2], id[3]],
            index_key,
        }
    }

    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// Encrypts `plain`, bound to `context` (what and where the value is).
    pub fn seal(&self, context: &str, plain: &[u8]) -> AppResult<Vec<u8>> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .aead
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| AppError::Internal("sm4-gcm seal".into()))?;
        let mut out = Vec::with_capacity(HEADER + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts a value sealed by [`Cipher::seal`] with the same context.
    pub fn open(&self, context: &str, sealed: &[u8]) -> AppResult<Vec<u8>> {
        let bad = || AppError::Internal(format!("sealed value for {context} does not open"));
        if sealed.len() < HEADER + 16 || sealed[0] != VERSION {
            return Err(bad());
        }
        if sealed[1..5] != self.key_id {
            return Err(AppError::Config(
                "数据由另一个密钥加密，无法解密。请确认使用了正确的密钥文件。".into(),
            ));
        }
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&sealed[5..HEADER]);
        self.aead
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: &sealed[HEADER..],
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| bad())
    }

    /// The blind index of a normalised value of one kind (`id_number`,
    /// `phone`, …): equal values give equal indexes; without the key the
    /// index reveals nothing.
    pub fn blind_index(&self, kind: &str, normalised: &str) -> Vec<u8> {
        let mut m = hmac(&self.index_key);
        m.update(kind.as_bytes());
        m.update(&[0]);
        m.update(normalised.as_bytes());
        m.finalize().into_bytes()[..16].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> MasterKey {
        MasterKey::from_hex(&format!("{b:02x}").repeat(32)).unwrap()
    }

    #[test]
    fn sm4_matches_the_standard_vector() {
        // GB/T 32907-2016 Appendix A, example 1.
        use sm4::cipher::{BlockCipherEncrypt, KeyInit as _};
        let k: [u8; 16] = [
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
        ];
        let c = Sm4::new(&k.into());
        let mut block = k.into();
        c.encrypt_block(&mut block);
        assert_eq!(crate::hex(&block), "681edf34d206965e86b3e94f536e4246");
    }

    #[test]
    fn seal_and_open_round_trip_bound_to_context() {
        let c = Cipher::new(&key(7));
        let s = c.seal("id_number:1", b"341002198503120011").unwrap();
        assert_eq!(s.len(), HEADER + 18 + 16);
        assert!(!s.windows(18).any(|w| w == b"341002198503120011"));
        assert_eq!(c.open("id_number:1", &s).unwrap(), b"341002198503120011");
        // Another row, another column, a flipped bit, another key: refused.
        assert!(c.open("id_number:2", &s).is_err());
        let mut t = s.clone();
        let last = t.len() - 1;
        t[last] ^= 1;
        assert!(c.open("id_number:1", &t).is_err());
        let other = Cipher::new(&key(8));
        assert!(matches!(other.open("id_number:1", &s), Err(AppError::Config(_))));
        // Fresh nonces: the same value seals differently each time.
        assert_ne!(c.seal("x", b"same").unwrap(), c.seal("x", b"same").unwrap());
        assert!(c.open("x", &[1, 2, 3]).is_err());
    }

    #[test]
    fn blind_indexes_are_keyed_and_separated_by_kind() {
        let a = Cipher::new(&key(1));
        let b = Cipher::new(&key(2));
        assert_eq!(
            a.blind_index("phone", "13800138000"),
            a.blind_index("phone", "13800138000")
        );
        assert_ne!(
            a.blind_index("phone", "13800138000"),
            a.blind_index("id_number", "13800138000")
        );
        assert_ne!(
            a.blind_index("phone", "13800138000"),
            b.blind_index("phone", "13800138000")
        );
        assert_ne!(a.key_id(), b.key_id());
        assert!(!format!("{a:?}").contains(&crate::hex(&a.index_key)));
    }
}
