//! Throttling of public submissions and of sign-in failures per client,
//! and the challenge.
//!
//! [`Limiter`] is a token bucket per client address (or, for sign-in, per
//! user name, see [`LoginGuard`]), in memory: a client
//! may send `n` requests at once and then one every `period / n`. A bucket
//! that has filled up again carries no information and is dropped when the
//! table is full, so the table never holds more than its bound; if every
//! remembered client is still throttled, a new client is refused too (the
//! server is under a flood from many addresses).
//!
//! [`Challenges`] issues the arithmetic question of the public report form
//! (in Chinese numerals) with a token that binds its answer: the token is
//! signed with the installation's index key, expires after
//! [`CHALLENGE_VALID_FOR`] and is accepted once (the tokens used are kept,
//! in bounded memory, until they expire). Nothing of this is shared between
//! servers: each server throttles and remembers on its own.

use crate::extract::constant_eq;
use chrono::{DateTime, Utc};
use rand::{Rng, RngCore};
use shiminhua_app::config::{Public, Security};
use shiminhua_app::crypto::Cipher;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most clients a limiter remembers at once.
const MAX_CLIENTS: usize = 50_000;
/// Most used challenge tokens remembered at once.
const MAX_USED: usize = 100_000;
/// Least time between two sweeps of a full table (a flood from many
/// addresses does not make every request walk the table).
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// How long a challenge may be answered, in seconds.
pub const CHALLENGE_VALID_FOR: i64 = 30 * 60;

/// The address a client is throttled under: IPv4 as it is (also when
/// mapped into IPv6), IPv6 by its /64 network (one subscriber's share).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Debug)]
struct Table<K> {
    buckets: HashMap<K, Bucket>,
    last_sweep: Option<Instant>,
}

/// A token bucket per key: a client address (IPv6 by its /64, see
/// [`client_key`]) or, for sign-in, a user name.
#[derive(Debug)]
pub struct Limiter<K = IpAddr> {
    /// Requests at once (0: no limit).
    capacity: f64,
    /// Tokens gained per second.
    rate: f64,
    max_clients: usize,
    table: Mutex<Table<K>>,
}

impl<K: Hash + Eq> Limiter<K> {
    /// `n` requests per `period` for each client; `n = 0` is no limit.
    pub fn new(n: u32, period: Duration) -> Limiter<K> {
        Limiter::bounded(n, period, MAX_CLIENTS)
    }

    /// As [`Limiter::new`], remembering at most `max_clients` clients.
    pub fn bounded(n: u32, period: Duration, max_clients: usize) -> Limiter<K> {
        Limiter {
            capacity: f64::from(n),
            rate: f64::from(n) / period.as_secs_f64().max(1e-3),
            max_clients: max_clients.max(1),
            table: Mutex::new(Table {
                buckets: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    pub fn is_off(&self) -> bool {
        self.capacity < 1.0
    }

    fn level(&self, b: &Bucket, now: Instant) -> f64 {
        let gained = now.saturating_duration_since(b.at).as_secs_f64() * self.rate;
        (b.tokens + gained).min(self.capacity)
    }

    /// Counts one request under `key` at `now`: allowed, or refused with
    /// the time after which one more would be allowed.
    pub fn take_key(&self, key: K, now: Instant) -> Result<(), Duration> {
        if self.is_off() {
            return Ok(());
        }
        let one = Duration::from_secs_f64(1.0 / self.rate);
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if !t.buckets.contains_key(&key) && t.buckets.len() >= self.max_clients {
            if t.last_sweep
                .is_none_or(|s| now.saturating_duration_since(s) >= SWEEP_EVERY)
            {
                t.last_sweep = Some(now);
                t.buckets.retain(|_, b| self.level(b, now) < self.capacity);
            }
            if t.buckets.len() >= self.max_clients {
                return Err(one);
            }
        }
        let b = t.buckets.entry(key).or_insert(Bucket {
            tokens: self.capacity,
            at: now,
        });
        let level = self.level(b, now);
        b.at = now;
        if level >= 1.0 {
            b.tokens = level - 1.0;
            Ok(())
        } else {
            b.tokens = level;
            Err(Duration::from_secs_f64((1.0 - level) / self.rate))
        }
    }

    /// Gives back the request taken under `key` (it turned out not to
    /// count, e.g. a successful sign-in).
    pub fn refund_key(&self, key: &K, now: Instant) {
        if self.is_off() {
            return;
        }
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let full = match t.buckets.get_mut(key) {
            Some(b) => {
                b.tokens = (self.level(b, now) + 1.0).min(self.capacity);
                b.at = now;
                b.tokens >= self.capacity
            }
            None => false,
        };
        if full {
            // A full bucket carries no information.
            t.buckets.remove(key);
        }
    }

    /// How many clients are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.lock().unwrap_or_else(|e| e.into_inner()).buckets.len()
    }
}

impl Limiter<IpAddr> {
    /// Counts one request of `client` at `now` (see [`Limiter::take_key`]).
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        self.take_key(client_key(client), now)
    }

    /// Gives back a request of `client` (see [`Limiter::refund_key`]).
    pub fn refund(&self, client: IpAddr, now: Instant) {
        self.refund_key(&client_key(client), now);
    }
}

/// Throttling of sign-in failures (password and second factor), per
/// client address and per user name, on top of the account lockout: every
/// attempt takes a token from both buckets first, a success gives them
/// back, so only failures count.
#[derive(Debug)]
pub struct LoginGuard {
    pub per_addr: Limiter<IpAddr>,
    pub per_user: Limiter<String>,
}

/// The longest user name kept as a key (longer ones are cut; nobody has one).
const MAX_USER_KEY: usize = 64;

fn user_key(user: &str) -> String {
    user.trim().to_lowercase().chars().take(MAX_USER_KEY).collect()
}

impl LoginGuard {
    pub fn new(s: &Security) -> LoginGuard {
        LoginGuard {
            per_addr: Limiter::new(s.login_per_minute_per_addr, Duration::from_secs(60)),
            per_user: Limiter::new(s.login_per_minute_per_user, Duration::from_secs(60)),
        }
    }

    /// Takes one attempt of `user` from `client`: allowed, or refused with
    /// the time to wait (and then nothing is taken).
    pub fn take(&self, client: IpAddr, user: &str, now: Instant) -> Result<(), Duration> {
        self.per_addr.take(client, now)?;
        if let Err(wait) = self.per_user.take_key(user_key(user), now) {
            self.per_addr.refund(client, now);
            return Err(wait);
        }
        Ok(())
    }

    /// The attempt succeeded: it does not count.
    pub fn succeeded(&self, client: IpAddr, user: &str, now: Instant) {
        self.per_addr.refund(client, now);
        self.per_user.refund_key(&user_key(user), now);
    }
}

/// A question of the report form and the token that binds its answer.
#[derive(Clone, Debug)]
pub struct Challenge {
    /// E.g. 十二减五等于几？
    pub question: String,
    pub token: String,
}

/// Why an answer to the challenge was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No token, or one this server did not issue.
    Missing,
    Expired,
    /// The token was answered before.
    Used,
    /// No answer given.
    Unanswered,
    Wrong,
    /// Too many tokens in use to remember one more.
    Busy,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Missing => "请回答下面的验证问题后再提交。",
            Refusal::Expired => "验证问题已超过30分钟有效期，请回答新的验证问题后再提交。",
            Refusal::Used => "该验证问题已经回答过，请回答新的验证问题后再提交。",
            Refusal::Unanswered => "请填写验证问题的答案。",
            Refusal::Wrong => "验证问题回答不正确，请计算后重新填写。",
            Refusal::Busy => "系统繁忙，请稍后再提交。",
        }
    }
}

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// 0–99 in Chinese numerals (十二, 二十, 二十三).
pub fn chinese_number(n: u32) -> String {
    match n {
        0..=9 => DIGITS[n as usize].to_string(),
        10..=19 => format!("十{}", if n == 10 { "" } else { DIGITS[(n % 10) as usize] }),
        _ => format!(
            "{}十{}",
            DIGITS[(n / 10 % 10) as usize],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
    }
}

/// An answer as typed: digits (half- or full-width) or Chinese numerals.
pub fn parse_answer(s: &str) -> Option<u32> {
    let t: String = shiminhua_core::record::normalise(s).split_whitespace().collect();
    if !t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok();
    }
    (0..100).find(|&n| chinese_number(n) == t)
}

#[derive(Debug, Default)]
struct Used {
    /// Nonce → expiry (unix seconds).
    tokens: HashMap<[u8; 16], i64>,
    /// The earliest expiry among `tokens` (a sweep before it frees nothing).
    first_expiry: i64,
}

/// Issues and checks the challenges of the report form.
#[derive(Debug)]
pub struct Challenges {
    max_used: usize,
    used: Mutex<Used>,
}

impl Default for Challenges {
    fn default() -> Challenges {
        Challenges::bounded(MAX_USED)
    }
}

fn tag(cipher: &Cipher, nonce: &str, expires: i64) -> Vec<u8> {
    cipher.blind_index("public_challenge", &format!("{nonce}.{expires}"))
}

fn proof(cipher: &Cipher, nonce: &str, expires: i64, answer: u32) -> Vec<u8> {
    cipher.blind_index("public_challenge_answer", &format!("{nonce}.{expires}.{answer}"))
}

impl Challenges {
    /// Remembering at most `max_used` answered tokens.
    pub fn bounded(max_used: usize) -> Challenges {
        Challenges {
            max_used: max_used.max(1),
            used: Mutex::new(Used::default()),
        }
    }

    /// A new question: a sum or a difference of small numbers (answer 1–29).
    pub fn issue(&self, cipher: &Cipher, now: DateTime<Utc>) -> Challenge {
        let mut rng = rand::rng();
        let a: u32 = rng.random_range(2..=20);
        let b: u32 = rng.random_range(1..=9);
        let (question, answer) = if a > b && rng.random_bool(0.5) {
            (format!("{}减{}等于几？", chinese_number(a), chinese_number(b)), a - b)
        } else {
            (format!("{}加{}等于几？", chinese_number(a), chinese_number(b)), a + b)
        };
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        let nonce = shiminhua_app::hex(&nonce);
        let expires = now.timestamp() + CHALLENGE_VALID_FOR;
        let token = format!(
            "{nonce}.{expires}.{}.{}",
            shiminhua_app::hex(&tag(cipher, &nonce, expires)),
            shiminhua_app::hex(&proof(cipher, &nonce, expires, answer))
        );
        Challenge { question, token }
    }

    /// Checks an answer to the question of `token`. A token this server
    /// issued and that has not expired is spent by the attempt, right or
    /// wrong (the next attempt needs a new question).
    pub fn check(&self, cipher: &Cipher, token: &str, answer: &str, now: DateTime<Utc>) -> Result<(), Refusal> {
        let parts: Vec<&str> = token.trim().split('.').collect();
        let [nonce, expires, t, p] = parts.as_slice() else {
            return Err(Refusal::Missing);
        };
        let (Some(nonce_bytes), Ok(expires), Some(t), Some(p)) = (
            shiminhua_app::unhex(nonce),
            expires.parse::<i64>(),
            shiminhua_app::unhex(t),
            shiminhua_app::unhex(p),
        ) else {
            return Err(Refusal::Missing);
        };
        let Ok(key) = <[u8; 16]>::try_from(nonce_bytes.as_slice()) else {
            return Err(Refusal::Missing);
        };
        if !constant_eq(&t, &tag(cipher, nonce, expires)) {
            return Err(Refusal::Missing);
        }
        let now_s = now.timestamp();
        if expires < now_s {
            return Err(Refusal::Expired);
        }
        self.spend(key, expires, now_s)?;
        let Some(n) = (!answer.trim().is_empty())
            .then(|| parse_answer(answer))
            .ok_or(Refusal::Unanswered)?
        else {
            return Err(Refusal::Wrong);
        };
        if constant_eq(&p, &proof(cipher, nonce, expires, n)) {
            Ok(())
        } else {
            Err(Refusal::Wrong)
        }
    }

    /// Marks a token used (until it expires).
    fn spend(&self, key: [u8; 16], expires: i64, now_s: i64) -> Result<(), Refusal> {
        let mut u = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if u.tokens.contains_key(&key) {
            return Err(Refusal::Used);
        }
        if u.tokens.len() >= self.max_used && u.first_expiry < now_s {
            u.tokens.retain(|_, e| *e >= now_s);
            u.first_expiry = u.tokens.values().copied().min().unwrap_or(i64::MAX);
        }
        if u.tokens.len() >= self.max_used {
            return Err(Refusal::Busy);
        }
        if u.tokens.is_empty() || expires < u.first_expiry {
            u.first_expiry = expires;
        }
        u.tokens.insert(key, expires);
        Ok(())
    }

    /// How many used tokens are remembered.
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.used.lock().unwrap_or_else(|e| e.into_inner()).tokens.len()
    }
}

/// The public pages' guards: a limiter for reports and one for lookups,
/// and the challenges.
#[derive(Debug)]
pub struct Guard {
    pub submissions: Limiter,
    pub lookups: Limiter,
    pub challenges: Challenges,
}

impl Guard {
    pub fn new(p: &Public) -> Guard {
        Guard {
            submissions: Limiter::new(p.submissions_per_hour, Duration::from_secs(3600)),
            lookups: Limiter::new(p.lookups_per_minute, Duration::from_secs(60)),
            challenges: Challenges::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiminhua_app::keys::MasterKey;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn token_bucket_per_client() {
        let l = Limiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.take(ip("10.0.0.1"), t0), Ok(()));
        }
        let wait = l.take(ip("10.0.0.1"), t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        // Another client is not affected.
        assert_eq!(l.take(ip("10.0.0.2"), t0), Ok(()));
        // One more after a third of the period, not two.
        let t1 = t0 + Duration::from_secs(20);
        assert_eq!(l.take(ip("10.0.0.1"), t1), Ok(()));
        assert!(l.take(ip("10.0.0.1"), t1).is_err());
        // Off.
        let off = Limiter::new(0, Duration::from_secs(60));
        for _ in 0..1000 {
            assert_eq!(off.take(ip("10.0.0.1"), t0), Ok(()));
        }
        assert_eq!(off.len(), 0);
    }

    #[test]
    fn ipv6_by_network_and_mapped_ipv4() {
        assert_eq!(
            client_key(ip("2001:db8:1:2:aaaa::1")),
            client_key(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(client_key(ip("2001:db8:1:2::1")), client_key(ip("2001:db8:1:3::1")));
        assert_eq!(
            client_key(IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped())),
            ip("10.0.0.1")
        );
        let l = Limiter::new(1, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(l.take(ip("2001:db8::1"), t0).is_ok());
        assert!(
            l.take(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 9, 9, 9, 9)), t0)
                .is_err()
        );
    }

    #[test]
    fn memory_stays_bounded() {
        let l = Limiter::bounded(2, Duration::from_secs(10), 100);
        let t0 = Instant::now();
        for i in 0..100u32 {
            assert!(l.take(IpAddr::V4(Ipv4Addr::from(i)), t0).is_ok());
        }
        assert_eq!(l.len(), 100);
        // Full of clients still throttled: a new one waits.
        assert!(l.take(ip("10.9.9.9"), t0).is_err());
        assert_eq!(l.len(), 100);
        // Once their buckets filled again they are forgotten.
        let t1 = t0 + Duration::from_secs(6);
        assert!(l.take(ip("10.9.9.9"), t1).is_ok());
        assert_eq!(l.len(), 1);
        for i in 0..10_000u32 {
            let _ = l.take(IpAddr::V4(Ipv4Addr::from(i)), t1 + Duration::from_secs(u64::from(i)));
            assert!(l.len() <= 100);
        }
    }

    #[test]
    fn refunds_and_the_sign_in_guard() {
        let t0 = Instant::now();
        let l = Limiter::new(2, Duration::from_secs(60));
        for _ in 0..10 {
            // Taken and given back: never throttled, nothing remembered.
            assert_eq!(l.take(ip("10.0.0.1"), t0), Ok(()));
            l.refund(ip("10.0.0.1"), t0);
        }
        assert_eq!(l.len(), 0);
        let g = LoginGuard::new(&Security {
            login_per_minute_per_addr: 3,
            login_per_minute_per_user: 5,
            ..Security::default()
        });
        // Successes do not count.
        for _ in 0..20 {
            g.take(ip("10.0.0.1"), "lead", t0).unwrap();
            g.succeeded(ip("10.0.0.1"), "lead", t0);
        }
        // Failures do: three from one address.
        for _ in 0..3 {
            g.take(ip("10.0.0.1"), "lead", t0).unwrap();
        }
        let wait = g.take(ip("10.0.0.1"), "other", t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        // Five for one user name, from anywhere (case and spaces ignored).
        g.take(ip("10.0.0.2"), " LEAD", t0).unwrap();
        g.take(ip("10.0.0.3"), "lead", t0).unwrap();
        assert!(g.take(ip("10.0.0.4"), "Lead", t0).is_err());
        // A refusal by user name takes nothing from the address.
        for _ in 0..3 {
            g.take(ip("10.0.0.5"), "someone", t0).unwrap();
        }
        assert!(g.take(ip("10.0.0.6"), "lead", t0).is_err());
        for _ in 0..3 {
            g.take(ip("10.0.0.6"), "x", t0).unwrap();
        }
    }

    #[test]
    fn numerals() {
        let cases = [
            (0, "零"),
            (7, "七"),
            (10, "十"),
            (12, "十二"),
            (20, "二十"),
            (29, "二十九"),
        ];
        for (n, s) in cases {
            assert_eq!(chinese_number(n), s);
            assert_eq!(parse_answer(s), Some(n));
            assert_eq!(parse_answer(&n.to_string()), Some(n));
        }
        assert_eq!(parse_answer(" １５ "), Some(15));
        assert_eq!(parse_answer("十五个"), None);
        assert_eq!(parse_answer("99999"), None);
    }

    fn answer_of(q: &str) -> u32 {
        let q = q.trim_end_matches("等于几？");
        if let Some((a, b)) = q.split_once('加') {
            parse_answer(a).unwrap() + parse_answer(b).unwrap()
        } else {
            let (a, b) = q.split_once('减').unwrap();
            parse_answer(a).unwrap() - parse_answer(b).unwrap()
        }
    }

    #[test]
    fn challenge_tokens() {
        let cipher = Cipher::new(&MasterKey::generate());
        let now = Utc::now();
        let ch = Challenges::bounded(4);
        // Right answer once; the same token again is refused.
        let c = ch.issue(&cipher, now);
        let right = answer_of(&c.question);
        assert_eq!(ch.check(&cipher, &c.token, &right.to_string(), now), Ok(()));
        assert_eq!(ch.check(&cipher, &c.token, &right.to_string(), now), Err(Refusal::Used));
        // A wrong answer spends the token too.
        let c = ch.issue(&cipher, now);
        let right = answer_of(&c.question);
        assert_eq!(
            ch.check(&cipher, &c.token, &(right + 1).to_string(), now),
            Err(Refusal::Wrong)
        );
        assert_eq!(ch.check(&cipher, &c.token, &right.to_string(), now), Err(Refusal::Used));
        // In Chinese numerals.
        let c = ch.issue(&cipher, now);
        let right = chinese_number(answer_of(&c.question));
        assert_eq!(ch.check(&cipher, &c.token, &right, now), Ok(()));
        // Expired.
        let c = ch.issue(&cipher, now);
        let right = answer_of(&c.question).to_string();
        let later = now + chrono::Duration::seconds(CHALLENGE_VALID_FOR + 1);
        assert_eq!(ch.check(&cipher, &c.token, &right, later), Err(Refusal::Expired));
        // Missing, forged or of another installation.
        assert_eq!(ch.check(&cipher, "", "3", now), Err(Refusal::Missing));
        let mut forged = c.token.clone();
        forged.replace_range(0..1, if forged.starts_with('0') { "1" } else { "0" });
        assert_eq!(ch.check(&cipher, &forged, &right, now), Err(Refusal::Missing));
        let other = Cipher::new(&MasterKey::generate());
        assert_eq!(ch.check(&other, &c.token, &right, now), Err(Refusal::Missing));
        // Unanswered (still spent).
        let c = ch.issue(&cipher, now);
        assert_eq!(ch.check(&cipher, &c.token, " ", now), Err(Refusal::Unanswered));
        // Bounded: 4 remembered and none expired yet → busy; once they
        // expired they are forgotten.
        assert_eq!(ch.remembered(), 4);
        let c = ch.issue(&cipher, now);
        let right = answer_of(&c.question).to_string();
        assert_eq!(ch.check(&cipher, &c.token, &right, now), Err(Refusal::Busy));
        let c = ch.issue(&cipher, later);
        let right = answer_of(&c.question).to_string();
        assert_eq!(ch.check(&cipher, &c.token, &right, later), Ok(()));
        assert_eq!(ch.remembered(), 1);
    }
}
