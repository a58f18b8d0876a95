//! 就业服务 in a real headless Chromium: an officer of the city's 专班办公室
//! publishes a vacancy through its form; signed out, in a window 390 px
//! wide as a phone's, a worker finds it on the public job board by county,
//! opens it and reads how to apply — nothing scrolls sideways, the search
//! button is a finger's size.

use crate::browser::{
    ONE_BROWSER, add_user, arrive, browser, choose, click_through, fill, first_sign_in, fits_a_phone, text, tools,
};
use crate::common::{Dir, Server, run, stderr};
use fantoccini::Locator;
use fantoccini::error::CmdError;
use shiminhua_core::credit_code::CreditCode;

const USER: &str = "shi_jiuye";
const PASSWORD: &str = "Huangshan#Jiuye2026";
const TITLE: &str = "茶叶加工工";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_publishes_a_vacancy_and_a_phone_finds_it_in_chromium() {
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let dir = Dir::new("browser-jobs");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success(), "{}", stderr(&init));
    let otp = add_user(&dir.0, USER, "黄就业", "office", "341000").await;
    let server = Server::start(&dir.0, &[], &[]);
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let until = (today + chrono::Duration::days(30)).to_string();
    let employer = CreditCode::from_parts("91", "341021", "MA000051").expect("a credit code");

    let (_driver, c) = browser(&driver, &chromium, &dir.0).await;
    let result = async {
        first_sign_in(&c, &server.url, USER, &otp, PASSWORD).await?;
        c.goto(&format!("{}/", server.url)).await?;
        arrive(&c, "/").await?;
        let now = click_through(&c, "nav.side a[href='/jobs']").await?;
        assert_eq!(now, "/jobs");
        assert_eq!(text(&c, "main h1").await?, "岗位");
        let now = click_through(&c, "main a.button[href='/jobs/vacancies/new']").await?;
        assert_eq!(now, "/jobs/vacancies/new");
        fill(&c, "f-employer_code", employer.as_str()).await?;
        fill(&c, "f-employer", "黄山祁红茶业有限公司").await?;
        choose(&c, "f-industry", "C 制造业").await?;
        fill(&c, "f-title", TITLE).await?;
        fill(&c, "f-occupation", "生产制造及有关人员").await?;
        fill(&c, "f-headcount", "6").await?;
        fill(&c, "f-wage_min", "4200").await?;
        fill(&c, "f-wage_max", "5600").await?;
        choose(&c, "f-place", "歙县 徽城镇").await?;
        fill(&c, "f-contact", "歙县人社局就业服务窗口（徽城镇），电话0559-6500000").await?;
        fill(&c, "f-valid_until", &until).await?;
        let page = click_through(&c, "main form.form button[type=submit]").await?;
        assert!(page.starts_with("/jobs/vacancies/"), "{}", text(&c, "main").await?);
        assert_eq!(text(&c, "main h1").await?, TITLE);
        assert_eq!(text(&c, "p.notice[role=status]").await?, "岗位已发布。");

        // Signed out, on a phone: the board, by county.
        click_through(&c, ".topbar form[action='/logout'] button[type=submit]").await?;
        c.set_window_size(390, 844).await?;
        c.goto(&format!("{}/public/jobs", server.url)).await?;
        arrive(&c, "/public/jobs").await?;
        assert_eq!(text(&c, "main h1").await?, "招聘岗位");
        fits_a_phone(&c).await?;
        choose(&c, "county", "歙县").await?;
        click_through(&c, "form.pub-form button[type=submit]").await?;
        let list = text(&c, "ul.job-list").await?;
        assert!(list.contains(TITLE) && list.contains("4,200–5,600 元/月"), "{list}");
        fits_a_phone(&c).await?;
        let link = c.find(Locator::Css("ul.job-list h2 a")).await?;
        assert!(link.is_displayed().await?);
        let now = click_through(&c, "ul.job-list h2 a").await?;
        assert!(now.starts_with("/public/jobs/"), "{now}");
        let how = text(&c, "section.pub-result").await?;
        assert!(
            how.contains("歙县人社局就业服务窗口") && how.contains("不收取任何费用"),
            "{how}"
        );
        let m = c
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth]",
                vec![],
            )
            .await?;
        let v: Vec<i64> = serde_json::from_value(m).expect("two numbers");
        assert!(v[0] <= v[1], "the vacancy scrolls sideways: {} > {}", v[0], v[1]);
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.expect("browser steps");
}
