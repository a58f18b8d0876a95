//! Statistics of wage-arrears cases, the 清零 view and plan targets over
//! cases, on SQLite and PostgreSQL: cases made through the workflow, the
//! figures worked out here by hand.

use crate::common::*;
use shiminhua_core::ids::CaseId;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use shiminhua_app::rights::case_stats::{self, CasePeriod, CaseStats, Line};
use shiminhua_app::store::{Db, Sql};
use shiminhua_app::{AppError, Call, both, plan::document, plan::indicators, rights::cases, xlsx};
use shiminhua_core::auth::{Actor, Role};
use shiminhua_core::calendar::Calendar;
use shiminhua_core::case::{Action, ActionInput, CaseInput, CaseStatus, Sector, Source};
use shiminhua_core::credit_code::CreditCode;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::indicator::{self, CaseFact, Outcome, Span};
use shiminhua_core::money::Fen;
use shiminhua_core::plan::{Measurement, Plan};

both!(
    statistics_equal_the_figures_worked_out_by_hand,
    a_county_user_sees_only_its_county,
    clearance_by_county_and_month_ends,
    case_targets_on_the_board,
    the_workbook_and_its_audit,
);

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// 10:00 Beijing time on `day`.
fn at(day: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d(day).and_hms_opt(2, 0, 0).unwrap())
}

fn on<'a>(w: &'a World, actor: &'a Actor, day: &str) -> Call<'a> {
    Call {
        now: at(day),
        ..w.call(actor)
    }
}

fn credit(n: u32) -> String {
    CreditCode::from_parts("91", "341021", &format!("MA{n:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

/// A 12333 clue of construction in 徽城镇 (歙县): 12 workers, 86,400元.
fn hotline(received: &str) -> CaseInput {
    CaseInput {
        source: "12333".into(),
        received_on: received.into(),
        reporter_name: "张小三".into(),
        reporter_phone: "13905591234".into(),
        employer_name: "黄山某建筑劳务有限公司".into(),
        employer_credit_code: credit(1),
        sector: "工程建设".into(),
        project_name: "徽城安置房二期".into(),
        contractor_credit_code: credit(2),
        workers: "12".into(),
        amount_claimed: "86,400元".into(),
        arrears_from: "2023-01-01".into(),
        arrears_to: "2023-02-28".into(),
        description: "工资未发放".into(),
        region: "徽城镇".into(),
        ..CaseInput::default()
    }
}

fn other(received: &str, source: &str, sector: &str, region: &str, workers: &str, amount: &str) -> CaseInput {
    CaseInput {
        source: source.into(),
        sector: sector.into(),
        region: region.into(),
        workers: workers.into(),
        amount_claimed: amount.into(),
        project_name: if sector == "工程建设" {
            "海阳安置房".into()
        } else {
            String::new()
        },
        contractor_credit_code: if sector == "工程建设" {
            credit(2)
        } else {
            String::new()
        },
        ..hotline(received)
    }
}

fn none() -> ActionInput {
    ActionInput::default()
}

fn note(s: &str) -> ActionInput {
    ActionInput {
        reason: s.into(),
        note: s.into(),
        ..ActionInput::default()
    }
}

fn close(amount: &str, paid: &str) -> ActionInput {
    ActionInput {
        conclusion: "部分支付".into(),
        amount_recovered: amount.into(),
        workers_paid: paid.into(),
        note: "已责令支付".into(),
        ..ActionInput::default()
    }
}

/// The cases of every test, by letter:
///
/// 歙县 (徽城镇), received in the period 2023-09-01..2023-12-01:
/// * A 12333 工程建设, 9-27, accepted 10-09, concluded 11-20 (86,400元, 12
///   of 12 paid; in time), followed up 11-27;
/// * B platform 餐饮, 9-27, accepted 10-09 (due 10-17), concluded 10-20
///   (40,000元, 5 of 12; late);
/// * C 12333 工程建设, 9-28, refused 9-29 (in time);
/// * D 12333 工程建设, 10-09, registered (due 10-16: overdue on 12-01);
/// * E 12333 工程建设, 11-28, registered (due 12-05).
///
/// 休宁县 (海阳镇):
/// * F 12333 加工制造, 10-09, 3 workers, 10,000元, investigating, extended;
/// * G 来访 其他, 10-09, 2 workers, 5,000.50元, to arbitration 10-12 (in time);
/// * H 12333 工程建设, 3-01 (before the period), investigating, overdue;
/// * I 12333 工程建设, received 10-09 in 歙县, transferred 10-10 to 休宁县,
///   registered (due 10-17: overdue).
struct Cases {
    w: World,
    office: Actor,
    shexian: Actor,
    xiuning: Actor,
    ids: Vec<(char, i64)>,
}

async fn setup(db: Db) -> Cases {
    let w = World::new(db).await;
    let office = w.scoped("office1", Role::Office, "341000").await;
    let sx = w.scoped("insp_sx", Role::Inspector, "341021").await;
    let xn = w.scoped("insp_xn", Role::Inspector, "341022").await;
    let mut ids = Vec::new();

    // H, long before the period.
    let h = cases::register(
        &on(&w, &xn, "2023-03-01"),
        &other("2023-03-01", "12333", "工程建设", "海阳镇", "12", "86400"),
    )
    .await
    .unwrap()
    .id;
    cases::act(&on(&w, &xn, "2023-03-02"), CaseId(h), 1, Action::Accept, &none())
        .await
        .unwrap();
    cases::act(&on(&w, &xn, "2023-03-03"), CaseId(h), 2, Action::Investigate, &none())
        .await
        .unwrap();
    ids.push(('H', h));

    let a = cases::register(&on(&w, &sx, "2023-09-28"), &hotline("2023-09-27"))
        .await
        .unwrap()
        .id;
    let platform = CaseInput {
        source: "全国根治欠薪线索反映平台".into(),
        clue_no: "XS2023-0001".into(),
        anonymous: true,
        reporter_name: String::new(),
        reporter_phone: String::new(),
        ..other("2023-09-27", "", "餐饮", "徽城镇", "12", "86,400元")
    };
    let b = cases::register(&on(&w, &sx, "2023-09-28"), &platform).await.unwrap().id;
    let c = cases::register(&on(&w, &sx, "2023-09-28"), &hotline("2023-09-28"))
        .await
        .unwrap()
        .id;
    cases::act(
        &on(&w, &sx, "2023-09-29"),
        CaseId(c),
        1,
        Action::Reject,
        &note("不属于管辖范围"),
    )
    .await
    .unwrap();
    for x in [a, b] {
        cases::act(&on(&w, &sx, "2023-10-09"), CaseId(x), 1, Action::Accept, &none())
            .await
            .unwrap();
        cases::act(&on(&w, &sx, "2023-10-10"), CaseId(x), 2, Action::Investigate, &none())
            .await
            .unwrap();
    }
    let dd = cases::register(&on(&w, &sx, "2023-10-09"), &hotline("2023-10-09"))
        .await
        .unwrap()
        .id;
    let i = cases::register(&on(&w, &sx, "2023-10-09"), &hotline("2023-10-09"))
        .await
        .unwrap()
        .id;
    let to = ActionInput {
        region: "海阳镇".into(),
        reason: "用工项目位于休宁县".into(),
        ..ActionInput::default()
    };
    cases::act(&on(&w, &sx, "2023-10-10"), CaseId(i), 1, Action::Transfer, &to)
        .await
        .unwrap();
    let f = cases::register(
        &on(&w, &xn, "2023-10-09"),
        &other("2023-10-09", "12333", "加工制造", "海阳镇", "3", "10000"),
    )
    .await
    .unwrap()
    .id;
    let g = cases::register(
        &on(&w, &xn, "2023-10-09"),
        &other("2023-10-09", "来访", "其他", "海阳镇", "2", "5,000.50"),
    )
    .await
    .unwrap()
    .id;
    for x in [f, g] {
        cases::act(&on(&w, &xn, "2023-10-10"), CaseId(x), 1, Action::Accept, &none())
            .await
            .unwrap();
    }
    cases::act(&on(&w, &xn, "2023-10-11"), CaseId(f), 2, Action::Investigate, &none())
        .await
        .unwrap();
    cases::act(
        &on(&w, &xn, "2023-10-12"),
        CaseId(g),
        2,
        Action::Arbitrate,
        &note("申请劳动仲裁"),
    )
    .await
    .unwrap();
    cases::act(
        &on(&w, &office, "2023-11-01"),
        CaseId(f),
        3,
        Action::Extend,
        &note("案情复杂"),
    )
    .await
    .unwrap();
    cases::act(
        &on(&w, &sx, "2023-10-20"),
        CaseId(b),
        3,
        Action::Close,
        &close("40000", "5"),
    )
    .await
    .unwrap();
    cases::act(
        &on(&w, &sx, "2023-11-20"),
        CaseId(a),
        3,
        Action::Close,
        &close("86,400", "12"),
    )
    .await
    .unwrap();
    cases::act(
        &on(&w, &sx, "2023-11-27"),
        CaseId(a),
        4,
        Action::FollowUp,
        &note("电话回访"),
    )
    .await
    .unwrap();
    let e = cases::register(&on(&w, &sx, "2023-11-28"), &hotline("2023-11-28"))
        .await
        .unwrap()
        .id;
    ids.extend([
        ('A', a),
        ('B', b),
        ('C', c),
        ('D', dd),
        ('E', e),
        ('F', f),
        ('G', g),
        ('I', i),
    ]);
    Cases {
        w,
        office,
        shexian: sx,
        xiuning: xn,
        ids,
    }
}

impl Cases {
    fn id(&self, c: char) -> i64 {
        self.ids.iter().find(|(k, _)| *k == c).unwrap().1
    }
}

fn period() -> CasePeriod {
    CasePeriod {
        from: d("2023-09-01"),
        to: d("2023-12-01"),
    }
}

fn line<'a>(lines: &'a [Line], key: &str) -> &'a Line {
    lines
        .iter()
        .find(|l| l.key == key)
        .unwrap_or_else(|| panic!("no line {key}"))
}

/// (cases, open, overdue, ended, in time, concluded, claimed, concluded claimed, recovered, workers, concluded workers, paid)
type Figures = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

fn figures(l: &Line) -> Figures {
    (
        l.cases,
        l.open,
        l.overdue,
        l.ended,
        l.in_time,
        l.concluded,
        l.claimed_fen,
        l.concluded_claimed_fen,
        l.recovered_fen,
        l.workers,
        l.concluded_workers,
        l.workers_paid,
    )
}

const YUAN: i64 = 100;

async fn stats_as(c: &Cases, actor: &Actor) -> CaseStats {
    case_stats::stats(&on(&c.w, actor, "2023-12-01"), period())
        .await
        .unwrap()
}

async fn statistics_equal_the_figures_worked_out_by_hand(db: Db) {
    let c = setup(db).await;
    let s = stats_as(&c, &c.office).await;
    assert_eq!(s.today, d("2023-12-01"));
    // Every county of the city, in code order, and the city's total.
    let names: Vec<&str> = s.counties.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(names.len(), 7, "{names:?}");
    assert_eq!(s.total.label, "全市合计");
    let claim = 86_400 * YUAN;

    // 歙县: A, B, C, D, E.
    let sx = line(&s.counties, "341021");
    assert_eq!(sx.label, "歙县");
    assert_eq!(
        figures(sx),
        (
            5,
            2,
            1,
            3,
            2,
            2,
            5 * claim,
            2 * claim,
            (86_400 + 40_000) * YUAN,
            60,
            24,
            17
        )
    );
    // 休宁县: F, G and the transferred I (H was received before the period).
    let xn = line(&s.counties, "341022");
    assert_eq!(
        figures(xn),
        (
            3,
            2,
            1,
            1,
            1,
            0,
            10_000 * YUAN + 500_050 + claim,
            0,
            0,
            3 + 2 + 12,
            0,
            0
        )
    );
    // Counties without cases are listed with zeros.
    let huizhou = line(&s.counties, "341004");
    assert_eq!(figures(huizhou), Figures::default());
    assert_eq!(huizhou.days.counted, 0);
    assert_eq!(huizhou.in_time_share(), None);

    // The city: the counties added up.
    assert_eq!(
        figures(&s.total),
        (
            8,
            4,
            2,
            4,
            3,
            2,
            6 * claim + 10_000 * YUAN + 500_050,
            2 * claim,
            126_400 * YUAN,
            77,
            24,
            17
        )
    );
    assert_eq!(s.total.in_time_share(), Some(75.0));
    assert_eq!(s.total.ended_share(), Some(50.0));
    let recovery = s.total.recovery_share().unwrap();
    assert!((recovery - 126_400.0 * 100.0 / 172_800.0).abs() < 1e-9, "{recovery}");
    let paid = s.total.paid_share().unwrap();
    assert!((paid - 17.0 * 100.0 / 24.0).abs() < 1e-9, "{paid}");

    // By sector, source and status: every code listed, in the core's order.
    let keys = |lines: &[Line]| lines.iter().map(|l| l.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&s.sectors), Sector::ALL.map(|x| x.code().to_string()));
    assert_eq!(keys(&s.sources), Source::ALL.map(|x| x.code().to_string()));
    assert_eq!(keys(&s.statuses), CaseStatus::ALL.map(|x| x.code().to_string()));
    let count = |lines: &[Line], key: &str| line(lines, key).cases;
    assert_eq!(count(&s.sectors, "construction"), 5, "A C D E I");
    assert_eq!(count(&s.sectors, "catering"), 1);
    assert_eq!(count(&s.sectors, "manufacturing"), 1);
    assert_eq!(count(&s.sectors, "other"), 1);
    assert_eq!(count(&s.sources, "hotline"), 6, "A C D E F I");
    assert_eq!(count(&s.sources, "platform"), 1);
    assert_eq!(count(&s.sources, "visit"), 1);
    assert_eq!(count(&s.sources, "letter"), 0);
    let by_status: Vec<(String, i64)> = s.statuses.iter().map(|l| (l.key.clone(), l.cases)).collect();
    assert_eq!(
        by_status,
        [
            ("registered", 3),
            ("accepted", 0),
            ("rejected", 1),
            ("investigating", 1),
            ("closed", 1),
            ("followed_up", 1),
            ("arbitration", 1),
            ("police", 0),
        ]
        .map(|(k, n)| (k.to_string(), n))
    );
    // The platform clue was concluded late: 40,000 of 86,400元, 5 of 12 paid.
    let platform = line(&s.sources, "platform");
    assert_eq!(
        (
            platform.ended,
            platform.in_time,
            platform.recovered_fen,
            platform.workers_paid
        ),
        (1, 0, 40_000 * YUAN, 5)
    );
    assert_eq!(line(&s.statuses, "registered").overdue, 2, "D and I");
    assert_eq!(line(&s.statuses, "registered").open, 3);
    assert_eq!(line(&s.statuses, "arbitration").in_time, 1);
    for lines in [&s.sectors, &s.sources, &s.statuses] {
        let sum: i64 = lines.iter().map(|l| l.cases).sum();
        assert_eq!(sum, s.total.cases);
        let rec: i64 = lines.iter().map(|l| l.recovered_fen).sum();
        assert_eq!(rec, s.total.recovered_fen);
    }

    // Working days from receipt to the end, counted here day by day:
    // A 9-27 → 11-20: 9-28; 10-7 and 10-8 (make-up Saturday and Sunday);
    // 17 days 10-9…10-31; 14 days 11-1…11-20 = 34.
    // B 9-27 → 10-20: 9-28, 10-7, 10-8, 10-9…10-13, 10-16…10-20 = 13.
    // C 9-28 → 9-29 (Mid-Autumn Festival): 0.  G 10-9 → 10-12: 3.
    let cal = Calendar::builtin();
    assert_eq!(cal.working_days_between(d("2023-09-27"), d("2023-11-20")).unwrap(), 34);
    assert_eq!(cal.working_days_between(d("2023-09-27"), d("2023-10-20")).unwrap(), 13);
    assert_eq!(sx.days.counted, 3);
    assert_eq!(sx.days.total, 34 + 13);
    assert_eq!(sx.days.median, Some(13.0));
    assert!((sx.days.average().unwrap() - 47.0 / 3.0).abs() < 1e-9);
    assert_eq!((xn.days.counted, xn.days.total, xn.days.median), (1, 3, Some(3.0)));
    assert_eq!(s.total.days.counted, 4);
    assert_eq!(s.total.days.average(), Some(12.5));
    assert_eq!(s.total.days.median, Some(8.0), "the mean of 3 and 13");
    assert_eq!(s.total.days.uncounted, 0);
    assert!(s.missing_years.is_empty());

    // A period that ends before any end: nothing ended yet counts as of
    // its cases' statuses now, but only cases received in it are taken.
    let early = case_stats::stats(
        &on(&c.w, &c.office, "2023-12-01"),
        CasePeriod {
            from: d("2023-03-01"),
            to: d("2023-03-31"),
        },
    )
    .await
    .unwrap();
    assert_eq!(figures(&early.total).0, 1, "H only");
    assert_eq!(line(&early.counties, "341022").overdue, 1);
}

async fn a_county_user_sees_only_its_county(db: Db) {
    let c = setup(db).await;
    let s = stats_as(&c, &c.shexian).await;
    let keys: Vec<&str> = s.counties.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(keys, ["341021"]);
    assert_eq!(s.total.label, "合计", "not the whole city");
    assert_eq!(figures(&s.total), figures(line(&s.counties, "341021")));
    assert_eq!(s.total.cases, 5);
    assert_eq!(line(&s.sources, "visit").cases, 0, "G is 休宁县's");
    let xn = stats_as(&c, &c.xiuning).await;
    assert_eq!(xn.total.cases, 3, "F, G and the transferred I");
    let cl = case_stats::clearance(&on(&c.w, &c.shexian, "2023-12-01"), period())
        .await
        .unwrap();
    assert_eq!(cl.counties.len(), 1);
    assert_eq!(cl.total.open, 2);
    // A township's officer sees the county row with the township's cases.
    let town = c.w.scoped("town", Role::Local, "341022100").await;
    let t = stats_as(&c, &town).await;
    assert_eq!(t.counties.len(), 1);
    assert_eq!(t.total.cases, 3);
    // Without a grant for cases, nothing is counted.
    let none =
        c.w.user(
            "nocases",
            Role::Department,
            vec![shiminhua_core::auth::Grant {
                region: code("341000"),
                kinds: [shiminhua_core::auth::RecordKind::Employment].into_iter().collect(),
            }],
        )
        .await;
    let n = stats_as(&c, &none).await;
    assert!(n.counties.is_empty());
    assert_eq!(n.total.cases, 0);
    // The statistics need ViewDashboard; the lists behind them need a case reader.
    let auditor = c.w.user("aud", Role::Auditor, vec![]).await;
    let e = case_stats::stats(&on(&c.w, &auditor, "2023-12-01"), period())
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden), "{e:?}");
    let dept = c.w.scoped("dept1", Role::Department, "341000").await;
    assert!(case_stats::may_view(&dept) && !case_stats::may_list(&dept));
    let lead = c.w.scoped("lead1", Role::Lead, "341000").await;
    assert!(case_stats::may_view(&lead) && case_stats::may_list(&lead));
    assert_eq!(stats_as(&c, &lead).await.total.cases, 8);
}

async fn clearance_by_county_and_month_ends(db: Db) {
    let c = setup(db).await;
    let cl = case_stats::clearance(&on(&c.w, &c.office, "2023-12-01"), period())
        .await
        .unwrap();
    assert_eq!(cl.today, d("2023-12-01"));
    assert_eq!(
        cl.months,
        [d("2023-09-30"), d("2023-10-31"), d("2023-11-30"), d("2023-12-01")]
    );
    assert!(!cl.cut);
    let sx = cl.counties.iter().find(|l| l.key == "341021").unwrap();
    // D (overdue) and E, both registered; the oldest received 10-09.
    assert_eq!(
        (sx.open, sx.registered, sx.accepted, sx.investigating, sx.overdue),
        (2, 2, 0, 0, 1)
    );
    assert_eq!(sx.oldest, Some(d("2023-10-09")));
    assert!(!sx.cleared());
    // 休宁县: F, H (overdue since May) and I (overdue); H received 3-01.
    let xn = cl.counties.iter().find(|l| l.key == "341022").unwrap();
    assert_eq!(
        (xn.open, xn.registered, xn.accepted, xn.investigating, xn.overdue),
        (3, 1, 0, 2, 2)
    );
    assert_eq!(xn.oldest, Some(d("2023-03-01")));
    // The other five counties have reached zero.
    assert_eq!(cl.cleared(), 5);
    let huizhou = cl.counties.iter().find(|l| l.key == "341004").unwrap();
    assert!(huizhou.cleared());
    assert_eq!(huizhou.oldest, None);
    assert_eq!(huizhou.series, [0, 0, 0, 0]);
    assert_eq!((cl.total.open, cl.total.overdue), (5, 3));
    assert_eq!(cl.total.label, "全市合计");
    assert_eq!(cl.total.oldest, Some(d("2023-03-01")));
    // Open at each month end: 9-30 A, B (歙县) and H; 10-31 A, D (B ended
    // 10-20) and F, H, I (G ended 10-12); 11-30 and 12-01 D, E and F, H, I.
    assert_eq!(sx.series, [2, 2, 2, 2]);
    assert_eq!(xn.series, [1, 3, 3, 3]);
    assert_eq!(cl.total.series, [3, 5, 5, 5]);

    // 歙县 clears its two cases: it reaches zero, and its December series does.
    for (letter, day) in [('D', "2023-12-04"), ('E', "2023-12-05")] {
        cases::act(
            &on(&c.w, &c.shexian, day),
            CaseId(c.id(letter)),
            1,
            Action::Reject,
            &note("查无实据"),
        )
        .await
        .unwrap();
    }
    let later = CasePeriod {
        from: d("2023-11-01"),
        to: d("2023-12-31"),
    };
    let cl = case_stats::clearance(&on(&c.w, &c.office, "2023-12-31"), later)
        .await
        .unwrap();
    let sx = cl.counties.iter().find(|l| l.key == "341021").unwrap();
    assert!(sx.cleared());
    assert_eq!((sx.open, sx.overdue, sx.oldest), (0, 0, None));
    assert_eq!(sx.series, [2, 0]);
    assert_eq!(cl.cleared(), 6);
    assert_eq!(cl.total.series, [5, 3]);

    // Month ends: a partial last month, a long period cut to 60 points.
    let p = CasePeriod::parse("2023-01-15", "2023-03-10", d("2023-12-01")).unwrap();
    assert_eq!(p.month_ends().0, [d("2023-01-31"), d("2023-02-28"), d("2023-03-10")]);
    let long = CasePeriod::parse("2015-01-01", "2023-12-31", d("2023-12-31")).unwrap();
    let (ends, cut) = long.month_ends();
    assert!(cut);
    assert_eq!(ends.len(), 60);
    assert_eq!(ends.last(), Some(&d("2023-12-31")));
    assert_eq!(ends.first(), Some(&d("2019-01-31")));
    // Periods as typed.
    assert_eq!(
        CasePeriod::parse("", "", d("2023-12-01")).unwrap(),
        CasePeriod {
            from: d("2023-01-01"),
            to: d("2023-12-01")
        }
    );
    assert_eq!(
        CasePeriod::parse("2023年3月1日", "2023-03-31", d("2023-12-01"))
            .unwrap()
            .from,
        d("2023-03-01")
    );
    let e = CasePeriod::parse("2023-13-01", "", d("2023-12-01")).unwrap_err();
    assert!(e.contains("起始日期“2023-13-01”格式不正确"), "{e}");
    let e = CasePeriod::parse("2023-05-01", "2023-04-01", d("2023-12-01")).unwrap_err();
    assert!(e.contains("不能早于起始日期"), "{e}");
}

/// Targets over cases added to the shipped plan (the plan itself sets no
/// number for cases).
const CASE_TARGETS: &str = include_str!("../../../core/tests/fixtures/case-targets.toml");

/// Every case as the core's reference sees it, read back from the table.
async fn case_facts(db: &Db) -> Vec<CaseFact> {
    type Row = (
        i64,
        String,
        String,
        String,
        NaiveDate,
        Option<NaiveDate>,
        NaiveDate,
        Option<NaiveDate>,
        i64,
        Option<i64>,
        i64,
        Option<i64>,
    );
    let rows: Vec<Row> = db
        .read()
        .await
        .unwrap()
        .all(Sql::new(
            "SELECT region_code, status, sector, source, received_on, closed_on, accept_due, handle_due, \
             amount_claimed_fen, amount_recovered_fen, workers, workers_paid FROM cases ORDER BY id",
        ))
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| {
            let status = CaseStatus::from_code(&r.1).unwrap();
            CaseFact {
                region: DivisionCode::from_i64(r.0).unwrap(),
                status,
                sector: Sector::from_code(&r.2).unwrap(),
                source: Source::from_code(&r.3).unwrap(),
                received: r.4,
                closed: r.5,
                in_time: r.5.is_some_and(|c| indicator::closed_in_time(status, c, r.6, r.7)),
                amount_claimed: Fen(r.8),
                amount_recovered: r.9.map(Fen),
                workers: r.10,
                workers_paid: r.11,
            }
        })
        .collect()
}

async fn case_targets_on_the_board(db: Db) {
    let c = setup(db).await;
    let cur = document::current(&c.w.db).await.unwrap();
    // The shipped plan has no target over cases.
    assert!(!cur.text.contains("wage_case"));
    let text = format!("{}{CASE_TARGETS}", cur.text);
    document::save(
        &on(&c.w, &c.office, "2023-12-01"),
        &text,
        cur.version,
        "测试：欠薪案件目标",
    )
    .await
    .unwrap();
    let p: Plan = document::current(&c.w.db).await.unwrap().plan;

    let (_, board) = indicators::board(&c.w.db, &p, d("2023-12-01")).await.unwrap();
    let target = |id: &str| board.iter().find(|t| t.id == id).unwrap();
    let county = |id: &str, code: &str| {
        target(id)
            .counties
            .iter()
            .find(|s| s.region.to_string() == code)
            .unwrap()
            .clone()
    };
    // Open at the end of 1 December: D, E in 歙县; F, H, I in 休宁县.
    let open = target("case_clearance");
    assert!(open.computed);
    assert_eq!(open.counties.len(), 7);
    assert_eq!(open.city.actual, Some(5.0));
    assert_eq!(open.city.goal, Some(0.0));
    assert_eq!(open.city.status, indicator::Pace::Severe, "not yet zero");
    assert_eq!(county("case_clearance", "341021").actual, Some(2.0));
    assert_eq!(county("case_clearance", "341022").actual, Some(3.0));
    let huizhou = county("case_clearance", "341004");
    assert_eq!(huizhou.actual, Some(0.0));
    assert_eq!(huizhou.status, indicator::Pace::OnTrack, "zero reached");
    // Recovered in 万元: 86,400 + 40,000元 = 12.64万元, all in 歙县.
    let rec = target("case_recovered");
    assert_eq!(rec.city.outcome.map(|o| o.value), Some(126_400 * YUAN));
    assert!((rec.city.actual.unwrap() - 12.64).abs() < 1e-9, "{:?}", rec.city.actual);
    assert_eq!(county("case_recovered", "341022").actual, Some(0.0));
    // Ended in time, refusals aside: A and G of A, B, G.
    let in_time = target("case_in_time");
    assert_eq!(
        in_time.city.outcome,
        Some(Outcome {
            value: 2,
            base: Some(3)
        })
    );
    assert_eq!(
        county("case_in_time", "341022").outcome,
        Some(Outcome {
            value: 1,
            base: Some(1)
        })
    );

    // As the cases stood at the end of 31 October: A was still open.
    let (_, october) = indicators::board(&c.w.db, &p, d("2023-10-31")).await.unwrap();
    let t = |id: &str| october.iter().find(|t| t.id == id).unwrap().city.clone();
    assert_eq!(t("case_clearance").actual, Some(5.0), "A, D, F, H, I");
    assert_eq!(t("case_recovered").outcome.map(|o| o.value), Some(40_000 * YUAN));
    assert_eq!(
        t("case_in_time").outcome,
        Some(Outcome {
            value: 1,
            base: Some(2)
        }),
        "G in time, B late"
    );

    // The database's figures equal the core's reference over the cases, for
    // the city, two counties and a township, on several days.
    let facts = case_facts(&c.w.db).await;
    assert_eq!(facts.len(), 9);
    let regions = [code("341000"), code("341021"), code("341022"), code("341022100")];
    for as_of in ["2023-03-31", "2023-09-30", "2023-10-15", "2023-11-20", "2023-12-01"] {
        let as_of = d(as_of);
        let mut tx = c.w.db.read().await.unwrap();
        for id in ["case_clearance", "case_recovered", "case_in_time"] {
            let Measurement::Computed(q) = &p.target(id).unwrap().measurement else {
                panic!("{id}")
            };
            for r in regions {
                let got = indicators::figure(&mut tx, &p, id, r, as_of).await.unwrap().unwrap();
                let span = Span {
                    plan_start: p.meta.start,
                    as_of,
                };
                assert_eq!(got, q.evaluate_cases(&facts, r, span), "{id} {r} {as_of}");
            }
        }
    }
    // The month-end line of the board.
    let months = indicators::monthly(&c.w.db, &p, "case_recovered", code("341000"), d("2023-12-01"))
        .await
        .unwrap();
    let last = months.last().unwrap();
    assert_eq!(last.0, d("2023-12-01"));
    assert!((last.1.unwrap() - 12.64).abs() < 1e-9);
}

async fn the_workbook_and_its_audit(db: Db) {
    let c = setup(db).await;
    let bytes = case_stats::export(&on(&c.w, &c.office, "2023-12-01"), period())
        .await
        .unwrap();
    let sheets = xlsx::sheets_as_text(&bytes).unwrap();
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["按区县", "按行业", "按来源", "按状态", "欠薪清零", "说明"]);
    let sheet = |n: &str| &sheets.iter().find(|(name, _)| name == n).unwrap().1;
    let counties = sheet("按区县");
    assert_eq!(counties[0][0], "区县");
    assert_eq!(counties[0][1], "案件数");
    let sx = counties.iter().find(|r| r[0] == "歙县").unwrap();
    assert_eq!(sx[1], "5");
    assert_eq!(sx[9].parse::<f64>().unwrap(), 126_400.0, "追回金额（元）");
    assert!((sx[6].parse::<f64>().unwrap() - 200.0 / 3.0).abs() < 1e-9, "按期结案率");
    let total = counties.last().unwrap();
    assert_eq!(total[0], "全市合计");
    assert_eq!(total[1], "8");
    assert_eq!(total[7].parse::<f64>().unwrap(), 6.0 * 86_400.0 + 10_000.0 + 5_000.5);
    assert_eq!(total[16], "8", "median working days");
    let huizhou = counties.iter().find(|r| r[0] == "徽州区").unwrap();
    assert_eq!(huizhou[6], "—");
    let clear = sheet("欠薪清零");
    let xn = clear.iter().find(|r| r[0] == "休宁县").unwrap();
    assert_eq!(&xn[1..9], ["3", "1", "0", "2", "2", "2023-03-01", "未清零", "0"]);
    assert_eq!(&xn[9..], ["1", "3", "3", "3"]);
    assert_eq!(clear[0][8], "未发工资预警");
    assert_eq!(clear[0][9], "2023-09末未结案");
    assert_eq!(clear[0][12], "2023-12-01未结案", "the period ends inside December");
    let audited =
        c.w.db
            .read()
            .await
            .unwrap()
            .int(Sql::new(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'case.stats_export' AND detail LIKE '%cases=8%'",
            ))
            .await
            .unwrap();
    assert_eq!(audited, 1);
}

/// 100,000 cases spread over the city's townships, 2023–2025, written
/// directly (the workflow's figures, not its steps): the statistics, the
/// 清零 view and three case targets timed on both databases. Run with
/// `cargo test --release -p shiminhua-app --test case_stats -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn statistics_at_100000_cases() {
    let mut dbs = vec![("SQLite", shiminhua_app::testing::TestDb::sqlite().await)];
    if let Some(pg) = shiminhua_app::testing::TestDb::postgres().await {
        dbs.push(("PostgreSQL", pg));
    }
    for (name, t) in dbs {
        let w = World::new(t.db.clone()).await;
        let office = w.scoped("office1", Role::Office, "341000").await;
        let towns: Vec<(i64,)> =
            w.db.read()
                .await
                .unwrap()
                .all(Sql::new("SELECT code FROM regions WHERE level = 4 ORDER BY code"))
                .await
                .unwrap();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let start = d("2023-01-01");
        let mut rows = Vec::new();
        for i in 0..100_000i64 {
            let town = towns[next(towns.len() as u64) as usize].0;
            let county = DivisionCode::from_i64(town).unwrap().county().unwrap().as_i64();
            let received = start + chrono::Duration::days(next(1000) as i64);
            let accept_due = received + chrono::Duration::days(7);
            let status = CaseStatus::ALL[next(8) as usize];
            let closed = (!status.is_open()).then(|| received + chrono::Duration::days(1 + next(120) as i64));
            let handle_due = (status != CaseStatus::Rejected && status != CaseStatus::Registered)
                .then(|| received + chrono::Duration::days(90));
            let concluded = matches!(status, CaseStatus::Closed | CaseStatus::FollowedUp);
            let claimed = 100_000 + next(10_000_000) as i64;
            rows.push(vec![
                shiminhua_app::store::Arg::from(format!("HSX-{i:06}")),
                status.code().into(),
                county.into(),
                town.into(),
                Source::ALL[next(6) as usize].code().into(),
                "某单位".into(),
                Sector::ALL[next(4) as usize].code().into(),
                (1 + next(30) as i64).into(),
                claimed.into(),
                concluded.then_some(claimed / 2).into(),
                concluded.then_some(1i64).into(),
                received.into(),
                received.into(),
                "说明".into(),
                received.into(),
                accept_due.into(),
                handle_due.into(),
                if status.is_open() {
                    handle_due.or(Some(accept_due))
                } else {
                    None
                }
                .into(),
                closed.into(),
                vec![0u8; 4].into(),
                at("2023-01-01").into(),
                "bench".into(),
                at("2023-01-01").into(),
                "bench".into(),
            ]);
        }
        let mut tx = w.db.write().await.unwrap();
        tx.bulk_insert(
            "cases",
            &[
                "number",
                "status",
                "county_code",
                "region_code",
                "source",
                "employer_name",
                "sector",
                "workers",
                "amount_claimed_fen",
                "amount_recovered_fen",
                "workers_paid",
                "arrears_from",
                "arrears_to",
                "description",
                "received_on",
                "accept_due",
                "handle_due",
                "due_on",
                "closed_on",
                "query_hash",
                "created_at",
                "created_by",
                "updated_at",
                "updated_by",
            ],
            rows,
        )
        .await
        .unwrap();
        tx.analyze("cases").await.unwrap();
        tx.commit().await.unwrap();
        let cur = document::current(&w.db).await.unwrap();
        let text = format!("{}{CASE_TARGETS}", cur.text);
        document::save(&on(&w, &office, "2025-12-31"), &text, cur.version, "测试")
            .await
            .unwrap();
        let p = document::current(&w.db).await.unwrap().plan;
        let call = on(&w, &office, "2025-12-31");
        let year = CasePeriod {
            from: d("2025-01-01"),
            to: d("2025-12-31"),
        };
        let all = CasePeriod {
            from: d("2023-01-01"),
            to: d("2025-12-31"),
        };
        for (label, period) in [("one year", year), ("three years", all)] {
            let t0 = std::time::Instant::now();
            let s = case_stats::stats(&call, period).await.unwrap();
            let t1 = t0.elapsed();
            let c = case_stats::clearance(&call, period).await.unwrap();
            let t2 = t0.elapsed() - t1;
            println!(
                "{name} {label}: 案件统计 {t1:?} ({} cases), 欠薪清零 {t2:?} ({} open, {} month ends)",
                s.total.cases,
                c.total.open,
                c.months.len()
            );
        }
        let t0 = std::time::Instant::now();
        let (_, board) = indicators::board(&w.db, &p, d("2025-12-31")).await.unwrap();
        println!(
            "{name}: the whole board with three case targets {:?} (open {:?})",
            t0.elapsed(),
            board.iter().find(|b| b.id == "case_clearance").unwrap().city.actual
        );
        drop(w);
        t.finish().await;
    }
}
