//! The plan's figures in a real headless Chromium, over demo data:
//!
//! - The task-force lead opens 目标进度 after the plan period: the board
//!   says the period is over and shows the figures of its end, the same as
//!   its monthly chart, the evaluation and the public page.
//! - A county's 就近就业创业 figure opens the list of the people it counts,
//!   and the list says (and lists) as many.
//! - The cards' values, statuses and sources keep to one line; the public
//!   page fits a 390 px phone as cards; switched off, it is the site's own
//!   page.

use crate::browser::{ONE_BROWSER, add_user, arrive, browser, browser_sized, first_sign_in, text, tools};
use crate::common::{Dir, Server, run};
use fantoccini::Client;
use fantoccini::error::CmdError;

/// The text of the element naming a figure (`data-figure`).
async fn figure(c: &Client, key: &str) -> Result<String, CmdError> {
    let v = c
        .execute(
            "const e = document.querySelector(`[data-figure=\"${arguments[0]}\"]`);\
             if (!e) return null;\
             const t = e.tagName.toLowerCase() === 'circle' ? e.querySelector('title').textContent.split('：').pop() : e.innerText;\
             return t.trim();",
            vec![serde_json::json!(key)],
        )
        .await?;
    Ok(v.as_str().unwrap_or_else(|| panic!("{key} on the page")).to_string())
}

/// Elements matching `css` that take more than one line: (text, height, line height).
async fn wrapped(c: &Client, css: &str) -> Result<Vec<(String, f64, f64)>, CmdError> {
    let v = c
        .execute(
            "return [...document.querySelectorAll(arguments[0])].map(e => {\
               const s = getComputedStyle(e);\
               const lh = parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.5;\
               const h = e.getBoundingClientRect().height;\
               return [e.innerText, h, lh];\
             })",
            vec![serde_json::json!(css)],
        )
        .await?;
    let all: Vec<(String, f64, f64)> = serde_json::from_value(v).expect("rows");
    assert!(!all.is_empty(), "no {css} on the page");
    Ok(all.into_iter().filter(|(_, h, lh)| *h > lh * 1.5).collect())
}

/// A figure's number as written (5,000人 → 5000).
fn number(s: &str) -> i64 {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap_or_else(|_| panic!("a number in {s}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn board_figures_agree_open_their_lists_and_fit_in_chromium() {
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let dir = Dir::new("browser-figures");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success(), "{}", crate::common::stderr(&init));
    let demo = run(&dir.0, &["demo", "--workers", "200", "--seed", "2023"], &[]);
    assert!(demo.status.success(), "{}", crate::common::stderr(&demo));
    let otp = add_user(&dir.0, "lead1", "程专班", "lead", "341000").await;

    let server = Server::start(&dir.0, &[], &[("SHIMINHUA_PUBLIC_PROGRESS", "true")]);
    let (driver_handle, c) = browser(&driver, &chromium, &dir.0).await;
    let city = "341000000000";
    let shexian = "341021000000";
    let result = async {
        first_sign_in(&c, &server.url, "lead1", &otp, "Huangshan#Lead2026").await?;
        // Today is after the plan period: the board shows its end and says so.
        c.goto(&format!("{}/plan/board", server.url)).await?;
        arrive(&c, "/plan/board").await?;
        let note = text(&c, ".period-over").await?;
        assert!(note.contains("计划期已于2023年12月31日结束"), "{note}");
        let key = format!("local_jobs@{city}");
        let board = figure(&c, &key).await?;
        let dot = c
            .execute(
                "const e = document.querySelector(`circle[data-figure=\"${arguments[0]}\"] title`);\
                 return e ? e.textContent.split('：').pop() : null;",
                vec![serde_json::json!(key)],
            )
            .await?;
        assert_eq!(dot.as_str(), Some(board.as_str()), "the monthly chart ends with the board's figure");
        let shexian_jobs = figure(&c, &format!("local_jobs@{shexian}")).await?;

        // The cards keep their values, statuses and sources on one line.
        for css in [
            ".board-cards .big",
            ".board-cards .facts dd",
            ".board-cards .facts dt",
            ".board-cards .mark",
        ] {
            let w = wrapped(&c, css).await?;
            assert!(w.is_empty(), "{css} wraps: {w:?}");
        }
        // Each bar is as long as the share reached (a refused inline width
        // would draw them all full).
        let bars = c
            .execute(
                "return [...document.querySelectorAll('.board-cards svg.bar-svg')].map(s => \
                   [Number(s.dataset.percent), s.querySelector('rect.bar').getBoundingClientRect().width / s.getBoundingClientRect().width * 100])",
                vec![],
            )
            .await?;
        let bars: Vec<(f64, f64)> = serde_json::from_value(bars).expect("pairs");
        assert!(bars.len() >= 4, "{bars:?}");
        assert!(bars.iter().any(|(p, _)| *p < 50.0), "a bar short of its goal: {bars:?}");
        for (want, drawn) in &bars {
            assert!((want - drawn).abs() < 1.5, "a bar of {want}% drawn as {drawn:.1}%");
        }
        let shot = c.screenshot().await?;
        let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("board.png");
        let _ = std::fs::write(&out, &shot);

        for (i, name) in ["board-series.png", "board-counties.png"].iter().enumerate() {
            let charts = c.find_all(fantoccini::Locator::Css("figure.chart-box")).await?;
            let at = if i == 0 { 0 } else { charts.len() - 1 };
            let shot = charts[at].screenshot().await?;
            let _ = std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name), &shot);
        }
        // The evaluation scores the same figures.
        c.goto(&format!("{}/plan/evaluation?as_of=2026-09-30", server.url)).await?;
        arrive(&c, "/plan/evaluation").await?;
        assert_eq!(figure(&c, &key).await?, board, "evaluation");
        assert_eq!(figure(&c, &format!("local_jobs@{shexian}")).await?, shexian_jobs, "evaluation");

        // The public page says the same.
        c.goto(&format!("{}/progress", server.url)).await?;
        arrive(&c, "/progress").await?;
        assert_eq!(figure(&c, &key).await?, board, "/progress");

        // 歙县's figure opens the people it counts: as many as it says.
        c.goto(&format!("{}/plan/board", server.url)).await?;
        arrive(&c, "/plan/board").await?;
        c.find(fantoccini::Locator::Css(&format!("[data-figure=\"local_jobs@{shexian}\"] a")))
            .await?
            .click()
            .await?;
        arrive(&c, "/plan/board/figure").await?;
        let total = number(&text(&c, "#figure-total").await?);
        assert_eq!(total, number(&shexian_jobs), "the list counts the figure");
        assert!(total > 0, "the demo has people in 歙县");
        let rows = c
            .execute("return document.querySelectorAll('table.figure-list tbody tr').length", vec![])
            .await?
            .as_i64()
            .unwrap_or_default();
        assert_eq!(rows, total.min(100), "one row per person");
        let shot = c.screenshot().await?;
        let _ = std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("figure-list.png"), &shot);
        let sources = text(&c, ".figure-sources").await?;
        assert!(sources.contains("就业") && sources.contains("返乡创业"), "{sources}");
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    drop(driver_handle);
    result.expect("browser steps");

    // On a phone: the public page is cards that fit its width.
    let (phone_driver, p) = browser_sized(&driver, &chromium, &dir.0, Some((390, 844))).await;
    let result = async {
        p.goto(&format!("{}/progress", server.url)).await?;
        arrive(&p, "/progress").await?;
        let m = p
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth, document.querySelectorAll('.progress-cards .card').length, document.querySelectorAll('table').length]",
                vec![],
            )
            .await?;
        let v: Vec<i64> = serde_json::from_value(m).expect("four numbers");
        assert!(v[1] <= 420, "a phone's viewport, got {}", v[1]);
        assert!(v[0] <= v[1], "the page scrolls sideways: {} > {}", v[0], v[1]);
        assert!(v[2] >= 8 && v[3] == 0, "cards, not a table: {v:?}");
        for css in [".progress-cards .big", ".progress-cards .mark"] {
            let w = wrapped(&p, css).await?;
            assert!(w.is_empty(), "{css} wraps on a phone: {w:?}");
        }
        let shot = p.screenshot().await?;
        let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("progress-phone.png");
        let _ = std::fs::write(&out, &shot);
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = p.close().await;
    drop(phone_driver);
    drop(server);
    result.expect("phone steps");

    // Switched off: the site's own page, in Chinese.
    let server = Server::start(&dir.0, &[], &[("SHIMINHUA_PUBLIC_PROGRESS", "false")]);
    let (_off_driver, o) = browser(&driver, &chromium, &dir.0).await;
    let result = async {
        o.goto(&format!("{}/progress", server.url)).await?;
        arrive(&o, "/progress").await?;
        assert_eq!(text(&o, "main h1").await?, "404 目标进度未公开");
        let lead = text(&o, ".error-page .lead").await?;
        assert!(lead.contains("本系统未开放目标进度公开页面"), "{lead}");
        let styled = o
            .execute(
                "return getComputedStyle(document.body).fontFamily !== '' && !!document.querySelector('link[rel=stylesheet]')",
                vec![],
            )
            .await?;
        assert_eq!(styled.as_bool(), Some(true), "the site's own styled page");
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = o.close().await;
    result.expect("off steps");
}
