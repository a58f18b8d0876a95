//! ID numbers: never panics; a number that parses is 18 characters with the
//! right check character and parses again to itself; refusals are in Chinese.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shiminhua_core::id_number::{IdNumber, check_char};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    match IdNumber::parse(s) {
        Ok(id) => {
            let t = id.as_str();
            assert_eq!(t.len(), 18, "{t}");
            assert_eq!(check_char(&t[..17]), t.chars().last(), "{t}");
            assert_eq!(IdNumber::parse(t).as_ref(), Ok(&id));
            let masked = id.masked();
            assert!(!masked.contains(&t[6..14]), "the birth date is masked");
            let _ = (id.birth_date(), id.sex(), id.origin_division());
        }
        Err(e) => assert!(shiminhua_fuzz_chinese(&e.to_string()), "{e}"),
    }
});

fn shiminhua_fuzz_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}
