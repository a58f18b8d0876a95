//! The seven record kinds and the importer, on SQLite and PostgreSQL.

use crate::common::*;
use shiminhua_core::ids::RecordId;
use shiminhua_core::ids::WorkerId;

use shiminhua_app::ops::demo::{self, FileKind};
use shiminhua_app::registry::import::{self, ImportKind, Options, read};
use shiminhua_app::registry::records::{self, RecordFilter};
use shiminhua_app::registry::workers::{self, DependantInput, WorkerFilter};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::testing::TempDir;
use shiminhua_app::{AppError, both};
use shiminhua_core::auth::{RecordKind, Role};
use shiminhua_core::credit_code::CreditCode;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

both!(
    records_are_validated_keyed_and_versioned,
    schooling_names_a_child_of_the_family,
    record_scope_is_kind_and_region,
    worker_import_is_idempotent_and_reports_rows,
    an_interrupted_import_resumes,
    record_import_from_a_real_world_workbook,
    bad_files_write_nothing,
    record_export_pages_through_scope_and_filters,
    generated_files_import_whole_and_changed_rows_update,
    a_preview_is_committed_from_its_stage,
    a_large_merge_keeps_every_index,
);

fn credit(n: u32) -> String {
    CreditCode::from_parts("91", "341021", &format!("MA{n:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn getter(m: &HashMap<String, String>) -> impl Fn(&str) -> String + '_ {
    move |k| m.get(k).cloned().unwrap_or_default()
}

fn employment(n: u32, start: &str) -> HashMap<String, String> {
    fields(&[
        ("credit_code", &credit(n)),
        ("employer", "黄山某某制造有限公司"),
        ("industry", "C"),
        ("form", "就近就业"),
        ("place", "徽城镇"),
        ("start", start),
        ("wage", "4,200元"),
        ("contract", "是"),
        ("public_service", "否"),
    ])
}

async fn count(db: &Db, sql: &str) -> i64 {
    db.read().await.unwrap().int(Sql::new(sql)).await.unwrap()
}

async fn records_are_validated_keyed_and_versioned(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let worker = workers::create_worker(&w.call(&office), &input("王五", &id_for(1), "341021100"))
        .await
        .unwrap();
    let job = employment(1, "2024-03-05");
    let id = records::create_record(
        &w.call(&office),
        WorkerId(worker),
        RecordKind::Employment,
        &getter(&job),
    )
    .await
    .unwrap();
    // The same employer and start date is the same record.
    match records::create_record(
        &w.call(&office),
        WorkerId(worker),
        RecordKind::Employment,
        &getter(&job),
    )
    .await
    {
        Err(AppError::Validation(e)) => assert!(e.get("credit_code").unwrap().contains("相同"), "{e:?}"),
        other => panic!("{other:?}"),
    }
    // Every invalid field is named.
    let mut bad = job.clone();
    bad.insert("wage".into(), "很多".into());
    bad.insert("end".into(), "2024-01-01".into());
    bad.insert("industry".into(), "Z".into());
    match records::create_record(
        &w.call(&office),
        WorkerId(worker),
        RecordKind::Employment,
        &getter(&bad),
    )
    .await
    {
        Err(AppError::Validation(e)) => {
            assert!(e.get("wage").is_some() && e.get("industry").is_some(), "{e:?}");
        }
        other => panic!("{other:?}"),
    }
    let row = records::get_record(&w.db, &office, RecordId(id)).await.unwrap();
    assert_eq!(row.period_date.to_string(), "2024-03-05");
    assert_eq!(row.region_code, 341021100000);
    assert!(row.unit_name.is_some(), "an owning unit is assigned");
    let shown = row.describe(&Default::default());
    assert!(
        shown.contains(&("月工资（元）", "4,200.00 元".to_string())),
        "{shown:?}"
    );

    let mut edit = job.clone();
    edit.insert("wage".into(), "4500".into());
    records::update_record(&w.call(&office), RecordId(id), row.version, &getter(&edit))
        .await
        .unwrap();
    // A stale version is refused.
    match records::update_record(&w.call(&office), RecordId(id), row.version, &getter(&edit)).await {
        Err(AppError::Conflict(m)) => assert!(m.contains("已被他人修改")),
        other => panic!("{other:?}"),
    }
    let hist = records::history(&w.db, &office, WorkerId(worker)).await.unwrap();
    assert_eq!(hist.len(), 1);
    assert!(
        hist[0].data.contains("420000"),
        "the earlier wage is kept: {}",
        hist[0].data
    );

    records::create_record(
        &w.call(&office),
        WorkerId(worker),
        RecordKind::Employment,
        &getter(&employment(2, "2022-01-10")),
    )
    .await
    .unwrap();
    let timeline = records::worker_records(&w.db, &office, WorkerId(worker)).await.unwrap();
    assert_eq!(
        timeline.iter().map(|r| r.period_date.to_string()).collect::<Vec<_>>(),
        ["2024-03-05", "2022-01-10"]
    );
    let after = records::get_record(&w.db, &office, RecordId(id)).await.unwrap();
    records::delete_record(&w.call(&office), RecordId(id), after.version)
        .await
        .unwrap();
    assert_eq!(
        records::worker_records(&w.db, &office, WorkerId(worker))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        records::history(&w.db, &office, WorkerId(worker)).await.unwrap()[0].action,
        "delete"
    );
    let (list, total) = records::list_records(
        &w.db,
        &office,
        RecordKind::Employment,
        &RecordFilter {
            fields: vec![("form", "就近就业".into())],
            ..RecordFilter::default()
        },
        20,
        0,
        100,
    )
    .await
    .unwrap();
    assert_eq!((list.len(), total), (1, 1));
}

async fn schooling_names_a_child_of_the_family(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let worker = workers::create_worker(&w.call(&office), &input("李四", &id_for(2), "341021100"))
        .await
        .unwrap();
    let child = DependantInput {
        relation: "子女".into(),
        name: "李小明".into(),
        birth_date: "2016-03-01".into(),
        ..Default::default()
    };
    let child_id = workers::add_dependant(&w.call(&office), WorkerId(worker), &child)
        .await
        .unwrap();
    let school = |name: &str| {
        fields(&[
            ("child", name),
            ("school", "歙县实验小学"),
            ("school_type", "公办"),
            ("stage", "小学"),
            ("grade", "2"),
            ("school_year", "2023-2024"),
        ])
    };
    match records::create_record(
        &w.call(&office),
        WorkerId(worker),
        RecordKind::Schooling,
        &getter(&school("王小红")),
    )
    .await
    {
        Err(AppError::Validation(e)) => assert!(e.get("child").unwrap().contains("没有登记")),
        other => panic!("{other:?}"),
    }
    let id = records::create_record(
        &w.call(&office),
        WorkerId(worker),
        RecordKind::Schooling,
        &getter(&school("李小明")),
    )
    .await
    .unwrap();
    let row = records::get_record(&w.db, &office, RecordId(id)).await.unwrap();
    assert_eq!(row.dependant_id, Some(child_id));
    assert_eq!(row.child_masked.as_deref(), Some("李**"));
    assert!(
        !row.data.contains("李小明"),
        "the child's name is not stored in the record: {}",
        row.data
    );
    assert_eq!(row.period_date.to_string(), "2023-09-01");
}

async fn record_scope_is_kind_and_region(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let worker = workers::create_worker(&w.call(&office), &input("赵六", &id_for(3), "341021100"))
        .await
        .unwrap();
    // An education officer of 歙县 may write schooling in 歙县 only.
    let edu = w
        .user(
            "edu",
            Role::Department,
            vec![shiminhua_core::auth::Grant {
                region: code("341021"),
                kinds: [RecordKind::Schooling].into_iter().collect(),
            }],
        )
        .await;
    let job = employment(3, "2024-01-01");
    assert!(matches!(
        records::create_record(&w.call(&edu), WorkerId(worker), RecordKind::Employment, &getter(&job)).await,
        Err(AppError::Forbidden)
    ));
    // A 歙县 officer may not place a record in 休宁县.
    let shexian = w.scoped("shexian", Role::Local, "341021").await;
    let mut elsewhere = job.clone();
    elsewhere.insert("place".into(), "341022100".into());
    match records::create_record(
        &w.call(&shexian),
        WorkerId(worker),
        RecordKind::Employment,
        &getter(&elsewhere),
    )
    .await
    {
        Err(AppError::Validation(e)) => assert!(e.get("place").unwrap().contains("数据范围"), "{e:?}"),
        other => panic!("{other:?}"),
    }
    let id = records::create_record(
        &w.call(&office),
        WorkerId(worker),
        RecordKind::Employment,
        &getter(&job),
    )
    .await
    .unwrap();
    assert!(matches!(
        records::get_record(&w.db, &edu, RecordId(id)).await,
        Err(AppError::NotFound)
    ));
    assert!(
        records::worker_records(&w.db, &edu, WorkerId(worker))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(records::delete_record(&w.call(&edu), RecordId(id), 1).await.is_err());
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM records").await, 1);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

async fn worker_import_is_idempotent_and_reports_rows(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let dir = TempDir::new("import");
    let csv = format!(
        "黄山市农民工花名册（2024年）\n\
         序号,姓名,身份证号,手机号码,现居住地,文化程度,标签\n\
         1,张三,{a},13800000001,徽城镇,初中,返乡\n\
         2,李四,{b_lower},,歙县徽城镇,高中,\n\
         3,王五,{bad},,徽城镇,,\n\
         4,赵六,{a},,徽城镇,,\n\
         5,钱七,{c},,火星镇,,\n\
         6, 孙八 ,{c_full},{phone_full},341021100,,\n",
        a = id_for(10),
        b_lower = id_for(11).to_lowercase(),
        bad = {
            let mut s = id_for(12);
            let last = if s.ends_with('1') { '2' } else { '1' };
            s.pop();
            s.push(last);
            s
        },
        c = id_for(13),
        c_full = full_width(&id_for(14)),
        phone_full = full_width("13800000002"),
    );
    let path = write(&w_dir(&dir), "workers.csv", &csv);
    let call = w.call(&office);
    let dry = import::run(
        &call,
        ImportKind::Workers,
        &path,
        "workers.csv",
        &Options {
            dry_run: true,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((dry.inserted, dry.rejected), (3, 3), "{:?}", dry.rejects);
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM workers").await,
        0,
        "a dry run writes nothing"
    );
    let lines: Vec<(u64, &str)> = dry.rejects.iter().map(|r| (r.line, r.column.as_str())).collect();
    assert_eq!(lines, [(5, "身份证号"), (6, "身份证号"), (7, "现居住地")]);
    assert!(dry.rejects[1].reason.contains("第3行"), "{:?}", dry.rejects[1]);
    assert!(dry.rejects[0].reason.contains("校验不通过"), "{:?}", dry.rejects[0]);

    let s = import::run(&call, ImportKind::Workers, &path, "workers.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!((s.inserted, s.updated, s.rejected), (3, 0, 3));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 3);
    let (found, _) = workers::list_workers(
        &w.db,
        &w.cipher,
        &office,
        &WorkerFilter {
            q: "13800000002".into(),
            ..Default::default()
        },
        10,
        0,
        100,
    )
    .await
    .unwrap();
    assert_eq!(found.len(), 1, "full-width phone digits were normalised");
    assert_eq!(found[0].name, "孙八");

    // The same file again changes nothing; a changed row updates and keeps history.
    let again = import::run(&call, ImportKind::Workers, &path, "workers.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 3));
    let changed = write(&w_dir(&dir), "changed.csv", &csv.replace("1,张三", "1,张叁"));
    let s = import::run(&call, ImportKind::Workers, &changed, "changed.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!((s.inserted, s.updated, s.unchanged), (0, 1, 2));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 3);
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM history WHERE object_kind = 'worker'").await,
        1
    );
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM import_batches WHERE status = 'done'").await,
        3
    );

    // The rejected rows as a workbook with an error column.
    let out = w_dir(&dir).join("rejected.xlsx");
    import::rejected_workbook(ImportKind::Workers, &s.rejects, &out).unwrap();
    let cols = import::columns(ImportKind::Workers);
    let mut headers: Vec<&str> = cols.iter().map(|c| c.header).collect();
    headers.push("错误原因");
    let required = vec![false; headers.len()];
    let rows: Vec<read::RawRow> = read::open(&out, &headers, &required)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2].cells[0].to_text(), "钱七");
    assert!(rows[2].cells.last().unwrap().to_text().contains("火星镇"));
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|ch| {
            if ch.is_ascii_digit() {
                char::from_u32(ch as u32 + 0xFEE0).unwrap()
            } else {
                ch
            }
        })
        .collect()
}

fn w_dir(d: &TempDir) -> PathBuf {
    d.0.clone()
}

async fn an_interrupted_import_resumes(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let dir = TempDir::new("resume");
    let mut csv = String::from("姓名,身份证号,现居住地\n");
    for n in 0..7u16 {
        csv.push_str(&format!(
            "测试{},{},徽城镇\n",
            ["甲", "乙", "丙", "丁", "戊", "己", "庚"][n as usize],
            id_for(100 + n)
        ));
    }
    let path = write(&dir.0, "w.csv", &csv);
    let call = w.call(&office);
    // A run that stops after two batches of two rows, as if killed.
    let first = import::run(
        &call,
        ImportKind::Workers,
        &path,
        "w.csv",
        &Options {
            batch_rows: 2,
            stop_after_batches: Some(2),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    // Four rows staged, nothing merged: the registry is as it was.
    assert_eq!(first.inserted, 0);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 0);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM import_stage_workers").await, 4);
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM import_batches WHERE status = 'running'").await,
        1
    );
    // A run whose merge fails (a staged place removed from the places
    // meanwhile breaks a foreign key) stages the rest, merges nothing and
    // leaves the batch staged.
    let place = count(&w.db, "SELECT region_code FROM import_stage_workers WHERE line = 2").await;
    let set_place = |code: i64| {
        let db = w.db.clone();
        async move {
            let mut tx = db.write().await.unwrap();
            tx.exec(Sql::new("UPDATE import_stage_workers SET region_code = $1 WHERE line = 2").bind(code))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    set_place(999_999_999).await;
    let opts = Options {
        batch_rows: 2,
        ..Options::default()
    };
    let failed = import::run(&call, ImportKind::Workers, &path, "w.csv", &opts).await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 0);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM import_stage_workers").await, 7);
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM import_batches WHERE status = 'staged'").await,
        1
    );
    // Run again, it merges what is staged.
    set_place(place).await;
    let second = import::run(&call, ImportKind::Workers, &path, "w.csv", &opts)
        .await
        .unwrap();
    assert_eq!((second.resumed, second.inserted, second.unchanged), (7, 7, 0));
    assert_eq!(second.batch_id, first.batch_id);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 7);
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM import_batches WHERE status = 'done'").await,
        1
    );
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM import_stage_workers").await, 0);
}

async fn record_import_from_a_real_world_workbook(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let call = w.call(&office);
    let a = workers::create_worker(&call, &input("周一", &id_for(20), "341021100"))
        .await
        .unwrap();
    workers::create_worker(&call, &input("吴二", &id_for(21), "341021100"))
        .await
        .unwrap();
    let dir = TempDir::new("xlsx");
    let path = dir.0.join("jobs.xlsx");
    {
        use rust_xlsxwriter::{Format, Workbook};
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "2024年就业登记表").unwrap();
        let headers = [
            "*姓名",
            "身份证号（必填）",
            "用人单位统一社会信用代码",
            "用人单位名称",
            "行业门类",
            "就业形式",
            "就业开始日期",
            "月工资（元）",
            "是否签订劳动合同",
            "是否经公共就业服务机构介绍",
        ];
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(2, c as u16, *h).unwrap();
        }
        let date = Format::new().set_num_format("yyyy-mm-dd");
        // Row 4: a date cell and a number wage.
        ws.write_string(3, 0, "周一").unwrap();
        ws.write_string(3, 1, id_for(20)).unwrap();
        ws.write_string(3, 2, credit(7)).unwrap();
        ws.write_string(3, 3, "徽州某厂").unwrap();
        ws.write_string(3, 4, "C 制造业").unwrap();
        ws.write_string(3, 5, "就近就业").unwrap();
        ws.write_number_with_format(3, 6, 45_357.0, &date).unwrap(); // 2024-03-06
        ws.write_number(3, 7, 3500.0).unwrap();
        ws.write_string(3, 8, "是").unwrap();
        ws.write_string(3, 9, "否").unwrap();
        // Row 5: an ID number stored as a number.
        ws.write_string(4, 0, "吴二").unwrap();
        ws.write_number(4, 1, id_for(21).parse::<f64>().unwrap()).unwrap();
        // Row 6: text date, amount with 元, full-width code.
        ws.write_string(5, 0, "吴二").unwrap();
        ws.write_string(5, 1, id_for(21)).unwrap();
        ws.write_string(5, 2, format!(" {} ", credit(8))).unwrap();
        ws.write_string(5, 3, "屯溪某店").unwrap();
        ws.write_string(5, 4, "H").unwrap();
        ws.write_string(5, 5, "灵活就业").unwrap();
        ws.write_string(5, 6, "2023年3月5日").unwrap();
        ws.write_string(5, 7, "3,500元").unwrap();
        ws.write_string(5, 8, "否").unwrap();
        ws.write_string(5, 9, "否").unwrap();
        // Row 7: a worker that is not registered.
        ws.write_string(6, 0, "郑三").unwrap();
        ws.write_string(6, 1, id_for(22)).unwrap();
        wb.save(&path).unwrap();
    }
    let target = ImportKind::parse("employment").unwrap();
    let s = import::run(&call, target, &path, "jobs.xlsx", &Options::default())
        .await
        .unwrap();
    assert_eq!((s.inserted, s.rejected), (2, 2), "{:?}", s.rejects);
    assert_eq!(s.rejects[0].line, 5);
    assert!(s.rejects[0].reason.contains("精度"), "{:?}", s.rejects[0]);
    assert_eq!(s.rejects[1].line, 7);
    assert!(s.rejects[1].reason.contains("尚未登记"));
    let rows = records::worker_records(&w.db, &office, WorkerId(a)).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].period_date.to_string(), "2024-03-06");
    let again = import::run(&call, target, &path, "jobs.xlsx", &Options::default())
        .await
        .unwrap();
    assert_eq!((again.inserted, again.unchanged), (0, 2));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM records").await, 2);
}

async fn bad_files_write_nothing(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let call = w.call(&office);
    let dir = TempDir::new("bad");
    let garbage = dir.0.join("x.xlsx");
    std::fs::write(&garbage, [0u8, 159, 146, 150, 1, 2, 3, 255, 0, 0]).unwrap();
    let empty = write(&dir.0, "empty.csv", "");
    let wrong = write(&dir.0, "wrong.csv", "项目,金额\n甲,1\n");
    let header_only = write(&dir.0, "header.csv", "姓名,身份证号,现居住地\n");
    let mut huge = String::from("姓名,身份证号,现居住地\n");
    huge.push_str(&"张三,1,徽城镇\n".repeat(1_000_001));
    let huge = write(&dir.0, "huge.csv", &huge);
    for (path, expect) in [
        (&garbage, "无法识别"),
        (&empty, "空"),
        (&wrong, "身份证号"),
        (&header_only, "没有数据"),
        (&huge, "上限"),
    ] {
        match import::run(&call, ImportKind::Workers, path, "f", &Options::default()).await {
            Err(AppError::Validation(e)) => {
                let m = e.get("file").unwrap();
                assert!(m.contains(expect), "{path:?}: {m}");
            }
            other => panic!("{path:?}: {other:?}"),
        }
    }
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 0);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM import_batches").await, 0);
}

/// Every cell of a workbook's sheet as text, the header row first.
fn sheet_text(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook(path).expect("the export opens");
    let range = book.worksheet_range(sheet).expect("the sheet is there");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => panic!("cells are text: {other:?}"),
                })
                .collect()
        })
        .collect()
}

/// The longest run of ASCII digits in `s`.
fn digit_run(s: &str) -> usize {
    s.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0)
}

async fn record_export_pages_through_scope_and_filters(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let shexian = w.scoped("shexian", Role::Local, "341021").await;
    let call = w.call(&office);
    // Two workers living in 歙县, one in 休宁县.
    let people = [
        ("甲一", id_for(31), "341021100"),
        ("乙二", id_for(32), "341022100"),
        ("丙三", id_for(33), "341021100"),
    ];
    let mut workers = Vec::new();
    for (name, id, home) in &people {
        let wid = workers::create_worker(&call, &input(name, id, home)).await.unwrap();
        workers.push((wid, *name, id.clone()));
    }
    // Employment records placed in 歙县, in 休宁县, or (no place) at the
    // worker's residence; two forms; starts in 2023 and 2024.
    struct Placed {
        credit: String,
        worker: usize,
        region: i64,
        form: &'static str,
        start: String,
    }
    let mut placed = Vec::new();
    for n in 0..20u32 {
        let worker = (n % 3) as usize;
        let place = match n % 5 {
            3 => "341022100",
            4 => "",
            _ => "徽城镇",
        };
        let form = if n % 2 == 0 { "就近就业" } else { "外出务工" };
        let start = format!("{}-{:02}-05", if n < 10 { 2023 } else { 2024 }, n % 12 + 1);
        let mut job = employment(100 + n, &start);
        job.insert("place".into(), place.into());
        job.insert("form".into(), form.into());
        let id = records::create_record(
            &call,
            WorkerId(workers[worker].0),
            RecordKind::Employment,
            &getter(&job),
        )
        .await
        .unwrap();
        let region = records::get_record(&w.db, &office, RecordId(id))
            .await
            .unwrap()
            .region_code;
        placed.push(Placed {
            credit: credit(100 + n),
            worker,
            region,
            form,
            start,
        });
    }
    // A record of another kind in 歙县 is never in an employment export.
    let child = workers::add_dependant(
        &call,
        WorkerId(workers[0].0),
        &DependantInput {
            relation: "子女".into(),
            name: "甲小一".into(),
            birth_date: "2016-03-01".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(child > 0);
    let schooling = fields(&[
        ("child", "甲小一"),
        ("school", "歙县实验小学"),
        ("school_type", "公办"),
        ("stage", "小学"),
        ("grade", "2"),
        ("school_year", "2023-2024"),
    ]);
    records::create_record(
        &call,
        WorkerId(workers[0].0),
        RecordKind::Schooling,
        &getter(&schooling),
    )
    .await
    .unwrap();
    let in_shexian = |p: &&Placed| p.region / 1_000_000 == 341021;

    let dir = TempDir::new("record-export");
    let mut exports = 0;
    // (who, filter, page size, the records expected)
    let filtered = RecordFilter {
        region: Some(code("341021")),
        from: Some(chrono::NaiveDate::from_ymd_opt(2023, 6, 1).unwrap()),
        to: None,
        fields: vec![("form", "就近就业".into())],
        present: Vec::new(),
    };
    let unfiltered = RecordFilter::default();
    let want_all: Vec<&Placed> = placed.iter().filter(in_shexian).collect();
    let want_filtered: Vec<&Placed> = placed
        .iter()
        .filter(in_shexian)
        .filter(|p| p.form == "就近就业" && p.start.as_str() >= "2023-06-01")
        .collect();
    assert!(
        want_all.len() > 8 && want_all.len() < placed.len(),
        "the setup spans pages and scopes"
    );
    assert!(want_filtered.len() > 2 && want_filtered.len() < want_all.len());
    let cases: Vec<(&shiminhua_core::auth::Actor, &RecordFilter, i64, &Vec<&Placed>)> = vec![
        (&shexian, &unfiltered, 1, &want_all),
        (&shexian, &unfiltered, 4, &want_all),
        // A page size that divides the count exactly ends on an empty page.
        (&shexian, &unfiltered, want_all.len() as i64, &want_all),
        (&shexian, &unfiltered, records::EXPORT_PAGE, &want_all),
        (&office, &filtered, 2, &want_filtered),
    ];
    let full_ids: Vec<&str> = people.iter().map(|p| p.1.as_str()).collect();
    for (actor, filter, page, want) in cases {
        let path = dir.0.join(format!("export-{exports}.xlsx"));
        let n = records::export_records_paged(&w.call(actor), RecordKind::Employment, filter, &path, page)
            .await
            .unwrap();
        exports += 1;
        assert_eq!(n as usize, want.len(), "page {page}: the row count");
        let sheet = sheet_text(&path, "就业记录");
        let header = &sheet[0];
        assert_eq!(&header[..5], ["姓名", "身份证号", "所在地", "责任单位", "日期"]);
        let col = |label: &str| header.iter().position(|h| h == label).unwrap();
        let (credit_col, form_col) = (col("用人单位统一社会信用代码"), col("就业形式"));
        assert_eq!(sheet.len(), want.len() + 1, "page {page}: the sheet's rows");
        let mut got: Vec<&str> = sheet[1..].iter().map(|r| r[credit_col].as_str()).collect();
        got.sort();
        let mut expected: Vec<&str> = want.iter().map(|p| p.credit.as_str()).collect();
        expected.sort();
        assert_eq!(
            got, expected,
            "page {page}: each record in scope and filter exactly once"
        );
        for row in &sheet[1..] {
            let p = want.iter().find(|p| p.credit == row[credit_col]).unwrap();
            let (_, name, full) = &workers[p.worker];
            assert_eq!(row[0], *name);
            assert!(row[1] == format!("{}************", &full[..6]), "masked: {}", row[1]);
            assert_eq!(row[4], p.start);
            assert_eq!(row[form_col], p.form);
            for cell in row {
                assert!(digit_run(cell) < 15, "no full ID number in a cell: {cell}");
                assert!(!full_ids.iter().any(|id| cell.contains(id)), "{cell}");
            }
        }
    }
    // A region outside the user's scope gives no rows, not the region's records.
    let path = dir.0.join("elsewhere.xlsx");
    let elsewhere = RecordFilter {
        region: Some(code("341022")),
        ..RecordFilter::default()
    };
    let n = records::export_records_paged(&w.call(&shexian), RecordKind::Employment, &elsewhere, &path, 2)
        .await
        .unwrap();
    exports += 1;
    assert_eq!(n, 0);
    assert_eq!(sheet_text(&path, "就业记录").len(), 1, "the header only");
    // Without the permission to read personal data there is no export.
    let auditor = w.user("auditor1", Role::Auditor, vec![]).await;
    let denied = dir.0.join("denied.xlsx");
    assert!(matches!(
        records::export_records(
            &w.call(&auditor),
            RecordKind::Employment,
            &RecordFilter::default(),
            &denied
        )
        .await,
        Err(AppError::Forbidden)
    ));
    assert!(!denied.exists());

    // Each export is audited with its filters.
    assert_eq!(
        count(
            &w.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'record.export' AND object_kind = 'employment'"
        )
        .await,
        exports
    );
    let details: Vec<(String,)> =
        w.db.read()
            .await
            .unwrap()
            .all(Sql::new(
                "SELECT detail FROM audit_log WHERE action = 'record.export' ORDER BY id",
            ))
            .await
            .unwrap();
    assert_eq!(
        details[0].0,
        format!("rows={}; region=; from=; to=; fields=", want_all.len())
    );
    assert_eq!(
        details[4].0,
        format!(
            "rows={}; region=341021; from=2023-06-01; to=; fields=form=就近就业",
            want_filtered.len()
        )
    );
    assert_eq!(details[5].0, "rows=0; region=341022; from=; to=; fields=");
}

/// The generator's import files (for the import benchmark): a roster and a
/// job for each of its workers import without a rejected row; the roster
/// again with a tenth of its rows changed updates exactly those rows.
async fn generated_files_import_whole_and_changed_rows_update(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let dir = TempDir::new("generated-files");
    let file = |name: &str, kind: FileKind, changed: u8| {
        let path = dir.0.join(name);
        demo::write_import_file(&path, 200, 9, kind, changed).unwrap();
        path
    };
    let run = |path: PathBuf, kind: &'static str| {
        let call = w.call(&office);
        async move {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            import::run(
                &call,
                ImportKind::parse(kind).unwrap(),
                &path,
                &name,
                &Options::default(),
            )
            .await
            .unwrap()
        }
    };
    let roster = file("workers.csv", FileKind::Workers, 0);
    let s = run(roster.clone(), "worker").await;
    assert_eq!((s.inserted, s.rejected), (200, 0), "{:?}", s.rejects.first());
    let jobs = run(file("jobs.xlsx", FileKind::Employment, 0), "employment").await;
    assert_eq!((jobs.inserted, jobs.rejected), (200, 0), "{:?}", jobs.rejects.first());

    let changed = file("changed.csv", FileKind::Workers, 10);
    let (a, b) = (
        std::fs::read_to_string(&roster).unwrap(),
        std::fs::read_to_string(&changed).unwrap(),
    );
    let differ = a.lines().zip(b.lines()).filter(|(x, y)| x != y).count() as u64;
    assert!((5..=40).contains(&differ), "about a tenth of 200 rows differ: {differ}");
    let again = run(changed, "worker").await;
    assert_eq!(
        (again.inserted, again.updated, again.unchanged, again.rejected),
        (0, differ, 200 - differ, 0)
    );
    // Each changed worker's earlier version is in history, as JSON the
    // history page reads.
    let kept: Vec<(String,)> =
        w.db.read()
            .await
            .unwrap()
            .all(Sql::new(
                "SELECT data FROM history WHERE object_kind = 'worker' AND action = 'update'",
            ))
            .await
            .unwrap();
    assert_eq!(kept.len() as u64, differ);
    for (data,) in &kept {
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert!(
            v["name"].is_string() && v["skills"].is_string() && v["region_code"].is_i64(),
            "{data}"
        );
    }
    let jobs_again = run(file("jobs-changed.csv", FileKind::Employment, 10), "employment").await;
    assert_eq!(jobs_again.inserted, 0);
    assert!(jobs_again.updated > 0 && jobs_again.updated < 60, "{jobs_again:?}");
    assert_eq!(jobs_again.updated + jobs_again.unchanged, 200);
}

/// The preview stages the checked rows; the commit merges them without the
/// file (it is checked once), once only; a preview nobody commits is swept
/// after an hour. A merge that fails leaves the registry as it was and the
/// rows staged.
async fn a_preview_is_committed_from_its_stage(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let dir = TempDir::new("stage-commit");
    let roster = dir.0.join("roster.csv");
    demo::write_import_file(&roster, 120, 4, FileKind::Workers, 0).unwrap();
    let call = w.call(&office);
    let preview = Options {
        dry_run: true,
        ..Options::default()
    };
    let checked = import::run(&call, ImportKind::Workers, &roster, "roster.csv", &preview)
        .await
        .unwrap();
    assert_eq!((checked.inserted, checked.rejected), (120, 0));
    let batch = checked.batch_id.unwrap();
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 0);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM import_stage_workers").await, 120);

    // Another user (here a county's) cannot commit it: its rows were
    // checked against the city office's scope.
    let county = w.scoped("county1", Role::Local, "341021").await;
    let other = import::commit(
        &w.call(&county),
        ImportKind::Workers,
        batch,
        "roster.csv",
        &Options::default(),
    )
    .await;
    assert!(matches!(other, Err(AppError::NotFound)), "{other:?}");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 0);

    // Committed with the file gone: the staged rows are what is merged.
    std::fs::remove_file(&roster).unwrap();
    let done = import::commit(&call, ImportKind::Workers, batch, "roster.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!((done.inserted, done.updated, done.rejected), (120, 0, 0));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 120);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM import_stage_workers").await, 0);
    // Every name is searchable and every place counted, as one by one.
    assert_eq!(
        count(&w.db, "SELECT COUNT(DISTINCT worker_id) FROM worker_name_grams").await,
        120
    );
    assert_eq!(
        count(
            &w.db,
            "SELECT CAST(COALESCE(SUM(workers), 0) AS BIGINT) FROM worker_tallies"
        )
        .await,
        120
    );
    // Once only.
    let twice = import::commit(&call, ImportKind::Workers, batch, "roster.csv", &Options::default()).await;
    assert!(matches!(twice, Err(AppError::Conflict(_))), "{twice:?}");

    // A preview left for more than an hour is swept, and cannot be committed.
    demo::write_import_file(&roster, 30, 5, FileKind::Workers, 0).unwrap();
    let left = import::run(&call, ImportKind::Workers, &roster, "roster.csv", &preview)
        .await
        .unwrap();
    assert_eq!(import::sweep_staged(&w.db, call.now).await.unwrap(), 0, "not yet");
    let later = call.now + chrono::Duration::minutes(61);
    assert_eq!(import::sweep_staged(&w.db, later).await.unwrap(), 1);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM import_stage_workers").await, 0);
    let late = import::commit(
        &call,
        ImportKind::Workers,
        left.batch_id.unwrap(),
        "roster.csv",
        &Options::default(),
    )
    .await;
    assert!(matches!(late, Err(AppError::Conflict(_))), "{late:?}");

    // A merge that fails half-way (a worker's place removed from the
    // places meanwhile, so that its insert breaks a foreign key) changes
    // nothing, and leaves the rows staged for another try.
    demo::write_import_file(&roster, 40, 6, FileKind::Workers, 0).unwrap();
    let staged = import::run(&call, ImportKind::Workers, &roster, "roster.csv", &preview)
        .await
        .unwrap();
    let batch = staged.batch_id.unwrap();
    let before = (
        count(&w.db, "SELECT COUNT(*) FROM workers").await,
        count(&w.db, "SELECT COUNT(*) FROM history").await,
        count(&w.db, "SELECT COUNT(*) FROM records").await,
    );
    let place = count(
        &w.db,
        "SELECT region_code FROM import_stage_workers WHERE line = (SELECT MAX(line) FROM import_stage_workers)",
    )
    .await;
    let mut tx = w.db.write().await.unwrap();
    tx.exec(Sql::new(
        "UPDATE import_stage_workers SET region_code = 999999999 WHERE line = (SELECT MAX(line) FROM import_stage_workers)",
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let failed = import::commit(&call, ImportKind::Workers, batch, "roster.csv", &Options::default()).await;
    assert!(failed.is_err(), "{failed:?}");
    let after = (
        count(&w.db, "SELECT COUNT(*) FROM workers").await,
        count(&w.db, "SELECT COUNT(*) FROM history").await,
        count(&w.db, "SELECT COUNT(*) FROM records").await,
    );
    assert_eq!(after, before, "nothing of a failed merge is kept");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM import_stage_workers").await, 40);
    let mut tx = w.db.write().await.unwrap();
    tx.exec(Sql::new("UPDATE import_stage_workers SET region_code = $1 WHERE region_code = 999999999").bind(place))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let retried = import::commit(&call, ImportKind::Workers, batch, "roster.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!(retried.inserted, 40);
}

/// A merge of more new workers than the registry holds (SQLite builds the
/// secondary indexes afresh for it) leaves every index as the migrations
/// made it, and the workers found through each.
async fn a_large_merge_keeps_every_index(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let dir = TempDir::new("large-merge");
    let roster = dir.0.join("roster.csv");
    demo::write_import_file(&roster, 20_000, 12, FileKind::Workers, 0).unwrap();
    let indexes = |db: Db| async move {
        let mut tx = db.read().await.unwrap();
        let q = match tx.backend() {
            shiminhua_app::store::Backend::Sqlite => {
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'workers' ORDER BY name"
            }
            shiminhua_app::store::Backend::Postgres => {
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'workers' ORDER BY indexname"
            }
        };
        let rows: Vec<(String, Option<String>)> = tx.all(Sql::new(q)).await.unwrap();
        rows
    };
    let before = indexes(w.db.clone()).await;
    let call = w.call(&office);
    let s = import::run(&call, ImportKind::Workers, &roster, "roster.csv", &Options::default())
        .await
        .unwrap();
    assert_eq!((s.inserted, s.rejected), (20_000, 0));
    assert_eq!(indexes(w.db.clone()).await, before);
    // Each index answers: by place, by name, by phone.
    let (region, name, phone): (i64, String, Vec<u8>) = w
        .db
        .read()
        .await
        .unwrap()
        .one(Sql::new(
            "SELECT region_code, name, phone_index FROM workers WHERE phone_index IS NOT NULL ORDER BY id DESC LIMIT 1",
        ))
        .await
        .unwrap();
    let mut tx = w.db.read().await.unwrap();
    let by_place = tx
        .int(Sql::new("SELECT COUNT(*) FROM workers WHERE region_code = $1").bind(region))
        .await
        .unwrap();
    let by_name = tx
        .int(Sql::new("SELECT COUNT(*) FROM workers WHERE name = $1").bind(name.clone()))
        .await
        .unwrap();
    let by_phone = tx
        .int(Sql::new("SELECT COUNT(*) FROM workers WHERE phone_index = $1").bind(phone))
        .await
        .unwrap();
    let grams = tx
        .int(Sql::new("SELECT COUNT(DISTINCT worker_id) FROM worker_name_grams"))
        .await
        .unwrap();
    drop(tx);
    assert!(by_place >= 1 && by_name >= 1 && by_phone >= 1);
    assert_eq!(grams, 20_000);
    let (rows, total) = workers::list_workers(
        &w.db,
        &w.cipher,
        &office,
        &WorkerFilter {
            q: name.clone(),
            ..WorkerFilter::default()
        },
        1_000,
        0,
        10_000,
    )
    .await
    .unwrap();
    assert!(
        total >= by_name && rows.iter().all(|r| r.name.contains(&name)) && rows.iter().any(|r| r.name == name),
        "the name search finds the worker: {name}, {total} found"
    );
}
