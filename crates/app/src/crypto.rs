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
use crate::keys::{KeyRing, MasterKey, derive};
use aes_gcm::aead::Aead;
use aes_gcm::aead::Payload;
use aes_gcm::{AesGcm, KeyInit};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sm3::Sm3;
use sm4::Sm4;
use sm4::cipher::consts::U12;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

type Sm4Gcm = AesGcm<Sm4, U12>;

const VERSION: u8 = 1;
const HEADER: usize = 1 + 4 + 12;

/// The keys derived from a key ring: one SM4-GCM key per master key (the
/// first seals), and the blind-index key.
struct Keys {
    aeads: Vec<([u8; 4], Sm4Gcm)>,
    index_key: [u8; 32],
    /// HMAC-SM3 already keyed with `index_key` (cloned for each index).
    index_mac: Hmac<Sm3>,
}

/// Seals, opens and indexes personal information. Cheap to clone.
#[derive(Clone)]
pub struct Cipher {
    keys: Arc<RwLock<Keys>>,
    /// The key file, re-read when a value sealed with an unknown key turns up
    /// (after a rotation by `shiminhua key rotate` while the server runs).
    reload: Option<Arc<PathBuf>>,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cipher(current key id {})", crate::hex(&self.key_id()))
    }
}

fn hmac(key: &[u8]) -> Hmac<Sm3> {
    <Hmac<Sm3> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length")
}

fn keys_of(ring: &KeyRing) -> Keys {
    let aeads = ring
        .keys()
        .iter()
        .map(|k| {
            let enc = derive(k.bytes(), b"shiminhua/pii-enc/sm4-gcm/v1");
            let id = derive(k.bytes(), b"shiminhua/key-id/v1");
            let aead = Sm4Gcm::new_from_slice(&enc[..16]).expect("SM4 keys are 16 bytes");
            ([id[0], id[1], id[2], id[3]], aead)
        })
        .collect();
    Keys {
        aeads,
        index_key: *ring.index_key(),
        index_mac: hmac(ring.index_key()),
    }
}

impl Cipher {
    /// A cipher over one key.
    pub fn new(master: &MasterKey) -> Cipher {
        Cipher::from_ring(&KeyRing::single(master.clone()))
    }

    pub fn from_ring(ring: &KeyRing) -> Cipher {
        Cipher {
            keys: Arc::new(RwLock::new(keys_of(ring))),
            reload: None,
        }
    }

    /// Re-reads `path` when a value sealed with a newer key turns up.
    pub fn reloading_from(mut self, path: &Path) -> Cipher {
        self.reload = Some(Arc::new(path.to_path_buf()));
        self
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The id of the key new values are sealed with.
    pub fn key_id(&self) -> [u8; 4] {
        self.read().aeads.first().map(|(id, _)| *id).unwrap_or_default()
    }

    /// The key id a sealed value names.
    pub fn key_id_of(sealed: &[u8]) -> Option<[u8; 4]> {
        (sealed.len() >= HEADER && sealed[0] == VERSION).then(|| [sealed[1], sealed[2], sealed[3], sealed[4]])
    }

    /// Encrypts `plain`, bound to `context` (what and where the value is).
    pub fn seal(&self, context: &str, plain: &[u8]) -> AppResult<Vec<u8>> {
        let keys = self.read();
        let (id, aead) = keys
            .aeads
            .first()
            .ok_or_else(|| AppError::Internal("empty key ring".into()))?;
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ct = aead
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
        out.extend_from_slice(id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts a value sealed by [`Cipher::seal`] with the same context.
    pub fn open(&self, context: &str, sealed: &[u8]) -> AppResult<Vec<u8>> {
        let bad = || AppError::Internal(format!("sealed value for {context} does not open"));
        let Some(id) = Cipher::key_id_of(sealed).filter(|_| sealed.len() >= HEADER + 16) else {
            return Err(bad());
        };
        if !self.read().aeads.iter().any(|(k, _)| *k == id) {
            self.try_reload();
        }
        let keys = self.read();
        let Some((_, aead)) = keys.aeads.iter().find(|(k, _)| *k == id) else {
            return Err(AppError::Config(
                "数据由另一个密钥加密，无法解密。请确认使用了正确的密钥文件。".into(),
            ));
        };
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&sealed[5..HEADER]);
        aead.decrypt(
            &nonce.into(),
            Payload {
                msg: &sealed[HEADER..],
                aad: context.as_bytes(),
            },
        )
        .map_err(|_| bad())
    }

    /// Re-reads the key file (if this cipher came from one), so that a key
    /// rotated meanwhile seals new values.
    pub fn refresh(&self) {
        self.try_reload();
    }

    fn try_reload(&self) {
        let Some(path) = &self.reload else { return };
        if let Ok(Some(ring)) = KeyRing::read(path) {
            let fresh = keys_of(&ring);
            let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
            // Only a ring of the same installation (same index key) is taken.
            if fresh.index_key == keys.index_key {
                *keys = fresh;
            }
        }
    }

    /// The blind index of a normalised value of one kind (`id_number`,
    /// `phone`, …): equal values give equal indexes; without the key the
    /// index reveals nothing. Rotating the encryption key keeps it.
    pub fn blind_index(&self, kind: &str, normalised: &str) -> Vec<u8> {
        let mut m = self.read().index_mac.clone();
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
        assert_eq!(Cipher::key_id_of(&s), Some(c.key_id()));
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
        assert!(!format!("{a:?}").contains(&crate::hex(&a.read().index_key)));
    }
}

#[cfg(test)]
mod ring_tests {
    use super::*;

    #[test]
    fn a_rotated_ring_opens_old_values_seals_new_ones_and_keeps_the_index() {
        let old = KeyRing::single(MasterKey::generate());
        let c_old = Cipher::from_ring(&old);
        let v1 = c_old.seal("ctx", b"13800138000").unwrap();
        let new = old.rotated();
        let c_new = Cipher::from_ring(&new);
        assert_ne!(c_new.key_id(), c_old.key_id());
        assert_eq!(c_new.open("ctx", &v1).unwrap(), b"13800138000", "old values still open");
        let v2 = c_new.seal("ctx", b"13800138000").unwrap();
        assert_eq!(Cipher::key_id_of(&v2), Some(c_new.key_id()));
        assert!(c_old.open("ctx", &v2).is_err(), "the old ring cannot open new values");
        assert_eq!(
            c_old.blind_index("phone", "1"),
            c_new.blind_index("phone", "1"),
            "the index key survives"
        );
        let only = Cipher::from_ring(&new.current_only());
        assert!(only.open("ctx", &v1).is_err());
        assert!(only.open("ctx", &v2).is_ok());
        // The file form round-trips; a one-line legacy file is a ring of one.
        let dir = crate::testing::TempDir::new("ring");
        let path = dir.0.join("k.key");
        new.write(&path).unwrap();
        assert_eq!(KeyRing::read(&path).unwrap().unwrap(), new);
        std::fs::write(&path, format!("{}\n", old.current().to_hex())).unwrap();
        assert_eq!(KeyRing::read(&path).unwrap().unwrap(), old);
        std::fs::write(&path, "nonsense\n").unwrap();
        assert!(KeyRing::read(&path).is_err());
        // A running server's cipher picks up the rotated file by itself.
        std::fs::write(&path, format!("{}\n", old.current().to_hex())).unwrap();
        let running = Cipher::from_ring(&old).reloading_from(&path);
        new.write(&path).unwrap();
        assert_eq!(running.open("ctx", &v2).unwrap(), b"13800138000");
    }
}
