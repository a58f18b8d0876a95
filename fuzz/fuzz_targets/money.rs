//! Amounts in yuan: never panics; an amount that parses is not negative and
//! its display ("1,234.56") parses back to the same number of fen; refusals
//! are in Chinese.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shiminhua_core::money::Fen;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    match Fen::from_yuan_str(s) {
        Ok(f) => {
            assert!(f.0 >= 0, "{s} → {f:?}");
            let shown = f.to_string();
            assert_eq!(Fen::from_yuan_str(&shown), Ok(f), "{s} → {shown}");
            let _ = f.wan_yuan();
        }
        Err(e) => assert!(chinese(&e.to_string()), "{e}"),
    }
});

fn chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}
