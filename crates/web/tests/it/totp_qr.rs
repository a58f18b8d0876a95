//! The second factor's enrolment page shows the secret and a QR code of the
//! otpauth URI, drawn on the server as inline SVG.

use crate::common::{TestApp, field_value};
use axum::http::StatusCode;
use shiminhua_app::both;
use shiminhua_app::store::Db;
use std::collections::BTreeSet;

both!(enrolment_shows_a_qr_code_of_the_otpauth_uri);

/// Text between `start` and the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("{start} in the page")) + start.len();
    let len = html[from..].find(end).unwrap_or_else(|| panic!("{end} after {start}"));
    &html[from..from + len]
}

fn unescape(s: &str) -> String {
    s.replace("&#61;", "=")
        .replace("&#x3d;", "=")
        .replace("&#38;", "&")
        .replace("&#x26;", "&")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The dark modules the SVG draws: its path's runs `M{x},{y}h{n}v1h-{n}z`,
/// less the quiet zone of 4 modules.
fn drawn_modules(svg: &str) -> BTreeSet<(usize, usize)> {
    let d = between(svg, " d=\"", "\"");
    let mut dark = BTreeSet::new();
    for run in d.split('M').filter(|r| !r.is_empty()) {
        let (x, rest) = run.split_once(',').expect("x,y");
        let (y, rest) = rest.split_once('h').expect("h");
        let (n, rest) = rest.split_once('v').expect("v");
        assert_eq!(rest, format!("1h-{n}z"), "a run is one module high: {run}");
        let (x, y, n): (usize, usize, usize) = (x.parse().unwrap(), y.parse().unwrap(), n.parse().unwrap());
        for i in 0..n {
            assert!(dark.insert((x + i - 4, y - 4)), "module drawn twice");
        }
    }
    dark
}

async fn enrolment_shows_a_qr_code_of_the_otpauth_uri(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut office = app.login("office").await;
    let page = app.get(&mut office, "/account/totp").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    let secret = field_value(html, "secret");
    assert!(secret.len() >= 32, "{secret}");
    // The secret as typed by hand, in groups of four.
    let grouped = between(html, "<code class=\"secret\">", "</code>");
    assert_eq!(grouped.replace(' ', ""), secret);
    // The URI carries the secret and the account.
    let uri = unescape(between(html, "<code class=\"wrap\">", "</code>"));
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.contains("office"), "{uri}");
    // The QR code, inline: its modules are exactly those of the URI's code.
    let svg = between(html, "<svg class=\"qr\"", "</svg>");
    assert!(svg.contains("viewBox=\"0 0 "), "{svg}");
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M).unwrap();
    let width = code.width();
    let expected: BTreeSet<(usize, usize)> = code
        .to_colors()
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == qrcode::Color::Dark)
        .map(|(i, _)| (i % width, i / width))
        .collect();
    let drawn = drawn_modules(svg);
    assert!(drawn.len() > 100, "{}", drawn.len());
    assert_eq!(drawn, expected);
    assert!(svg.contains(&format!("viewBox=\"0 0 {0} {0}\"", width + 8)), "{svg}");
    // Each visit draws a new secret, and so a new code.
    let again = app.get(&mut office, "/account/totp").await;
    assert_ne!(field_value(&again.body, "secret"), secret);
    assert_ne!(between(&again.body, "<svg class=\"qr\"", "</svg>"), svg);
}
