//! 批量导入 in a real headless Chromium: an officer of the city's 专班办公室
//! uploads a worker file of a few thousand rows made by `shiminhua
//! demo-file`. The upload's page shows the check's progress bar (refreshing
//! itself) or, when the check is quick, the preview at once; 导入有效行
//! shows the import's progress and then the result, every row not rejected
//! inserted.

use crate::browser::{ONE_BROWSER, add_user, arrive, browser, click_through, first_sign_in, text, tools};
use crate::common::{Dir, Server, run, stderr, stdout};
use fantoccini::error::CmdError;
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

/// Rows of the uploaded file.
const ROWS: u64 = 9_000;

/// What was seen of a job's page meanwhile.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Pages with a progress bar.
    pub bars: usize,
    /// Of them, bars that had a value (rows done of an estimate).
    pub valued: usize,
}

/// Waits on the page of an upload's job, which reloads itself while the
/// job runs, until its heading is `heading`; tells what was seen meanwhile.
pub(crate) async fn until_heading(c: &Client, heading: &str) -> Result<Seen, CmdError> {
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut seen = Seen::default();
    let mut last_bar = String::new();
    loop {
        // The page may be reloading: a look that fails is tried again.
        let look = c
            .execute(
                "const h = document.querySelector('main h1');\
                 const p = document.querySelector('progress#import-progress');\
                 const s = document.querySelector('#import-status');\
                 return [document.readyState, h ? h.innerText : '', p ? (p.hasAttribute('value') ? 'v' : 'i') : '', s ? s.innerText : ''];",
                vec![],
            )
            .await;
        if let Ok(v) = look
            && let Ok([ready, h, bar, status]) = serde_json::from_value::<[String; 4]>(v)
        {
            if !bar.is_empty() && status != last_bar {
                seen.bars += 1;
                seen.valued += usize::from(bar == "v");
                last_bar = status;
                if bar == "v"
                    && let Ok(shot) = c.screenshot().await
                {
                    let _ = std::fs::write(
                        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("import-progress.png"),
                        &shot,
                    );
                }
            }
            if ready == "complete" && h == heading {
                return Ok(seen);
            }
        }
        assert!(Instant::now() < deadline, "expected “{heading}”: {}", c.source().await?);
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

/// The whole numbers of `s`, in order.
fn numbers(s: &str) -> Vec<u64> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|x| !x.is_empty())
        .map(|x| x.parse().unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_shows_its_progress_and_is_imported_in_chromium() {
    let Some((driver, chromium)) = tools() else {
        return;
    };
    let _one = ONE_BROWSER.lock().await;
    let dir = Dir::new("browser-imports");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success(), "{}", stderr(&init));
    let otp = add_user(&dir.0, "shi_office", "黄专班", "office", "341000").await;
    let file = dir.0.join("农民工名单.xlsx");
    let rows = ROWS.to_string();
    let made = run(
        &dir.0,
        &[
            "demo-file",
            file.to_str().unwrap(),
            "--workers",
            &rows,
            "--seed",
            "2026",
        ],
        &[],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(stdout(&made).contains(&format!("{ROWS} 行")), "{}", stdout(&made));
    let server = Server::start(&dir.0, &[], &[]);
    let (_driver, c) = browser(&driver, &chromium, &dir.0).await;

    let result = async {
        first_sign_in(&c, &server.url, "shi_office", &otp, "Huangshan#Import2026").await?;
        c.goto(&format!("{}/imports?target=worker", server.url)).await?;
        arrive(&c, "/imports").await?;
        c.find(Locator::Id("file"))
            .await?
            .send_keys(file.to_str().unwrap_or_default())
            .await?;
        let page = click_through(&c, "main form.form button[type=submit]").await?;
        assert!(
            page.starts_with("/imports/") && page.len() == "/imports/".len() + 32,
            "{page}"
        );

        // The check: its progress, then the preview at the same address.
        let checked = until_heading(&c, "导入预览：农民工名单").await?;
        println!("check: {checked:?}");
        assert_eq!(c.current_url().await?.path(), page);
        let notice = text(&c, "p.notice[role=status]").await?;
        assert!(notice.contains(&format!("检查完成，尚未导入：共{ROWS}行")), "{notice}");
        let shot = c.screenshot().await?;
        let _ = std::fs::write(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("import-preview.png"),
            &shot,
        );

        // 导入有效行: the import's progress, then the result.
        let button = text(&c, "form[action$='/commit'] button[type=submit]").await?;
        assert_eq!(button, "导入有效行");
        let now = click_through(&c, "form[action$='/commit'] button[type=submit]").await?;
        assert_eq!(now, page);
        let imported = until_heading(&c, "导入结果：农民工名单").await?;
        println!("import: {imported:?}");
        let notice = text(&c, "p.notice[role=status]").await?;
        assert!(notice.starts_with("导入完成："), "{notice}");
        // 共N行，已新增I，更新U，无变化S，有误R
        let n = numbers(&notice);
        assert_eq!(n.len(), 5, "{notice}");
        let (total, inserted, updated, unchanged, rejected) = (n[0], n[1], n[2], n[3], n[4]);
        assert_eq!(total, ROWS, "{notice}");
        assert_eq!((updated, unchanged), (0, 0), "{notice}");
        assert_eq!(inserted, ROWS - rejected, "{notice}");
        assert!(inserted > 0, "{notice}");
        let shot = c.screenshot().await?;
        let _ = std::fs::write(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("import-result.png"),
            &shot,
        );

        // The list has them.
        c.goto(&format!("{}/workers", server.url)).await?;
        arrive(&c, "/workers").await?;
        let listed = text(&c, "main").await?;
        assert!(listed.contains(&format!("共 {inserted} 条")), "{listed}");
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.expect("browser steps");
}
