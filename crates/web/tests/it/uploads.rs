//! Uploads and exports: staged inside the data directory for the owner only,
//! removed on commit, on cancel and by the hourly sweep; a bomb upload does
//! not stop the server answering others.

use crate::common::{Agent, Resp, TestApp, multipart, multipart_file};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use shiminhua_app::both;
use shiminhua_app::store::Db;
use shiminhua_app::testing::{TempDir, TestDb, bombs};
use shiminhua_core::id_number::IdNumber;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tower::ServiceExt;

both!(
    uploads_are_staged_privately_and_removed,
    exports_are_staged_privately,
    import_jobs_show_their_progress_to_the_uploader_only,
);

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn staging(app: &TestApp) -> PathBuf {
    app.data.0.join("staging")
}

/// The names of the files in the staging folder.
fn staged(app: &TestApp) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(staging(app))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn token_of(body: &str) -> String {
    let i = body.find("/imports/").expect("a token link") + "/imports/".len();
    let t: String = body[i..].chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(t.len(), 32, "{body}");
    t
}

/// Uploads a worker list of one good and one bad row; returns the token.
async fn upload(app: &TestApp, a: &mut Agent) -> String {
    let csrf = app.get(a, "/imports").await.csrf();
    let good = IdNumber::from_parts("341021", chrono::NaiveDate::from_ymd_opt(1990, 1, 2).unwrap(), 21)
        .unwrap()
        .as_str()
        .to_string();
    let csv = format!(
        "姓名,身份证号,手机号码,现居住地,户籍地,文化程度,职业技能,标签\n\
         王大,{good},,徽城镇,,初中,,\n\
         李二,3410211990010200X1,,徽城镇,,,,\n"
    );
    let (ct, body) = multipart(&[("csrf", &csrf), ("target", "worker")], Some(("file", "w.csv", &csv)));
    let r = app.request(a, "POST", "/imports", Some((&ct, body))).await;
    let token = token_of(r.location());
    let preview = app.import_done(a, r).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(token_of(&preview.body), token);
    token
}

fn mtime(p: &Path) -> DateTime<Utc> {
    std::fs::metadata(p).and_then(|m| m.modified()).expect("mtime").into()
}

async fn uploads_are_staged_privately_and_removed(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = app.login("shexian").await;
    let dir = staging(&app);

    // Staged in the data directory, folder 0700, files 0600; nothing in the system's temp folder.
    let t1 = upload(&app, &mut a).await;
    assert_eq!(mode(&dir), 0o700);
    let files = [
        format!("{t1}.data"),
        format!("{t1}.meta"),
        format!("{t1}.rejected.xlsx"),
    ];
    assert_eq!(staged(&app), files.to_vec());
    for f in &files {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    assert!(!std::env::temp_dir().join("shiminhua-uploads").join(&files[0]).exists());

    // Cancel: everything goes.
    let csrf = app.csrf(&mut a).await;
    let r = app
        .post(&mut a, &format!("/imports/{t1}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/imports?target=worker");
    assert!(staged(&app).is_empty(), "{:?}", staged(&app));
    assert_eq!(
        app.get(&mut a, &format!("/imports/{t1}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Without the token nothing is removed.
    let t2 = upload(&app, &mut a).await;
    let r = app
        .post(&mut a, &format!("/imports/{t2}/cancel"), &[("csrf", "")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(staged(&app).len(), 3);

    // Commit: the upload goes; its rejected rows stay to be downloaded, until
    // cancelled (or swept).
    let csrf = app.csrf(&mut a).await;
    let r = app
        .post(
            &mut a,
            &format!("/imports/{t2}/commit"),
            &[("csrf", &csrf), ("target", "worker")],
        )
        .await;
    let r = app.import_done(&mut a, r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(&format!("/imports/{t2}/cancel")), "{}", r.body);
    assert_eq!(staged(&app), vec![format!("{t2}.meta"), format!("{t2}.rejected.xlsx")]);
    let rejected = app.get(&mut a, &format!("/imports/{t2}/rejected")).await;
    assert_eq!(rejected.status, StatusCode::OK);
    let r = app
        .post(&mut a, &format!("/imports/{t2}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(staged(&app).is_empty(), "{:?}", staged(&app));

    // The sweep (at each upload, by the server's clock): kept at 59 minutes, gone after 61.
    let t3 = upload(&app, &mut a).await;
    let made = mtime(&dir.join(format!("{t3}.data")));
    app.clock
        .advance(made + chrono::Duration::minutes(59) - app.clock.now());
    // (The session has expired meanwhile.)
    let mut a = app.login("shexian").await;
    let t4 = upload(&app, &mut a).await;
    assert!(staged(&app).contains(&format!("{t3}.data")), "{:?}", staged(&app));
    app.clock.advance(chrono::Duration::minutes(2));
    let mut a = app.login("shexian").await;
    let t5 = upload(&app, &mut a).await;
    let left = staged(&app);
    assert!(
        !left.iter().any(|f| f.starts_with(&t3) || f.starts_with(&t4)),
        "{left:?}"
    );
    assert!(left.contains(&format!("{t5}.data")), "{left:?}");
    // Their jobs went with them.
    for t in [&t3, &t4] {
        let r = app.get(&mut a, &format!("/imports/{t}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{t}");
    }
    assert_eq!(app.get(&mut a, &format!("/imports/{t5}")).await.status, StatusCode::OK);
}

async fn exports_are_staged_privately(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = app.login("shexian").await;
    let r = app.get(&mut a, "/workers/export").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.starts_with("PK"));
    // Written in the private staging folder, and gone once sent.
    assert_eq!(mode(&staging(&app)), 0o700);
    assert!(staged(&app).is_empty(), "{:?}", staged(&app));
}

/// Rows of the file whose check and import are watched: enough for several
/// batches of 5,000.
const JOB_ROWS: usize = 30_000;

/// A worker file of `rows` rows from the demo generator (CSV).
fn demo_file(rows: usize) -> Vec<u8> {
    let dir = TempDir::new("web-demo-file");
    let path = dir.0.join("workers.csv");
    let n =
        shiminhua_app::ops::demo::write_import_file(&path, rows, 2023, shiminhua_app::ops::demo::FileKind::Workers, 0)
            .unwrap();
    assert_eq!(n, rows as u64);
    std::fs::read(&path).unwrap()
}

/// The numbers of the attribute `name` of the page's `<progress>`, if it has it.
fn bar_attr(body: &str, name: &str) -> Option<u64> {
    let at = body.find("<progress")?;
    let tag = &body[at..at + body[at..].find('>')?];
    let key = format!(" {name}=\"");
    let rest = &tag[tag.find(&key)? + key.len()..];
    rest[..rest.find('"')?].parse().ok()
}

/// Polls the job page `url` until its job is done; returns the first page
/// that showed rows done on a bar with a total, and the page at the end.
async fn watch(app: &TestApp, a: &mut Agent, other: &mut Agent, url: &str, running: &str) -> (Option<String>, Resp) {
    let started = Instant::now();
    let mut seen = None;
    loop {
        let page = app.get(a, url).await;
        if !page.body.contains("http-equiv=\"refresh\"") {
            return (seen, page);
        }
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("<meta http-equiv=\"refresh\" content=\"1\">"));
        assert!(page.body.contains(running), "{}", page.body);
        assert!(page.body.contains("<progress"), "{}", page.body);
        if seen.is_none() && bar_attr(&page.body, "value").is_some_and(|v| v > 0) {
            // Only the uploader sees it.
            assert_eq!(app.get(other, url).await.status, StatusCode::NOT_FOUND);
            seen = Some(page.body);
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the job of {url} did not finish"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn import_jobs_show_their_progress_to_the_uploader_only(db: Db) {
    let app = TestApp::new(db, false).await;
    let mut a = app.login("office").await;
    let mut other = app.login("shexian").await;
    let csrf = app.get(&mut a, "/imports").await.csrf();
    let file = demo_file(JOB_ROWS);
    let (ct, body) = multipart_file(&[("csrf", &csrf), ("target", "worker")], "file", "workers.csv", &file);
    let r = app.request_bytes(&mut a, "POST", "/imports", Some((&ct, body))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let url = r.location().to_string();
    let token = token_of(&url);
    assert_eq!(url, format!("/imports/{token}"));

    // The check: a bar of the rows checked of about how many.
    let (seen, preview) = watch(&app, &mut a, &mut other, &url, "正在检查").await;
    let seen = seen.expect("a page of the running check with its progress");
    let (value, max) = (bar_attr(&seen, "value").unwrap(), bar_attr(&seen, "max").unwrap());
    assert!(value > 0 && value <= max, "{value} of {max}");
    assert!(max.abs_diff(JOB_ROWS as u64) <= 10, "an estimate of the rows: {max}");
    assert!(seen.contains(" / 约 ") && seen.contains("已检查 "), "{seen}");
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(
        preview.body.contains(&format!("检查完成，尚未导入：共{JOB_ROWS}行")),
        "{}",
        preview.body
    );
    // Its preview, too, is the uploader's only.
    assert_eq!(app.get(&mut other, &url).await.status, StatusCode::NOT_FOUND);
    let theirs = app.csrf(&mut other).await;
    let commit = format!("/imports/{token}/commit");
    let r = app
        .post(&mut other, &commit, &[("csrf", &theirs), ("target", "worker")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The import; a second commit, and a new mapping, while it runs or after: 409.
    let r = app
        .post(&mut a, &commit, &[("csrf", &csrf), ("target", "worker")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), url);
    let twice = app
        .post(&mut a, &commit, &[("csrf", &csrf), ("target", "worker")])
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert!(
        twice.body.contains("该文件正在导入，请等导入完成后查看结果") || twice.body.contains("该文件已经导入过了"),
        "{}",
        twice.body
    );
    let map = app
        .post(
            &mut a,
            &format!("/imports/{token}/map"),
            &[("csrf", &csrf), ("target", "worker"), ("h", "x"), ("f", "")],
        )
        .await;
    assert_eq!(map.status, StatusCode::CONFLICT, "{}", map.body);
    let (_, done) = watch(&app, &mut a, &mut other, &url, "正在导入…").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let rejected = {
        let b = &done.body;
        let at = b.find("导入完成：").unwrap() + b[b.find("导入完成：").unwrap()..].find("有误").unwrap();
        b[at + "有误".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    };
    assert!(
        done.body.contains(&format!(
            "导入完成：共{JOB_ROWS}行，已新增{}，更新0，无变化0，有误{rejected}",
            JOB_ROWS - rejected.parse::<usize>().unwrap()
        )),
        "{}",
        done.body
    );
    let again = app
        .post(&mut a, &commit, &[("csrf", &csrf), ("target", "worker")])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("该文件已经导入过了"), "{}", again.body);
    assert_eq!(app.get(&mut other, &url).await.status, StatusCode::NOT_FOUND);
    let mut tx = app.db.read().await.unwrap();
    let workers = tx
        .int(shiminhua_app::store::Sql::new("SELECT COUNT(*) FROM workers"))
        .await
        .unwrap();
    assert_eq!(workers as usize, JOB_ROWS - rejected.parse::<usize>().unwrap());
    drop(tx);

    // A check cancelled while it runs: stopped, its files and page gone.
    let (ct, body) = multipart_file(&[("csrf", &csrf), ("target", "worker")], "file", "workers.csv", &file);
    let r = app.request_bytes(&mut a, "POST", "/imports", Some((&ct, body))).await;
    let url = r.location().to_string();
    let token = token_of(&url);
    let r = app
        .post(&mut a, &format!("/imports/{token}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&mut a, &url).await.status, StatusCode::NOT_FOUND);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !staged(&app).iter().any(|f| f.starts_with(&token)),
        "{:?}",
        staged(&app)
    );
}

/// One worker thread: on today's code a reader that blocked it would hold
/// up every other request.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_page_answers_while_a_bomb_upload_is_read() {
    let t = TestDb::sqlite().await;
    let app = TestApp::new(t.db.clone(), false).await;
    let mut a = app.login("shexian").await;
    let csrf = app.get(&mut a, "/imports").await.csrf();
    // Ten million shared strings (42 MB; refused at two million).
    let bomb = bombs::shared_strings_bomb(10_000_000, Some(1_000));
    let b = "----shiminhua-bomb";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"target\"\r\n\r\nworker\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bomb.xlsx\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bomb);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    let req = Request::builder()
        .method("POST")
        .uri("/imports")
        .header(header::COOKIE, cookie(&a))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
        .body(Body::from(body))
        .unwrap();
    // The upload is stored and its check started: the browser is sent to
    // the job's page at once.
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let job = resp.headers()[header::LOCATION].to_str().unwrap().to_string();
    let meta = std::fs::read_dir(staging(&app))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "meta"))
        .expect("the upload is stored");
    // While the bomb is read, ask for a page from this thread (not the
    // worker's).
    let get = |uri: &str| {
        let router = app.router.clone();
        let req = Request::builder()
            .uri(uri)
            .header(header::COOKIE, cookie(&a))
            .body(Body::empty())
            .unwrap();
        tokio::spawn(async move {
            let resp = router.oneshot(req).await.unwrap();
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        })
    };
    let asked = Instant::now();
    let (status, _) = get("/imports").await.unwrap();
    let answered = Instant::now();
    // The job's page until the check is over.
    let (up_status, up_body, done) = loop {
        let (status, body) = get(&job).await.unwrap();
        if !body.contains("http-equiv=\"refresh\"") {
            break (status, body, Instant::now());
        }
        assert!(asked.elapsed() < Duration::from_secs(120), "the bomb was never refused");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    println!(
        "page answered in {} ms; the bomb was refused {} ms after it was stored",
        (answered - asked).as_millis(),
        (done - asked).as_millis()
    );
    assert_eq!(status, StatusCode::OK);
    assert!(
        answered < done,
        "the page must be answered while the bomb is still being read"
    );
    assert!(
        answered - asked < Duration::from_secs(2),
        "{} ms",
        (answered - asked).as_millis()
    );
    assert_eq!(up_status, StatusCode::UNPROCESSABLE_ENTITY, "{up_body}");
    assert!(up_body.contains("共享字符串表超过"), "{up_body}");
    // A refused upload leaves nothing behind.
    assert!(!meta.exists());
    assert!(staged(&app).is_empty(), "{:?}", staged(&app));
    let _ = &mut a;
    t.finish().await;
}

fn cookie(a: &Agent) -> String {
    a.cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}
