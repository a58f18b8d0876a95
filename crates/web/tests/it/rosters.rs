//! A township's roster through the web pages: the preview names its columns,
//! an unfamiliar one is mapped there, the workers and their employment
//! records are imported in one go, and the mapping is there the next time.

use crate::common::{Agent, Resp, TestApp, multipart_file};
use axum::http::StatusCode;
use shiminhua_app::both;
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::testing::{TempDir, roster};

both!(a_roster_is_mapped_on_the_preview_and_imported);

async fn upload(app: &TestApp, a: &mut Agent, csrf: &str, bytes: &[u8]) -> Resp {
    let (ct, body) = multipart_file(&[("csrf", csrf), ("target", "worker")], "file", "花名册.xlsx", bytes);
    let r = app.request_bytes(a, "POST", "/imports", Some((&ct, body))).await;
    app.import_done(a, r).await
}

fn token_of(page: &Resp) -> String {
    let i = page.body.find("/imports/").unwrap() + "/imports/".len();
    let t: String = page.body[i..].chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(t.len(), 32, "{}", page.body);
    t
}

/// The `<select>` of a file column, as shown.
fn select_of<'a>(page: &'a Resp, header: &str) -> &'a str {
    let at = page
        .body
        .find(&format!("<input type=\"hidden\" name=\"h\" value=\"{header}\">"))
        .unwrap_or_else(|| panic!("no choice for {header}: {}", page.body));
    let rest = &page.body[at..];
    &rest[..rest.find("</select>").unwrap()]
}

async fn a_roster_is_mapped_on_the_preview_and_imported(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = app.login("shexian").await;
    let csrf = app.get(&mut a, "/imports").await.csrf();
    let dir = TempDir::new("web-roster");
    let path = dir.0.join("花名册.xlsx");
    let r = roster::write(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    let preview = upload(&app, &mut a, &csrf, &bytes).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let b = &preview.body;
    assert!(b.contains("共7行，可新增4，更新0，无变化0，有误3"), "{b}");
    assert!(b.contains("同一表格中的就业登记：可新增3，更新0，无变化0"), "{b}");
    // The columns: recognised ones named, unfamiliar ones to choose.
    assert!(b.contains("<td>身份证号码</td><td>身份证号</td>"), "{b}");
    assert!(b.contains("<td>入职日期</td><td>就业开始日期</td>"), "{b}");
    assert!(b.contains("<td>序号</td><td>不导入（序号、原行号等）</td>"), "{b}");
    assert!(select_of(&preview, roster::UNKNOWN).contains("<option value=\"\">不导入</option>"));
    assert!(!select_of(&preview, roster::UNKNOWN).contains(" selected"));
    select_of(&preview, roster::REMARKS);
    // Every reason of a refused row, with the person masked.
    assert!(
        b.contains(&format!(
            "<td class=\"num\">{}</td><td>性别、月工资（元）</td><td>性别“女”与身份证号（男性）不一致，请核对<br>",
            r.sex_line
        )),
        "{b}"
    );
    assert!(b.contains("<td>程*</td>"), "{b}");
    assert!(!b.contains("程丽"), "names are masked");
    assert!(b.contains("15位旧身份证号已转换为18位"), "{b}");
    assert!(!b.contains(&r.legacy_full), "the converted number is masked");

    // The unfamiliar column read as the skills, the remarks left out.
    let token = token_of(&preview);
    let sent = app
        .post(
            &mut a,
            &format!("/imports/{token}/map"),
            &[
                ("csrf", &csrf),
                ("target", "worker"),
                ("h", roster::UNKNOWN),
                ("f", "skills"),
                ("h", roster::REMARKS),
                ("f", ""),
            ],
        )
        .await;
    let mapped = app.import_done(&mut a, sent).await;
    assert_eq!(mapped.status, StatusCode::OK, "{}", mapped.body);
    assert!(
        select_of(&mapped, roster::UNKNOWN).contains("<option value=\"skills\" selected>职业技能</option>"),
        "{}",
        mapped.body
    );
    assert!(mapped.body.contains("共7行，可新增4"));
    let sent = app
        .post(
            &mut a,
            &format!("/imports/{token}/commit"),
            &[("csrf", &csrf), ("target", "worker")],
        )
        .await;
    let done = app.import_done(&mut a, sent).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("导入完成：共7行，已新增4，更新0，无变化0，有误3"),
        "{}",
        done.body
    );
    assert!(done.body.contains("同一表格中的就业登记：已新增3"), "{}", done.body);
    let mut tx = app.db.read().await.unwrap();
    let (skills,): (String,) = tx
        .one(Sql::new("SELECT skills FROM workers WHERE name = $1").bind(r.spaced_name))
        .await
        .unwrap();
    assert_eq!(skills, r.skill);
    let jobs = tx
        .int(Sql::new("SELECT COUNT(*) FROM records WHERE kind = 'employment'"))
        .await
        .unwrap();
    assert_eq!(jobs, 3);
    drop(tx);

    // The next upload: the mapping is remembered, nothing changes.
    let again = upload(&app, &mut a, &csrf, &bytes).await;
    assert!(
        again.body.contains("共7行，可新增0，更新0，无变化4，有误3"),
        "{}",
        again.body
    );
    assert!(select_of(&again, roster::UNKNOWN).contains("<option value=\"skills\" selected>"));
    assert!(!select_of(&again, roster::REMARKS).contains(" selected"));
    // A mapping posted for another kind's upload form is refused.
    let t2 = token_of(&again);
    let wrong = app
        .post(
            &mut a,
            &format!("/imports/{t2}/map"),
            &[("csrf", &csrf), ("target", "employment"), ("h", "x"), ("f", "")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    // A field the kind has not: the reason, nothing staged any more.
    let sent = app
        .post(
            &mut a,
            &format!("/imports/{t2}/map"),
            &[
                ("csrf", &csrf),
                ("target", "worker"),
                ("h", roster::REMARKS),
                ("f", "nothing"),
            ],
        )
        .await;
    let bad = app.import_done(&mut a, sent).await;
    assert!(bad.body.contains("不是本类数据的字段"), "{}", bad.body);
}
