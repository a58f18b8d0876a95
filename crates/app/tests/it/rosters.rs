//! Rosters as they arrive from the townships: headers in their own words, a
//! column mapped by the user and remembered, workers and their employment
//! records from one sheet, every error of a row, and the rejected rows
//! corrected and uploaded again. On SQLite and PostgreSQL.

use crate::common::*;
use calamine::{Data, Reader as _, Xlsx};
use shiminhua_app::both;
use shiminhua_app::registry::import::read::MatchedBy;
use shiminhua_app::registry::import::{self, ImportKind, Options, Summary, mapping};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::testing::{TempDir, roster};
use shiminhua_core::auth::Role;
use std::path::Path;

both!(a_messy_roster_imports_end_to_end, rejected_rows_round_trip);

async fn count(db: &Db, sql: &str) -> i64 {
    db.read().await.unwrap().int(Sql::new(sql)).await.unwrap()
}

async fn run(w: &World, actor: &shiminhua_core::auth::Actor, path: &Path, opts: &Options<'_>) -> Summary {
    import::run(&w.call(actor), ImportKind::Workers, path, "花名册.xlsx", opts)
        .await
        .unwrap()
}

fn dry() -> Options<'static> {
    Options {
        dry_run: true,
        ..Options::default()
    }
}

fn map_skills() -> Vec<(String, String)> {
    vec![(roster::UNKNOWN.to_string(), "skills".to_string())]
}

async fn a_messy_roster_imports_end_to_end(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let dir = TempDir::new("roster");
    let path = dir.0.join("花名册.xlsx");
    let r = roster::write(&path).unwrap();

    // The preview: the township's headers are recognised, the unfamiliar
    // columns are listed, 序号 is left out without asking.
    let d = run(&w, &office, &path, &dry()).await;
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 0);
    let by = |name: &str| {
        d.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| (c.by, c.target.is_some()))
    };
    assert_eq!(by("身份证号码"), Some((MatchedBy::Name, true)));
    assert_eq!(by("现居住乡镇"), Some((MatchedBy::Name, true)));
    assert_eq!(by("联系电话"), Some((MatchedBy::Name, true)));
    assert_eq!(by("入职日期"), Some((MatchedBy::Name, true)));
    assert_eq!(by(roster::UNKNOWN), Some((MatchedBy::Unknown, false)));
    assert_eq!(by(roster::REMARKS), Some((MatchedBy::Unknown, false)));
    assert_eq!(by("序号"), Some((MatchedBy::Skipped, false)));
    assert_eq!(d.rows, 7);
    assert_eq!((d.inserted, d.rejected), (4, 3), "{:#?}", d.rejects);
    assert_eq!(d.employment.map(|c| c.inserted), Some(r.jobs));
    let lines: Vec<u64> = d.rejects.iter().map(|x| x.line).collect();
    assert_eq!(lines, r.bad_lines);

    // Every error of a row, with the person named (masked).
    let sex = &d.rejects[0];
    assert_eq!(sex.line, r.sex_line);
    assert_eq!(sex.person, "程*");
    let columns: Vec<&str> = sex.errors.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(columns, ["性别", "月工资（元）"], "{sex:?}");
    assert!(sex.errors[0].1.contains("与身份证号（男性）不一致"), "{sex:?}");
    assert_eq!(sex.column, "性别、月工资（元）");
    let future = &d.rejects[1];
    assert_eq!((future.line, future.person.as_str()), (r.future_line, "汪**"));
    assert!(future.reason.contains("出生日期晚于今天"), "{future:?}");
    let numeric = &d.rejects[2];
    assert_eq!(numeric.line, r.numeric_line);
    assert!(numeric.reason.contains("丢失精度"), "{numeric:?}");
    assert_eq!(
        numeric.errors.len(),
        1,
        "the precision message stands alone: {numeric:?}"
    );

    // What was changed on the way in: the legacy number (masked), the space.
    let legacy = d.notes.iter().find(|n| n.line == r.legacy_line).expect("legacy note");
    assert!(legacy.text.contains("15位旧身份证号已转换为18位"), "{legacy:?}");
    assert!(legacy.text.contains(&r.legacy_full[..6]) && !legacy.text.contains(&r.legacy_full));
    assert!(
        legacy.text.contains(&format!("“{}”", &r.legacy_full[17..])),
        "{legacy:?}"
    );
    assert_eq!(legacy.person, "方**");
    let spaced = d.notes.iter().find(|n| n.line == r.spaced_line).expect("name note");
    assert!(spaced.text.contains("空格"), "{spaced:?}");

    // The import, with the unfamiliar column mapped to the skills.
    let opts = Options {
        mapping: map_skills(),
        ..Options::default()
    };
    let s = run(&w, &office, &path, &opts).await;
    assert_eq!((s.inserted, s.updated, s.rejected), (4, 0, 3));
    assert_eq!(s.employment.map(|c| c.inserted), Some(r.jobs));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 4);
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM records WHERE kind = 'employment'").await,
        r.jobs as i64
    );
    let mut tx = w.db.read().await.unwrap();
    let names: Vec<(String, String, i64)> = tx
        .all(Sql::new("SELECT name, skills, region_code FROM workers"))
        .await
        .unwrap();
    drop(tx);
    // New workers are written in the order of their keys, not the file's.
    let mut got: Vec<(&str, &str)> = names.iter().map(|(n, s, _)| (n.as_str(), s.as_str())).collect();
    got.sort_unstable();
    let mut want = [
        (r.spaced_name, r.skill),
        (r.minority_name, ""),
        ("方志强", ""),
        ("胡晓明", ""),
    ];
    want.sort_unstable();
    assert_eq!(got, want);
    // The township merged over three people is everyone's.
    assert!(names.iter().all(|(_, _, c)| *c == names[0].2), "{names:?}");
    let legacy_index = w.cipher.blind_index("id_number", &r.legacy_full);
    let mut tx = w.db.read().await.unwrap();
    let found = tx
        .int(Sql::new("SELECT COUNT(*) FROM workers WHERE id_index = $1").bind(legacy_index))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(found, 1, "the legacy number is stored as its 18-digit form");

    // The mapping is remembered for the unit and kind: the next roster needs
    // no choosing, and nothing changes.
    let remembered = mapping::remembered(&w.call(&office), ImportKind::Workers)
        .await
        .unwrap();
    assert_eq!(remembered, map_skills());
    let again = run(&w, &office, &path, &dry()).await;
    let skills = again.columns.iter().find(|c| c.name == roster::UNKNOWN).unwrap();
    assert_eq!((skills.by, skills.target.is_some()), (MatchedBy::User, true));
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 4));
    assert_eq!(again.employment.map(|c| (c.inserted, c.unchanged)), Some((0, r.jobs)));
    // Another user of no unit has a mapping of their own.
    let other = w.scoped("office2", Role::Office, "341000").await;
    assert!(
        mapping::remembered(&w.call(&other), ImportKind::Workers)
            .await
            .unwrap()
            .is_empty()
    );

    // Leaving the column out is remembered too.
    let opts = Options {
        mapping: vec![(roster::UNKNOWN.to_string(), String::new())],
        ..Options::default()
    };
    run(&w, &office, &path, &opts).await;
    let remembered = mapping::remembered(&w.call(&office), ImportKind::Workers)
        .await
        .unwrap();
    assert_eq!(remembered, [(roster::UNKNOWN.to_string(), String::new())]);

    // A mapping to a field the kind has not is refused, and nothing is written.
    let bad = Options {
        mapping: vec![(roster::REMARKS.to_string(), "no_such_field".to_string())],
        ..Options::default()
    };
    let before = count(&w.db, "SELECT COUNT(*) FROM import_batches").await;
    let e = import::run(&w.call(&office), ImportKind::Workers, &path, "花名册.xlsx", &bad)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("不是本类数据的字段"), "{e}");
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM import_batches").await, before);
}

/// A cell of a sheet read back.
fn cells(path: &Path) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

async fn rejected_rows_round_trip(db: Db) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let dir = TempDir::new("roster-round-trip");
    let path = dir.0.join("花名册.xlsx");
    let r = roster::write(&path).unwrap();
    let s = run(&w, &office, &path, &Options::default()).await;
    assert_eq!((s.inserted, s.rejected), (4, 3));
    let out = dir.0.join("未导入.xlsx");
    import::rejected_workbook(ImportKind::Workers, &s.rejects, &out).unwrap();

    // Values as typed: text as text (no apostrophe), dates as dates.
    let rows = cells(&out);
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let col = |h: &str| {
        header
            .iter()
            .position(|x| x == h)
            .unwrap_or_else(|| panic!("{h} in {header:?}"))
    };
    assert_eq!(rows.len(), 4, "a header and the three rows");
    let sex_row = &rows[1];
    assert_eq!(sex_row[col("户籍地")], Data::String(r.formula_text.into()));
    assert_eq!(sex_row[col("月工资（元）")], Data::String("-500".into()));
    assert!(
        matches!(sex_row[col("就业开始日期")], Data::DateTime(_)),
        "{:?}",
        sex_row[col("就业开始日期")]
    );
    assert_eq!(sex_row[col("性别")], Data::String("女".into()));
    assert_eq!(sex_row[col("出错人员")], Data::String("程*".into()));
    assert_eq!(sex_row[col("原行号")], Data::String(r.sex_line.to_string()));
    assert!(
        matches!(rows[3][col("身份证号")], Data::Float(_)),
        "the number as it was typed"
    );

    // Corrected as a person would in a spreadsheet, and uploaded again.
    let fixed = dir.0.join("改正后.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let new_id = id_for(4321);
    for (ri, row) in rows.iter().enumerate() {
        for (ci, cell) in row.iter().enumerate() {
            let (rr, cc) = (ri as u32, ci as u16);
            let mut cell = cell.clone();
            if ri > 0 {
                let h = header[ci].as_str();
                match (ri, h) {
                    (1, "性别") => cell = Data::String("男".into()),
                    (1, "月工资（元）") => cell = Data::Float(5000.0),
                    (2, "身份证号") => cell = Data::String(new_id.clone()),
                    (3, "身份证号") => {
                        cell = Data::String(r.ids.iter().find(|(l, _)| *l == r.numeric_line).unwrap().1.clone())
                    }
                    _ => {}
                }
            }
            match cell {
                Data::String(s) => ws.write_string(rr, cc, s).map(|_| ()),
                Data::Float(f) => ws.write_number(rr, cc, f).map(|_| ()),
                Data::Int(i) => ws.write_number(rr, cc, i as f64).map(|_| ()),
                Data::DateTime(d) => ws.write_number_with_format(rr, cc, d.as_f64(), &date).map(|_| ()),
                Data::Empty => Ok(()),
                other => panic!("unexpected cell {other:?}"),
            }
            .unwrap();
        }
    }
    wb.save(&fixed).unwrap();
    let again = import::run(
        &w.call(&office),
        ImportKind::Workers,
        &fixed,
        "改正后.xlsx",
        &Options::default(),
    )
    .await
    .unwrap();
    assert_eq!((again.inserted, again.rejected), (3, 0), "{:#?}", again.rejects);
    assert_eq!(again.employment.map(|c| c.inserted), Some(1));
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM workers").await, 7);
    let mut tx = w.db.read().await.unwrap();
    let (hukou,): (String,) = tx
        .one(Sql::new("SELECT hukou_place FROM workers WHERE name = '程丽'"))
        .await
        .unwrap();
    assert_eq!(hukou, r.formula_text, "the text as typed, no apostrophe");
    let (wage,): (String,) = tx
        .one(Sql::new(
            "SELECT r.data FROM records r JOIN workers w ON w.id = r.worker_id WHERE w.name = '程丽'",
        ))
        .await
        .unwrap();
    assert!(wage.contains("500000") || wage.contains("5000"), "{wage}");
    assert!(wage.contains("2021-04-01"), "the start date kept: {wage}");
}
