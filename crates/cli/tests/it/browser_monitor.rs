//! 工资支付监控 in a real headless Chromium, one server and one browser
//! for all of it.
//!
//! - An officer of the city's 专班办公室 registers a worker, enters a
//!   project through its form, records on the project's page its special
//!   account, its notice board with its photo, a guarantee short of the deposit required,
//!   the worker on its roster with a month's attendance and pay; runs
//!   立即核验 on the board, opens the warning list, opens the warning of the
//!   deposit and signs for it (签收).
//! - In a window 390 px wide, as a phone's, the board, the warnings and the
//!   project's page do not scroll sideways (their tables may, inside their
//!   wrappers), show their content before the menu, and list the warnings
//!   as cards; signed out, the
//!   worker checks that pay on 工资到账查询: the form and its answer fit the
//!   width, every input in view.

use crate::browser::{
    ONE_BROWSER, add_user, arrive, browser, choose, chosen, click_through, fill, first_sign_in, fits_a_phone,
    id_number, masked, solve, text, tools, value,
};
use crate::common::{Dir, Server, run, stderr};
use fantoccini::error::CmdError;
use fantoccini::{Client, Locator};
use shiminhua_core::credit_code::CreditCode;

const USER: &str = "shi_jiankong";
const PASSWORD: &str = "Huangshan#Jiankong2026";
const PROJECT: &str = "徽城安置房三期";
const PHONE: &str = "13905596688";

/// A valid 统一社会信用代码 of 歙县.
fn credit(n: u32) -> String {
    CreditCode::from_parts("91", "341021", &format!("MA{n:06}"))
        .expect("a credit code")
        .as_str()
        .to_string()
}

/// Saves a screenshot as `name` in the test's temporary folder.
async fn shot(c: &Client, name: &str) {
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name), &png);
    }
}

/// [`click_through`], expecting the page `path` (whatever its query and
/// fragment) with `notice` in its status line.
async fn saved(c: &Client, css: &str, path: &str, notice: &str) -> Result<(), CmdError> {
    let now = click_through(c, css).await?;
    assert_eq!(now, path, "after {css}: {}", c.source().await?);
    let shown = text(c, "p.notice[role=status]").await?;
    assert_eq!(shown, notice, "after {css}");
    Ok(())
}

/// Unfolds the `<details>` of a project page's small form.
async fn unfold(c: &Client, details: &str) -> Result<(), CmdError> {
    c.find(Locator::Css(&format!("{details} > summary")))
        .await?
        .click()
        .await
}

/// A photo of a notice board: a valid PNG of 4 × 3 pixels.
const BOARD_PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x04\x00\x00\x00\x03\x08\x02\x00\x00\x00\x3b\x96\x39\x91\
\x00\x00\x00\x10IDAT\x78\x9c\x63\x90\xf7\xeb\x81\x23\x06\x9c\x1c\x00\xde\xa5\x0b\xad\x43\x87\x96\xaa\
\x00\x00\x00\x00IEND\xae\x42\x60\x82";

/// The page's content comes before the side menu, and the top bar's 菜单
/// leads to it (a phone's layout).
async fn content_first(c: &Client) -> Result<(), CmdError> {
    let m = c
        .execute(
            "return [document.querySelector('main').getBoundingClientRect().top, \
             document.querySelector('nav.side').getBoundingClientRect().top]",
            vec![],
        )
        .await?;
    let v: Vec<f64> = serde_json::from_value(m).expect("two numbers");
    assert!(v[0] < v[1], "the menu comes first: main at {}, menu at {}", v[0], v[1]);
    let to_nav = c.find(Locator::Css(".topbar a.to-nav[href='#side-nav']")).await?;
    assert!(to_nav.is_displayed().await?, "菜单 in the top bar");
    Ok(())
}

/// [document width, viewport width] of the page shown.
async fn widths(c: &Client) -> Result<(i64, i64), CmdError> {
    let m = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth]",
            vec![],
        )
        .await?;
    let v: Vec<i64> = serde_json::from_value(m).expect("two numbers");
    Ok((v[0], v[1]))
}

/// Every one of the inputs `ids` is shown, wholly within the viewport's width.
async fn inputs_in_view(c: &Client, ids: &[&str]) -> Result<(), CmdError> {
    for id in ids {
        let el = c.find(Locator::Id(id)).await?;
        assert!(el.is_displayed().await?, "#{id} is shown");
        let m = c
            .execute(
                "const b = document.getElementById(arguments[0]).getBoundingClientRect();\
                 return [Math.round(b.left), Math.round(b.right), Math.round(b.width), Math.round(b.height), window.innerWidth]",
                vec![serde_json::json!(id)],
            )
            .await?;
        let v: Vec<i64> = serde_json::from_value(m).expect("five numbers");
        let (left, right, width, height, viewport) = (v[0], v[1], v[2], v[3], v[4]);
        assert!(
            left >= 0 && right <= viewport && width >= 200 && height >= 40,
            "#{id} at {left}..{right} ({width}×{height} px) in a {viewport} px viewport"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_follows_a_project_to_a_signed_warning_and_a_phone_checks_pay_in_chromium() {
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let dir = Dir::new("browser-monitor");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success(), "{}", stderr(&init));
    let otp = add_user(&dir.0, USER, "黄监控", "office", "341000").await;
    let server = Server::start(&dir.0, &[], &[]);

    // Dates as the server sees them (UTC+8).
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let day = |back: i64| (today - chrono::Duration::days(back)).to_string();
    let signed = day(60);
    let worker = id_number("34102119900505213");

    let (_driver, c) = browser(&driver, &chromium, &dir.0).await;
    let result = async {
        first_sign_in(&c, &server.url, USER, &otp, PASSWORD).await?;

        // A worker of the registry, with the phone the pay check asks for.
        c.goto(&format!("{}/workers/new", server.url)).await?;
        arrive(&c, "/workers/new").await?;
        fill(&c, "name", "汪建国").await?;
        fill(&c, "id_number", &worker).await?;
        fill(&c, "phone", PHONE).await?;
        choose(&c, "region", "歙县 徽城镇").await?;
        let profile = click_through(&c, "main form.form button[type=submit]").await?;
        assert!(profile.starts_with("/workers/"), "registered: {}", c.source().await?);

        // The board, from the navigation; 新增项目 from the board.
        c.goto(&format!("{}/", server.url)).await?;
        arrive(&c, "/").await?;
        let now = click_through(&c, "nav.side a[href='/monitor']").await?;
        assert_eq!(now, "/monitor");
        assert_eq!(text(&c, "main h1").await?, "工资支付监控");
        let now = click_through(&c, "main a.button[href='/monitor/projects/new']").await?;
        assert_eq!(now, "/monitor/projects/new");
        assert_eq!(text(&c, "main h1").await?, "新增工程建设项目");
        assert_eq!(
            chosen(&c, "f-status").await?,
            "在建",
            "a new project is under construction"
        );
        fill(&c, "f-code", "HS-JS-2026-017").await?;
        fill(&c, "f-name", PROJECT).await?;
        choose(&c, "f-kind", "房屋建筑").await?;
        choose(&c, "f-place", "歙县 徽城镇").await?;
        fill(&c, "f-builder", "歙县城市建设投资有限公司").await?;
        fill(&c, "f-builder_code", &credit(41)).await?;
        fill(&c, "f-contractor", "安徽某建工集团有限公司").await?;
        fill(&c, "f-contractor_code", &credit(42)).await?;
        fill(&c, "f-contract_sum", "12,000,000").await?;
        fill(&c, "f-contract_date", &signed).await?;
        fill(&c, "f-start_date", &day(50)).await?;
        let page = click_through(&c, "main form.form button[type=submit]").await?;
        let Some(pid) = page
            .strip_prefix("/monitor/projects/")
            .and_then(|s| s.parse::<i64>().ok())
        else {
            panic!("expected the project's page, at {page}: {}", text(&c, "main").await?);
        };
        assert_eq!(text(&c, "main h1").await?, PROJECT);
        assert_eq!(
            text(&c, "p.notice[role=status]").await?,
            "已新增项目，并已按预警规则核验。"
        );
        let facts = text(&c, "#facts").await?;
        assert!(
            facts.contains("HS-JS-2026-017") && facts.contains("住房城乡建设") && facts.contains("12,000,000 元"),
            "{facts}"
        );
        // Checked at once: 60 days after the contract, no account, no board.
        let warnings = text(&c, "#warnings").await?;
        for w in [
            "未开设农民工工资专用账户",
            "未设置维权信息告示牌",
            "工资保证金未存或不足",
        ] {
            assert!(warnings.contains(w), "«{w}» among the warnings: {warnings}");
        }
        assert!(text(&c, "#account").await?.contains("未开设"));
        assert!(text(&c, "#deposit").await?.contains("应存 120,000 元"));
        shot(&c, "monitor-project-new.png").await;

        // 专用账户, opened ten days after the contract.
        unfold(&c, "#account details").await?;
        fill(&c, "account-bank", "歙县农商银行徽城支行").await?;
        fill(&c, "account-opened", &day(50)).await?;
        choose(&c, "account-agreement", "是").await?;
        saved(
            &c,
            "#account form button[type=submit]",
            &page,
            "已保存专用账户信息，并已重新核验。",
        )
        .await?;
        let account = text(&c, "#account").await?;
        assert!(
            account.contains(&format!(
                "已开设：歙县农商银行徽城支行，{}开户，已签订三方协议",
                day(50)
            )),
            "{account}"
        );

        // 告示牌.
        unfold(&c, "#board details").await?;
        assert_eq!(value(&c, "board-set_on").await?, "", "no date yet");
        fill(&c, "board-set_on", &day(45)).await?;
        // Its photo, chosen as a file (a 4 × 3 PNG).
        let photo = dir.0.join("告示牌.png");
        std::fs::write(&photo, BOARD_PNG).expect("photo written");
        c.find(Locator::Id("board-photo"))
            .await?
            .send_keys(&photo.to_string_lossy())
            .await?;
        saved(
            &c,
            "#board form button[type=submit]",
            &page,
            "已登记维权信息告示牌，并已重新核验。",
        )
        .await?;
        let board = text(&c, "#board").await?;
        assert!(board.contains(&format!("已设置（{}）", day(45))), "{board}");
        assert!(board.contains("现场照片：告示牌.png"), "{board}");
        let shown = c
            .execute(
                "const i = document.querySelector('#board figure img'); return [i.complete, i.naturalWidth, i.naturalHeight]",
                vec![],
            )
            .await?;
        assert_eq!(shown, serde_json::json!([true, 4, 3]), "the photo is shown as sent");

        // A guarantee short of what is required.
        unfold(&c, "#deposit details").await?;
        choose(&c, "deposit-form", "银行保函").await?;
        fill(&c, "deposit-amount", "50000").await?;
        fill(&c, "deposit-from", &day(30)).await?;
        fill(&c, "deposit-to", &day(-335)).await?;
        saved(
            &c,
            "#deposit form button[type=submit]",
            &page,
            "已登记工资保证金，并已重新核验。",
        )
        .await?;
        let deposit = text(&c, "#deposit").await?;
        assert!(deposit.contains("目前在存 50,000 元 不足"), "{deposit}");
        assert!(deposit.contains("银行保函") && deposit.contains("在存"), "{deposit}");

        // The worker on the roster, last month's attendance and pay.
        unfold(&c, "#roster-form").await?;
        fill(&c, "roster-id_number", &worker).await?;
        fill(&c, "roster-team", "钢筋班").await?;
        choose(&c, "roster-contract", "是").await?;
        fill(&c, "roster-entered", &day(40)).await?;
        saved(
            &c,
            "#roster-form button[type=submit]",
            &page,
            "已保存实名制人员，并已重新核验。",
        )
        .await?;
        let roster = text(&c, "#roster").await?;
        assert!(roster.contains("实名制名单共 1 人"), "{roster}");
        assert!(
            roster.contains(&masked(&worker)) && roster.contains("钢筋班"),
            "{roster}"
        );
        unfold(&c, "#attendance").await?;
        c.find(Locator::Id("attendance-worker"))
            .await?
            .select_by_index(1)
            .await?;
        let month = value(&c, "attendance-month").await?;
        assert!(!month.is_empty(), "the month is filled in");
        fill(&c, "attendance-days", "22").await?;
        saved(
            &c,
            "#attendance button[type=submit]",
            &page,
            "已登记考勤，并已重新核验。",
        )
        .await?;
        unfold(&c, "#payroll").await?;
        c.find(Locator::Id("payroll-worker")).await?.select_by_index(1).await?;
        assert_eq!(value(&c, "payroll-month").await?, month);
        fill(&c, "payroll-amount", "4800").await?;
        fill(&c, "payroll-paid_on", &day(0)).await?;
        fill(&c, "payroll-account", "6222021234567890123").await?;
        saved(
            &c,
            "#payroll button[type=submit]",
            &page,
            "已登记工资发放，并已重新核验。",
        )
        .await?;
        let grid = text(&c, "table.pay-grid").await?;
        assert!(grid.contains("22天 / 4,800元"), "{grid}");
        assert!(
            !c.source().await?.contains("6222021234567890123"),
            "the account number is masked"
        );
        // The account and the board are in order: their warnings cleared.
        let warnings = text(&c, "#warnings table").await?;
        for line in warnings.lines() {
            if line.contains("未开设农民工工资专用账户") || line.contains("未设置维权信息告示牌")
            {
                assert!(line.contains("已解除"), "cleared: {line}");
            }
        }
        shot(&c, "monitor-project.png").await;

        // 立即核验 on the board.
        c.goto(&format!("{}/monitor", server.url)).await?;
        arrive(&c, "/monitor").await?;
        let now = click_through(&c, "form[action='/monitor/evaluate'] button[type=submit]").await?;
        assert_eq!(now, "/monitor");
        let notice = text(&c, "p.notice[role=status]").await?;
        assert!(notice.starts_with("核验完成：核验 1 个项目"), "{notice}");
        let open: i64 = text(&c, "a.card[href='/monitor/warnings'] .card-figure .num")
            .await?
            .parse()
            .expect("a count");
        assert!(open >= 1, "at least one open warning: {notice}");
        assert!(notice.contains(&format!("现有待处置预警 {open} 条")), "{notice}");
        let counties = text(&c, "main .monitor-tables").await?;
        assert!(
            counties.contains("歙县") && counties.contains("工资保证金未存或不足"),
            "{counties}"
        );
        shot(&c, "monitor-board.png").await;

        // The list, then the deposit's warning.
        let now = click_through(&c, "main .filters a.button[href='/monitor/warnings']").await?;
        assert_eq!(now, "/monitor/warnings");
        assert_eq!(text(&c, "main h1").await?, "预警");
        let list = text(&c, "table.warning-list").await?;
        assert!(list.contains(PROJECT) && list.contains("HS-JS-2026-017"), "{list}");
        assert!(list.contains("工资保证金未存或不足"), "{list}");
        assert!(
            !list.contains("未开设农民工工资专用账户"),
            "cleared ones are not listed: {list}"
        );
        assert!(text(&c, "main").await?.contains(&format!("共 {open} 条")));
        let link = c
            .find(Locator::XPath(
                "//table[contains(@class,'warning-list')]//a[normalize-space()='工资保证金未存或不足']",
            ))
            .await?;
        let href = link.attr("href").await?.unwrap_or_default();
        link.click().await?;
        arrive(&c, &href).await?;
        assert!(
            text(&c, "main h1").await?.ends_with("工资保证金未存或不足"),
            "{}",
            c.source().await?
        );
        let facts = text(&c, "main dl.facts").await?;
        assert!(facts.contains(PROJECT) && facts.contains("已存5万元"), "{facts}");
        assert!(facts.contains("待处置"), "{facts}");
        let back = format!("main dl.facts a[href='/monitor/projects/{pid}']");
        assert_eq!(text(&c, &back).await?, PROJECT, "the warning links to its project");

        // 签收.
        saved(
            &c,
            "form.case-action:has(input[name=action][value=acknowledge]) button[type=submit]",
            &href,
            "已签收。请按期处置，处置完毕后填写理由解除预警。",
        )
        .await?;
        let facts = text(&c, "main dl.facts").await?;
        assert!(facts.contains("已签收"), "{facts}");
        assert!(
            c.find_all(Locator::Css("input[name=action][value=acknowledge]"))
                .await?
                .is_empty(),
            "no second 签收"
        );
        let history = text(&c, "section[aria-labelledby=history-title] table").await?;
        assert!(history.contains("签收") && history.contains("黄监控"), "{history}");
        shot(&c, "monitor-warning.png").await;

        // A window of 390 px, as a phone's: the board, signed in.
        c.set_window_size(390, 844).await?;
        c.goto(&format!("{}/monitor", server.url)).await?;
        arrive(&c, "/monitor").await?;
        assert_eq!(text(&c, "main h1").await?, "工资支付监控");
        let (doc, viewport) = widths(&c).await?;
        assert!(viewport <= 420, "a phone's width, got {viewport}");
        assert!(doc <= viewport, "the board scrolls sideways: {doc} > {viewport}");
        assert!(
            c.find(Locator::Css("a.card[href='/monitor/warnings']"))
                .await?
                .is_displayed()
                .await?
        );
        shot(&c, "monitor-board-phone.png").await;
        // Nor do the warnings, a warning and the project's page.
        for path in ["/monitor/warnings", href.as_str(), page.as_str()] {
            c.goto(&format!("{}{path}", server.url)).await?;
            arrive(&c, path).await?;
            let (doc, viewport) = widths(&c).await?;
            assert!(doc <= viewport, "{path} scrolls sideways: {doc} > {viewport}");
            content_first(&c).await?;
            if path == "/monitor/warnings" {
                // Each warning a card: its project and rule get the width.
                let m = c
                    .execute(
                        "return Array.from(document.querySelectorAll('.warning-list td[data-label=\"项目\"]'))\
                         .map(td => Math.round(td.getBoundingClientRect().width))",
                        vec![],
                    )
                    .await?;
                let cells: Vec<i64> = serde_json::from_value(m).expect("numbers");
                assert!(!cells.is_empty() && cells.iter().all(|w| *w >= 300), "squeezed: {cells:?}");
                shot(&c, "monitor-warnings-phone.png").await;
            }
        }
        c.execute("document.querySelector('#warnings').scrollIntoView()", vec![])
            .await?;
        shot(&c, "monitor-project-phone.png").await;

        // Signed out, the worker's own check.
        click_through(&c, ".topbar form[action='/logout'] button[type=submit]").await?;
        c.goto(&format!("{}/public/pay", server.url)).await?;
        arrive(&c, "/public/pay").await?;
        assert_eq!(text(&c, "main h1").await?, "工资到账查询");
        fits_a_phone(&c).await?;
        let challenge = !c.find_all(Locator::Id("challenge_answer")).await?.is_empty();
        let mut inputs = vec!["id_number", "phone"];
        if challenge {
            inputs.push("challenge_answer");
        }
        inputs_in_view(&c, &inputs).await?;
        shot(&c, "pay-phone-form.png").await;
        fill(&c, "id_number", &worker).await?;
        fill(&c, "phone", PHONE).await?;
        if challenge {
            let q = text(&c, ".challenge-q").await?;
            fill(&c, "challenge_answer", &solve(&q)).await?;
        }
        let now = click_through(&c, "form.pub-form button[type=submit]").await?;
        assert_eq!(now, "/public/pay");
        let answer = text(&c, "section.pub-result").await?;
        assert!(answer.contains("近6个月的工资发放情况"), "{}", c.source().await?);
        assert!(
            answer.contains(PROJECT) && answer.contains("已到账") && answer.contains("4,800元"),
            "{answer}"
        );
        assert!(!c.source().await?.contains("汪建国"), "nothing more about the person");
        // The answer and the form below it still fit.
        fits_a_phone(&c).await?;
        inputs_in_view(&c, &["id_number", "phone"]).await?;
        shot(&c, "pay-phone-answer.png").await;
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.expect("browser steps");
}
