//! A township officer uploads the township's own roster in Chromium: the
//! preview lists the file's columns, the unfamiliar 技能特长 is mapped to
//! 职业技能 there, the import shows its counts (workers and their
//! employment records), and the next upload of the same roster has the
//! mapping chosen already.

use crate::browser::{ONE_BROWSER, add_user, arrive, browser, chosen, click_through, first_sign_in, text, tools};
use crate::browser_imports::until_heading;
use crate::common::{Dir, Server, run, stderr};
use fantoccini::Locator;
use fantoccini::error::CmdError;
use shiminhua_app::testing::roster;

/// The id of the dropdown of a file column on the preview page.
fn select_id(header: &str) -> String {
    let i = roster::HEADERS
        .iter()
        .position(|h| *h == header)
        .expect("a roster column");
    format!("map-{i}")
}

async fn upload(c: &fantoccini::Client, url: &str, file: &std::path::Path) -> Result<(), CmdError> {
    c.goto(&format!("{url}/imports?target=worker")).await?;
    arrive(c, "/imports").await?;
    c.find(Locator::Id("file"))
        .await?
        .send_keys(file.to_str().unwrap_or_default())
        .await?;
    let now = click_through(c, "main form.form button[type=submit]").await?;
    assert!(now.starts_with("/imports/"), "{now}: {}", c.source().await?);
    until_heading(c, "导入预览：农民工名单").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roster_column_is_mapped_on_the_preview_in_chromium() {
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let dir = Dir::new("browser-rosters");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success(), "{}", stderr(&init));
    let otp = add_user(&dir.0, "huicheng", "程晓燕", "local", "341021").await;
    let file = dir.0.join("徽城镇花名册.xlsx");
    let r = roster::write(&file).expect("the roster");
    let server = Server::start(&dir.0, &[], &[]);
    let (_driver, c) = browser(&driver, &chromium, &dir.0).await;
    let skills = select_id(roster::UNKNOWN);

    let result = async {
        first_sign_in(&c, &server.url, "huicheng", &otp, "Huangshan#Roster2026").await?;
        upload(&c, &server.url, &file).await?;
        assert_eq!(text(&c, "main h1").await?, "导入预览：农民工名单");
        let notice = text(&c, "p.notice[role=status]").await?;
        assert!(notice.contains("共7行，可新增4，更新0，无变化0，有误3"), "{notice}");
        // The columns: the township's wordings recognised, 技能特长 not.
        let columns = text(&c, "#column-map table").await?;
        assert!(columns.contains("身份证号码 身份证号"), "{columns}");
        assert!(columns.contains("现居住乡镇 现居住地"), "{columns}");
        assert_eq!(chosen(&c, &skills).await?, "不导入");
        // Every reason of a refused row, the person masked.
        let rejects = text(&c, "#rejects").await?;
        assert!(
            rejects.contains("性别“女”与身份证号（男性）不一致") && rejects.contains("月工资"),
            "{rejects}"
        );
        assert!(rejects.contains("程*") && !rejects.contains("程丽"), "{rejects}");
        let notes = text(&c, "#notes").await?;
        assert!(notes.contains("15位旧身份证号已转换为18位"), "{notes}");
        let shot = c.screenshot().await?;
        let _ = std::fs::write(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("roster-preview.png"),
            &shot,
        );

        // Map the unfamiliar column and check again.
        c.find(Locator::Id(&skills)).await?.select_by_label("职业技能").await?;
        click_through(&c, "#column-map button[type=submit]").await?;
        until_heading(&c, "导入预览：农民工名单").await?;
        assert_eq!(chosen(&c, &skills).await?, "职业技能");
        let notice = text(&c, "p.notice[role=status]").await?;
        assert!(notice.contains("共7行，可新增4"), "{notice}");

        // Import: the counts of both kinds.
        click_through(&c, "form[action$='/commit'] button[type=submit]").await?;
        until_heading(&c, "导入结果：农民工名单").await?;
        let notice = text(&c, "p.notice[role=status]").await?;
        assert!(
            notice.contains("导入完成：共7行，已新增4，更新0，无变化0，有误3"),
            "{notice}"
        );
        let also = text(&c, "#also-counts").await?;
        assert!(also.contains("就业登记：已新增3"), "{also}");

        // The worker has the skill from the mapped column.
        c.goto(&format!("{}/workers?q={}", server.url, r.ids[0].1)).await?;
        arrive(&c, "/workers").await?;
        let found = text(&c, "main").await?;
        assert!(found.contains("汪**") || found.contains(r.spaced_name), "{found}");

        // The same roster again: the mapping is remembered.
        upload(&c, &server.url, &file).await?;
        assert_eq!(chosen(&c, &skills).await?, "职业技能");
        let notice = text(&c, "p.notice[role=status]").await?;
        assert!(notice.contains("可新增0，更新0，无变化4，有误3"), "{notice}");
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.expect("browser steps");
}
