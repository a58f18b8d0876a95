//! Unified social credit codes: never panics; a code that parses is 18
//! characters, parses again to itself and its parts are consistent;
//! refusals are in Chinese.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shiminhua_core::credit_code::{CreditCode, check_char};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    match CreditCode::parse(s) {
        Ok(c) => {
            let t = c.as_str();
            assert_eq!(t.len(), 18, "{t}");
            assert_eq!(check_char(&t[..17]), t.chars().last(), "{t}");
            assert_eq!(CreditCode::parse(t).as_ref(), Ok(&c));
            assert_eq!(CreditCode::parse(&c.to_string()).as_ref(), Ok(&c));
            assert!(c.org_code_valid(), "{t}");
            let _ = (c.registration_dept(), c.category(), c.division_code(), c.org_code());
        }
        Err(e) => assert!(chinese(&e.to_string()), "{e}"),
    }
});

fn chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}
