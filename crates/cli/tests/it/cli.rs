//! The command-line contract, run against the real binary.

use crate::common::{Dir, Server, after, assert_clean_error, http_get, run, stderr, stdout};
use shiminhua_app::store::{DatabaseUrl, Db, Sql};
use shiminhua_app::testing::TestDb;

/// The database URLs to run a scenario on: SQLite in the data directory, and
/// a fresh PostgreSQL database when a server is available.
async fn backends() -> Vec<(Option<TestDb>, Vec<String>)> {
    let mut v: Vec<(Option<TestDb>, Vec<String>)> = vec![(None, vec![])];
    if let Some(t) = TestDb::postgres().await {
        let url = t.url.expose().to_string();
        v.push((Some(t), vec!["--database".into(), url]));
    }
    v
}

fn args<'a>(db: &'a [String], rest: &[&'a str]) -> Vec<&'a str> {
    db.iter().map(String::as_str).chain(rest.iter().copied()).collect()
}

#[tokio::test]
async fn init_is_idempotent_and_prints_the_admin_password_once() {
    for (t, db) in backends().await {
        let dir = Dir::new("cli-init");
        let o = run(&dir.0, &args(&db, &["init"]), &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(
            out.contains("行政区划 117 个") && out.contains("责任单位 88 个"),
            "{out}"
        );
        let pw = after(&out, "一次性密码：");
        assert_eq!(pw.len(), 12, "{out}");
        assert!(dir.0.join("shiminhua.key").exists());
        let again = run(&dir.0, &args(&db, &["init"]), &[]);
        assert!(again.status.success());
        assert!(!stdout(&again).contains("一次性密码"), "no second admin");
        if let Some(t) = t {
            t.finish().await;
        }
    }
}

#[tokio::test]
async fn admin_password_from_the_environment_must_meet_the_policy() {
    let dir = Dir::new("cli-adminpw");
    let weak = run(&dir.0, &["init"], &[("SHIMINHUA_ADMIN_PASSWORD", "password")]);
    assert_clean_error(&weak, "SHIMINHUA_ADMIN_PASSWORD 不符合密码策略");
    let ok = run(&dir.0, &["init"], &[("SHIMINHUA_ADMIN_PASSWORD", "Huangshan#2026")]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(!stdout(&ok).contains("一次性密码"));
}

#[test]
fn bad_database_urls_get_one_chinese_sentence() {
    let dir = Dir::new("cli-url");
    assert_clean_error(
        &run(&dir.0, &["--database", "mysql://root@localhost/x", "init"], &[]),
        "数据库地址无法识别",
    );
    let o = run(&dir.0, &["init"], &[("SHIMINHUA_DATABASE_URL", "oracle://x")]);
    assert_clean_error(&o, "数据库地址无法识别");
    let o = run(
        &dir.0,
        &["--database", "postgres://postgres@127.0.0.1:1/nowhere", "init"],
        &[],
    );
    assert_clean_error(&o, "无法连接 PostgreSQL 数据库");
    let o = run(
        &dir.0,
        &[
            "--database",
            "postgres://app:secret-pw@127.0.0.1:1/nowhere",
            "audit",
            "verify",
        ],
        &[],
    );
    assert!(!stderr(&o).contains("secret-pw"), "the password never appears");
    // Nothing was written by the failed commands.
    assert!(!dir.0.join("shiminhua.db").exists());
}

#[test]
fn usage_errors_are_in_chinese() {
    let dir = Dir::new("cli-usage");
    let o = run(&dir.0, &["frobnicate"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("无法识别的命令"), "{}", stderr(&o));
    let o = run(&dir.0, &["serve", "--bogus"], &[]);
    assert!(stderr(&o).contains("无法识别的参数"), "{}", stderr(&o));
    let o = run(&dir.0, &["user", "add", "x"], &[]);
    assert!(stderr(&o).contains("缺少必填参数"), "{}", stderr(&o));
}

#[test]
fn a_missing_key_file_stops_everything() {
    let dir = Dir::new("cli-key");
    assert!(run(&dir.0, &["init"], &[]).status.success());
    std::fs::rename(dir.0.join("shiminhua.key"), dir.0.join("moved.key")).unwrap();
    let o = run(
        &dir.0,
        &["user", "add", "user1", "--name", "甲", "--role", "auditor"],
        &[],
    );
    assert_clean_error(&o, "找不到密钥文件");
    let o = run(&dir.0, &["serve", "--listen", "127.0.0.1:0"], &[]);
    assert_clean_error(&o, "找不到密钥文件");
    // A different key is refused too, and no new key replaces the lost one.
    std::fs::write(dir.0.join("shiminhua.key"), format!("{}\n", "ab".repeat(32))).unwrap();
    assert_clean_error(&run(&dir.0, &["init"], &[]), "不匹配");
    std::fs::rename(dir.0.join("moved.key"), dir.0.join("shiminhua.key")).unwrap();
    assert!(
        run(
            &dir.0,
            &["user", "add", "user1", "--name", "甲", "--role", "auditor"],
            &[]
        )
        .status
        .success()
    );
}

#[tokio::test]
async fn user_commands() {
    for (t, db) in backends().await {
        let dir = Dir::new("cli-user");
        assert!(run(&dir.0, &args(&db, &["init"]), &[]).status.success());
        let add = [
            "user",
            "add",
            "sx.li",
            "--name",
            "李四",
            "--role",
            "local",
            "--region",
            "341021",
            "--unit",
            "341021-rsj",
        ];
        let o = run(&dir.0, &args(&db, &add), &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let pw1 = after(&stdout(&o), "一次性密码：");
        assert_eq!(pw1.len(), 12);
        assert_clean_error(&run(&dir.0, &args(&db, &add), &[]), "该用户名已被使用");
        let o = run(
            &dir.0,
            &args(&db, &["user", "add", "x1", "--name", "甲", "--role", "root"]),
            &[],
        );
        assert_clean_error(&o, "角色“root”无效");
        let o = run(
            &dir.0,
            &args(&db, &["user", "add", "x2", "--name", "甲", "--role", "local"]),
            &[],
        );
        assert_clean_error(&o, "业务角色必须设置数据范围");
        let o = run(
            &dir.0,
            &args(
                &db,
                &[
                    "user", "add", "x3", "--name", "甲", "--role", "local", "--region", "999999",
                ],
            ),
            &[],
        );
        assert_clean_error(&o, "区划代码“999999”无效");
        let o = run(
            &dir.0,
            &args(
                &db,
                &[
                    "user", "add", "x4", "--name", "甲", "--role", "local", "--region", "341021", "--unit", "nope",
                ],
            ),
            &[],
        );
        assert_clean_error(&o, "单位代码“nope”不存在");
        let o = run(&dir.0, &args(&db, &["user", "reset-password", "sx.li"]), &[]);
        let pw2 = after(&stdout(&o), "一次性密码：");
        assert!(o.status.success() && pw2.len() == 12 && pw2 != pw1);
        assert_clean_error(
            &run(&dir.0, &args(&db, &["user", "reset-password", "ghost"]), &[]),
            "用户 ghost 不存在",
        );
        assert!(
            run(&dir.0, &args(&db, &["user", "disable", "sx.li"]), &[])
                .status
                .success()
        );
        let o = run(&dir.0, &args(&db, &["audit", "verify"]), &[]);
        assert!(stdout(&o).contains("审计日志完整"), "{}", stderr(&o));
        if let Some(t) = t {
            t.finish().await;
        }
    }
}

async fn open(dir: &std::path::Path, db: &[String]) -> Db {
    let url = match db.get(1) {
        Some(u) => DatabaseUrl::parse(u).unwrap(),
        None => DatabaseUrl::sqlite_file(&dir.join("shiminhua.db")),
    };
    Db::connect(&url).await.unwrap()
}

#[tokio::test]
async fn audit_verify_names_the_altered_row() {
    for (t, db) in backends().await {
        let dir = Dir::new("cli-audit");
        assert!(run(&dir.0, &args(&db, &["init"]), &[]).status.success());
        for name in ["aud1", "aud2", "aud3"] {
            assert!(
                run(
                    &dir.0,
                    &args(&db, &["user", "add", name, "--name", "甲", "--role", "auditor"]),
                    &[]
                )
                .status
                .success()
            );
        }
        let conn = open(&dir.0, &db).await;
        let mut tx = conn.write().await.unwrap();
        if db.is_empty() {
            tx.exec(Sql::new("DROP TRIGGER audit_log_no_update")).await.unwrap();
        } else {
            tx.exec(Sql::new("DROP TRIGGER audit_log_no_change ON audit_log"))
                .await
                .unwrap();
        }
        tx.exec(Sql::new(
            "UPDATE audit_log SET detail = 'username=someone' WHERE id = 4",
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
        conn.close().await;
        let o = run(&dir.0, &args(&db, &["audit", "verify"]), &[]);
        assert_clean_error(&o, "第 4 条记录已被修改");
        if let Some(t) = t {
            t.finish().await;
        }
    }
}

/// Rows cut off the end, with the head in the database moved back: the
/// anchor in the data directory, written by the commands that added the
/// rows, shows the cut.
#[tokio::test]
async fn audit_verify_detects_a_truncated_tail() {
    for (t, db) in backends().await {
        let dir = Dir::new("cli-audit-tail");
        assert!(run(&dir.0, &args(&db, &["init"]), &[]).status.success());
        for name in ["aud1", "aud2", "aud3"] {
            let o = run(
                &dir.0,
                &args(&db, &["user", "add", name, "--name", "甲", "--role", "auditor"]),
                &[],
            );
            assert!(o.status.success());
        }
        assert!(stdout(&run(&dir.0, &args(&db, &["audit", "verify"]), &[])).contains("审计日志完整"));
        let conn = open(&dir.0, &db).await;
        let mut tx = conn.write().await.unwrap();
        if db.is_empty() {
            tx.exec(Sql::new("DROP TRIGGER audit_log_no_delete")).await.unwrap();
        } else {
            tx.exec(Sql::new("DROP TRIGGER audit_log_no_change ON audit_log"))
                .await
                .unwrap();
        }
        let last = tx.int(Sql::new("SELECT MAX(id) FROM audit_log")).await.unwrap();
        tx.exec(Sql::new("DELETE FROM audit_log WHERE id > $1").bind(last - 2))
            .await
            .unwrap();
        let (h,): (Vec<u8>,) = tx
            .one(Sql::new("SELECT hash FROM audit_log WHERE id = $1").bind(last - 2))
            .await
            .unwrap();
        tx.exec(
            Sql::new("UPDATE settings SET value = $1 WHERE key = 'audit_head'").bind(format!(
                "{}:{}",
                last - 2,
                shiminhua_app::hex(&h)
            )),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        conn.close().await;
        let o = run(&dir.0, &args(&db, &["audit", "verify"]), &[]);
        assert_clean_error(&o, &format!("日志止于第 {} 条，但锚点记载已写到第 {last} 条", last - 2));
        if let Some(t) = t {
            t.finish().await;
        }
    }
}

#[test]
fn sqlite_backup_and_restore() {
    let dir = Dir::new("cli-backup");
    assert!(run(&dir.0, &["init"], &[]).status.success());
    assert!(
        run(
            &dir.0,
            &["user", "add", "kept", "--name", "甲", "--role", "auditor"],
            &[]
        )
        .status
        .success()
    );
    let file = dir.0.join("backup-1.db");
    // The snapshot is taken while a server is running.
    let server = Server::start(&dir.0, &[], &[]);
    let o = run(&dir.0, &["backup", file.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_clean_error(&run(&dir.0, &["backup", file.to_str().unwrap()], &[]), "已存在");
    drop(server);
    assert!(
        run(
            &dir.0,
            &["user", "add", "later", "--name", "乙", "--role", "auditor"],
            &[]
        )
        .status
        .success()
    );
    let o = run(&dir.0, &["restore", file.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(run(&dir.0, &["user", "reset-password", "kept"], &[]).status.success());
    assert_clean_error(
        &run(&dir.0, &["user", "reset-password", "later"], &[]),
        "用户 later 不存在",
    );
    assert!(stdout(&run(&dir.0, &["audit", "verify"], &[])).contains("审计日志完整"));
    // Bad input changes nothing.
    let junk = dir.0.join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    assert_clean_error(&run(&dir.0, &["restore", junk.to_str().unwrap()], &[]), "备份文件");
    assert_clean_error(&run(&dir.0, &["restore", "/nonexistent/x.db"], &[]), "不存在");
    assert!(run(&dir.0, &["user", "reset-password", "kept"], &[]).status.success());
}

#[tokio::test]
async fn postgres_backup_and_restore_with_pg_dump() {
    let Some(t) = TestDb::postgres().await else { return };
    if std::process::Command::new("pg_dump").arg("--version").output().is_err() {
        eprintln!("已跳过：本机没有 pg_dump");
        t.finish().await;
        return;
    }
    let db = vec!["--database".to_string(), t.url.expose().to_string()];
    let dir = Dir::new("cli-pgbackup");
    assert!(run(&dir.0, &args(&db, &["init"]), &[]).status.success());
    assert!(
        run(
            &dir.0,
            &args(&db, &["user", "add", "kept", "--name", "甲", "--role", "auditor"]),
            &[]
        )
        .status
        .success()
    );
    let file = dir.0.join("pg.dump");
    let o = run(&dir.0, &args(&db, &["backup", file.to_str().unwrap()]), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        run(
            &dir.0,
            &args(&db, &["user", "add", "later", "--name", "乙", "--role", "auditor"]),
            &[]
        )
        .status
        .success()
    );
    let o = run(&dir.0, &args(&db, &["restore", file.to_str().unwrap()]), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_clean_error(
        &run(&dir.0, &args(&db, &["user", "reset-password", "later"]), &[]),
        "用户 later 不存在",
    );
    assert!(stdout(&run(&dir.0, &args(&db, &["audit", "verify"]), &[])).contains("审计日志完整"));
    t.finish().await;
}

#[test]
fn serve_demo_prints_accounts_and_answers() {
    let dir = Dir::new("cli-serve");
    let s = Server::start(&dir.0, &["--demo"], &[]);
    assert!(s.banner.contains("一次性密码"), "{}", s.banner);
    assert!(s.banner.contains("已生成演示数据：农民工"), "{}", s.banner);
    let reports: u32 = s
        .banner
        .split("调度报告 ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(reports > 0, "the demo files progress reports: {}", s.banner);
    for user in [
        "demo.admin",
        "demo.lead",
        "demo.office",
        "demo.jyj",
        "demo.shexian",
        "demo.inspector",
        "demo.auditor",
    ] {
        assert!(s.banner.contains(user), "{}", s.banner);
    }
    assert_eq!(s.get("/healthz"), (200, "ok\n".to_string()));
    let (status, body) = s.get("/login");
    assert_eq!(status, 200);
    assert!(body.contains("演示环境"));
    let (status, _) = s.get("/");
    assert_eq!(status, 303);
    assert!(dir.0.join("shiminhua.db").exists() && dir.0.join("shiminhua.key").exists());
    // Started again, it finds its database and prints new demo passwords, no new admin.
    drop(s);
    let again = Server::start(&dir.0, &["--demo"], &[]);
    assert!(!again.banner.contains("一次性密码"));
    assert!(again.banner.contains("demo.admin"));
}

#[test]
fn serve_refuses_settings_below_the_level_3_floor() {
    let dir = Dir::new("cli-floor");
    std::fs::write(
        dir.0.join("shiminhua.toml"),
        "[password]\nhistory = 0\nmax_age_days = 36500\n[security]\nlockout_threshold = 100000\n",
    )
    .unwrap();
    // Run with a time limit: a server that starts would never return.
    let mut child = std::process::Command::new(crate::common::bin())
        .arg("--data-dir")
        .arg(&dir.0)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("SHIMINHUA_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve started with settings below the floor");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert_clean_error(&o, "口令历史不得少于5次（[password] history = 0）");
    let err = stderr(&o);
    assert!(
        err.contains("口令最长使用期限不得超过90天") && err.contains("登录连续失败不得超过5次即锁定"),
        "{err}"
    );
    assert!(!dir.0.join("shiminhua.db").exists(), "nothing was started");
    // The demo may go below the floor.
    let s = Server::start(&dir.0, &["--demo"], &[]);
    assert_eq!(s.get("/healthz"), (200, "ok\n".to_string()));
}

#[test]
fn metrics_on_their_own_address_only() {
    let dir = Dir::new("cli-metrics");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let s = Server::start(&dir.0, &[], &[("SHIMINHUA_METRICS_LISTEN", &addr)]);
    let (status, body) = http_get(&format!("http://{addr}"), "/metrics");
    assert_eq!(status, 200);
    assert!(
        body.contains("shiminhua_http_requests_total") || body.contains("shiminhua_db_pool"),
        "{body}"
    );
    assert_eq!(http_get(&format!("http://{addr}"), "/login").0, 404);
    assert_eq!(s.get("/metrics").0, 404, "not on the main address");
}

#[test]
fn logs_carry_no_personal_data_or_query_strings() {
    let dir = Dir::new("cli-logs");
    let s = Server::start_logging(&dir.0, &[], &[], "debug,sqlx=debug");
    let (status, _) = s.get("/login?id=341002198503120011&phone=13800138000");
    assert_eq!(status, 200);
    let (status, _) = s.get("/regions/341021?q=13800138000");
    assert_eq!(status, 303);
    let log = s.stop();
    assert!(
        log.contains("route=/login") || log.contains("route=\"/login\""),
        "{log}"
    );
    for secret in ["341002198503120011", "13800138000", "id="] {
        assert!(!log.contains(secret), "{secret} in the log: {log}");
    }
}

#[test]
fn demo_command_generates_a_population() {
    let dir = Dir::new("cli-demo");
    let o = run(&dir.0, &["demo", "--workers", "60", "--seed", "7"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("农民工 60 人"), "{}", stdout(&o));
    assert_clean_error(&run(&dir.0, &["demo", "--workers", "3000000"], &[]), "不能超过200万");
    let o = run(&dir.0, &["demo", "--workers", "many"], &[]);
    assert!(stderr(&o).contains("参数值无效"), "{}", stderr(&o));
    assert!(stdout(&run(&dir.0, &["audit", "verify"], &[])).contains("审计日志完整"));
}

#[test]
fn key_rotation_from_the_command_line() {
    let dir = Dir::new("cli-rotate");
    assert!(
        run(&dir.0, &["demo", "--workers", "30", "--seed", "5"], &[])
            .status
            .success()
    );
    let server = Server::start(&dir.0, &[], &[]);
    let o = run(&dir.0, &["key", "rotate"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("密钥已轮换：重新加密"), "{}", stdout(&o));
    // The running server keeps answering; a restarted one accepts the rotated file.
    assert_eq!(server.get("/healthz").0, 200);
    drop(server);
    let again = Server::start(&dir.0, &[], &[]);
    assert_eq!(again.get("/healthz").0, 200);
    drop(again);
    assert!(stdout(&run(&dir.0, &["audit", "verify"], &[])).contains("审计日志完整"));
    let key_text = std::fs::read_to_string(dir.0.join("shiminhua.key")).unwrap();
    assert_eq!(key_text.lines().filter(|l| l.len() == 64).count(), 2);
    assert_clean_error(
        &run(&dir.0, &["key", "rotate"], &[("SHIMINHUA_KEY", &"ab".repeat(32))]),
        "不能自动轮换",
    );
}

#[tokio::test]
async fn import_template_and_api_keys_from_the_command_line() {
    for (t, db) in backends().await {
        let dir = Dir::new("cli-import");
        assert!(run(&dir.0, &args(&db, &["init"]), &[]).status.success());
        let o = run(
            &dir.0,
            &args(
                &db,
                &[
                    "user",
                    "add",
                    "office1",
                    "--name",
                    "办公室",
                    "--role",
                    "office",
                    "--region",
                    "341000",
                ],
            ),
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        // The template is an xlsx workbook.
        let template = dir.0.join("模板.xlsx");
        let o = run(&dir.0, &["template", "schooling", template.to_str().unwrap()], &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(std::fs::read(&template).unwrap().starts_with(b"PK"));
        // A file of 60 generated workers with one broken row.
        let file = dir.0.join("workers.csv");
        let o = run(
            &dir.0,
            &["demo-file", file.to_str().unwrap(), "--workers", "60", "--seed", "9"],
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let text = std::fs::read_to_string(&file).unwrap();
        let broken = text.replacen("\n", "\n张三,123,,徽城镇,,,,\n", 1);
        std::fs::write(&file, broken).unwrap();
        let f = file.to_str().unwrap();
        let o = run(
            &dir.0,
            &args(&db, &["import", "worker", f, "--as", "office1", "--dry-run"]),
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(
            out.contains("校验完成（未写入）") && out.contains("新增 60") && out.contains("有误未导入 1"),
            "{out}"
        );
        assert!(out.contains("第 2 行“身份证号”列"), "{out}");
        let conn = open(&dir.0, &db).await;
        let count = |c: Db| async move {
            c.read()
                .await
                .unwrap()
                .int(Sql::new("SELECT COUNT(*) FROM workers"))
                .await
                .unwrap()
        };
        assert_eq!(count(conn.clone()).await, 0, "a dry run writes nothing");
        // It staged the rows: --commit imports them without the file.
        let batch = out
            .split("--commit ")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .expect("the dry run names its batch")
            .to_string();
        let moved = dir.0.join("moved.csv");
        std::fs::rename(&file, &moved).unwrap();
        let o = run(
            &dir.0,
            &args(&db, &["import", "worker", f, "--as", "office1", "--commit", &batch]),
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(
            out.contains("导入完成") && out.contains("新增 60") && out.contains("有误未导入 1"),
            "{out}"
        );
        assert!(stderr(&o).contains("已写入"), "a progress line of the merge");
        assert_eq!(count(conn.clone()).await, 60);
        assert_clean_error(
            &run(
                &dir.0,
                &args(&db, &["import", "worker", f, "--as", "office1", "--commit", &batch]),
                &[],
            ),
            "该文件已经导入过了",
        );
        std::fs::rename(&moved, &file).unwrap();
        // Imported from the file again: nothing new; the refused row is listed.
        let o = run(&dir.0, &args(&db, &["import", "worker", f, "--as", "office1"]), &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains("导入完成") && out.contains("无变化 60"), "{out}");
        assert!(out.contains("workers-未导入.xlsx"), "{out}");
        assert!(dir.0.join("workers-未导入.xlsx").exists());
        assert!(stderr(&o).contains("已处理"), "a progress line");
        assert_eq!(count(conn.clone()).await, 60);
        let o = run(&dir.0, &args(&db, &["import", "worker", f, "--as", "office1"]), &[]);
        assert!(stdout(&o).contains("无变化 60"), "{}", stdout(&o));
        assert_eq!(count(conn.clone()).await, 60, "nothing imported twice");
        // Bad input: one Chinese sentence, nothing written.
        let junk = dir.0.join("junk.xlsx");
        std::fs::write(&junk, b"\x00\x01not a workbook").unwrap();
        let o = run(
            &dir.0,
            &args(&db, &["import", "worker", junk.to_str().unwrap(), "--as", "office1"]),
            &[],
        );
        assert_clean_error(&o, "无法识别的文件");
        assert_clean_error(
            &run(&dir.0, &args(&db, &["import", "nothing", f, "--as", "office1"]), &[]),
            "导入内容“nothing”无效，可选：worker employment",
        );
        let o = run(&dir.0, &args(&db, &["import", "nothing", f, "--as", "office1"]), &[]);
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("station park housekeeping housekeeping_base rental_housing"),
            "the facility kinds are listed"
        );
        assert_clean_error(
            &run(&dir.0, &args(&db, &["import", "worker", f, "--as", "nobody"]), &[]),
            "用户 nobody 不存在",
        );
        // API keys: shown once, listed by prefix, revoked.
        let o = run(
            &dir.0,
            &args(
                &db,
                &[
                    "apikey",
                    "add",
                    "--unit",
                    "341021-zjj",
                    "--name",
                    "住建局系统",
                    "--region",
                    "341021",
                    "--kind",
                    "housing",
                ],
            ),
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let key = stdout(&o).lines().last().unwrap().trim().to_string();
        assert!(key.starts_with("smh_") && key.len() == 4 + 8 + 1 + 32, "{key}");
        let list = stdout(&run(&dir.0, &args(&db, &["apikey", "list"]), &[]));
        assert!(
            list.contains(&key[..12]) && list.contains("有效") && !list.contains(&key[13..]),
            "{list}"
        );
        let o = run(&dir.0, &args(&db, &["apikey", "revoke", &key[..12]]), &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&run(&dir.0, &args(&db, &["apikey", "list"]), &[])).contains("已吊销"));
        conn.close().await;
        if let Some(t) = t {
            t.finish().await;
        }
    }
}

#[test]
fn plan_check_passes_the_shipped_plan_and_lists_each_error_with_its_line() {
    let dir = Dir::new("cli-plan");
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/plans/huangshan-2023.toml");
    let o = run(&dir.0, &["plan", "check", shipped], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("计划文件检查通过：《开展县域农民工市民化质量提升行动实施方案》"),
        "{out}"
    );
    for part in [
        "工作举措 12 项",
        "目标 14 个",
        // 4 from the workers' records, 8 counted from the facility registries.
        "自动计算 12 个",
        "部门填报 2 个",
        "责任单位 9 个",
        "按季度调度",
    ] {
        assert!(out.contains(part), "«{part}» in {out}");
    }
    assert!(!dir.0.join("shiminhua.db").exists(), "a check touches no database");

    // Two problems far apart: both reported, each with its own line.
    let text = std::fs::read_to_string(shipped).unwrap();
    let broken = text
        .replacen("severe_below = 70", "severe_below = 95", 1)
        .replacen("kind = \"training\"", "kind = \"trainings\"", 1)
        .replacen("lead = [\"zgh\"]", "lead = [\"gonghui\"]", 1);
    let line = |needle: &str| broken.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let file = dir.0.join("broken.toml");
    std::fs::write(&file, &broken).unwrap();
    let o = run(&dir.0, &["plan", "check", file.to_str().unwrap()], &[]);
    assert_clean_error(&o, "未通过检查，共 3 处问题");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().skip(1).collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with(&format!("第{}行：阈值顺序不对", line("severe_below = 95"))),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!("第{}行：未知的业务类别“trainings”", line("trainings"))),
        "{err}"
    );
    assert!(
        lines[2].starts_with(&format!("第{}行：责任单位“gonghui”", line("gonghui"))),
        "{err}"
    );
    assert!(stdout(&o).is_empty());

    // A TOML syntax error gets its line too.
    let broken = text.replacen("cycle = \"quarter\"", "cycle = quarter", 1);
    std::fs::write(&file, &broken).unwrap();
    let o = run(&dir.0, &["plan", "check", file.to_str().unwrap()], &[]);
    assert_clean_error(&o, "共 1 处问题");
    let at = broken.lines().position(|l| l.contains("cycle = quarter")).unwrap() + 1;
    assert!(
        stderr(&o).contains(&format!("\n第{at}行：TOML 语法错误")),
        "{}",
        stderr(&o)
    );

    assert_clean_error(&run(&dir.0, &["plan", "check", "nowhere.toml"], &[]), "找不到计划文件");
}

/// A MADE-UP 2027 arrangement (not the State Council's notice), for tests only.
const MADE_UP_2027: &str = "date,weekday,kind,festival_cn,festival_en,arrangement_year,in_lieu_weekday_off,source
2027-01-01,Fri,holiday,元旦,New Year's Day,2027,,虚构数据（仅供测试）
2027-01-02,Sat,holiday,元旦,New Year's Day,2027,,虚构数据（仅供测试）
2027-01-03,Sun,holiday,元旦,New Year's Day,2027,,虚构数据（仅供测试）
";

#[tokio::test]
async fn calendar_add_counts_on_the_stored_calendar() {
    for (t, db) in backends().await {
        let dir = Dir::new("cli-calendar");
        let o = run(&dir.0, &args(&db, &["init"]), &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = run(&dir.0, &args(&db, &["calendar", "add", "2023-09-27", "5"]), &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o).trim(), "2023-09-27 之后第 5 个工作日：2023-10-10（星期二）");

        assert_clean_error(
            &run(&dir.0, &args(&db, &["calendar", "add", "2023-13-01", "5"]), &[]),
            "日期“2023-13-01”无效",
        );
        assert_clean_error(
            &run(&dir.0, &args(&db, &["calendar", "add", "2023-09-27", "五"]), &[]),
            "工作日数“五”无效",
        );
        // 2026-12-31 needs the 2027 arrangement.
        assert_clean_error(
            &run(&dir.0, &args(&db, &["calendar", "add", "2026-12-30", "2"]), &[]),
            "节假日安排未载入：2027年",
        );
        let file = dir.0.join("2027.csv");
        std::fs::write(&file, MADE_UP_2027).unwrap();
        let f = file.to_str().unwrap();
        assert_clean_error(
            &run(&dir.0, &args(&db, &["calendar", "load", f, "--as", "nobody"]), &[]),
            "用户 nobody 不存在",
        );
        let o = run(&dir.0, &args(&db, &["calendar", "load", f, "--as", "admin"]), &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stdout(&o).contains("已载入2027年节假日安排，新增 3 个日期"),
            "{}",
            stdout(&o)
        );
        let o = run(&dir.0, &args(&db, &["calendar", "add", "2026-12-30", "2"]), &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o).trim(), "2026-12-30 之后第 2 个工作日：2027-01-04（星期一）");
        // A conflicting table is refused with the reason.
        std::fs::write(
            &file,
            MADE_UP_2027.replace("2027-01-02,Sat,holiday", "2027-01-02,Sat,workday"),
        )
        .unwrap();
        assert_clean_error(
            &run(&dir.0, &args(&db, &["calendar", "load", f, "--as", "admin"]), &[]),
            "冲突",
        );
        if let Some(t) = t {
            t.finish().await;
        }
    }
}

#[tokio::test]
async fn plan_rebuild_recomputes_the_figures() {
    for (t, db) in backends().await {
        let name = if t.is_some() { "postgres" } else { "sqlite" };
        let dir = Dir::new("cli-plan-rebuild");
        let o = run(&dir.0, &args(&db, &["init"]), &[]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let o = run(&dir.0, &args(&db, &["demo", "--workers", "40", "--seed", "3"]), &[]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let o = run(&dir.0, &args(&db, &["plan", "rebuild"]), &[]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let out = stdout(&o);
        let read: u64 = out
            .split("读取业务记录 ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}: {out}"));
        assert!(read > 40, "{name}: the demo's records are read: {out}");
    }
}

#[tokio::test]
async fn user_add_takes_kinds_and_asks_for_approval() {
    use shiminhua_core::auth::{KindSet, RecordKind};
    for (t, db) in backends().await {
        let dir = Dir::new("cli-kinds");
        assert!(run(&dir.0, &args(&db, &["init"]), &[]).status.success());
        let add = |name: &'static str, rest: &[&'static str]| {
            let mut v = vec!["user", "add", name, "--name", "甲"];
            v.extend_from_slice(rest);
            v
        };
        // A department without --kind holds its unit's kinds; it waits for approval.
        let o = run(
            &dir.0,
            &args(
                &db,
                &add(
                    "jy.zhang",
                    &["--role", "dept", "--region", "341000", "--unit", "341000-jyj"],
                ),
            ),
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("已提交审批"), "{}", stdout(&o));
        let o = run(
            &dir.0,
            &args(
                &db,
                &add(
                    "zj.wang",
                    &["--role", "dept", "--region", "341021", "--kind", "住房保障,就业"],
                ),
            ),
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let o = run(
            &dir.0,
            &args(
                &db,
                &add("x5", &["--role", "dept", "--region", "341021", "--kind", "住房"]),
            ),
            &[],
        );
        assert_clean_error(&o, "业务类别“住房”无效");
        let o = run(
            &dir.0,
            &args(&db, &add("x6", &["--role", "dept", "--region", "341021"])),
            &[],
        );
        assert_clean_error(&o, "部门账户须用 --kind 指定业务类别");
        // The first office account approves the others, so it is not held back;
        // the next one is.
        let o = run(
            &dir.0,
            &args(&db, &add("of.first", &["--role", "office", "--region", "341000"])),
            &[],
        );
        assert!(
            o.status.success() && !stdout(&o).contains("已提交审批"),
            "{}",
            stdout(&o)
        );
        let o = run(
            &dir.0,
            &args(&db, &add("of.second", &["--role", "office", "--region", "341000"])),
            &[],
        );
        assert!(stdout(&o).contains("已提交审批"), "{}", stdout(&o));
        let conn = open(&dir.0, &db).await;
        let mut tx = conn.read().await.unwrap();
        let asked = |user: &str| {
            Sql::new("SELECT g.scopes FROM grant_requests g JOIN users u ON u.id = g.user_id WHERE u.username = $1 AND g.status = 'pending'")
                .bind(user.to_string())
        };
        let (school,): (String,) = tx.one(asked("jy.zhang")).await.unwrap();
        let bits = |ks: &[RecordKind]| ks.iter().copied().collect::<KindSet>().bits();
        assert_eq!(school, format!("341000:{}", bits(&[RecordKind::Schooling])));
        let (housing,): (String,) = tx.one(asked("zj.wang")).await.unwrap();
        assert_eq!(
            housing,
            format!("341021:{}", bits(&[RecordKind::Housing, RecordKind::Employment]))
        );
        let roles = |user: &str| {
            Sql::new("SELECT COUNT(*) FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.username = $1")
                .bind(user.to_string())
        };
        assert_eq!(tx.int(roles("jy.zhang")).await.unwrap(), 0, "not in effect yet");
        assert_eq!(tx.int(roles("of.first")).await.unwrap(), 1);
        assert_eq!(tx.int(roles("of.second")).await.unwrap(), 0);
        drop(tx);
        conn.close().await;
        if let Some(t) = t {
            t.finish().await;
        }
    }
}

/// `init` on a fresh PostgreSQL server creates the database the URL names;
/// a role that may not create databases gets one Chinese sentence naming
/// the command that does, and nothing is created.
#[tokio::test]
async fn init_creates_a_missing_postgres_database() {
    let Some(t) = TestDb::postgres().await else { return };
    let admin = shiminhua_app::testing::pg_admin_url().expect("a server");
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).expect("url");
    let psql = |sql: &str| {
        let o = std::process::Command::new("psql")
            .args([admin.as_str(), "-Atqc", sql])
            .output()
            .expect("psql");
        assert!(o.status.success(), "{sql}: {}", stderr(&o));
        stdout(&o).trim().to_string()
    };
    let exists = |name: &str| psql(&format!("SELECT COUNT(*) FROM pg_database WHERE datname = '{name}'")) == "1";
    let tag = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .subsec_nanos()
    );
    let name = format!("shm_fresh_{tag}");
    assert!(!exists(&name));

    let dir = Dir::new("cli-createdb");
    let url = format!("{base}/{name}");
    let o = run(&dir.0, &["--database", &url, "init"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("初始化完成"), "{}", stdout(&o));
    assert!(exists(&name), "init created the database");
    let again = run(&dir.0, &["--database", &url, "init"], &[]);
    assert!(again.status.success(), "{}", stderr(&again));

    // A role without CREATEDB.
    let role = format!("shm_nocreate_{tag}");
    psql(&format!("CREATE ROLE {role} LOGIN"));
    let other = format!("shm_refused_{tag}");
    let with_role = base.replacen("postgres@", &format!("{role}@"), 1);
    let dir2 = Dir::new("cli-createdb-refused");
    let o = run(&dir2.0, &["--database", &format!("{with_role}/{other}"), "init"], &[]);
    assert_clean_error(&o, &format!("createdb {other}"));
    let err = stderr(&o);
    assert!(!err.contains("3D000") && !err.contains("line "), "{err}");
    assert!(!exists(&other));

    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    psql(&format!("DROP ROLE {role}"));
    t.finish().await;
}
