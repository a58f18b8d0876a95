//! A township's roster from the command line: `import --map 列名=字段` maps
//! a column the registry does not know, and the mapping is used again the
//! next time without being given.

use crate::common::{Dir, assert_clean_error, run, stderr, stdout};
use shiminhua_app::store::{DatabaseUrl, Db, Sql};
use shiminhua_app::testing::{TestDb, roster};

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

async fn open(dir: &std::path::Path, db: &[String]) -> Db {
    let url = match db.get(1) {
        Some(u) => DatabaseUrl::parse(u).unwrap(),
        None => DatabaseUrl::sqlite_file(&dir.join("shiminhua.db")),
    };
    Db::connect(&url).await.unwrap()
}

#[tokio::test]
async fn a_roster_imports_with_a_mapped_column() {
    for (t, db) in backends().await {
        let dir = Dir::new("cli-roster");
        assert!(run(&dir.0, &args(&db, &["init"]), &[]).status.success());
        let add = [
            "user",
            "add",
            "office1",
            "--name",
            "办公室",
            "--role",
            "office",
            "--region",
            "341000",
        ];
        let o = run(&dir.0, &args(&db, &add), &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let path = dir.0.join("花名册.xlsx");
        let r = roster::write(&path).unwrap();
        let f = path.to_str().unwrap();
        let map = format!("{}=职业技能", roster::UNKNOWN);
        let ignore = format!("{}=忽略", roster::REMARKS);

        // A field that does not exist, a malformed argument: a Chinese sentence.
        let o = run(
            &dir.0,
            &args(
                &db,
                &["import", "worker", f, "--as", "office1", "--map", "技能特长=特长"],
            ),
            &[],
        );
        assert_clean_error(&o, "“特长”不是农民工名单的字段，可选：姓名、身份证号");
        let o = run(
            &dir.0,
            &args(&db, &["import", "worker", f, "--as", "office1", "--map", "技能特长"]),
            &[],
        );
        assert_clean_error(&o, "--map 的格式应为“列名=字段”");

        let o = run(
            &dir.0,
            &args(
                &db,
                &[
                    "import", "worker", f, "--as", "office1", "--map", &map, "--map", &ignore,
                ],
            ),
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains("新增 4") && out.contains("有误未导入 3"), "{out}");
        assert!(out.contains("同一表格中的就业登记：新增 3"), "{out}");
        assert!(
            out.contains(&format!("第 {} 行“性别、月工资（元）”列", r.sex_line)),
            "{out}"
        );
        assert!(out.contains("（程*）") && !out.contains("程丽"), "{out}");
        assert!(out.contains("15位旧身份证号已转换为18位"), "{out}");
        let conn = open(&dir.0, &db).await;
        let mut tx = conn.read().await.unwrap();
        let (skills,): (String,) = tx
            .one(Sql::new("SELECT skills FROM workers WHERE name = $1").bind(r.spaced_name))
            .await
            .unwrap();
        assert_eq!(skills, r.skill);
        let remembered: Vec<(String, String)> = tx
            .all(Sql::new(
                "SELECT header, field FROM import_mappings WHERE kind = 'worker' ORDER BY header",
            ))
            .await
            .unwrap();
        assert_eq!(
            remembered,
            [
                (roster::REMARKS.to_string(), String::new()),
                (roster::UNKNOWN.to_string(), "skills".to_string())
            ]
        );
        drop(tx);

        // The next run needs no --map: the mapping is remembered.
        let o = run(
            &dir.0,
            &args(&db, &["import", "worker", f, "--as", "office1", "--dry-run"]),
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("无变化 4"), "{}", stdout(&o));
        conn.close().await;
        drop(t);
    }
}
