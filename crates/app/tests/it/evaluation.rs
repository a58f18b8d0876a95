//! 市民化情况评估 over the database, on SQLite and PostgreSQL: with training
//! allocated to three counties and hand-made records, each county's score
//! is the one worked out here from those records; the workbook holds the
//! same figures, and its export is audited.

use crate::common::*;
use shiminhua_core::ids::WorkerId;

use chrono::NaiveDate;
use shiminhua_app::plan::evaluation::{self, UnitSummary};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{AppError, both, plan::document, registry::records, registry::workers, xlsx};
use shiminhua_core::auth::{RecordKind, Role};
use shiminhua_core::evaluation::{Points, Skip, State};
use std::collections::HashMap;

both!(
    county_scores_follow_the_records,
    the_workbook_holds_the_scores,
    summaries_are_the_accepted_reports,
);

fn getter(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A training record: (subsidised, programme, start).
fn training(subsidised: bool, programme: &str, start: &str) -> HashMap<String, String> {
    getter(&[
        ("subsidised", if subsidised { "是" } else { "否" }),
        ("programme", programme),
        ("provider", "黄山市职业技能培训中心"),
        ("occupation", "电工"),
        ("start", start),
    ])
}

/// A settlement record: wishing to settle since 2023-03-01, settled or not.
fn settlement(settled: Option<&str>, place: &str) -> HashMap<String, String> {
    let mut m = getter(&[("intention", "有"), ("intention_date", "2023-03-01")]);
    if let Some(d) = settled {
        m.insert("settled".into(), d.into());
        m.insert("household".into(), "家庭户".into());
        m.insert("place".into(), place.into());
    }
    m
}

/// The trainings made below: (county, subsidised, programme, start).
const TRAININGS: &[(&str, bool, &str, &str)] = &[
    ("341021", true, "电工初级班", "2023-03-10"),
    ("341021", true, "电工中级班", "2023-06-12"),
    ("341021", true, "焊工班", "2023-11-20"),
    ("341021", false, "自费烹饪班", "2023-05-05"),
    ("341021", true, "上年电工班", "2022-12-01"),
    ("341022", true, "家政服务班", "2023-04-01"),
    ("341022", true, "养老护理班", "2023-08-01"),
    ("341022", true, "育婴员班", "2023-09-01"),
];

/// Training's allocation: 歙县 4, 休宁县 2, 黟县 3.
const ALLOCATION: &str = "allocation = { \"341021\" = 4, \"341022\" = 2, \"341023\" = 3 }\n";

/// The plan with training allocated, and the records: workers in 歙县
/// (徽城镇) and 休宁县 (海阳镇), trainings as in [`TRAININGS`], and in 歙县
/// three people wishing to settle, two of whom settled.
async fn world(db: Db) -> (World, shiminhua_core::plan::Plan) {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let call = w.call(&office);
    let cur = document::current(&w.db).await.unwrap();
    let text = cur
        .text
        .replacen("value = 8000\n", &format!("value = 8000\n{ALLOCATION}"), 1);
    assert_ne!(text, cur.text);
    document::save(&call, &text, cur.version, "测试：培训分解到区县")
        .await
        .unwrap();
    let p = document::current(&w.db).await.unwrap().plan;

    let towns = [("341021", "341021100", "徽城镇"), ("341022", "341022100", "海阳镇")];
    let mut workers = HashMap::new();
    for (n, (county, town, _)) in towns.iter().enumerate() {
        let id = workers::create_worker(&call, &input("张三", &id_for(n as u16 + 1), town))
            .await
            .unwrap();
        workers.insert(*county, id);
    }
    for (county, subsidised, programme, start) in TRAININGS {
        let fields = training(*subsidised, programme, start);
        let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
        records::create_record(&call, WorkerId(workers[county]), RecordKind::Training, &get)
            .await
            .unwrap();
    }
    for (n, settled) in [Some("2023-06-01"), Some("2023-09-15"), None].iter().enumerate() {
        let worker = workers::create_worker(&call, &input("李四", &id_for(n as u16 + 10), "341021100"))
            .await
            .unwrap();
        let fields = settlement(*settled, "徽城镇");
        let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
        records::create_record(&call, WorkerId(worker), RecordKind::Settlement, &get)
            .await
            .unwrap();
    }
    (w, p)
}

/// Rounds to hundredths of a point.
fn cents(x: f64) -> Points {
    Points((x * 100.0).round() as i64)
}

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()
}

async fn county_scores_follow_the_records(db: Db) {
    let (w, p) = world(db).await;
    let e = evaluation::evaluate(&w.db, &p, end()).await.unwrap();
    assert_eq!(e.counties.len(), 7);
    assert_eq!(e.total, Points(10_000));
    let county = |name: &str| e.counties.iter().find(|c| c.name == name).unwrap().sheet.clone();

    // Worked out from the records: subsidised trainings dated in 2023.
    let subsidised_2023 = |county: &str| {
        TRAININGS
            .iter()
            .filter(|(c, s, _, d)| *c == county && *s && d.starts_with("2023"))
            .count() as f64
    };
    assert_eq!(subsidised_2023("341021"), 3.0);
    // The county's targets: training (allocated, 12 points), and the level
    // targets income growth, schooling and settlement (10 each); the others
    // are not allocated (and 家政覆盖区县 is the city's), so 100 points are
    // shared in the ratio 12 : 10 : 10 : 10.
    let training_points = 100.0 * 12.0 / 42.0;
    let level_points = 100.0 * 10.0 / 42.0;

    let shexian = county("歙县");
    let t = shexian.line("training").unwrap();
    assert_eq!(t.figure, Some(3.0));
    assert_eq!(t.state, State::Partial);
    assert_eq!(t.rate, Some(75.0));
    assert_eq!(t.score, cents(training_points * 3.0 / 4.0));
    // Two of the three who wish to settle settled: 66.7 % of 100 %.
    let s = shexian.line("settlement").unwrap();
    let ratio = 2.0 / 3.0 * 100.0;
    assert!((s.figure.unwrap() - ratio).abs() < 1e-9, "{:?}", s.figure);
    assert_eq!(s.score, cents(level_points * ratio / 100.0));
    // No schooling records, no income report: no data, no points.
    for id in ["schooling_public", "income_growth"] {
        let l = shexian.line(id).unwrap();
        assert_eq!(l.state, State::NoData, "{id}");
        assert_eq!(l.score, Points(0), "{id}");
    }
    assert_eq!(
        shexian.line("local_jobs").unwrap().state,
        State::NotScored(Skip::NotAllocated)
    );
    assert_eq!(
        shexian.line("jiazheng_coverage").unwrap().state,
        State::NotScored(Skip::CityOnly)
    );
    assert_eq!(shexian.total, Points(t.score.0 + s.score.0));
    assert_eq!(shexian.total, Points(2143 + 1587));

    // 休宁县: 3 trainings against 2, capped at the training's points.
    let xiuning = county("休宁县");
    let t = xiuning.line("training").unwrap();
    assert_eq!(t.figure, Some(subsidised_2023("341022")));
    assert_eq!(t.state, State::Reached);
    assert_eq!(t.score, t.weight);
    assert_eq!(t.score, cents(training_points));
    assert_eq!(xiuning.line("settlement").unwrap().state, State::NoData);
    assert_eq!(xiuning.total, t.score);

    // 黟县: allocated but nothing done; 祁门县: training not allocated.
    let yixian = county("黟县");
    assert_eq!(yixian.line("training").unwrap().figure, Some(0.0));
    assert_eq!(yixian.line("training").unwrap().score, Points(0));
    assert_eq!(yixian.total, Points(0));
    let qimen = county("祁门县");
    assert_eq!(
        qimen.line("training").unwrap().state,
        State::NotScored(Skip::NotAllocated)
    );
    // Every county is scored out of the same 100 points.
    for c in &e.counties {
        let weights: i64 = c.sheet.lines.iter().map(|l| l.weight.0).sum();
        assert_eq!(weights, 10_000, "{}", c.name);
    }

    // Ranks: 歙县 first, 休宁县 second, the five others share third.
    assert_eq!(shexian.rank, Some(1));
    assert_eq!(xiuning.rank, Some(2));
    assert_eq!(yixian.rank, Some(3));
    assert_eq!(e.counties.iter().filter(|c| c.sheet.rank == Some(3)).count(), 5);

    // The city: 6 of 8,000 trainings, two in three settled.
    assert_eq!(e.city.sheet.line("training").unwrap().figure, Some(6.0));
    assert_eq!(e.city.sheet.line("training").unwrap().score, cents(12.0 * 6.0 / 8000.0));
    assert_eq!(
        e.city.sheet.line("settlement").unwrap().score,
        cents(10.0 * ratio / 100.0)
    );
    // Reported targets have no figure yet: 暂无数据, 0 points, with the reason.
    let income = e.city.sheet.line("income_growth").unwrap();
    assert_eq!(income.state, State::NoData);
    assert!(income.reason.contains("尚未填报"), "{}", income.reason);

    // Earlier in the year fewer trainings count.
    let mid = evaluation::evaluate(&w.db, &p, NaiveDate::from_ymd_opt(2023, 6, 30).unwrap())
        .await
        .unwrap();
    let t = mid.counties.iter().find(|c| c.name == "歙县").unwrap();
    assert_eq!(t.sheet.line("training").unwrap().figure, Some(2.0));

    // A plan without scoring rules cannot be evaluated.
    let mut bare = p.clone();
    bare.scoring = None;
    assert!(matches!(
        evaluation::evaluate(&w.db, &bare, end()).await,
        Err(AppError::Config(m)) if m.contains("没有评分规则")
    ));
}

async fn the_workbook_holds_the_scores(db: Db) {
    let (w, p) = world(db).await;
    let lead = w.scoped("lead1", Role::Lead, "341000").await;
    let (e, bytes) = evaluation::export(&w.call(&lead), &p, end()).await.unwrap();
    let sheets = xlsx::sheets_as_text(&bytes).unwrap();
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "总表",
            "黄山市",
            "屯溪区",
            "黄山区",
            "徽州区",
            "歙县",
            "休宁县",
            "黟县",
            "祁门县",
            "单位工作总结",
            "评分说明"
        ]
    );
    let sheet = |n: &str| &sheets.iter().find(|(name, _)| name == n).unwrap().1;

    // 总表: counties in code order, then the city; total and rank.
    let total = sheet("总表");
    assert_eq!(&total[0][..3], ["区县", "总分", "名次"]);
    assert_eq!(total[0][3], "县域城镇新增就近就业创业农民工（人）");
    assert_eq!(&total[1][3..6], ["完成值", "目标值", "得分"]);
    let row = total.iter().find(|r| r[0] == "歙县").unwrap();
    let shexian = &e.counties.iter().find(|c| c.name == "歙县").unwrap().sheet;
    assert_eq!(row[1].parse::<f64>().unwrap(), shexian.total.as_f64());
    assert_eq!(row[1], "37.3");
    assert_eq!(row[2], "1");
    // training is the 2nd target: columns 6, 7, 8.
    assert_eq!(total[0][6], "补贴性农民工职业技能培训（人次）");
    assert_eq!(&row[6..9], ["3", "4", "21.43"]);
    assert_eq!(
        row[3..6],
        ["0", "—", "不评分"],
        "local_jobs is not allocated: its figure, no goal"
    );
    assert_eq!(total.last().unwrap()[0], "黄山市");
    assert_eq!(total.last().unwrap()[2], "—");

    // A county's sheet: its lines, the total and the rank.
    let s = sheet("歙县");
    assert_eq!(
        s[0],
        [
            "序号",
            "目标",
            "单位",
            "目标值",
            "完成值",
            "完成率（%）",
            "分值",
            "得分",
            "说明"
        ]
    );
    let training = s.iter().find(|r| r[1] == "补贴性农民工职业技能培训").unwrap();
    assert_eq!(&training[3..8], ["4人次", "3", "75", "28.57", "21.43"]);
    assert_eq!(training[8], "未达到目标，按完成比例得分");
    let last = s.last().unwrap();
    assert_eq!(last[0], "合计");
    assert_eq!(&last[6..], ["100", "37.3", "全市各区县第1名"]);
    let income = s.iter().find(|r| r[1] == "农民工可支配收入增长").unwrap();
    assert_eq!(income[7], "0");
    assert!(income[8].contains("暂无数据"), "{income:?}");

    assert!(sheet("评分说明").iter().any(|r| r[0].contains("方案未规定评估分值")));
    // No report accepted: the sheet says so.
    assert_eq!(sheet("单位工作总结")[1][0], "各单位尚未报送工作总结");

    // The summaries are written as text, never run as formulas.
    let mut with = e.clone();
    with.summaries = vec![UnitSummary {
        unit: "市人力资源社会保障局".into(),
        period: "2023年".into(),
        text: "全年开展补贴性职业技能培训，=SUM(A1) 不作公式。".into(),
    }];
    let sheets = xlsx::sheets_as_text(&evaluation::workbook(&with).unwrap()).unwrap();
    let u = &sheets.iter().find(|(n, _)| n == "单位工作总结").unwrap().1;
    assert_eq!(u[1][0], "市人力资源社会保障局");
    assert_eq!(u[1][2], with.summaries[0].text);

    // Print set-up: A4 landscape, the header frozen.
    if let Some(xml) = xml_part(&bytes, "xl/worksheets/sheet1.xml") {
        assert!(xml.contains("paperSize=\"9\""), "A4");
        assert!(xml.contains("orientation=\"landscape\""));
        assert!(xml.contains("ySplit=\"2\""), "two header rows frozen");
    }

    // The export is in the audit trail.
    let audited = w
        .db
        .read()
        .await
        .unwrap()
        .int(Sql::new(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'evaluation.export' AND actor_name = 'lead1' AND success",
        ))
        .await
        .unwrap();
    assert_eq!(audited, 1);

    // Someone without the dashboard cannot export.
    let auditor = w.user("auditor1", Role::Auditor, vec![]).await;
    assert!(matches!(
        evaluation::export(&w.call(&auditor), &p, end()).await,
        Err(AppError::Forbidden)
    ));
}

/// One part of the zip container, read with `unzip` (`None` without it,
/// except under CI).
fn xml_part(bytes: &[u8], part: &str) -> Option<String> {
    let dir = shiminhua_app::testing::TempDir::new("evaluation-xlsx");
    let file = dir.0.join("book.xlsx");
    std::fs::write(&file, bytes).unwrap();
    match std::process::Command::new("unzip")
        .arg("-p")
        .arg(&file)
        .arg(part)
        .output()
    {
        Ok(out) if out.status.success() => Some(String::from_utf8(out.stdout).unwrap()),
        Ok(out) => panic!("unzip {part}: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "unzip is required under CI: {e}"
            );
            None
        }
    }
}

/// The units' summaries are the texts of their accepted progress reports,
/// and only those.
async fn summaries_are_the_accepted_reports(db: Db) {
    let w = World::new(db).await;
    let p = document::current(&w.db).await.unwrap().plan;
    let filed = shiminhua_app::plan::reports::demo(&w.db, t0()).await.unwrap();
    assert!(filed.accepted > 0 && filed.returned > 0, "{filed:?}");
    let accepted = shiminhua_app::plan::reports::summaries(&w.db, p.meta.start, p.meta.end)
        .await
        .unwrap();
    let e = evaluation::evaluate(&w.db, &p, end()).await.unwrap();
    let got: Vec<(String, String, String)> = e
        .summaries
        .iter()
        .map(|s| (s.unit.clone(), s.period.clone(), s.text.clone()))
        .collect();
    let want: Vec<(String, String, String)> = accepted
        .iter()
        .map(|r| (r.unit_name.clone(), r.period_label.clone(), r.text.clone()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got.len(), filed.accepted);
    // As of mid-year only the periods ended by then.
    let mid = evaluation::evaluate(&w.db, &p, NaiveDate::from_ymd_opt(2023, 6, 30).unwrap())
        .await
        .unwrap();
    assert!(mid.summaries.len() < got.len());
    assert!(
        mid.summaries
            .iter()
            .all(|s| s.period.contains("第一季度") || s.period.contains("第二季度")),
        "{:?}",
        mid.summaries
    );
}
