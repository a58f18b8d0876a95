//! Forms and lists in a real headless Chromium.
//!
//! - A wide list (农民工名册, 业务记录, 欠薪案件) prints on landscape A4; a
//!   narrow page (a worker's profile) stays portrait.
//! - A refused 办结 (no conclusion, more workers paid than concerned) opens
//!   with all its errors at the top of the viewport, the input kept.
//! - On a 390 px phone a worker who has left the site reports without the
//!   contractor's credit code; refreshing the page shows the same case
//!   number and query code, and no second case is filed.

use crate::browser::{
    ONE_BROWSER, add_user, arrive, browser, browser_sized, choose, click_through, fill, first_sign_in, fits_a_phone,
    pdf_pages, solve, text, tools, value,
};
use crate::common::{Dir, Server, run};
use fantoccini::error::CmdError;
use fantoccini::wd::{PrintConfiguration, PrintSize};
use fantoccini::{Client, Locator};
use shiminhua_app::store::{DatabaseUrl, Db, Sql};

/// The page boxes of a PDF: (width, height) in points, one per page.
fn page_boxes(pdf: &[u8]) -> Vec<(f64, f64)> {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/MediaBox")
        .filter_map(|(i, _)| {
            let rest = &text[i..];
            let open = rest.find('[')?;
            let close = rest.find(']')?;
            let n: Vec<f64> = rest[open + 1..close]
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            (n.len() == 4).then(|| (n[2] - n[0], n[3] - n[1]))
        })
        .collect()
}

/// Prints the page as the browser prints it on A4 paper; returns its page
/// boxes (saved as `name`).
async fn print_a4(c: &Client, name: &str) -> Result<Vec<(f64, f64)>, CmdError> {
    let pdf = c
        .print(PrintConfiguration::builder().size(PrintSize::A4).build().expect("A4"))
        .await?;
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let _ = std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name), &pdf);
    let boxes = page_boxes(&pdf);
    assert_eq!(boxes.len(), pdf_pages(&pdf), "one box per page of {name}");
    Ok(boxes)
}

/// A4 is 595 × 842 points.
fn is_a4_landscape((w, h): (f64, f64)) -> bool {
    (w - 842.0).abs() < 3.0 && (h - 595.0).abs() < 3.0
}

fn is_a4_portrait((w, h): (f64, f64)) -> bool {
    is_a4_landscape((h, w))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wide_lists_print_on_landscape_a4_in_chromium() {
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let dir = Dir::new("browser-wide-print");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success(), "{}", crate::common::stderr(&init));
    let demo = run(&dir.0, &["demo", "--workers", "200", "--seed", "11"], &[]);
    assert!(demo.status.success(), "{}", crate::common::stderr(&demo));
    let otp = add_user(&dir.0, "office1", "程办公室", "office", "341000").await;
    let server = Server::start(&dir.0, &[], &[]);
    let (_driver, c) = browser(&driver, &chromium, &dir.0).await;
    let result = async {
        first_sign_in(&c, &server.url, "office1", &otp, "Huangshan#Office2026").await?;
        for (path, name) in [
            ("/workers", "workers.pdf"),
            ("/records?kind=employment", "records.pdf"),
            ("/cases", "cases.pdf"),
        ] {
            c.goto(&format!("{}{path}", server.url)).await?;
            arrive(&c, path.split('?').next().unwrap_or(path)).await?;
            let rows = c.find_all(Locator::Css("table.wide tbody tr")).await?.len();
            assert!(rows > 0, "{path} lists something");
            let boxes = print_a4(&c, name).await?;
            assert!(!boxes.is_empty());
            assert!(
                boxes.iter().copied().all(is_a4_landscape),
                "{path}: every page landscape A4, got {boxes:?}"
            );
        }
        // A worker's profile is not a wide list: portrait.
        c.goto(&format!("{}/workers", server.url)).await?;
        arrive(&c, "/workers").await?;
        let href = c
            .find(Locator::Css("table.wide tbody a"))
            .await?
            .attr("href")
            .await?
            .unwrap_or_default();
        c.goto(&format!("{}{href}", server.url)).await?;
        arrive(&c, &href).await?;
        let boxes = print_a4(&c, "worker.pdf").await?;
        assert!(
            boxes.iter().copied().all(is_a4_portrait),
            "a profile prints portrait, got {boxes:?}"
        );
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.expect("browser steps");
}

/// Registers a case for 歙县徽城镇 as `username`, straight through the
/// use case on the data directory's database; returns its id.
async fn case_for(dir: &std::path::Path, username: &str) -> i64 {
    use shiminhua_app::config::{Config, Overrides};
    let config = Config::load(
        &Overrides {
            data_dir: Some(dir.to_path_buf()),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("config");
    let now = chrono::Utc::now();
    let (db, key) = shiminhua_app::ops::setup::open(&config, false, now)
        .await
        .expect("the database");
    let cipher = shiminhua_app::crypto::Cipher::from_ring(&key);
    let mut tx = db.read().await.unwrap();
    let (id,): (i64,) = tx
        .one(Sql::new("SELECT id FROM users WHERE username = $1").bind(username))
        .await
        .unwrap();
    let actor = shiminhua_app::users::load_actor(&mut tx, shiminhua_core::ids::UserId(id))
        .await
        .unwrap();
    drop(tx);
    let origin = shiminhua_app::Origin::default();
    let call = shiminhua_app::Call {
        db: &db,
        cipher: &cipher,
        actor: &actor,
        origin: &origin,
        now,
    };
    let today = (now + chrono::Duration::hours(8)).date_naive();
    let input = shiminhua_core::case::CaseInput {
        source: "hotline".into(),
        received_on: today.to_string(),
        reporter_name: "张小三".into(),
        reporter_phone: "13905591234".into(),
        employer_name: "黄山某建筑劳务有限公司".into(),
        sector: "construction".into(),
        project_name: "徽城安置房二期".into(),
        workers: "12".into(),
        amount_claimed: "86400".into(),
        arrears_from: (today - chrono::Duration::days(90)).to_string(),
        arrears_to: (today - chrono::Duration::days(1)).to_string(),
        description: "三个月工资未发放".into(),
        region: "341021100".into(),
        ..Default::default()
    };
    let reg = shiminhua_app::rights::cases::register(&call, &input)
        .await
        .expect("registered");
    db.close().await;
    reg.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_close_shows_all_errors_on_top_in_chromium() {
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let dir = Dir::new("browser-refused-close");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success(), "{}", crate::common::stderr(&init));
    let otp = add_user(&dir.0, "shexian_jc", "汪监察", "local", "341021").await;
    let id = case_for(&dir.0, "shexian_jc").await;
    let server = Server::start(&dir.0, &[], &[]);
    let (_driver, c) = browser(&driver, &chromium, &dir.0).await;
    let page = format!("/cases/{id}");
    let result = async {
        first_sign_in(&c, &server.url, "shexian_jc", &otp, "Shexian#Jiancha2026").await?;
        c.goto(&format!("{}{page}", server.url)).await?;
        arrive(&c, &page).await?;
        for step in ["accept", "investigate"] {
            let now = click_through(&c, &format!("#act-{step} button[type=submit]")).await?;
            assert_eq!(now, page, "{step}: {}", c.source().await?);
            let top = c.execute("return window.scrollY", vec![]).await?;
            assert_eq!(top.as_f64(), Some(0.0), "after {step} the page opens at its top");
        }
        // 办结 with wrong counts: no conclusion, 13 of 12 workers paid.
        fill(&c, "close-amount", "86400").await?;
        fill(&c, "close-paid", "13").await?;
        fill(&c, "close-note", "已追回全部工资").await?;
        fill(&c, "close-reply", "您反映的工资已追回。").await?;
        click_through(&c, "#act-close button[type=submit]").await?;
        let shot = c.screenshot().await?;
        let _ = std::fs::write(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("refused-close.png"),
            &shot,
        );
        // The errors, all of them, at the top of what the officer sees.
        let m = c
            .execute(
                "const b = document.getElementById('act-close-errors').getBoundingClientRect();\
                 return [b.top, b.bottom, window.innerHeight]",
                vec![],
            )
            .await?;
        let v: Vec<f64> = serde_json::from_value(m).expect("three numbers");
        assert!(
            v[0] >= 0.0 && v[0] < v[2] * 0.25 && v[1] <= v[2],
            "the errors at the top of the viewport: {v:?}"
        );
        let errors = text(&c, "#act-close-errors").await?;
        for e in ["请选择办结结论", "已支付人数（13）不能多于涉及人数（12）"] {
            assert!(errors.contains(e), "«{e}» among the errors: {errors}");
        }
        assert!(errors.contains("有2处需要修改"), "{errors}");
        // What was typed is kept.
        assert_eq!(value(&c, "close-amount").await?, "86400");
        assert_eq!(value(&c, "close-paid").await?, "13");
        assert_eq!(value(&c, "close-note").await?, "已追回全部工资");
        assert_eq!(value(&c, "close-reply").await?, "您反映的工资已追回。");
        // Corrected, it goes through.
        choose(&c, "close-conclusion", "已全额支付").await?;
        fill(&c, "close-paid", "12").await?;
        let now = click_through(&c, "#act-close button[type=submit]").await?;
        assert_eq!(now, page);
        assert!(
            text(&c, ".case-status").await?.contains("办结"),
            "{}",
            c.source().await?
        );
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.expect("browser steps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_without_credit_code_survives_a_refresh_on_a_phone_in_chromium() {
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let dir = Dir::new("browser-public-refresh");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success(), "{}", crate::common::stderr(&init));
    let server = Server::start(&dir.0, &[], &[]);
    let db = Db::connect(&DatabaseUrl::sqlite_file(&dir.0.join("shiminhua.db")))
        .await
        .expect("the database");
    let cases = || {
        let db = db.clone();
        async move {
            db.read()
                .await
                .unwrap()
                .int(Sql::new("SELECT COUNT(*) FROM cases"))
                .await
                .unwrap()
        }
    };
    let (_driver, c) = browser_sized(&driver, &chromium, &dir.0, Some((390, 844))).await;
    let result = async {
        c.goto(&format!("{}/public/cases/new", server.url)).await?;
        arrive(&c, "/public/cases/new").await?;
        fits_a_phone(&c).await?;
        // He left the site: he knows the contractor's name, not its code
        // nor the project's name.
        choose(&c, "region", "歙县 徽城镇").await?;
        fill(&c, "employer_name", "黄山某建筑劳务有限公司").await?;
        choose(&c, "sector", "工程建设").await?;
        fill(&c, "contractor_name", "安徽某建工集团有限公司").await?;
        fill(&c, "workers", "1").await?;
        fill(&c, "amount_claimed", "9800").await?;
        c.execute(
            "document.getElementById('arrears_from').value = '2026-06-01';\
             document.getElementById('arrears_to').value = '2026-08-31'",
            vec![],
        )
        .await?;
        fill(&c, "description", "离开工地后，老板一直不结6月到8月的工资。").await?;
        fill(&c, "reporter_name", "汪师傅").await?;
        fill(&c, "reporter_phone", "13905591234").await?;
        let q = text(&c, ".challenge-q").await?;
        fill(&c, "challenge_answer", &solve(&q)).await?;
        assert_eq!(click_through(&c, "button[type=submit]").await?, "/public/cases/done");
        assert_eq!(text(&c, "h1").await?, "反映已提交", "{}", c.source().await?);
        fits_a_phone_page(&c).await?;
        let number = text(&c, "#case-number").await?;
        let code = text(&c, "#query-code").await?;
        assert!(number.starts_with("HS") && code.chars().count() == 8, "{number} {code}");
        assert!(
            !c.current_url().await?.as_str().contains(&code),
            "the code is not in the address"
        );
        assert_eq!(cases().await, 1);
        // Refreshed, twice: the same case and code, no second case.
        for _ in 0..2 {
            c.refresh().await?;
            arrive(&c, "/public/cases/done").await?;
            assert_eq!(text(&c, "#case-number").await?, number);
            assert_eq!(text(&c, "#query-code").await?, code);
        }
        assert_eq!(cases().await, 1, "the case count did not grow");
        // The code finds the case.
        c.goto(&format!("{}/public/cases/query", server.url)).await?;
        arrive(&c, "/public/cases/query").await?;
        fill(&c, "number", &number).await?;
        fill(&c, "code", &code).await?;
        click_through(&c, "button[type=submit]").await?;
        assert_eq!(text(&c, ".pub-status").await?, "已登记，待受理");
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    db.close().await;
    result.expect("the report in Chromium");
}

/// Whether a page without a form fits the phone's width.
async fn fits_a_phone_page(c: &Client) -> Result<(), CmdError> {
    let m = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth]",
            vec![],
        )
        .await?;
    let v: Vec<i64> = serde_json::from_value(m).expect("two numbers");
    assert!(v[1] <= 420 && v[0] <= v[1], "the page scrolls sideways: {v:?}");
    Ok(())
}
