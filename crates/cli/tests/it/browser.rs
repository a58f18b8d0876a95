//! A real headless Chromium. The helpers here are shared with the other
//! `browser_*` modules, one per area of the application.
//!
//! - The administrator signs in with the one-time password, is made to change
//!   it and to enrol the second factor, sees the 工作台 and signs out.
//! - A township officer of 歙县, created with `shiminhua user add`, signs in
//!   the first time and works the registry pages end to end: registers a
//!   worker (field errors next to the fields, typed input kept), adds a child
//!   and a schooling record, meets the optimistic-concurrency conflict of two
//!   tabs editing the same worker, and finds the worker by full ID number.
//! - The task-force lead opens the 市民化情况评估 over demo data and prints it
//!   to PDF: A4, one page per section, the scores of every county in it.

use crate::common::{Dir, Server, after, run, stdout};
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use shiminhua_core::totp::TotpSecret;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// chromedriver, and the browser it started (found by its profile folder,
/// so that a failed step never leaves a browser running).
pub(crate) struct Driver(Child, std::path::PathBuf);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = Command::new("pkill").arg("-f").arg(self.1.as_os_str()).status();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

pub(crate) fn find(cmd: &str) -> Option<String> {
    ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"]
        .iter()
        .map(|d| format!("{d}/{cmd}"))
        .find(|p| std::path::Path::new(p).exists())
}

/// chromedriver and chromium, or `None` (with a note) when they are not
/// installed. In CI their absence is a failure.
pub(crate) fn tools() -> Option<(String, String)> {
    let (Some(driver), Some(chromium)) = (find("chromedriver"), find("chromium")) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI 环境缺少 chromium / chromedriver");
        }
        eprintln!(
            "已跳过浏览器测试：未安装 chromium 和 chromium-driver（apt-get install -y chromium chromium-driver）"
        );
        return None;
    };
    Some((driver, chromium))
}

/// One browser at a time: the tests of this file run in parallel threads,
/// and two Chromiums on a small machine make both slow.
pub(crate) static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A WebDriver session in a headless Chromium whose profile lies in `dir`.
/// The driver must outlive the client.
pub(crate) async fn browser(driver: &str, chromium: &str, dir: &std::path::Path) -> (Driver, Client) {
    browser_sized(driver, chromium, dir, None).await
}

/// [`browser`], emulating a phone of `(width, height)` CSS pixels if given.
pub(crate) async fn browser_sized(
    driver: &str,
    chromium: &str,
    dir: &std::path::Path,
    phone: Option<(u32, u32)>,
) -> (Driver, Client) {
    let port = free_port();
    let profile = dir.join("chromium-profile");
    let driver = Driver(
        Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver"),
        profile.clone(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let mut caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    };
    if let Some((width, height)) = phone
        && let Some(serde_json::Value::Object(o)) = caps.get_mut("goog:chromeOptions")
    {
        o.insert(
            "mobileEmulation".into(),
            serde_json::json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 3.0, "mobile": true } }),
        );
    }
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("webdriver session");
    (driver, c)
}

/// Waits until the browser shows `path` (a click returns before the next page loads).
pub(crate) async fn arrive(c: &Client, path: &str) -> Result<(), CmdError> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = c.current_url().await?;
        let ready = c.execute("return document.readyState", vec![]).await?;
        if now.path() == path && ready == "complete" {
            return Ok(());
        }
        assert!(
            Instant::now() < deadline,
            "expected {path}, still at {now}: {}",
            c.source().await?
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks `css` and waits for the page that follows, fully loaded; returns
/// its path. Unlike [`arrive`], this also sees a form answered at the same
/// address (a 422 with field errors, a 409 conflict): the current document
/// is marked before the click, and only an unmarked one counts.
pub(crate) async fn click_through(c: &Client, css: &str) -> Result<String, CmdError> {
    let el = c.find(Locator::Css(css)).await?;
    c.execute("window.__shiminhuaOld = true", vec![]).await?;
    el.click().await?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        // While the next document loads the script may fail; poll again.
        let state = c
            .execute(
                "return window.__shiminhuaOld === true ? 'old' : document.readyState",
                vec![],
            )
            .await;
        if let Ok(s) = &state
            && s == "complete"
        {
            return Ok(c.current_url().await?.path().to_string());
        }
        assert!(
            Instant::now() < deadline,
            "no new page after clicking {css} ({state:?}): {}",
            c.source().await?
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// [`click_through`], expecting to land on `path`.
pub(crate) async fn click_to(c: &Client, css: &str, path: &str) -> Result<(), CmdError> {
    let now = click_through(c, css).await?;
    assert_eq!(now, path, "after clicking {css}: {}", c.source().await?);
    Ok(())
}

/// Replaces the text of the input `#id`.
pub(crate) async fn fill(c: &Client, id: &str, text: &str) -> Result<(), CmdError> {
    let el = c.find(Locator::Id(id)).await?;
    el.clear().await?;
    el.send_keys(text).await
}

/// Chooses the option of the dropdown `#id` whose text is `label`.
pub(crate) async fn choose(c: &Client, id: &str, label: &str) -> Result<(), CmdError> {
    c.find(Locator::Id(id)).await?.select_by_label(label).await
}

/// What the field `#id` holds now (a dropdown: the chosen option's value).
pub(crate) async fn value(c: &Client, id: &str) -> Result<String, CmdError> {
    Ok(c.find(Locator::Id(id)).await?.prop("value").await?.unwrap_or_default())
}

/// The text of the chosen option of the dropdown `#id`.
pub(crate) async fn chosen(c: &Client, id: &str) -> Result<String, CmdError> {
    let v = c
        .execute(
            "const s = document.getElementById(arguments[0]); return s.selectedIndex < 0 ? '' : s.options[s.selectedIndex].text",
            vec![serde_json::json!(id)],
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_string())
}

/// The error message shown with the field `#id`: a `.field-error` after the
/// field and before the next field's label (the label for `#id` is the
/// nearest label before it).
pub(crate) async fn field_error(c: &Client, id: &str) -> Result<Option<String>, CmdError> {
    let xpath = format!(
        "//*[@id='{id}']/following-sibling::*[contains(concat(' ', normalize-space(@class), ' '), ' field-error ')]\
         [preceding-sibling::label[1][@for='{id}']]"
    );
    match c.find_all(Locator::XPath(&xpath)).await?.first() {
        Some(e) => Ok(Some(e.text().await?)),
        None => Ok(None),
    }
}

/// The visible text of `css` (the first match).
pub(crate) async fn text(c: &Client, css: &str) -> Result<String, CmdError> {
    c.find(Locator::Css(css)).await?.text().await
}

/// The current TOTP code of `secret`.
pub(crate) fn totp_now(secret: &TotpSecret) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    secret.code_at(now)
}

/// A new user's first sign-in: the one-time password, the forced change to
/// `password`, and the second factor where it is required (administrators).
/// Ends on the 工作台; returns the enrolled secret, if any.
pub(crate) async fn first_sign_in(
    c: &Client,
    url: &str,
    username: &str,
    otp: &str,
    password: &str,
) -> Result<Option<TotpSecret>, CmdError> {
    c.goto(&format!("{url}/")).await?;
    arrive(c, "/login").await?;
    c.find(Locator::Css("#username")).await?.send_keys(username).await?;
    c.find(Locator::Css("#password")).await?.send_keys(otp).await?;
    click_to(c, "form.form button[type=submit]", "/account/password").await?;

    // Made to change the one-time password.
    assert!(c.source().await?.contains("须先修改初始密码"));
    c.find(Locator::Css("#current")).await?.send_keys(otp).await?;
    c.find(Locator::Css("#new")).await?.send_keys(password).await?;
    c.find(Locator::Css("#confirm")).await?.send_keys(password).await?;
    let next = click_through(c, "form.form button[type=submit]").await?;

    // Administrators must enrol the second factor.
    let secret = if next == "/account/totp" {
        let secret = c
            .find(Locator::Css("input[name=secret]"))
            .await?
            .attr("value")
            .await?
            .unwrap_or_default();
        let secret = TotpSecret::from_base32(&secret).expect("secret on the page");
        c.find(Locator::Css("#code"))
            .await?
            .send_keys(&totp_now(&secret))
            .await?;
        click_to(c, "form.form button[type=submit]", "/").await?;
        Some(secret)
    } else {
        assert_eq!(next, "/", "after the password change: {}", c.source().await?);
        None
    };
    assert_eq!(text(c, "main h1").await?, "工作台");
    Ok(secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_first_sign_in_in_chromium() {
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let dir = Dir::new("browser");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success());
    let otp = after(&stdout(&init), "一次性密码：");
    let server = Server::start(&dir.0, &[], &[]);
    let (_driver, c) = browser(&driver, &chromium, &dir.0).await;

    let result = async {
        let secret = first_sign_in(&c, &server.url, "admin", &otp, "Huangshan#2026").await?;
        assert!(secret.is_some(), "the administrator enrols the second factor");

        // The console.
        let body = c.source().await?;
        assert!(body.contains("用户管理") && body.contains("启用的账户"));
        let shot = c.screenshot().await?;
        let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("workbench.png");
        let _ = std::fs::write(&out, &shot);
        c.find(Locator::Css("a[href='/admin/users']")).await?.click().await?;
        arrive(&c, "/admin/users").await?;
        assert!(
            c.find(Locator::Css("table.table"))
                .await?
                .text()
                .await?
                .contains("admin")
        );

        // Sign out.
        c.find(Locator::Css(".topbar button")).await?.click().await?;
        arrive(&c, "/login").await?;
        assert!(c.source().await?.contains("您已安全退出"));
        c.goto(&format!("{}/admin/users", server.url)).await?;
        arrive(&c, "/login").await?;
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.expect("browser steps");
}

/// A valid ID number: `first17` and its check character.
pub(crate) fn id_number(first17: &str) -> String {
    let check = shiminhua_core::id_number::check_char(first17).expect("17 digits");
    format!("{first17}{check}")
}

/// `id` with a wrong check character.
pub(crate) fn wrong_check(id: &str) -> String {
    let (body, check) = id.split_at(17);
    format!("{body}{}", if check == "0" { '1' } else { '0' })
}

/// Approves, as a second person, the grant that `user add` asked for.
pub(crate) async fn approve(dir: &std::path::Path, username: &str) {
    use shiminhua_app::config::{Config, Overrides};
    use shiminhua_app::store::Sql;
    // Opened as the program opens it: with the key file, so that the approval
    // is chained under the audit key of that data directory.
    let config = Config::load(
        &Overrides {
            data_dir: Some(dir.to_path_buf()),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("config");
    let (db, _) = shiminhua_app::ops::setup::open(&config, false, chrono::Utc::now())
        .await
        .expect("the database");
    let (id,): (i64,) = db
        .read()
        .await
        .unwrap()
        .one(Sql::new("SELECT id FROM users WHERE username = $1").bind(username))
        .await
        .unwrap();
    shiminhua_app::testing::approve_pending(&db, chrono::Utc::now(), id).await;
    db.close().await;
}

/// Adds a user from the command line, approved by a second person; returns
/// the one-time password.
pub(crate) async fn add_user(dir: &std::path::Path, username: &str, name: &str, role: &str, region: &str) -> String {
    let add = run(
        dir,
        &[
            "user", "add", username, "--name", name, "--role", role, "--region", region,
        ],
        &[],
    );
    assert!(add.status.success(), "{}", crate::common::stderr(&add));
    let otp = after(&stdout(&add), "一次性密码：");
    approve(dir, username).await;
    otp
}

/// How pages show an ID number: the 6-digit address code only.
pub(crate) fn masked(id: &str) -> String {
    format!("{}************", &id[..6])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn township_officer_registers_a_worker_in_chromium() {
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let started = Instant::now();
    let dir = Dir::new("browser-registry");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success(), "{}", crate::common::stderr(&init));
    // A 区县/乡镇工作人员 whose scope is 歙县.
    let otp = add_user(&dir.0, "shexian_xz", "汪晓燕", "local", "341021").await;
    let server = Server::start(&dir.0, &[], &[]);
    let (_driver, c) = browser(&driver, &chromium, &dir.0).await;

    let worker_id = id_number("34102119880614235");
    let child_id = id_number("34102120180312046");
    let phone = "13905591234";

    let result = async {
        let secret = first_sign_in(&c, &server.url, "shexian_xz", &otp, "Shexian#Huicheng2026").await?;
        assert!(secret.is_none(), "no second factor is forced on township staff");

        // 登记农民工, from the menu.
        click_to(&c, "nav.side a[href='/workers/new']", "/workers/new").await?;
        assert_eq!(text(&c, "main h1").await?, "登记农民工");
        fill(&c, "name", "程建国").await?;
        fill(&c, "id_number", &wrong_check(&worker_id)).await?;
        fill(&c, "phone", "1390559123").await?;
        choose(&c, "region", "歙县 徽城镇").await?;
        fill(&c, "hukou_place", "安徽省黄山市歙县雄村镇").await?;
        choose(&c, "education", "初中").await?;
        click_to(&c, "main form.form button[type=submit]", "/workers/new").await?;

        // Each error next to its field, in Chinese; what was typed is kept.
        assert_eq!(
            field_error(&c, "id_number").await?.as_deref(),
            Some("身份证号校验不通过，可能有数字输错或顺序颠倒，请对照身份证逐位核对整个号码"),
            "{}",
            c.source().await?
        );
        assert_eq!(
            field_error(&c, "phone").await?.as_deref(),
            Some("手机号码应为11位数字，实际为10位")
        );
        for ok in ["name", "region", "hukou_place", "education"] {
            assert_eq!(field_error(&c, ok).await?, None, "no error on {ok}");
        }
        assert_eq!(value(&c, "name").await?, "程建国");
        assert_eq!(value(&c, "id_number").await?, wrong_check(&worker_id));
        assert_eq!(value(&c, "phone").await?, "1390559123");
        assert_eq!(chosen(&c, "region").await?, "歙县 徽城镇");
        assert_eq!(value(&c, "hukou_place").await?, "安徽省黄山市歙县雄村镇");
        assert_eq!(value(&c, "education").await?, "初中");

        // Corrected, it is registered: the profile shows the ID number masked.
        fill(&c, "id_number", &worker_id).await?;
        fill(&c, "phone", phone).await?;
        let profile = click_through(&c, "main form.form button[type=submit]").await?;
        let id = profile
            .strip_prefix("/workers/")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or_else(|| panic!("expected the profile, at {profile}"));
        assert_eq!(text(&c, "main h1").await?, "程建国");
        assert_eq!(text(&c, "p.notice").await?, "已登记。");
        assert_eq!(text(&c, "dl.facts dd.code").await?, masked(&worker_id));
        let body = c.source().await?;
        assert!(body.contains("139****1234"), "the phone number, masked");
        assert!(
            !body.contains(&worker_id) && !body.contains(phone),
            "no full ID or phone number"
        );
        assert!(
            body.contains("1988年") && !body.contains("1988-06-14") && body.contains("男"),
            "birth year (not the date) and sex from the ID number"
        );

        // A child (随迁家属 子女).
        click_to(
            &c,
            &format!("a[href='/workers/{id}/dependants/new']"),
            &format!("/workers/{id}/dependants/new"),
        )
        .await?;
        choose(&c, "relation", "子女").await?;
        fill(&c, "name", "程小雨").await?;
        fill(&c, "id_number", &child_id).await?;
        click_to(&c, "main form.form button[type=submit]", &profile).await?;
        assert_eq!(text(&c, "p.notice").await?, "已添加随迁家属。");
        let family = text(&c, "table.table tbody").await?;
        assert!(
            family.contains("子女") && family.contains("程**") && family.contains(&masked(&child_id)),
            "{family}"
        );
        assert!(
            family.contains("2018") && !family.contains("2018-03-12"),
            "the child's birth year, not the date: {family}"
        );
        assert!(!c.source().await?.contains("程小雨"), "the child's name is masked");

        // A schooling record (随迁子女就学) for that child.
        click_to(
            &c,
            &format!("a[href='/workers/{id}/records/new?kind=schooling']"),
            &format!("/workers/{id}/records/new"),
        )
        .await?;
        assert_eq!(text(&c, "main h1").await?, "新增随迁子女就学记录");
        assert!(
            text(&c, "main form").await?.contains("程**"),
            "the registered children are hinted"
        );
        fill(&c, "f-child", "程小雨").await?;
        fill(&c, "f-school", "歙县徽城镇中心小学").await?;
        choose(&c, "f-school_type", "公办").await?;
        choose(&c, "f-place", "歙县 徽城镇").await?;
        choose(&c, "f-stage", "小学").await?;
        fill(&c, "f-grade", "3").await?;
        fill(&c, "f-school_year", "2026-2027").await?;
        click_to(&c, "main form.form button[type=submit]", &profile).await?;
        assert_eq!(text(&c, "p.notice").await?, "已新增记录。");
        let timeline = text(&c, "ol.timeline").await?;
        for shown in [
            "2026-09-01",
            "随迁子女就学",
            "程**",
            "歙县徽城镇中心小学",
            "公办",
            "徽城镇",
            "小学",
            "2026-2027",
        ] {
            assert!(timeline.contains(shown), "«{shown}» on the timeline: {timeline}");
        }
        let shot = c.screenshot().await?;
        let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("worker-profile.png");
        let _ = std::fs::write(&out, &shot);

        // Two tabs edit the worker: the one saved second is refused.
        let edit = format!("/workers/{id}/edit");
        click_to(&c, &format!("a[href='{edit}']"), &edit).await?;
        assert_eq!(value(&c, "id_number").await?, masked(&worker_id), "shown masked");
        assert!(
            c.find(Locator::Id("id_number"))
                .await?
                .attr("readonly")
                .await?
                .is_some(),
            "the ID number is not editable"
        );
        let first_tab = c.window().await?;
        let second_tab = c.new_window(true).await?.handle;
        c.switch_to_window(second_tab).await?;
        c.goto(&format!("{}{edit}", server.url)).await?;
        arrive(&c, &edit).await?;
        fill(&c, "skills", "木工").await?;
        click_to(&c, "main form.form button[type=submit]", &profile).await?;
        assert_eq!(text(&c, "p.notice").await?, "已保存。");
        c.close_window().await?;
        c.switch_to_window(first_tab).await?;

        // The first tab still shows the form as it was loaded.
        fill(&c, "skills", "电工（四级）").await?;
        fill(&c, "tags", "重点帮扶，技能培训").await?;
        fill(&c, "phone", "13805597788").await?;
        click_to(&c, "main form.form button[type=submit]", &edit).await?;
        let alert = text(&c, "main .error-box[role=alert]").await?;
        assert!(
            alert.contains("已被他人修改") && alert.contains("刷新页面"),
            "the conflict is explained: {alert}"
        );
        assert_eq!(value(&c, "skills").await?, "电工（四级）");
        assert_eq!(value(&c, "tags").await?, "重点帮扶，技能培训");
        assert_eq!(value(&c, "phone").await?, "13805597788");
        assert_eq!(value(&c, "name").await?, "程建国");
        assert_eq!(chosen(&c, "region").await?, "歙县 徽城镇");
        assert_eq!(field_error(&c, "skills").await?, None);

        // Reloaded, the form shows the other tab's change; saved again, it is kept.
        c.goto(&format!("{}{edit}", server.url)).await?;
        arrive(&c, &edit).await?;
        assert_eq!(value(&c, "skills").await?, "木工");
        fill(&c, "skills", "电工（四级）").await?;
        fill(&c, "tags", "重点帮扶，技能培训").await?;
        click_to(&c, "main form.form button[type=submit]", &profile).await?;
        assert_eq!(text(&c, "p.notice").await?, "已保存。");
        let facts = text(&c, "dl.facts").await?;
        assert!(
            facts.contains("电工（四级）") && facts.contains("技能培训,重点帮扶"),
            "{facts}"
        );

        // The list: the full ID number finds the worker, shown masked.
        click_to(&c, "nav.side a[href='/workers']", "/workers").await?;
        fill(&c, "q", &worker_id).await?;
        click_to(&c, "form.filters button[type=submit]", "/workers").await?;
        let rows = c.find_all(Locator::Css("table.table tbody tr")).await?;
        assert_eq!(rows.len(), 1, "{}", c.source().await?);
        let row = rows[0].text().await?;
        assert!(
            row.contains("程建国") && row.contains(&masked(&worker_id)) && row.contains("139****1234"),
            "{row}"
        );
        assert!(!row.contains(&worker_id) && !row.contains(phone), "{row}");
        assert_eq!(value(&c, "q").await?, worker_id, "the search is kept");
        click_to(&c, "table.table tbody a", &profile).await?;

        // Another valid ID number finds no one.
        c.goto(&format!("{}/workers", server.url)).await?;
        arrive(&c, "/workers").await?;
        fill(&c, "q", &id_number("34102119880614236")).await?;
        click_to(&c, "form.filters button[type=submit]", "/workers").await?;
        assert!(c.find_all(Locator::Css("table.table tbody tr")).await?.is_empty());
        assert_eq!(text(&c, "p.empty").await?, "没有符合条件的农民工信息。");
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.expect("browser steps");
    eprintln!("浏览器登记流程用时 {:.1} 秒", started.elapsed().as_secs_f64());
}

/// The pages of a PDF: its `/Type /Page` objects (not the `/Pages` tree).
pub(crate) fn pdf_pages(pdf: &[u8]) -> usize {
    let mut n = 0;
    for needle in [&b"/Type /Page"[..], &b"/Type/Page"[..]] {
        n += pdf
            .windows(needle.len() + 1)
            .filter(|w| w.starts_with(needle) && !w[needle.len()].is_ascii_alphanumeric())
            .count();
    }
    n
}

#[test]
fn pdf_pages_are_counted_without_the_page_tree() {
    let pdf = b"1 0 obj <</Type /Pages /Kids [2 0 R 3 0 R] /Count 2>> 2 0 obj <</Type /Page /Parent 1 0 R>> 3 0 obj <</Type/Page>>";
    assert_eq!(pdf_pages(pdf), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluation_report_prints_to_a4_pdf_in_chromium() {
    use fantoccini::wd::{PrintConfiguration, PrintSize};
    use shiminhua_app::store::{DatabaseUrl, Db};
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let dir = Dir::new("browser-evaluation");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success(), "{}", crate::common::stderr(&init));
    let demo = run(&dir.0, &["demo", "--workers", "300", "--seed", "2023"], &[]);
    assert!(demo.status.success(), "{}", crate::common::stderr(&demo));
    let otp = add_user(&dir.0, "lead1", "程专班", "lead", "341000").await;

    // The scores the report must show, from the database itself.
    let db = Db::connect(&DatabaseUrl::sqlite_file(&dir.0.join("shiminhua.db")))
        .await
        .expect("the database");
    let plan = shiminhua_app::plan::document::current(&db)
        .await
        .expect("the plan")
        .plan;
    let end = plan.meta.end;
    let expected = shiminhua_app::plan::evaluation::evaluate(&db, &plan, end)
        .await
        .expect("the evaluation");
    // Before the first reporting period ended: no unit summaries yet.
    let early_day = chrono::NaiveDate::from_ymd_opt(2023, 3, 30).expect("a day");
    let early = shiminhua_app::plan::evaluation::evaluate(&db, &plan, early_day)
        .await
        .expect("the evaluation");
    db.close().await;
    assert!(early.summaries.is_empty());
    assert!(!expected.summaries.is_empty(), "the demo files progress reports");
    assert_eq!(expected.counties.len(), 7);
    assert!(
        expected.counties.iter().any(|c| c.sheet.total.0 > 0),
        "the demo data must give some county points"
    );

    let server = Server::start(&dir.0, &[], &[]);
    let (_driver, c) = browser(&driver, &chromium, &dir.0).await;
    let result = async {
        first_sign_in(&c, &server.url, "lead1", &otp, "Huangshan#Lead2026").await?;
        // Printed as the browser prints it: A4, the page's own breaks.
        let print = |name: &'static str| {
            let c = c.clone();
            async move {
                let pdf = c
                    .print(PrintConfiguration::builder().size(PrintSize::A4).build().expect("A4"))
                    .await?;
                let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
                let _ = std::fs::write(&out, &pdf);
                assert!(pdf.starts_with(b"%PDF-"), "a PDF");
                Ok::<(usize, String), CmdError>((pdf_pages(&pdf), out.display().to_string()))
            }
        };
        let main_text = || {
            let c = c.clone();
            async move {
                let page = c
                    .execute("return document.querySelector('main').innerText", vec![])
                    .await?;
                Ok::<String, CmdError>(page.as_str().unwrap_or_default().to_string())
            }
        };
        // As of 30 March: cover, results, targets, the city's and 7
        // counties' sheets, and the (empty) summaries: one page each.
        c.goto(&format!("{}/plan/evaluation?as_of={early_day}", server.url))
            .await?;
        arrive(&c, "/plan/evaluation").await?;
        assert_eq!(text(&c, "main h1").await?, "市民化情况评估");
        let (pages, out) = print("evaluation-early.pdf").await?;
        assert_eq!(pages, 12, "pages of the A4 report (saved as {out})");
        let page = main_text().await?;
        assert!(page.contains("截至2023年3月30日"), "{page}");
        assert!(page.contains("各单位尚未报送工作总结"));
        for county in &early.counties {
            let line = format!("{}：{}分", county.name, county.sheet.total);
            assert!(page.contains(&line), "«{line}» in the report");
        }

        // At the year's end the accepted reports' summaries follow the
        // sheets, on pages of their own.
        c.goto(&format!("{}/plan/evaluation", server.url)).await?;
        arrive(&c, "/plan/evaluation").await?;
        let (pages, out) = print("evaluation.pdf").await?;
        assert!(
            pages > 12 && pages <= 11 + expected.summaries.len(),
            "{pages} pages of the A4 report (saved as {out})"
        );
        let page = main_text().await?;
        assert!(page.contains("截至2023年12月31日"), "{page}");
        for s in &expected.summaries {
            let head: String = s.text.chars().take(30).collect();
            assert!(
                page.contains(&s.unit) && page.contains(&head),
                "the summary of {} in the report",
                s.unit
            );
        }
        for county in &expected.counties {
            let line = format!(
                "{}：{}分（满分{}分），全市各区县第{}名",
                county.name,
                county.sheet.total,
                county.sheet.full.trimmed(),
                county.sheet.rank.unwrap_or_default()
            );
            assert!(page.contains(&line), "«{line}» in the report");
        }
        let city = format!("{}：{}分", expected.city.name, expected.city.sheet.total);
        assert!(page.contains(&city), "«{city}» in the report");
        // Two charts drawn on the server.
        assert_eq!(c.find_all(Locator::Css("main svg.chart")).await?.len(), 2);
        let shot = c.screenshot().await?;
        let _ = std::fs::write(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("evaluation.png"),
            &shot,
        );
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.expect("browser steps");
}

/// 0–99 from Chinese numerals (十, 十三, 二十, 二十七), as the challenge asks.
pub(crate) fn from_chinese(s: &str) -> i64 {
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c).map(|i| i as i64);
    let cs: Vec<char> = s.chars().collect();
    match cs.as_slice() {
        ['十'] => 10,
        ['十', d] => 10 + digit(*d).expect("a digit"),
        [t, '十'] => digit(*t).expect("a digit") * 10,
        [t, '十', d] => digit(*t).expect("a digit") * 10 + digit(*d).expect("a digit"),
        [d] => digit(*d).expect("a digit"),
        _ => panic!("not a number: {s}"),
    }
}

/// The answer of a challenge such as 十三减七等于几？
pub(crate) fn solve(question: &str) -> String {
    let q = question.trim().trim_end_matches("等于几？");
    let n = match q.split_once('加') {
        Some((a, b)) => from_chinese(a) + from_chinese(b),
        None => {
            let (a, b) = q.split_once('减').expect("加 or 减");
            from_chinese(a) - from_chinese(b)
        }
    };
    n.to_string()
}

/// Whether the page fits a phone's width: nothing scrolls sideways, and the
/// submit button is a finger's size.
pub(crate) async fn fits_a_phone(c: &Client) -> Result<(), CmdError> {
    let m = c
        .execute(
            "const b = document.querySelector('button[type=submit]').getBoundingClientRect();\
             return [document.documentElement.scrollWidth, window.innerWidth, Math.round(b.height), Math.round(b.width)]",
            vec![],
        )
        .await?;
    let v: Vec<i64> = serde_json::from_value(m).expect("four numbers");
    assert!(v[1] <= 420, "a phone's viewport, got {}", v[1]);
    assert!(v[0] <= v[1], "the page scrolls sideways: {} > {}", v[0], v[1]);
    assert!(v[2] >= 40 && v[3] >= 100, "the submit button is {}×{} px", v[3], v[2]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_reports_unpaid_wages_on_a_phone_in_chromium() {
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let dir = Dir::new("browser-public-case");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success(), "{}", crate::common::stderr(&init));
    let server = Server::start(&dir.0, &[], &[]);
    let (_driver, c) = browser_sized(&driver, &chromium, &dir.0, Some((390, 844))).await;
    let result = async {
        c.goto(&format!("{}/public/cases/new", server.url)).await?;
        arrive(&c, "/public/cases/new").await?;
        assert_eq!(text(&c, "h1").await?, "反映欠薪问题");
        fits_a_phone(&c).await?;
        // A building site in 徽州区: twelve workers, three months unpaid; the
        // project's name forgotten.
        choose(&c, "region", "徽州区 岩寺镇").await?;
        fill(&c, "employer_name", "黄山某建筑劳务有限公司").await?;
        choose(&c, "sector", "工程建设").await?;
        fill(&c, "workers", "12").await?;
        fill(&c, "amount_claimed", "129600").await?;
        c.execute(
            "document.getElementById('arrears_from').value = '2026-06-01';\
             document.getElementById('arrears_to').value = '2026-08-31'",
            vec![],
        )
        .await?;
        fill(&c, "description", "6月至8月工资一直未发，12名工人。").await?;
        fill(&c, "reporter_name", "汪师傅").await?;
        fill(&c, "reporter_phone", "13905591234").await?;
        let q = text(&c, ".challenge-q").await?;
        fill(&c, "challenge_answer", &solve(&q)).await?;
        assert_eq!(click_through(&c, "button[type=submit]").await?, "/public/cases/new");
        let missing = field_error(&c, "project_name").await?.expect("the project's error");
        assert!(missing.contains("项目名称"), "{missing}");
        assert_eq!(value(&c, "workers").await?, "12", "what was typed is kept");
        assert_eq!(value(&c, "reporter_phone").await?, "13905591234");
        assert_eq!(chosen(&c, "region").await?, "徽州区 岩寺镇");
        fits_a_phone(&c).await?;
        // Completed, with a new question to answer.
        fill(&c, "project_name", "岩寺镇安置房二期").await?;
        fill(&c, "contractor_credit_code", "91341000MA2N0Q0M26").await?;
        let q = text(&c, ".challenge-q").await?;
        fill(&c, "challenge_answer", &solve(&q)).await?;
        click_through(&c, "button[type=submit]").await?;
        assert_eq!(text(&c, "h1").await?, "反映已提交", "{}", c.source().await?);
        let number = text(&c, "#case-number").await?;
        let code = text(&c, "#query-code").await?;
        assert!(number.starts_with("HS"), "{number}");
        assert_eq!(code.chars().count(), 8, "{code}");
        assert!(
            !c.source().await?.contains("13905591234"),
            "nothing of the reporter is shown back"
        );
        // A week later he looks it up with the number and the code.
        c.goto(&format!("{}/public/cases/query", server.url)).await?;
        arrive(&c, "/public/cases/query").await?;
        fits_a_phone(&c).await?;
        fill(&c, "number", &number.to_lowercase()).await?;
        fill(&c, "code", &code).await?;
        click_through(&c, "button[type=submit]").await?;
        assert_eq!(text(&c, ".pub-status").await?, "已登记，待受理");
        // A wrong code says what an unknown number says.
        fill(&c, "number", &number).await?;
        fill(&c, "code", "AAAAAAAA").await?;
        click_through(&c, "button[type=submit]").await?;
        assert!(text(&c, ".error-box").await?.starts_with("没有查到"));
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.expect("the worker's report in Chromium");
}
