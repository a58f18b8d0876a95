//! The plan's figures over HTTP, on SQLite and PostgreSQL, with the demo's
//! data: every page that shows a figure shows the same one for the same
//! target, region and day (the board, its monthly series, the evaluation,
//! the public page); every computed figure opens a list that counts it; the
//! figures read like numbers; the public page is cards, or the site's own
//! page when it is off.

use crate::common::{Agent, TestApp, t0};
use axum::http::StatusCode;
use shiminhua_app::both;
use shiminhua_app::plan::{document, indicators};
use shiminhua_app::store::Db;
use shiminhua_core::plan::{Measurement, Plan};
use std::collections::BTreeMap;

both!(
    every_page_shows_one_value_per_figure,
    every_computed_figure_opens_what_it_counts,
    numbers_and_charts_read_like_numbers,
    the_public_page_is_cards_or_the_sites_own_page,
);

/// The figures a page names (`data-figure="target@region"`) with their text.
fn figures_on(html: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = html;
    while let Some(at) = rest.find("data-figure=\"") {
        rest = &rest[at + 13..];
        let Some(end) = rest.find('"') else { break };
        let key = rest[..end].to_string();
        // Past the element's own tag, and any opening tags inside it.
        let mut body = &rest[rest.find('>').map_or(0, |i| i + 1)..];
        while body.starts_with('<') && !body.starts_with("</") {
            body = &body[body.find('>').map_or(0, |i| i + 1)..];
        }
        let text = body[..body.find('<').unwrap_or(body.len())].trim();
        // A chart's point is titled "day：figure".
        let text = text.rsplit('：').next().unwrap_or(text);
        let text = if text == "暂无数据" { "—" } else { text };
        out.insert(key, text.to_string());
        rest = &rest[end..];
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&#38;", "&").replace("&amp;", "&")
}

/// The links of the board's figures: `target@region` → href.
fn links_on(html: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = html;
    while let Some(at) = rest.find("data-figure=\"") {
        rest = &rest[at + 13..];
        let Some(end) = rest.find('"') else { break };
        let key = rest[..end].to_string();
        let tag_end = rest.find('>').unwrap_or(0);
        let next = &rest[tag_end + 1..];
        if let Some(href) = next.strip_prefix("<a href=\"") {
            let href = &href[..href.find('"').unwrap()];
            out.insert(key, unescape(href));
        }
        rest = &rest[end..];
    }
    out
}

async fn page(app: &TestApp, agent: &mut Agent, path: &str) -> String {
    let r = app.get(agent, path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body
}

async fn demo_app(db: Db) -> (TestApp, Plan, Vec<i64>) {
    let app = TestApp::new(db, false).await;
    shiminhua_app::ops::demo::generate(&app.db, &app.state.cipher, t0(), 150, 5)
        .await
        .unwrap();
    let plan = document::current(&app.db).await.unwrap().plan;
    let (_, board) = indicators::board(&app.db, &plan, plan.meta.end).await.unwrap();
    let regions = std::iter::once(plan.meta.region.as_i64())
        .chain(board[0].counties.iter().map(|c| c.region.as_i64()))
        .collect();
    (app, plan, regions)
}

async fn every_page_shows_one_value_per_figure(db: Db) {
    let (app, plan, regions) = demo_app(db).await;
    let app = app.with_config(|c| c.public.progress = true);
    let mut lead = app.login("lead").await;
    let city = plan.meta.region.as_i64();
    let mut at_end = BTreeMap::new();
    for day in ["2023-03-31", "2023-09-30", "2023-12-31", "2024-06-30", "2026-09-30"] {
        let board = page(&app, &mut lead, &format!("/plan/board?as_of={day}")).await;
        let shown = figures_on(&board);
        // The board names every target for the city and every county, and
        // the series' last point is the city's figure.
        let mut series = 0;
        for t in &plan.targets {
            for r in &regions {
                let key = format!("{}@{r}", t.id);
                assert!(shown.contains_key(&key), "{day}: the board shows {key}");
            }
        }
        let evaluation = figures_on(&page(&app, &mut lead, &format!("/plan/evaluation?as_of={day}")).await);
        let mut scored = 0;
        for (key, text) in &evaluation {
            assert_eq!(
                shown.get(key),
                Some(text),
                "{day}: {key} on the board and in the evaluation"
            );
            scored += 1;
        }
        assert!(scored >= 8 * 8, "{day}: the evaluation scores the targets ({scored})");
        // The series: its last dot is marked once per cumulative computed target.
        let dots = board.matches("class=\"progress-dot\" data-figure=").count();
        for t in plan.targets.iter().filter(|t| {
            matches!(t.measurement, Measurement::Computed(_) | Measurement::Counted { .. })
                && t.progress == shiminhua_core::plan::Progress::Cumulative
        }) {
            let key = format!("{}@{city}", t.id);
            let at = board
                .find(&format!("class=\"progress-dot\" data-figure=\"{key}\""))
                .map(|i| &board[i..]);
            if let Some(dot) = at {
                let one = figures_on(dot);
                assert_eq!(one.get(&key), shown.get(&key), "{day}: {key} in the series");
                series += 1;
            } else {
                // Only a figure of nothing has no dot.
                assert_eq!(shown.get(&key).map(String::as_str), Some("—"), "{day}: {key}");
            }
        }
        assert_eq!(dots, series, "{day}");
        assert!(series >= 2, "{day}: the series are drawn");
        if day == "2023-12-31" {
            at_end = shown.clone();
        }
        if day > "2023-12-31" {
            assert_eq!(shown, at_end, "{day}: after the period, the figures of its end");
            assert!(board.contains("计划期已于2023年12月31日结束"), "{day}");
            assert!(board.contains("截至2023年12月31日"), "{day}");
        } else {
            assert!(!board.contains("计划期已于"), "{day}");
        }
    }
    // Without a day, today (after the period) is shown as the period's end.
    let board = page(&app, &mut lead, "/plan/board").await;
    assert_eq!(figures_on(&board), at_end);
    assert!(board.contains("计划期已于2023年12月31日结束"));
    assert!(board.contains("value=\"2023-12-31\""));
    // The public page, on today (after the period): the city's figures.
    let mut visitor = Agent::default();
    let public = figures_on(&page(&app, &mut visitor, "/progress").await);
    assert_eq!(public.len(), plan.targets.len());
    for (key, text) in &public {
        assert!(key.ends_with(&format!("@{city}")), "{key}");
        assert_eq!(at_end.get(key), Some(text), "{key} on /progress and the board");
    }
}

/// The total a drill-down page states.
fn total_of(html: &str) -> i64 {
    let at = html.find("id=\"figure-total\">").expect("a total") + 18;
    let text = &html[at..at + html[at..].find('<').unwrap()];
    text.replace(',', "").parse().unwrap_or_else(|_| panic!("{text}"))
}

async fn every_computed_figure_opens_what_it_counts(db: Db) {
    let (app, plan, regions) = demo_app(db).await;
    let mut lead = app.login("lead").await;
    let codes: Vec<_> = regions
        .iter()
        .map(|r| shiminhua_core::division::DivisionCode::from_i64(*r).unwrap())
        .collect();
    let mut opened = 0;
    for day in ["2023-09-30", "2026-09-30"] {
        let as_of: chrono::NaiveDate = day.parse().unwrap();
        let board = page(&app, &mut lead, &format!("/plan/board?as_of={day}")).await;
        let links = links_on(&board);
        for t in &plan.targets {
            let Measurement::Computed(_) = &t.measurement else {
                continue;
            };
            let mut tx = app.db.read().await.unwrap();
            let figures = indicators::figures(&mut tx, &plan, &t.id, &codes, as_of)
                .await
                .unwrap()
                .unwrap();
            drop(tx);
            for r in &regions {
                let key = format!("{}@{r}", t.id);
                let href = links.get(&key).unwrap_or_else(|| panic!("{day}: {key} links"));
                assert!(href.starts_with("/plan/board/figure?"), "{href}");
                let list = page(&app, &mut lead, href).await;
                let want = figures[r];
                assert_eq!(total_of(&list), want.value, "{day}: {key}");
                if let Some(base) = want.base {
                    // A ratio's list names its denominator too, and opens it.
                    let den = format!("{href}&part=1");
                    assert!(list.contains(&den.replace('&', "&#38;")), "{day}: {key}: {list}");
                    assert_eq!(total_of(&page(&app, &mut lead, &den).await), base, "{day}: {key} base");
                }
                // Every source is named, the rows listed add up (a distinct
                // count lists one row per person).
                let rows = list.matches("<td class=\"num\">").count() / 2;
                if want.value > 0 && t.id == "local_jobs" {
                    assert!(list.contains("就业") && list.contains("返乡创业"), "{key}");
                    if want.value <= 100 {
                        assert_eq!(rows as i64, want.value, "{day}: {key}: one row per person");
                    }
                }
                opened += 1;
            }
        }
    }
    assert_eq!(opened, 2 * 4 * regions.len());
    // Bad input is answered in Chinese, not with a crash.
    for bad in [
        "/plan/board/figure?target=nope",
        "/plan/board/figure?target=training&region=110000",
        "/plan/board/figure?target=training&as_of=2023-13-45",
        "/plan/board/figure?target=settlement&part=7",
        "/plan/board/figure?target=income_growth",
    ] {
        let r = app.get(&mut lead, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            r.body.contains("<html") && r.body.contains("操作未完成"),
            "{bad}: {}",
            r.body
        );
    }
}

async fn numbers_and_charts_read_like_numbers(db: Db) {
    let (app, _plan, _) = demo_app(db).await;
    let mut lead = app.login("lead").await;
    let board = page(&app, &mut lead, "/plan/board?as_of=2023-09-30").await;
    // Thousands separators; what is due is in whole people.
    assert!(board.contains("5,000人") && board.contains("8,000人次"), "goals");
    let mut dues = 0;
    let mut rest = board.as_str();
    const DUE: &str = "<dt>应达</dt><dd>";
    while let Some(at) = rest.find(DUE) {
        rest = &rest[at + DUE.len()..];
        let due = &rest[..rest.find('<').unwrap()];
        if due.ends_with('人') || due.ends_with("人次") || due.ends_with('家') {
            assert!(!due.contains('.'), "whole people: {due}");
            dues += 1;
        }
    }
    assert!(dues >= 3, "{dues}");
    assert!(!board.contains("3739.73"), "no fractions of people");
    // A target without data has no bar, and says so.
    let cards: Vec<&str> = board.split("<section class=\"card ").skip(1).collect();
    let mut empty = 0;
    for c in &cards {
        let c = &c[..c.find("</section>").unwrap()];
        let figure = c.find("<p class=\"big\"").map(|i| &c[i..]).unwrap_or_default();
        let figure = &figure[..figure.find("</p>").unwrap_or_default()];
        if c.contains("status-grey") && (figure.ends_with(">—") || figure.ends_with(">—</a>")) {
            assert!(!c.contains("bar-svg"), "no bar without data: {c}");
            assert!(c.contains("bar-track no-data"), "{c}");
            empty += 1;
        }
    }
    assert!(empty > 0, "the demo has targets without reports");
    // Bars are drawn without inline styles (the CSP refuses them, and a
    // refused width draws a full bar): as wide as the share reached.
    assert!(!board.contains(" style=\""), "no inline style on the board");
    assert!(board.contains("<rect class=\"bar-bg\" width=\"100\""));
    for c in &cards {
        if let Some(at) = c.find("data-percent=\"") {
            let pct = &c[at + 14..];
            let pct = &pct[..pct.find('"').unwrap()];
            assert!(
                c.contains(&format!("class=\"bar {}", "")) && c.contains(&format!("width=\"{pct}\" height")),
                "{c}"
            );
        }
    }
    // Charts: a labelled axis with the unit, a legend naming only what is drawn.
    let svgs: Vec<&str> = board
        .split("<svg class=\"chart\"")
        .skip(1)
        .map(|s| &s[..s.find("</svg>").unwrap()])
        .collect();
    assert!(svgs.len() >= 4, "{}", svgs.len());
    for svg in &svgs {
        assert!(svg.contains("class=\"axis\""), "an axis: {svg}");
        assert!(svg.contains("单位："), "the unit: {svg}");
        assert!(svg.contains("class=\"legend\""), "a legend: {svg}");
        let (legend, drawing) = svg.split_once("</g>").expect("the legend comes first");
        let due_drawn = drawing.contains("class=\"due\"");
        let due_named = legend.contains("时序进度（应达）") || legend.contains("应达进度");
        assert_eq!(due_drawn, due_named, "the legend names the due line iff drawn: {svg}");
    }
    assert!(svgs.iter().any(|s| s.contains("全市累计完成") && s.contains("月份")));
    assert!(!board.contains("（虚线为时序进度）") && !board.contains("（竖线为应达进度）"));
}

async fn the_public_page_is_cards_or_the_sites_own_page(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut visitor = Agent::default();
    let off = app.get(&mut visitor, "/progress").await;
    assert_eq!(off.status, StatusCode::NOT_FOUND);
    assert!(
        off.body.contains("<html")
            && off.body.contains("目标进度未公开")
            && off.body.contains("本系统未开放目标进度公开页面"),
        "{}",
        off.body
    );
    assert!(
        off.body.contains("/static/app.css") || off.body.contains("stylesheet"),
        "the site's own page"
    );
    let on = app.with_config(|c| c.public.progress = true);
    let public = on.get(&mut visitor, "/progress").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("progress-cards"), "cards");
    assert!(!public.body.contains("<table"), "not a table");
    assert!(public.body.contains("计划期已于2023年12月31日结束"));
    assert!(public.body.contains("5,000人"));
}
