//! Dates as imports and forms read them (`record::parse_date`): never
//! panics; a date that parses parses again from its ISO form, from its
//! 8-digit form and from its Chinese form.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shiminhua_core::record::parse_date;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Some(d) = parse_date(s) {
        assert_eq!(parse_date(&d.to_string()), Some(d), "{s} → {d}");
        assert_eq!(parse_date(&d.format("%Y年%m月%d日").to_string()), Some(d), "{s} → {d}");
        if (1000..=9999).contains(&chrono::Datelike::year(&d)) {
            assert_eq!(parse_date(&d.format("%Y%m%d").to_string()), Some(d), "{s} → {d}");
        }
    }
});
