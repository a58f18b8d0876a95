//! Phone numbers: never panics; a number that parses parses again to itself
//! and its mask hides digits; refusals are in Chinese.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shiminhua_core::phone::Phone;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    match Phone::parse(s) {
        Ok(p) => {
            let t = p.as_str();
            assert_eq!(Phone::parse(t).as_ref(), Ok(&p), "{t}");
            let masked = p.masked();
            assert!(masked.contains('*') && masked != t, "{t} → {masked}");
            let _ = (p.is_mobile(), p.area_code());
        }
        Err(e) => assert!(chinese(&e.to_string()), "{e}"),
    }
});

fn chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}
