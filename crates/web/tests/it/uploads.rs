//! Uploads and exports: staged inside the data directory for the owner only,
//! removed on commit, on cancel and by the hourly sweep; a bomb upload does
//! not stop the server answering others.

use crate::common::{Agent, TestApp, multipart};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use shiminhua_app::both;
use shiminhua_app::store::Db;
use shiminhua_app::testing::{TestDb, bombs};
use shiminhua_core::id_number::IdNumber;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tower::ServiceExt;

both!(uploads_are_staged_privately_and_removed, exports_are_staged_privately);

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
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    token_of(&r.body)
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
    let router = app.router.clone();
    let started = Instant::now();
    let upload = tokio::spawn(async move {
        let resp = router.oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned(), Instant::now())
    });
    // Once the upload is on file its reading starts; ask for a page then,
    // from this thread (not the worker's).
    let meta = loop {
        let found = std::fs::read_dir(staging(&app)).ok().and_then(|d| {
            d.flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "meta"))
        });
        if let Some(p) = found {
            break p;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the upload was never stored"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    let asked = Instant::now();
    let page = {
        let router = app.router.clone();
        let req = Request::builder()
            .uri("/imports")
            .header(header::COOKIE, cookie(&a))
            .body(Body::empty())
            .unwrap();
        tokio::spawn(async move { router.oneshot(req).await.unwrap().status() })
    };
    let status = page.await.unwrap();
    let answered = Instant::now();
    let (up_status, up_body, done) = upload.await.unwrap();
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
