//! The plan module's tests.

use super::check::line_of;
use super::fixtures::{CASE_TARGETS, context as ctx, shipped};
use super::*;

const SOURCE: &str = include_str!("../../../../data/plans/huangshan-2023.source.txt");

#[test]
fn plan_context_reads_the_shipped_lists() {
    let c = ctx();
    assert_eq!(c.units.len(), 11);
    assert_eq!(c.unit_named("市医保局").map(|u| u.code.as_str()), Some("ybj"));
    assert_eq!(c.unit_named("市医疗保障局").map(|u| u.code.as_str()), Some("ybj"));
    let counties: Vec<String> = c.counties.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(
        counties,
        ["341002", "341003", "341004", "341021", "341022", "341023", "341024"]
    );
}

#[test]
fn plan_shipped_file_parses_and_passes() {
    let p = shipped();
    assert_eq!(p.meta.id, "huangshan-2023");
    assert_eq!(p.meta.title, "开展县域农民工市民化质量提升行动实施方案");
    assert_eq!(p.meta.issuer, "黄山市农民工和发展家庭服务业工作领导小组办公室");
    assert_eq!(p.meta.issued, NaiveDate::from_ymd_opt(2023, 8, 15).unwrap());
    assert_eq!(p.meta.region.to_string(), "341000");
    assert_eq!(p.meta.end, NaiveDate::from_ymd_opt(2023, 12, 31).unwrap());
    assert_eq!(p.meta.office, "rsj");
    assert_eq!(p.reporting.cycle, Cycle::Quarter);
    assert_eq!(p.reporting.due_working_days, 5);
    assert_eq!(
        p.status,
        Thresholds {
            lagging_below: 90,
            severe_below: 70
        }
    );
    let s = p.summary();
    // Computed: 4 from records, 8 counted from the facility registries.
    assert_eq!((s.items, s.targets, s.computed, s.reported), (12, 14, 12, 2));
    assert_eq!(s.units, 9, "all nine member units take part");
    // The plan's opening texts are the source's own.
    for t in [&p.meta.preamble, &p.meta.guiding_thought, &p.meta.goal] {
        let t = t.as_deref().unwrap();
        assert!(SOURCE.contains(t), "{t}");
    }
    assert!(SOURCE.contains(&format!(
        "（一）指导思想。{}",
        p.meta.guiding_thought.as_deref().unwrap()
    )));
    assert!(SOURCE.contains(&format!("（二）主要目标。{}", p.meta.goal.as_deref().unwrap())));
    assert!(SOURCE.contains(p.meta.basis.as_deref().unwrap()));
}

/// (id, value, upper, unit, comparison, text fragment)
#[expect(clippy::type_complexity, reason = "a table of the plan's own figures")]
#[rustfmt::skip]
const QUANTIFIED: [(&str, &str, Option<&str>, &str, Comparison, &str); 12] = [
    ("local_jobs", "5000", None, "人", Comparison::About, "新增就近就业创业农民工5000人左右"),
    ("training", "8000", None, "人次", Comparison::AtLeast, "补贴性农民工职业技能培训8000人次以上"),
    ("income_growth", "6", None, "%", Comparison::AtLeast, "可支配收入增长6%以上"),
    ("schooling_public", "95", None, "%", Comparison::AtLeast, "不低于95%"),
    ("rental_housing", "281", None, "套（间）", Comparison::AtLeast, "保障性租赁住房281套（间）"),
    ("settlement", "100", None, "%", Comparison::AtLeast, "全部实现在城镇落户"),
    ("startup_loans", "4", None, "亿元", Comparison::AtLeast, "创业担保贷款总量不低于4亿元"),
    ("union_stations_new", "50", None, "家", Comparison::AtLeast, "新建50家"),
    ("union_stations_upgraded", "68", None, "家", Comparison::AtLeast, "提升68家"),
    ("union_stations_total", "118", None, "家", Comparison::AtLeast, "累计建成达标118家"),
    ("jiazheng_coverage", "7", None, "个区县", Comparison::AtLeast, "员工制家政骨干企业区县全覆盖"),
    ("jiazheng_bases", "1", Some("2"), "家", Comparison::Between, "家政劳务输出示范基地1—2家"),
];

#[test]
fn plan_shipped_file_holds_every_quantified_target() {
    let p = shipped();
    for (id, value, upper, unit, cmp, words) in QUANTIFIED {
        let t = p.target(id).unwrap_or_else(|| panic!("missing target {id}"));
        assert_eq!(t.value.map(|v| v.to_string()).as_deref(), Some(value), "{id}");
        assert_eq!(t.upper.map(|v| v.to_string()).as_deref(), upper, "{id}");
        assert_eq!(t.unit, unit, "{id}");
        assert_eq!(t.comparison, cmp, "{id}");
        assert!(t.text.contains(words), "{id}: {}", t.text);
        assert!(SOURCE.contains(&t.text), "{id}: wording not in the plan: {}", t.text);
    }
    // The parks target has no number in the plan ("一批").
    let parks = p.target("return_parks").unwrap();
    assert_eq!(parks.value, None);
    assert!(parks.text.contains("返乡创业示范园"));
    // Every target of 一（二） is there, in the plan's order, word for word
    // (the parks' sentence gives two targets: new and upgraded, kept apart).
    let goals: Vec<&str> = SOURCE.lines().filter_map(|l| l.trim().strip_prefix("——")).collect();
    let mut ours: Vec<&str> = p
        .targets
        .iter()
        .filter(|t| t.source == "一（二）")
        .map(|t| t.text.as_str())
        .collect();
    ours.dedup();
    assert_eq!(ours, goals);
    // 50 new + 68 upgraded make the 118.
    let fig = |id: &str| p.target(id).unwrap().value.unwrap();
    assert_eq!(
        Figure(fig("union_stations_new").0 + fig("union_stations_upgraded").0),
        fig("union_stations_total")
    );
}

#[test]
fn plan_shipped_computed_targets_use_registry_fields() {
    let p = shipped();
    let Measurement::Computed(Query::Tally(t)) = &p.target("local_jobs").unwrap().measurement else {
        panic!("local_jobs is computed")
    };
    assert_eq!(t.aggregate, Aggregate::CountDistinct(Distinct::Worker));
    assert_eq!(
        t.from.iter().map(|s| s.kind).collect::<Vec<_>>(),
        [RecordKind::Employment, RecordKind::Venture]
    );
    assert_eq!(
        t.from[0].filters,
        [Filter {
            field: "form",
            test: Test::In(vec!["就近就业".into()])
        }]
    );
    let Measurement::Computed(Query::Ratio { numerator, denominator }) =
        &p.target("schooling_public").unwrap().measurement
    else {
        panic!("schooling_public is a ratio")
    };
    assert_eq!(
        numerator.from[0].filters[0].test,
        Test::In(vec!["公办".into(), "政府购买学位的民办".into()])
    );
    assert!(denominator.from[0].filters.is_empty());
    assert_eq!(numerator.from[0].window, Window::RollingYear);
    let settle = p.target("settlement").unwrap();
    assert_eq!(settle.progress, Progress::Level);
    assert!(matches!(
        &p.target("startup_loans").unwrap().measurement,
        Measurement::Reported { reporter, .. } if reporter == "rsj"
    ));
    assert!(matches!(
        &p.target("income_growth").unwrap().measurement,
        Measurement::Reported {
            cycle: Some(Cycle::Year),
            ..
        }
    ));
}

/// Each item's measures: (lead units, cooperating units) as the plan names them.
#[expect(clippy::type_complexity, reason = "a table of the plan's own words")]
#[rustfmt::skip]
const UNITS_AS_NAMED: [(u32, &str, &[(&[&str], &[&str])]); 12] = {
    const RSJ: &str = "市人力资源社会保障局";
    const FGW: &str = "市发展改革委";
    const CZJ: &str = "市财政局";
    const NY: &str = "市农业农村局";
    const ZGH: &str = "市总工会";
    const ZJJ: &str = "市住房城乡建设局";
    const GAJ: &str = "市公安局";
    const JYJ: &str = "市教育局";
    const YB: &str = "市医保局";
    [
        (1, "促进农民工稳定就业", &[
            (&[RSJ], &[]),
            (&[FGW], &[CZJ, RSJ, NY]),
            (&[FGW, RSJ], &[]),
            (&[NY], &[]),
            (&[FGW, RSJ], &[]),
        ]),
        (2, "鼓励农民工返乡创业", &[
            (&[RSJ], &[]),
            (&[RSJ], &[FGW, CZJ]),
            (&[RSJ], &[]),
            (&[FGW, CZJ, RSJ, NY], &[]),
        ]),
        (3, "提高就业服务质量", &[(&[RSJ], &[]), (&[RSJ, ZGH], &[]), (&[RSJ], &[])]),
        (4, "提升农民工技能水平", &[
            (&[RSJ], &[]),
            (&[RSJ], &[FGW, NY]),
            (&[RSJ], &[FGW, CZJ]),
            (&[RSJ], &[NY, FGW, ZGH]),
        ]),
        (5, "规范企业劳动用工", &[(&[RSJ], &[ZGH])]),
        (6, "保障农民工工资支付", &[(&[RSJ], &[FGW, CZJ, GAJ, ZJJ, ZGH])]),
        (7, "强化社会保障", &[(&[RSJ, YB], &[])]),
        (8, "加强县域公共服务供给", &[(&[FGW], &[]), (&[ZJJ], &[]), (&[JYJ], &[]), (&[GAJ], &[])]),
        (9, "提升基层服务农民工能力", &[
            (&[RSJ], &[CZJ]),
            (&[RSJ], &[]),
            (&[RSJ], &[ZJJ, ZGH]),
            (&[ZGH], &[FGW, CZJ, RSJ]),
            (&[RSJ], &[NY, YB, ZGH]),
        ]),
        // 保障措施 name no units: the office follows them, the counties take part.
        (10, "加强组织领导", &[(&[], &[]), (&[], &[]), (&[], &[])]),
        (11, "加强调度检查", &[(&[], &[])]),
        (12, "加强宣传引导", &[(&[], &[])]),
    ]
};

#[test]
fn plan_shipped_file_has_all_twelve_items_with_units_as_named() {
    let p = shipped();
    let c = ctx();
    assert_eq!(p.items.len(), 12);
    for (item, (no, title, measures)) in p.items.iter().zip(UNITS_AS_NAMED) {
        assert_eq!((item.no, item.title.as_str()), (no, title));
        assert_eq!(item.section, if no <= 9 { "工作举措" } else { "保障措施" });
        // The item's paragraph, rebuilt from the file, is the plan's own.
        let para = item.text();
        assert!(SOURCE.contains(&para), "item {no} differs from the plan:\n{para}");
        assert_eq!(item.measures.len(), measures.len(), "item {no}");
        for (m, (lead, coop)) in item.measures.iter().zip(measures) {
            let name = |code: &String| {
                let u = c.unit(code).unwrap();
                // The plan writes 医保局 by its short name.
                if u.code == "ybj" {
                    u.short.clone()
                } else {
                    u.name.clone()
                }
            };
            let got_lead: Vec<String> = m.lead.iter().map(name).collect();
            let got_coop: Vec<String> = m.cooperating.iter().map(name).collect();
            assert_eq!(got_lead, *lead, "measure {}", m.id);
            assert_eq!(got_coop, *coop, "measure {}", m.id);
            if let Some(r) = &m.responsibility {
                for n in lead.iter().chain(coop.iter()) {
                    assert!(r.contains(n), "{}: {r}", m.id);
                }
                assert!(SOURCE.contains(&format!("（{r}）")), "{r}");
            } else {
                assert!(lead.is_empty(), "{}", m.id);
            }
        }
    }
    // The whole of the plan's last item and the counties' part.
    assert!(p.item(11).unwrap().measures[0].counties);
    assert!(p.item(10).unwrap().measures[1].counties);
    assert_eq!(
        p.item(10).unwrap().measures[2].others,
        ["市农民工和发展家庭服务业工作领导小组"]
    );
    // The measure-level targets hang off their measures.
    let serves = |id: &str| {
        p.measures()
            .find(|(_, m)| m.targets.iter().any(|t| t == id))
            .map(|(_, m)| m.id.clone())
    };
    assert_eq!(serves("startup_loans").as_deref(), Some("2.4"));
    assert_eq!(serves("union_stations_total").as_deref(), Some("9.4"));
    assert_eq!(serves("jiazheng_bases").as_deref(), Some("1.5"));
}

#[test]
fn plan_numerals() {
    let got: Vec<String> = [1, 9, 10, 11, 12, 20, 21].into_iter().map(numeral_zh).collect();
    assert_eq!(got, ["一", "九", "十", "十一", "十二", "二十", "二十一"]);
    assert_eq!(Figure(15_000).to_string(), "1.5");
    assert_eq!(Figure(-20_000).to_string(), "-2");
    assert_eq!(
        named_units("责任单位：市人力资源社会保障局，配合单位：市农业农村局、市医保局、市总工会等"),
        (
            vec!["市人力资源社会保障局"],
            vec!["市农业农村局", "市医保局", "市总工会"]
        )
    );
    assert_eq!(
        named_units("市发展改革委、市财政局分别负责"),
        (vec!["市发展改革委", "市财政局"], vec![])
    );
}

// ---- errors and their lines ----

const MINIMAL: &str = r#"format = 1

[plan]
id = "test"
title = "测试方案"
issuer = "测试办公室"
issued = 2023-08-15
region = "341000"
start = 2023-01-01
end = 2023-12-31
office = "rsj"

[reporting]
cycle = "quarter"
due_working_days = 5

[status]
lagging_below = 90
severe_below = 70

[[target]]
id = "jobs"
name = "新增就近就业"
source = "一（二）"
text = "新增就近就业5000人"
value = 5000
unit = "人"

[target.compute]
aggregate = "count_distinct"
distinct = "worker"

[[target.compute.from]]
kind = "employment"
date = "start"
filters = [{ field = "form", is = "就近就业" }]

[[target]]
id = "schooling"
name = "公办学校就读比例"
source = "一（二）"
text = "不低于95%"
value = 95
unit = "%"

[target.compute]
aggregate = "ratio"

[target.compute.numerator]
aggregate = "count"

[[target.compute.numerator.from]]
kind = "schooling"
filters = [{ field = "school_type", is = ["公办", "政府购买学位的民办"] }]

[target.compute.denominator]
aggregate = "count"

[[target.compute.denominator.from]]
kind = "schooling"

[[target]]
id = "loans"
name = "创业担保贷款"
source = "二（二）"
text = "不低于4亿元"
value = 4
unit = "亿元"
reporter = "rsj"

[[item]]
no = 1
section = "工作举措"
title = "促进农民工稳定就业"

[[item.measure]]
id = "1.1"
text = "落实好就业优先政策。"
responsibility = "责任单位：市人力资源社会保障局，配合单位：市总工会"
lead = ["rsj"]
cooperating = ["zgh"]
targets = ["jobs"]
"#;

/// The line of the first occurrence of `needle` in `text`.
fn line(text: &str, needle: &str) -> usize {
    let at = text.find(needle).unwrap_or_else(|| panic!("«{needle}» not in text"));
    line_of(text, at)
}

fn errors(text: &str) -> Vec<PlanError> {
    parse(text, &ctx()).expect_err("should fail")
}

/// Replaces `from` (once, must exist) and returns the errors.
fn broken(from: &str, to: &str) -> (String, Vec<PlanError>) {
    assert!(MINIMAL.contains(from), "{from}");
    let text = MINIMAL.replacen(from, to, 1);
    let e = errors(&text);
    (text, e)
}

#[test]
fn plan_minimal_file_passes() {
    let p = parse(MINIMAL, &ctx()).unwrap();
    assert_eq!(p.summary().targets, 3);
    assert_eq!(p.items[0].measures[0].cooperating, ["zgh"]);
    let loans = p.target("loans").unwrap();
    assert_eq!(loans.progress, Progress::Cumulative);
    assert_eq!(p.target("schooling").unwrap().progress, Progress::Level);
}

#[test]
fn plan_syntax_error_has_its_line() {
    let (text, e) = broken("title = \"测试方案\"", "title = \"测试方案");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "title = "));
    assert!(e[0].message.contains("TOML 语法错误"), "{}", e[0].message);
    assert!(e[0].to_string().starts_with(&format!("第{}行：", e[0].line)));
}

#[test]
fn plan_unknown_key_and_wrong_type_have_their_lines() {
    let (text, e) = broken("unit = \"人\"", "unit = \"人\"\nunits = \"人\"");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "units = "));
    assert!(e[0].message.contains("不认识的键“units”"), "{}", e[0].message);
    let (text, e) = broken("due_working_days = 5", "due_working_days = \"五\"");
    assert_eq!(e[0].line, line(&text, "due_working_days"));
    assert!(e[0].message.contains("整数"), "{}", e[0].message);
}

#[test]
fn plan_unknown_record_kind_has_its_line() {
    let (text, e) = broken("kind = \"employment\"", "kind = \"jobs\"");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "kind = \"jobs\""));
    assert!(e[0].message.contains("未知的业务类别“jobs”"), "{}", e[0].message);
    assert!(e[0].message.contains("employment（就业）"), "{}", e[0].message);
}

#[test]
fn plan_unknown_field_and_choice_have_their_lines() {
    let (text, e) = broken("field = \"school_type\"", "field = \"school_kind\"");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "school_kind"));
    assert!(e[0].message.contains("没有字段“school_kind”"), "{}", e[0].message);
    let (text, e) = broken("date = \"start\"", "date = \"begin\"");
    assert_eq!(e[0].line, line(&text, "\"begin\""));
    let (text, e) = broken("is = \"就近就业\"", "is = \"打零工\"");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "打零工"));
    assert!(e[0].message.contains("没有“打零工”这个取值"), "{}", e[0].message);
    assert!(e[0].message.contains("就近就业、外出务工"), "{}", e[0].message);
}

#[test]
fn plan_unknown_unit_has_its_line() {
    let (text, e) = broken("cooperating = [\"zgh\"]", "cooperating = [\"tjj\"]");
    assert_eq!(e[0].line, line(&text, "\"tjj\""));
    assert!(e[0].message.contains("“tjj”不是已知的单位代码"), "{}", e[0].message);
    let (text, e) = broken("reporter = \"rsj\"", "reporter = \"rsb\"");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "\"rsb\""));
}

#[test]
fn plan_units_must_match_the_clause() {
    let (text, e) = broken("cooperating = [\"zgh\"]", "cooperating = [\"czj\"]");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "cooperating = "));
    assert!(e[0].message.contains("cooperating 与原文不一致"), "{}", e[0].message);
    let (text, e) = broken("lead = [\"rsj\"]", "lead = []");
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(e[0].line, line(&text, "responsibility = "));
    assert!(e[0].message.contains("lead 与原文不一致"), "{}", e[0].message);
    assert!(e[1].message.contains("须写责任单位"), "{}", e[1].message);
    let (_, e) = broken("配合单位：市总工会", "配合单位：市统计局");
    assert!(e[0].message.contains("“市统计局”不在单位名单中"), "{}", e[0].message);
}

#[test]
fn plan_duplicate_target_id_has_its_line() {
    let (text, e) = broken("id = \"loans\"", "id = \"jobs\"");
    assert_eq!(e.len(), 1, "{e:?}");
    let second = text.match_indices("id = \"jobs\"").nth(1).unwrap().0;
    assert_eq!(e[0].line, line_of(&text, second));
    assert!(
        e[0].message
            .contains(&format!("第{}行已经用过", line(&text, "id = \"jobs\""))),
        "{}",
        e[0].message
    );
    let (text, e) = broken("targets = [\"jobs\"]", "targets = [\"job\"]");
    assert_eq!(e[0].line, line(&text, "targets = "));
}

#[test]
fn plan_ratio_without_denominator_has_its_line() {
    let (text, e) = broken(
        "[target.compute.denominator]\naggregate = \"count\"\n\n[[target.compute.denominator.from]]\nkind = \"schooling\"\n",
        "",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "aggregate = \"ratio\""));
    assert!(e[0].message.contains("缺少分母 denominator"), "{}", e[0].message);
    let (_, e) = broken("unit = \"%\"", "unit = \"人\"");
    assert!(e[0].message.contains("比值目标的单位应为“%”"), "{}", e[0].message);
}

#[test]
fn plan_distinct_counts_are_by_worker_over_one_fixed_window() {
    let (text, e) = broken("distinct = \"worker\"", "distinct = \"employer\"");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "aggregate = \"count_distinct\""));
    assert!(e[0].message.contains("只支持按人"), "{}", e[0].message);
    let (_, e) = broken("date = \"start\"", "date = \"start\"\nwindow = \"rolling_year\"");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].message.contains("同一统计区间"), "{}", e[0].message);
}

#[test]
fn plan_thresholds_out_of_order_have_their_line() {
    let (text, e) = broken("severe_below = 70", "severe_below = 95");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "severe_below"));
    assert!(e[0].message.contains("阈值顺序不对"), "{}", e[0].message);
    let (text, e) = broken(
        "unit = \"%\"",
        "unit = \"%\"\nstatus = { lagging_below = 100, severe_below = 100 }",
    );
    assert_eq!(e[0].line, line(&text, "status = "));
}

#[test]
fn plan_every_problem_is_reported_in_line_order() {
    let text = MINIMAL
        .replacen("severe_below = 70", "severe_below = 95", 1)
        .replacen("kind = \"employment\"", "kind = \"jobs\"", 1)
        .replacen("lead = [\"rsj\"]", "lead = [\"xyz\"]", 1)
        .replacen("id = \"loans\"", "id = \"jobs\"", 1);
    let e = errors(&text);
    let lines: Vec<usize> = e.iter().map(|e| e.line).collect();
    assert_eq!(
        lines,
        [
            line(&text, "severe_below"),
            line(&text, "kind = \"jobs\""),
            text.match_indices("id = \"jobs\"")
                .nth(1)
                .map(|(i, _)| line_of(&text, i))
                .unwrap(),
            line(&text, "\"xyz\""),
        ],
        "{e:?}"
    );
}

const SCORING: &str = r#"
[evaluation]
total = 100
note = "测试分值"

[[evaluation.score]]
target = "jobs"
weight = 60

[[evaluation.score]]
target = "schooling"
weight = 40
"#;

/// MINIMAL with SCORING, `from` replaced in the scoring part.
fn scoring_broken(from: &str, to: &str) -> (String, Vec<PlanError>) {
    assert!(SCORING.contains(from), "{from}");
    let text = format!("{MINIMAL}{}", SCORING.replacen(from, to, 1));
    let e = errors(&text);
    (text, e)
}

#[test]
fn plan_scoring_rules_pass() {
    let p = parse(&format!("{MINIMAL}{SCORING}"), &ctx()).unwrap_or_else(|e| panic!("{e:?}"));
    let s = p.scoring.expect("scoring");
    assert_eq!(s.total, Figure(1_000_000));
    assert_eq!(s.about_tolerance, Scoring::ABOUT_TOLERANCE);
    assert_eq!(s.note.as_deref(), Some("测试分值"));
    let w: Vec<(&str, String, bool)> = s
        .weights
        .iter()
        .map(|w| (w.target.as_str(), w.weight.to_string(), w.counties))
        .collect();
    assert_eq!(
        w,
        [("jobs", "60".to_string(), true), ("schooling", "40".to_string(), true)]
    );
    assert!(
        parse(MINIMAL, &ctx()).unwrap().scoring.is_none(),
        "the rules are optional"
    );
    // Decimals, a tolerance and a city-only target.
    let text = format!(
        "{MINIMAL}{}",
        SCORING
            .replacen("weight = 60", "weight = 59.5\ncounties = false", 1)
            .replacen("weight = 40", "weight = 40.5", 1)
            .replacen("total = 100", "total = 100\nabout_tolerance = 10", 1)
    );
    let s = parse(&text, &ctx())
        .unwrap_or_else(|e| panic!("{e:?}"))
        .scoring
        .unwrap();
    assert_eq!(s.about_tolerance, 10);
    assert!(!s.weights[0].counties);
    assert_eq!(s.weights[1].weight, Figure(405_000));
    // The shipped plan: every target has points, 100 in all.
    let p = shipped();
    let s = p.scoring.as_ref().expect("the shipped plan has scoring rules");
    assert_eq!(s.total, Figure::from_int(100).unwrap());
    let ids: Vec<&str> = s.weights.iter().map(|w| w.target.as_str()).collect();
    let targets: Vec<&str> = p.targets.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, targets);
    assert_eq!(s.weights.iter().map(|w| w.weight.0).sum::<i64>(), s.total.0);
    assert!(s.note.as_deref().is_some_and(|n| n.contains("方案未规定")));
}

#[test]
fn plan_scoring_errors_have_their_lines() {
    let (text, e) = scoring_broken("weight = 40", "weight = -40");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "weight = -40"));
    assert!(e[0].message.contains("不能为负数"), "{}", e[0].message);

    let (text, e) = scoring_broken("weight = 40", "weight = \"四十\"");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "四十"));
    assert!(e[0].message.contains("“weight”应为数字"), "{}", e[0].message);

    let (text, e) = scoring_broken("weight = 40", "weight = 0");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "weight = 0"));
    assert!(e[0].message.contains("应大于0"), "{}", e[0].message);

    let (text, e) = scoring_broken("target = \"schooling\"", "target = \"school\"");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "target = \"school\""));
    assert!(e[0].message.contains("评分目标“school”不存在"), "{}", e[0].message);

    let (text, e) = scoring_broken("target = \"schooling\"", "target = \"jobs\"");
    assert_eq!(e.len(), 1, "{e:?}");
    let second = text.match_indices("target = \"jobs\"").nth(1).unwrap().0;
    assert_eq!(e[0].line, line_of(&text, second));
    let first = line(&text, "target = \"jobs\"");
    assert!(
        e[0].message.contains(&format!("第{first}行已经写过")),
        "{}",
        e[0].message
    );

    let (text, e) = scoring_broken("weight = 40", "weight = 30");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "total = 100"));
    assert!(
        e[0].message.contains("合计为90，与评估总分 total（100）不一致"),
        "{}",
        e[0].message
    );

    // jobs is cumulative and not allocated: it cannot be scored per county.
    let (text, e) = scoring_broken("weight = 60", "weight = 60\ncounties = true");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "counties = true"));
    assert!(e[0].message.contains("没有分解到区县"), "{}", e[0].message);

    let (text, e) = scoring_broken("total = 100", "total = 100\nabout_tolerance = 80");
    assert_eq!(e[0].line, line(&text, "about_tolerance"));
    assert!(e[0].message.contains("0至50"), "{}", e[0].message);

    let (_, e) = scoring_broken("total = 100", "total = 0");
    assert!(e[0].message.contains("应大于0"), "{}", e[0].message);

    // A key the format does not know stops reading, with its line.
    let (text, e) = scoring_broken("weight = 60", "points = 60");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "points = 60"));
    assert!(e[0].message.contains("不认识的键“points”"), "{}", e[0].message);

    // Rules without any target's points.
    let text = format!("{MINIMAL}\n[evaluation]\ntotal = 100\n");
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].message.contains("至少为一个目标写分值"), "{}", e[0].message);
}

#[test]
fn plan_other_rules() {
    let (_, e) = broken("reporter = \"rsj\"", "");
    assert!(e[0].message.contains("缺少计算口径"), "{}", e[0].message);
    let (_, e) = broken("distinct = \"worker\"\n", "");
    assert!(e[0].message.contains("须写 distinct"), "{}", e[0].message);
    let (_, e) = broken("value = 4\n", "value = 4\nupper = 3\n");
    assert!(e[0].message.contains("between"), "{}", e[0].message);
    let (_, e) = broken("end = 2023-12-31", "end = 2022-12-31");
    assert!(e[0].message.contains("早于开始日期"), "{}", e[0].message);
    let (_, e) = broken("no = 1", "no = 2");
    assert!(e[0].message.contains("应依次编号"), "{}", e[0].message);
    let (_, e) = broken(
        "value = 4\n",
        "value = 4\nallocation = { \"341002\" = 1, \"341100\" = 2 }\n",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].message.contains("“341100”不是本市的区县代码"), "{}", e[0].message);
    let (_, e) = broken(
        "unit = \"亿元\"\nreporter = \"rsj\"",
        "unit = \"亿元\"\n[target.compute]\naggregate = \"sum\"\nfield = \"loan\"\n[[target.compute.from]]\nkind = \"venture\"\ndate = \"loan_date\"\nfilters = [{ field = \"loan\", is = \"1\" }]",
    );
    assert!(e[0].message.contains("不能按取值筛选"), "{}", e[0].message);
    // A money sum in 亿元 with an allocation passes.
    let text = MINIMAL.replacen(
        "unit = \"亿元\"\nreporter = \"rsj\"",
        "unit = \"亿元\"\nallocation = { \"341002\" = 1.5, \"341021\" = 2.5 }\n[target.compute]\naggregate = \"sum\"\nfield = \"loan\"\n[[target.compute.from]]\nkind = \"venture\"\ndate = \"loan_date\"\nfilters = [{ field = \"loan\", present = true }]",
        1,
    );
    let p = parse(&text, &ctx()).unwrap_or_else(|e| panic!("{e:?}"));
    let loans = p.target("loans").unwrap();
    assert_eq!(loans.allocation.len(), 2);
    assert!(matches!(&loans.measurement, Measurement::Computed(Query::Tally(t)) if t.is_money()));
    let (_, e) = broken("unit = \"人\"", "unit = \"万元\"");
    assert!(e[0].message.contains("计数目标的单位不能是“万元”"), "{}", e[0].message);
}

#[test]
fn plan_case_targets_parse() {
    use crate::case::{CaseStatus, Sector, Source as CaseSource};
    // The plan's words for cases are the case module's labels.
    assert_eq!(CASE_STATUSES, CaseStatus::ALL.map(CaseStatus::label_zh));
    assert_eq!(CASE_SECTORS, Sector::ALL.map(Sector::label_zh));
    assert_eq!(CASE_SOURCES, CaseSource::ALL.map(CaseSource::label_zh));

    let text = format!("{MINIMAL}{CASE_TARGETS}");
    let p = parse(&text, &ctx()).unwrap_or_else(|e| panic!("{e:?}"));
    let tally = |id: &str| match &p.target(id).unwrap().measurement {
        Measurement::Computed(Query::Tally(t)) => t.clone(),
        other => panic!("{id}: {other:?}"),
    };
    let open = tally("case_clearance");
    assert!(open.is_cases() && !open.is_money());
    assert_eq!(open.from[0].kind, RecordKind::WageCase);
    assert_eq!(open.from[0].date, None);
    assert_eq!(open.from[0].window, Window::ToDate);
    assert_eq!(
        open.from[0].filters,
        [Filter {
            field: "open",
            test: Test::In(vec!["是".into()])
        }]
    );
    let recovered = tally("case_recovered");
    assert!(recovered.is_cases() && recovered.is_money());
    assert_eq!(recovered.aggregate, Aggregate::Sum("amount_recovered"));
    assert_eq!(recovered.from[0].date, Some("closed"));
    let clearance = p.target("case_clearance").unwrap();
    assert_eq!(clearance.comparison, Comparison::AtMost);
    assert_eq!(clearance.value, Some(Figure(0)));
    let in_time = p.target("case_in_time").unwrap();
    assert_eq!(in_time.progress, Progress::Level);
    assert!(
        matches!(&in_time.measurement, Measurement::Computed(Query::Ratio { numerator, .. }) if numerator.is_cases())
    );
    // Registry tallies are not case tallies.
    match &p.target("jobs").unwrap().measurement {
        Measurement::Computed(Query::Tally(t)) => assert!(!t.is_cases()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn plan_case_target_errors_have_their_lines() {
    let base = format!("{MINIMAL}{CASE_TARGETS}");
    let bad = |from: &str, to: &str| {
        assert!(base.contains(from), "{from}");
        let text = base.replacen(from, to, 1);
        let e = errors(&text);
        (text, e)
    };
    // A field cases do not have.
    let (text, e) = bad("field = \"amount_recovered\"", "field = \"amount\"");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "field = \"amount\""));
    assert!(e[0].message.contains("没有字段“amount”"), "{}", e[0].message);
    assert!(
        e[0].message.contains("amount_recovered（追回金额）"),
        "{}",
        e[0].message
    );
    // A status that does not exist, listed with the ones that do.
    let (text, e) = bad(
        "not = \"不予受理\" }]\n\n[target.compute.denominator]",
        "not = \"已结案\" }]\n\n[target.compute.denominator]",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].line, line(&text, "not = \"已结案\""));
    assert!(
        e[0].message
            .contains("没有“已结案”这个取值，可选：登记、受理、不予受理"),
        "{}",
        e[0].message
    );
    // Dates only by `present`; `date` must be a date field.
    let (text, e) = bad("date = \"closed\"\n\n[[target]]", "date = \"status\"\n\n[[target]]");
    assert_eq!(e[0].line, line(&text, "date = \"status\""));
    assert!(e[0].message.contains("不是日期"), "{}", e[0].message);
    // Cases and registry records never in one tally; no distinct counts.
    let (text, e) = bad(
        "filters = [{ field = \"open\", is = \"是\" }]",
        "filters = [{ field = \"open\", is = \"是\" }]\n\n[[target.compute.from]]\nkind = \"employment\"",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        e[0].line,
        line(
            &text,
            "aggregate = \"count\"\n\n[[target.compute.from]]\nkind = \"wage_case\""
        )
    );
    assert!(e[0].message.contains("既有欠薪案件"), "{}", e[0].message);
    let (text, e) = bad(
        "aggregate = \"count\"\n\n[[target.compute.from]]\nkind = \"wage_case\"",
        "aggregate = \"count_distinct\"\ndistinct = \"worker\"\n\n[[target.compute.from]]\nkind = \"wage_case\"",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        e[0].line,
        line(
            &text,
            "aggregate = \"count_distinct\"\ndistinct = \"worker\"\n\n[[target.compute.from]]\nkind = \"wage_case\""
        )
    );
    assert!(e[0].message.contains("不能去重计数"), "{}", e[0].message);
    // A money sum in 件, a count in 万元.
    let (text, e) = bad("value = 100\nunit = \"万元\"", "value = 100\nunit = \"件\"");
    assert_eq!(
        e[0].line,
        line(&text, "unit = \"件\"\n\n[target.compute]\naggregate = \"sum\"")
    );
    assert!(e[0].message.contains("金额合计的单位"), "{}", e[0].message);
    // An unknown kind lists the cases among the choices.
    let (_, e) = bad("kind = \"wage_case\"\nwindow", "kind = \"cases\"\nwindow");
    assert!(e[0].message.contains("wage_case（欠薪线索/案件）"), "{}", e[0].message);
}

/// `MINIMAL` with one more target (its text) before the items.
fn with_target(extra: &str) -> String {
    MINIMAL.replacen("[[item]]", &format!("{extra}\n[[item]]"), 1)
}

#[test]
fn plan_shipped_facility_targets_are_counted_from_the_registries() {
    use crate::facility::FacilityKind;
    let p = shipped();
    let counted = |id: &str| match &p.target(id).unwrap().measurement {
        Measurement::Counted { count, reporter, .. } => (count.clone(), reporter.clone()),
        other => panic!("{id} is not counted: {other:?}"),
    };
    let (new, by) = counted("union_stations_new");
    assert_eq!(
        (new.kind, new.date, new.window),
        (
            CountSource::Facility(FacilityKind::Station),
            Some("opened"),
            Window::Plan
        )
    );
    assert_eq!(by.as_deref(), Some("zgh"), "the union's report stays as a cross-check");
    let (up, _) = counted("union_stations_upgraded");
    assert_eq!(up.date, Some("upgraded"));
    assert_eq!(up.filters[0].test, Test::In(vec!["提升".into()]));
    let (total, _) = counted("union_stations_total");
    assert_eq!(total.window, Window::ToDate);
    assert_eq!(p.target("union_stations_total").unwrap().progress, Progress::Level);
    let (cover, _) = counted("jiazheng_coverage");
    assert_eq!((cover.aggregate, cover.date), (FacilityAggregate::Counties, None));
    let (housing, _) = counted("rental_housing");
    assert_eq!(housing.aggregate, FacilityAggregate::Sum("delivered"));
    let (parks, _) = counted("return_parks");
    let (upgraded, _) = counted("return_parks_upgraded");
    assert_eq!(parks.kind, CountSource::Facility(FacilityKind::Park));
    assert_ne!(parks.filters, upgraded.filters, "new and upgraded parks are kept apart");
    assert_eq!(
        counted("jiazheng_bases").0.kind,
        CountSource::Facility(FacilityKind::HousekeepingBase)
    );
    // A stock is the city's: no county is given the city's 118.
    let t = p.target("union_stations_total").unwrap();
    let county = DivisionCode::parse("341021").unwrap();
    assert_eq!(t.goal_in(p.meta.region, p.meta.region), Some(118.0));
    assert_eq!(t.goal_in(county, p.meta.region), None);
    // A rate applies to every county.
    let rate = p.target("schooling_public").unwrap();
    assert_eq!(rate.goal_in(county, p.meta.region), Some(95.0));
}

#[test]
fn plan_facility_counts_evaluate_by_region_and_day() {
    use crate::field::Value;
    use crate::indicator::Span;
    use crate::record::Values;
    let p = shipped();
    let count = |id: &str| match &p.target(id).unwrap().measurement {
        Measurement::Counted { count, .. } => count.clone(),
        _ => unreachable!(),
    };
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let code = |s: &str| DivisionCode::parse(s).unwrap();
    let station = |status: &str, opened: Option<&str>, upgraded: Option<&str>, standard: bool| {
        let mut v = Values::new();
        v.insert("status", Value::Text(status.into()));
        if let Some(d) = opened {
            v.insert("opened", Value::Date(day(d)));
        }
        if let Some(d) = upgraded {
            v.insert("upgraded", Value::Date(day(d)));
        }
        v.insert("standard", Value::Flag(standard));
        v
    };
    let stations = [
        // New in the plan period and meeting the standard: counts twice.
        ("341021100", station("新建", Some("2023-03-10"), None, true)),
        // New, not yet meeting it.
        ("341021100", station("新建", Some("2023-09-01"), None, false)),
        // Upgraded, opened years ago, meeting the standard.
        (
            "341022100",
            station("提升", Some("2019-05-01"), Some("2023-06-30"), true),
        ),
        // Existing, meeting the standard since 2020.
        ("341022100", station("原有", Some("2020-01-01"), None, true)),
        // New but not open yet.
        ("341023100", station("新建", None, None, false)),
    ];
    let facts: Vec<FacilityFact<'_>> = stations
        .iter()
        .map(|(r, v)| FacilityFact {
            region: code(r),
            county: code(r).county().unwrap(),
            values: v,
        })
        .collect();
    let span = |d: &str| Span {
        plan_start: p.meta.start,
        as_of: day(d),
    };
    let city = p.meta.region;
    let she = code("341021");
    let (new, up, total) = (
        count("union_stations_new"),
        count("union_stations_upgraded"),
        count("union_stations_total"),
    );
    // (day, new city, new 歙县, upgraded city, total city, total 歙县)
    for (d, want) in [
        ("2022-12-31", [0, 0, 0, 2, 0]),
        ("2023-03-10", [1, 1, 0, 3, 1]),
        ("2023-07-01", [1, 1, 1, 3, 1]),
        ("2023-12-31", [2, 2, 1, 3, 1]),
        ("2024-03-01", [2, 2, 1, 3, 1]),
    ] {
        let got = [
            new.evaluate(&facts, city, span(d)),
            new.evaluate(&facts, she, span(d)),
            up.evaluate(&facts, city, span(d)),
            total.evaluate(&facts, city, span(d)),
            total.evaluate(&facts, she, span(d)),
        ];
        assert_eq!(got, want, "as of {d}");
    }
    // Counties covered: distinct counties with an employee-based backbone firm.
    let firm = |employee: bool, backbone: bool| {
        let mut v = Values::new();
        v.insert("employee_based", Value::Flag(employee));
        v.insert("backbone", Value::Flag(backbone));
        v
    };
    let firms = [
        ("341021100", firm(true, true)),
        ("341021101", firm(true, true)),
        ("341022100", firm(true, false)),
        ("341023100", firm(false, true)),
        ("341024100", firm(true, true)),
    ];
    let facts: Vec<FacilityFact<'_>> = firms
        .iter()
        .map(|(r, v)| FacilityFact {
            region: code(r),
            county: code(r).county().unwrap(),
            values: v,
        })
        .collect();
    let cover = count("jiazheng_coverage");
    assert_eq!(cover.evaluate(&facts, city, span("2023-06-30")), 2);
    assert_eq!(cover.evaluate(&facts, she, span("2023-06-30")), 1);
    assert_eq!(cover.evaluate(&facts, code("341022"), span("2023-06-30")), 0);
    // Units delivered: the sum of the projects delivered in the plan period.
    let project = |delivered: i64, on: &str| {
        let mut v = Values::new();
        v.insert("delivered", Value::Count(delivered));
        v.insert("delivered_on", Value::Date(day(on)));
        v
    };
    let projects = [
        ("341021100", project(80, "2023-04-01")),
        ("341022100", project(120, "2023-11-20")),
        ("341022100", project(50, "2022-12-01")),
    ];
    let facts: Vec<FacilityFact<'_>> = projects
        .iter()
        .map(|(r, v)| FacilityFact {
            region: code(r),
            county: code(r).county().unwrap(),
            values: v,
        })
        .collect();
    let housing = count("rental_housing");
    assert_eq!(housing.evaluate(&facts, city, span("2023-06-30")), 80);
    assert_eq!(housing.evaluate(&facts, city, span("2023-12-31")), 200);
}

#[test]
fn plan_count_errors_have_their_lines() {
    let base = r#"[[target]]
id = "stations"
name = "新建驿站"
source = "二（九）"
text = "新建50家"
value = 50
unit = "家"
reporter = "zgh"

[target.count]
facility = "station"
date = "opened"
filters = [{ field = "status", is = "新建" }]
"#;
    let text = with_target(base);
    parse(&text, &ctx()).unwrap_or_else(|e| panic!("{e:?}"));
    for (from, to, needle, words) in [
        (
            "facility = \"station\"",
            "facility = \"kiosk\"",
            "kiosk",
            "未知的设施台账“kiosk”",
        ),
        ("date = \"opened\"", "date = \"host\"", "date = \"host\"", "不是日期"),
        ("date = \"opened\"", "date = \"built\"", "built", "没有字段“built”"),
        ("is = \"新建\"", "is = \"达标\"", "达标", "没有“达标”这个取值"),
        (
            "date = \"opened\"",
            "aggregate = \"sum\"\nfield = \"name\"",
            "field = \"name\"",
            "不能求和",
        ),
        (
            "date = \"opened\"",
            "window = \"plan\"",
            "window = \"plan\"",
            "只能是 to_date",
        ),
        ("unit = \"家\"", "unit = \"元\"", "unit = \"元\"", "台账统计的单位"),
    ] {
        let broken = with_target(&base.replacen(from, to, 1));
        let e = errors(&broken);
        assert_eq!(e.len(), 1, "{to}: {e:?}");
        assert_eq!(e[0].line, line(&broken, needle), "{to}");
        assert!(e[0].message.contains(words), "{to}: {}", e[0].message);
    }
    // Counted and computed at once.
    let both = with_target(&format!(
        "{base}\n[target.compute]\naggregate = \"count\"\n\n[[target.compute.from]]\nkind = \"training\"\n"
    ));
    let e = errors(&both);
    assert!(e.iter().any(|e| e.message.contains("不能两者都写")), "{e:?}");
    // Counties covered is a level.
    let e = errors(&with_target(
        &base
            .replacen("date = \"opened\"", "aggregate = \"counties\"", 1)
            .replacen("unit = \"家\"", "unit = \"个区县\"\nprogress = \"cumulative\"", 1),
    ));
    assert!(e.iter().any(|e| e.message.contains("区县覆盖")), "{e:?}");
}

#[test]
fn plan_family_counts_people_with_a_count_only() {
    // The shipped settlement target counts the family: always in the
    // denominator, with a 家庭户 settlement in the numerator.
    let p = shipped();
    let Measurement::Computed(Query::Ratio { numerator, denominator }) = &p.target("settlement").unwrap().measurement
    else {
        panic!("settlement is a ratio");
    };
    assert_eq!(
        numerator.from[0].family,
        Some(vec![Filter {
            field: "household",
            test: Test::In(vec!["家庭户".into()]),
        }])
    );
    assert_eq!(denominator.from[0].family, Some(vec![]));
    assert!(numerator.counts_family() && denominator.counts_family());
    // Accepted on a count.
    let counted = MINIMAL.replacen(
        "[[target.compute.denominator.from]]\nkind = \"schooling\"\n",
        "[[target.compute.denominator.from]]\nkind = \"schooling\"\nfamily = true\n",
        1,
    );
    assert!(parse(&counted, &ctx()).is_ok());
    // Not on a distinct count.
    let (text, e) = broken(
        "filters = [{ field = \"form\", is = \"就近就业\" }]",
        "filters = [{ field = \"form\", is = \"就近就业\" }]\nfamily = true",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].message.contains("只用于计数"), "{}", e[0].message);
    assert_eq!(e[0].line, line(&text, "[[target.compute.from]]"));
    // Conditions without family = true, and conditions on an unknown field.
    let (_, e) = broken(
        "[[target.compute.denominator.from]]\nkind = \"schooling\"\n",
        "[[target.compute.denominator.from]]\nkind = \"schooling\"\nfamily_when = [{ field = \"school_type\", is = \"公办\" }]\n",
    );
    assert!(
        e.iter().any(|e| e.message.contains("family_when 只与 family = true")),
        "{e:?}"
    );
    let (_, e) = broken(
        "[[target.compute.denominator.from]]\nkind = \"schooling\"\n",
        "[[target.compute.denominator.from]]\nkind = \"schooling\"\nfamily = true\nfamily_when = [{ field = \"household\", is = \"家庭户\" }]\n",
    );
    assert!(e.iter().any(|e| e.message.contains("household")), "{e:?}");
}

#[test]
fn plan_counts_the_registers_of_the_employment_service() {
    use crate::field::Value;
    use crate::indicator::Span;
    use crate::jobs::counts::ServiceRegister;
    use crate::record::Values;
    let base = r#"[[target]]
id = "spring_hires"
name = "春风行动现场录用"
source = "二（三）"
text = "春风行动现场录用500人"
value = 500
unit = "人"

[target.count]
service = "job_events"
aggregate = "sum"
field = "hires"
date = "held"
filters = [{ field = "series", is = "春风行动" }]
"#;
    let p = parse(&with_target(base), &ctx()).unwrap_or_else(|e| panic!("{e:?}"));
    let Measurement::Counted { count, .. } = &p.target("spring_hires").unwrap().measurement else {
        panic!("counted");
    };
    assert_eq!(count.kind, CountSource::Service(ServiceRegister::Events));
    assert_eq!(count.kind.label_zh(), "招聘活动");
    assert_eq!(count.aggregate, FacilityAggregate::Sum("hires"));
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let code = |s: &str| DivisionCode::parse(s).unwrap();
    let event = |series: &str, held: &str, hires: Option<i64>| {
        let mut v = Values::new();
        v.insert("series", Value::Text(series.into()));
        v.insert("held", Value::Date(day(held)));
        if let Some(n) = hires {
            v.insert("hires", Value::Count(n));
        }
        v
    };
    let events = [
        ("341021100", event("春风行动", "2023-02-10", Some(40))),
        ("341021101", event("春风行动", "2023-03-01", None)),
        ("341022100", event("春风行动", "2022-12-20", Some(90))),
        ("341022100", event("接您回家", "2023-02-01", Some(15))),
        ("341022100", event("春风行动", "2023-05-05", Some(7))),
    ];
    let facts: Vec<FacilityFact<'_>> = events
        .iter()
        .map(|(r, v)| FacilityFact {
            region: code(r),
            county: code(r).county().unwrap(),
            values: v,
        })
        .collect();
    let span = |d: &str| Span {
        plan_start: p.meta.start,
        as_of: day(d),
    };
    // Before the plan, another series and a later day do not count; an
    // event without figures adds nothing.
    assert_eq!(count.evaluate(&facts, p.meta.region, span("2023-03-31")), 40);
    assert_eq!(count.evaluate(&facts, p.meta.region, span("2023-12-31")), 47);
    assert_eq!(count.evaluate(&facts, code("341022"), span("2023-12-31")), 7);

    // Mistakes are reported on their lines.
    for (from, to, needle, words) in [
        (
            "service = \"job_events\"",
            "service = \"fairs\"",
            "fairs",
            "未知的就业服务台账“fairs”，可选：job_seekers（求职登记）",
        ),
        (
            "service = \"job_events\"",
            "service = \"job_events\"\nfacility = \"station\"",
            "service = \"job_events\"",
            "只能写一个",
        ),
        (
            "is = \"春风行动\"",
            "is = \"春季招聘\"",
            "春季招聘",
            "没有“春季招聘”这个取值",
        ),
        (
            "field = \"hires\"",
            "field = \"online\"",
            "field = \"online\"",
            "不能求和",
        ),
        (
            "date = \"held\"",
            "date = \"when\"",
            "when",
            "台账“招聘活动”（job_events）没有字段“when”",
        ),
    ] {
        let broken = with_target(&base.replacen(from, to, 1));
        let e = errors(&broken);
        assert_eq!(e.len(), 1, "{to}: {e:?}");
        assert_eq!(e[0].line, line(&broken, needle), "{to}");
        assert!(e[0].message.contains(words), "{to}: {}", e[0].message);
    }
    let neither = with_target(&base.replacen("service = \"job_events\"\n", "", 1));
    let e = errors(&neither);
    assert!(e.iter().any(|e| e.message.contains("缺少统计对象")), "{e:?}");
    // A register's entries are always dated.
    let undated = with_target(&base.replacen("date = \"held\"\n", "", 1));
    let e = errors(&undated);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].message.contains("须写日期字段 date") && e[0].message.contains("held（举办日期）"),
        "{e:?}"
    );
}
