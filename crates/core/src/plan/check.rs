//! Parsing and checking.

use super::raw::*;
use super::*;
use crate::jobs::counts::ServiceRegister;
use crate::record::FieldSpec;

/// Parses and checks a plan file's text against `ctx`.
pub fn parse(text: &str, ctx: &Context) -> Result<Plan, Vec<PlanError>> {
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            return Err(vec![PlanError {
                line,
                message: decode_message(e.message()),
            }]);
        }
    };
    let mut c = PlanChecker {
        text,
        ctx,
        errors: Vec::new(),
    };
    let plan = c.file(raw);
    if c.errors.is_empty()
        && let Some(plan) = plan
    {
        return Ok(plan);
    }
    let mut errors = c.errors;
    errors.sort_by_key(|e| e.line);
    Err(errors)
}

/// The 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
}

/// A decoder message in Chinese.
fn decode_message(msg: &str) -> String {
    let quoted = |s: &str| s.split('`').nth(1).unwrap_or_default().to_string();
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let key = quoted(rest);
        let allowed: Vec<String> = rest
            .split_once("expected ")
            .map(|(_, e)| e.split('`').skip(1).step_by(2).map(str::to_string).collect())
            .unwrap_or_default();
        if allowed.is_empty() {
            format!("不认识的键“{key}”")
        } else {
            format!("不认识的键“{key}”，此处可用的键：{}", allowed.join("、"))
        }
    } else if let Some(rest) = msg.strip_prefix("missing field ") {
        format!("缺少必填的键“{}”", quoted(rest))
    } else if let Some(rest) = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "))
    {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        format!(
            "值的类型不对：这里是{}，应为{}",
            type_zh(found, false),
            type_zh(expected, true)
        )
    } else if msg.contains("duplicate key") {
        "键重复定义（同一张表里同一个键只能写一次）".into()
    } else {
        format!("TOML 语法错误（{}），请检查这一行的引号、括号、逗号和等号", msg.trim())
    }
}

/// A decoder's type description in Chinese: the type found with its value
/// ("文本“rsj”"), or the type expected (`expected`).
fn type_zh(s: &str, expected: bool) -> String {
    let value = s.split(['`', '"']).nth(1).map(|v| format!("“{v}”")).unwrap_or_default();
    let s = s.to_ascii_lowercase();
    let (short, long) = if s.contains("datetime") || s.contains("date") {
        ("日期", "日期（如 2023-08-15，不加引号）")
    } else if s.contains("string") || s.contains("char") {
        ("文本", "文本（用双引号括起）")
    } else if s.contains("bool") {
        ("布尔值", "true 或 false（不加引号）")
    } else if s.contains("float") {
        ("小数", "数字")
    } else if s.contains("integer") || s.contains("i64") || s.contains("u32") {
        ("整数", "整数（不加引号）")
    } else if s.contains("sequence") || s.contains("array") {
        ("数组", "数组 [ … ]")
    } else if s.contains("map") || s.contains("struct") || s.contains("table") {
        ("表", "表")
    } else {
        return s.trim().to_string();
    };
    if expected {
        long.to_string()
    } else {
        format!("{short}{value}")
    }
}

struct PlanChecker<'a> {
    text: &'a str,
    ctx: &'a Context,
    errors: Vec<PlanError>,
}

impl PlanChecker<'_> {
    fn err(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors.push(PlanError {
            line: line_of(self.text, span.start),
            message: message.into(),
        });
    }

    /// A required text: trimmed, not empty.
    fn text(&mut self, s: &S<String>, key: &str) -> String {
        let t = s.get_ref().trim();
        if t.is_empty() {
            self.err(s.span(), format!("“{key}”不能为空"));
        }
        t.to_string()
    }

    fn date(&mut self, d: &S<Datetime>, key: &str) -> Option<NaiveDate> {
        let v = d.get_ref();
        let date = match (&v.date, &v.time, &v.offset) {
            (Some(x), None, None) => NaiveDate::from_ymd_opt(i32::from(x.year), u32::from(x.month), u32::from(x.day)),
            _ => None,
        };
        if date.is_none() {
            self.err(d.span(), format!("“{key}”应为日期（如 2023-08-15），不带时间"));
        }
        date
    }

    fn unit(&mut self, code: &S<String>, role: &str) -> Option<String> {
        let c = code.get_ref().trim();
        if self.ctx.unit(c).is_some() {
            Some(c.to_string())
        } else {
            let list = self.ctx.unit_list();
            self.err(code.span(), format!("{role}“{c}”不是已知的单位代码，可选：{list}"));
            None
        }
    }

    fn id(&mut self, s: &S<String>, what: &str, extra: &[char]) -> String {
        let id = s.get_ref().trim();
        let ok = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c));
        if !ok {
            let allowed: String = extra.iter().map(|c| format!("“{c}”")).collect::<Vec<_>>().join("");
            self.err(s.span(), format!("{what}“{id}”只能由小写英文字母、数字和{allowed}组成"));
        }
        id.to_string()
    }

    fn file(&mut self, raw: RawFile) -> Option<Plan> {
        if *raw.format.get_ref() != FORMAT {
            self.err(
                raw.format.span(),
                format!(
                    "不支持的计划文件格式版本 {}，本程序读取版本 {FORMAT}",
                    raw.format.get_ref()
                ),
            );
        }
        let meta = self.meta(raw.plan.into_inner());
        let reporting = self.reporting(raw.reporting.into_inner());
        let status = self.thresholds(raw.status.get_ref());
        let region = meta.as_ref().map(|m| m.region);
        let mut targets = Vec::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for t in &raw.target {
            let id = t.get_ref().id.get_ref().trim().to_string();
            let line = line_of(self.text, t.get_ref().id.span().start);
            if let Some(first) = seen.get(&id) {
                self.err(
                    t.get_ref().id.span(),
                    format!("目标编号“{id}”重复，第{first}行已经用过"),
                );
            } else {
                seen.insert(id, line);
            }
            if let Some(t) = self.target(t, region) {
                targets.push(t);
            }
        }
        if raw.item.is_empty() {
            self.err(0..0, "计划文件没有工作举措 [[item]]");
        }
        let mut items = Vec::new();
        let mut measure_ids: BTreeMap<String, usize> = BTreeMap::new();
        for (i, it) in raw.item.iter().enumerate() {
            if let Some(item) = self.item(it, i + 1, &seen, &mut measure_ids) {
                items.push(item);
            }
        }
        let scoring = match &raw.evaluation {
            None => None,
            Some(e) => Some(self.scoring(e, &targets, &seen)?),
        };
        Some(Plan {
            meta: meta?,
            reporting: reporting?,
            status: status?,
            targets,
            items,
            scoring,
        })
    }

    /// The scoring rules: known targets, each once, weights that are
    /// positive numbers adding up to the total.
    fn scoring(&mut self, se: &S<RawScoring>, targets: &[Target], seen: &BTreeMap<String, usize>) -> Option<Scoring> {
        let e = se.get_ref();
        let mut ok = true;
        let total = self.figure(&e.total, "total");
        if let Some(t) = total
            && t.0 <= 0
        {
            self.err(e.total.span(), format!("评估总分 total 应大于0，这里是{t}"));
            ok = false;
        }
        let about_tolerance = match &e.about_tolerance {
            None => Scoring::ABOUT_TOLERANCE,
            Some(a) => {
                let v = *a.get_ref();
                if !(0..=50).contains(&v) {
                    self.err(
                        a.span(),
                        format!("“左右”的容差 about_tolerance 应为0至50（百分比），这里是{v}"),
                    );
                    ok = false;
                }
                u32::try_from(v).unwrap_or(0)
            }
        };
        if e.score.is_empty() {
            self.err(
                se.span(),
                "评分规则 [evaluation] 须至少为一个目标写分值 [[evaluation.score]]",
            );
            ok = false;
        }
        let mut weights = Vec::new();
        let mut lines: BTreeMap<String, usize> = BTreeMap::new();
        let mut sum = Some(Figure(0));
        for sw in &e.score {
            let w = sw.get_ref();
            let id = w.target.get_ref().trim().to_string();
            let line = line_of(self.text, w.target.span().start);
            let target = targets.iter().find(|t| t.id == id);
            if !seen.contains_key(&id) {
                self.err(
                    w.target.span(),
                    format!("评分目标“{id}”不存在（须在 [[target]] 中定义）"),
                );
                ok = false;
            } else if let Some(first) = lines.get(&id) {
                self.err(w.target.span(), format!("目标“{id}”的分值重复，第{first}行已经写过"));
                ok = false;
            } else {
                lines.insert(id.clone(), line);
            }
            let weight = match self.figure(&w.weight, "weight") {
                Some(f) if f.0 < 0 => {
                    self.err(
                        w.weight.span(),
                        format!("目标“{id}”的分值 weight 不能为负数，这里是{f}"),
                    );
                    None
                }
                Some(f) if f.0 == 0 => {
                    self.err(
                        w.weight.span(),
                        format!("目标“{id}”的分值 weight 应大于0（不计分的目标不写即可）"),
                    );
                    None
                }
                f => f,
            };
            sum = match (sum, weight) {
                (Some(s), Some(w)) => s.0.checked_add(w.0).map(Figure),
                _ => None,
            };
            // Asked to score counties: there must be a county goal.
            if let (Some(c), Some(t)) = (&w.counties, target)
                && *c.get_ref()
                && t.progress == Progress::Cumulative
                && t.allocation.is_empty()
            {
                self.err(
                    c.span(),
                    format!(
                        "目标“{id}”是累计目标且没有分解到区县（allocation），不能按区县评分：请先分解到区县，或去掉 counties"
                    ),
                );
                ok = false;
            }
            match weight {
                Some(weight) => weights.push(Weight {
                    target: id,
                    weight,
                    counties: w.counties.as_ref().is_none_or(|c| *c.get_ref()),
                }),
                None => ok = false,
            }
        }
        if let (Some(t), Some(s)) = (total, sum)
            && !e.score.is_empty()
            && s != t
        {
            self.err(
                e.total.span(),
                format!("各目标分值合计为{s}，与评估总分 total（{t}）不一致"),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(Scoring {
            total: total?,
            about_tolerance,
            note: e.note.clone(),
            weights,
        })
    }

    fn meta(&mut self, m: RawMeta) -> Option<Meta> {
        let id = self.id(&m.id, "计划编号", &['-']);
        let title = self.text(&m.title, "title");
        let issuer = self.text(&m.issuer, "issuer");
        let issued = self.date(&m.issued, "issued");
        let start = self.date(&m.start, "start");
        let end = self.date(&m.end, "end");
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            self.err(m.end.span(), format!("计划期结束日期 {e} 早于开始日期 {s}"));
        }
        let region = match DivisionCode::parse(m.region.get_ref()) {
            Ok(c) if matches!(c.level(), Level::City | Level::County) => Some(c),
            Ok(_) => {
                self.err(m.region.span(), "目标区域 region 应为市或区县的区划代码，如 341000");
                None
            }
            Err(e) => {
                self.err(m.region.span(), format!("目标区域 region“{}”：{e}", m.region.get_ref()));
                None
            }
        };
        let office = self.unit(&m.office, "专班办公室 office");
        Some(Meta {
            id,
            title,
            notice: m.notice,
            recipients: m.recipients,
            notice_body: m.notice_body,
            issuer,
            issued: issued?,
            disclosure: m.disclosure,
            basis: m.basis,
            region: region?,
            start: start?,
            end: end?,
            office: office?,
            preamble: m.preamble,
            guiding_thought: m.guiding_thought,
            goal: m.goal,
        })
    }

    fn cycle(&mut self, s: &S<String>) -> Option<Cycle> {
        let c = Cycle::from_code(s.get_ref().trim());
        if c.is_none() {
            let list: Vec<String> = Cycle::ALL
                .iter()
                .map(|c| format!("{}（{}）", c.code(), c.label_zh()))
                .collect();
            self.err(
                s.span(),
                format!("调度周期“{}”无效，可选：{}", s.get_ref(), list.join("、")),
            );
        }
        c
    }

    fn reporting(&mut self, r: RawReporting) -> Option<Reporting> {
        let cycle = self.cycle(&r.cycle);
        let days = *r.due_working_days.get_ref();
        if !(0..=60).contains(&days) {
            self.err(
                r.due_working_days.span(),
                format!("报送期限 due_working_days 应为0至60个工作日，这里是{days}"),
            );
        }
        Some(Reporting {
            cycle: cycle?,
            due_working_days: u32::try_from(days).ok().filter(|d| *d <= 60)?,
            note: r.note,
        })
    }

    fn thresholds(&mut self, t: &RawThresholds) -> Option<Thresholds> {
        let lag = *t.lagging_below.get_ref();
        let sev = *t.severe_below.get_ref();
        let mut ok = true;
        if !(1..=100).contains(&lag) {
            self.err(
                t.lagging_below.span(),
                format!("滞后阈值 lagging_below 应为1至100（百分比），这里是{lag}"),
            );
            ok = false;
        }
        if !(0..=100).contains(&sev) {
            self.err(
                t.severe_below.span(),
                format!("严重滞后阈值 severe_below 应为0至100（百分比），这里是{sev}"),
            );
            ok = false;
        }
        if ok && sev >= lag {
            self.err(
                t.severe_below.span(),
                format!("阈值顺序不对：严重滞后阈值 severe_below（{sev}）应小于滞后阈值 lagging_below（{lag}）"),
            );
            ok = false;
        }
        ok.then(|| Thresholds {
            lagging_below: u32::try_from(lag).unwrap_or(0),
            severe_below: u32::try_from(sev).unwrap_or(0),
        })
    }

    fn figure(&mut self, v: &S<toml::Value>, key: &str) -> Option<Figure> {
        let f = match v.get_ref() {
            toml::Value::Integer(n) => Figure::from_int(*n),
            toml::Value::Float(x) if x.is_finite() && x.abs() < 1e14 => {
                let scaled = x * Figure::SCALE as f64;
                let rounded = scaled.round();
                ((scaled - rounded).abs() < 1e-6).then_some(Figure(rounded as i64))
            }
            _ => None,
        };
        if f.is_none() {
            self.err(v.span(), format!("“{key}”应为数字（最多四位小数）"));
        }
        f
    }

    fn target(&mut self, st: &S<RawTarget>, region: Option<DivisionCode>) -> Option<Target> {
        let t = st.get_ref();
        let id = self.id(&t.id, "目标编号", &['_']);
        let name = self.text(&t.name, "name");
        let source = self.text(&t.source, "source");
        let text = self.text(&t.text, "text");
        let unit = self.text(&t.unit, "unit");
        let value = t.value.as_ref().and_then(|v| self.figure(v, "value"));
        let upper = t.upper.as_ref().and_then(|v| self.figure(v, "upper"));
        let comparison = match &t.comparison {
            None => Some(Comparison::AtLeast),
            Some(c) => {
                let found = Comparison::ALL.into_iter().find(|x| x.code() == c.get_ref().trim());
                if found.is_none() {
                    let list: Vec<String> = Comparison::ALL
                        .iter()
                        .map(|x| format!("{}（{}）", x.code(), x.label_zh()))
                        .collect();
                    self.err(
                        c.span(),
                        format!("比较方式“{}”无效，可选：{}", c.get_ref(), list.join("、")),
                    );
                }
                found
            }
        };
        match (comparison, &t.upper) {
            (Some(Comparison::Between), None) => self.err(
                t.comparison.as_ref().map_or(st.span(), Spanned::span),
                "区间目标（between）须写上限 upper",
            ),
            (Some(c), Some(u)) if c != Comparison::Between => {
                self.err(u.span(), "只有区间目标（comparison = \"between\"）才写上限 upper")
            }
            _ => {}
        }
        if let (Some(v), Some(u), Some(up)) = (value, upper, &t.upper)
            && u <= v
        {
            self.err(up.span(), format!("上限 upper（{u}）应大于目标值 value（{v}）"));
        }

        // How it is measured.
        let measurement = match (&t.compute, &t.count, &t.reporter) {
            (Some(_), Some(c), _) => {
                self.err(
                    c.span(),
                    "目标只能是自动计算（[target.compute]）或台账统计（[target.count]）之一，不能两者都写",
                );
                None
            }
            (Some(_), None, Some(r)) => {
                self.err(
                    r.span(),
                    "目标只能是自动计算（[target.compute]）或部门填报（reporter）之一，不能两者都写",
                );
                None
            }
            (None, None, None) => {
                self.err(
                    t.id.span(),
                    format!("目标“{id}”缺少计算口径 [target.compute]、台账统计 [target.count] 或填报单位 reporter"),
                );
                None
            }
            (Some(q), None, None) => {
                if let Some(c) = &t.cycle {
                    self.err(c.span(), "cycle 只用于部门填报（reporter）的目标");
                }
                self.query(q, true).map(Measurement::Computed)
            }
            (None, Some(c), r) => {
                if let (Some(cy), None) = (&t.cycle, r) {
                    self.err(cy.span(), "cycle 只用于部门填报（reporter）的目标");
                }
                let count = self.count(c);
                let reporter = r.as_ref().map(|r| self.unit(r, "填报单位 reporter"));
                let cycle = t.cycle.as_ref().map(|c| self.cycle(c));
                match (count, reporter, cycle) {
                    (Some(count), None, cycle @ (None | Some(Some(_)))) => Some(Measurement::Counted {
                        count,
                        reporter: None,
                        cycle: cycle.flatten(),
                    }),
                    (Some(count), Some(Some(reporter)), cycle @ (None | Some(Some(_)))) => Some(Measurement::Counted {
                        count,
                        reporter: Some(reporter),
                        cycle: cycle.flatten(),
                    }),
                    _ => None,
                }
            }
            (None, None, Some(r)) => {
                let reporter = self.unit(r, "填报单位 reporter");
                match t.cycle.as_ref().map(|c| self.cycle(c)) {
                    Some(None) => None,
                    cycle => reporter.map(|reporter| Measurement::Reported {
                        reporter,
                        cycle: cycle.flatten(),
                    }),
                }
            }
        };
        if let Some(Measurement::Counted { count, .. }) = &measurement
            && let Some(p) = &t.progress
            && p.get_ref().trim() == "cumulative"
            && count.aggregate == FacilityAggregate::Counties
        {
            self.err(p.span(), "区县覆盖（counties）是水平值，进度方式应为 level");
        }
        if let Some(Measurement::Counted { .. }) = &measurement
            && (money_unit_of(&unit) || unit == "%")
        {
            self.err(
                t.unit.span(),
                format!("台账统计的单位应为家、个、套（间）、个区县等，不能是“{unit}”"),
            );
        }

        // Unit and progress against the computation.
        let is_ratio = matches!(measurement, Some(Measurement::Computed(Query::Ratio { .. })));
        let progress = match &t.progress {
            None if is_ratio => Some(Progress::Level),
            None => Some(Progress::Cumulative),
            Some(p) => {
                match p.get_ref().trim() {
                    "cumulative" if is_ratio => {
                        self.err(
                            p.span(),
                            "比值（ratio）目标不能按累计进度（cumulative）比较，应为 level",
                        );
                        None
                    }
                    "cumulative" => Some(Progress::Cumulative),
                    "level" => Some(Progress::Level),
                    other => {
                        self.err(
                        p.span(),
                        format!("进度方式“{other}”无效，可选：cumulative（累计，按时间进度）、level（水平，如比例、增长率）"),
                    );
                        None
                    }
                }
            }
        };
        let money_unit = MONEY_UNITS.iter().any(|(u, _)| *u == unit);
        if let Some(Measurement::Computed(q)) = &measurement {
            match q {
                Query::Ratio { .. } if unit != "%" => {
                    self.err(t.unit.span(), format!("比值目标的单位应为“%”，这里是“{unit}”"))
                }
                Query::Tally(tally) if tally.is_money() && !money_unit => self.err(
                    t.unit.span(),
                    format!("金额合计的单位应为元、万元或亿元，这里是“{unit}”"),
                ),
                Query::Tally(tally) if !tally.is_money() && (money_unit || unit == "%") => self.err(
                    t.unit.span(),
                    format!("计数目标的单位不能是“{unit}”（金额单位只用于金额合计，“%”只用于比值）"),
                ),
                _ => {}
            }
            if value.is_none() && t.value.is_none() && t.allocation.is_none() {
                self.err(
                    t.id.span(),
                    format!("自动计算的目标“{id}”须有目标值 value（或分解到区县的 allocation）"),
                );
            }
        }

        // Allocation to counties.
        let mut allocation = BTreeMap::new();
        if let Some(a) = &t.allocation {
            for (key, v) in a.get_ref() {
                let code = DivisionCode::parse(key).ok().filter(|c| {
                    c.level() == Level::County
                        && region.is_none_or(|r| r.contains(*c))
                        && (self.ctx.counties.is_empty() || self.ctx.counties.iter().any(|(k, _)| k == c))
                });
                let fig = self.figure(v, "allocation");
                match code {
                    Some(c) => {
                        if let Some(f) = fig {
                            allocation.insert(c, f);
                        }
                    }
                    None => {
                        let list: Vec<String> = self
                            .ctx
                            .counties
                            .iter()
                            .filter(|(c, _)| region.is_none_or(|r| r.contains(*c)))
                            .map(|(c, n)| format!("{c}（{n}）"))
                            .collect();
                        self.err(
                            v.span(),
                            format!("分解对象“{key}”不是本市的区县代码，可选：{}", list.join("、")),
                        );
                    }
                }
            }
        }
        let status = t.status.as_ref().map(|s| self.thresholds(s.get_ref()));
        Some(Target {
            id,
            name,
            source,
            text,
            value,
            upper,
            unit,
            comparison: comparison?,
            progress: progress?,
            measurement: measurement?,
            allocation,
            status: match status {
                Some(None) => return None,
                s => s.flatten(),
            },
            note: t.note.clone(),
        })
    }

    fn query(&mut self, sq: &S<RawQuery>, top: bool) -> Option<Query> {
        let q = sq.get_ref();
        let agg = q.aggregate.get_ref().trim();
        if agg == "ratio" {
            if !top {
                self.err(q.aggregate.span(), "比值的分子、分母不能再是比值");
                return None;
            }
            if !q.from.is_empty() || q.distinct.is_some() || q.field.is_some() {
                self.err(
                    q.aggregate.span(),
                    "比值（ratio）的数据来源、distinct 和 field 写在分子 numerator 和分母 denominator 里",
                );
            }
            let (numerator, denominator) = match (&q.numerator, &q.denominator) {
                (Some(n), Some(d)) => (self.tally(n), self.tally(d)),
                (n, d) => {
                    let missing = match (n, d) {
                        (None, None) => "分子 numerator 和分母 denominator",
                        (None, _) => "分子 numerator",
                        _ => "分母 denominator",
                    };
                    self.err(q.aggregate.span(), format!("比值（ratio）缺少{missing}"));
                    return None;
                }
            };
            return Some(Query::Ratio {
                numerator: numerator?,
                denominator: denominator?,
            });
        }
        self.tally(sq).map(Query::Tally)
    }

    fn tally(&mut self, sq: &S<RawQuery>) -> Option<Tally> {
        let q = sq.get_ref();
        let agg = q.aggregate.get_ref().trim();
        if let Some(n) = q.numerator.as_ref().or(q.denominator.as_ref()) {
            self.err(n.span(), "只有比值（aggregate = \"ratio\"）才有分子、分母");
        }
        if agg == "ratio" {
            self.err(q.aggregate.span(), "比值的分子、分母不能再是比值");
            return None;
        }
        if q.from.is_empty() {
            self.err(
                q.aggregate.span(),
                "缺少数据来源：至少写一个 from（业务类别及筛选条件）",
            );
        }
        let sources: Vec<Option<(Source, &'static KindSpec)>> = q.from.iter().map(|s| self.source(s)).collect();
        let specs: Vec<&'static KindSpec> = sources.iter().flatten().map(|(_, k)| *k).collect();
        // Cases are counted from their own table at read time: a tally takes
        // cases or registry records, never both.
        let cases = specs.iter().filter(|k| k.kind == RecordKind::WageCase).count();
        if cases > 0 && cases < specs.len() {
            self.err(
                q.aggregate.span(),
                "同一项统计的数据来源不能既有欠薪案件（wage_case）又有业务记录，请分开统计",
            );
            return None;
        }
        if cases > 0 && agg == "count_distinct" {
            self.err(
                q.aggregate.span(),
                "欠薪案件（wage_case）不能去重计数，请用 count（件数）或 sum（金额、人数）",
            );
            return None;
        }
        let aggregate = match agg {
            "count" | "count_distinct" | "sum" => {
                if agg != "sum"
                    && let Some(f) = &q.field
                {
                    self.err(f.span(), "field 只用于求和（sum）");
                }
                if agg != "count_distinct"
                    && let Some(d) = &q.distinct
                {
                    self.err(d.span(), "distinct 只用于去重计数（count_distinct）");
                }
                match agg {
                    "count" => Some(Aggregate::Count),
                    "count_distinct" => match &q.distinct {
                        None => {
                            self.err(
                                q.aggregate.span(),
                                "去重计数（count_distinct）须写 distinct：worker（按人）或字段名",
                            );
                            None
                        }
                        Some(d) if d.get_ref().trim() == "worker" => Some(Aggregate::CountDistinct(Distinct::Worker)),
                        Some(d) => self
                            .field_in_all(d, &specs, None)
                            .map(|k| Aggregate::CountDistinct(Distinct::Field(k))),
                    },
                    _ => match &q.field {
                        None => {
                            self.err(q.aggregate.span(), "求和（sum）须写 field：金额或人数、套数字段");
                            None
                        }
                        Some(f) => self.field_in_all(f, &specs, Some(true)).map(Aggregate::Sum),
                    },
                }
            }
            other => {
                self.err(
                    q.aggregate.span(),
                    format!("统计方式“{other}”无效，可选：count（计数）、count_distinct（去重计数）、sum（求和）、ratio（比值）"),
                );
                None
            }
        };
        let from: Option<Vec<Source>> = sources.into_iter().map(|s| s.map(|(s, _)| s)).collect();
        let from = from?;
        if from.is_empty() {
            return None;
        }
        // Family members are counted as people, one each: only a count.
        if let Some(s) = q
            .from
            .iter()
            .find(|s| s.get_ref().family.as_ref().is_some_and(|f| *f.get_ref()))
            && !matches!(aggregate, Some(Aggregate::Count))
        {
            self.err(
                s.span(),
                "计入随迁家属（family = true）只用于计数（aggregate = \"count\"）",
            );
            return None;
        }
        // Distinct counts are kept current by the first day each worker
        // counts, which needs one window that does not slide.
        if let Some(Aggregate::CountDistinct(d)) = &aggregate {
            if matches!(d, Distinct::Field(_)) {
                self.err(q.aggregate.span(), "去重计数目前只支持按人（distinct = \"worker\"）");
                return None;
            }
            let first = from[0].window;
            if first == Window::RollingYear || from.iter().any(|s| s.window != first) {
                self.err(
                    q.aggregate.span(),
                    "按人去重计数的各数据来源须使用同一统计区间（window），且不能是 rolling_year",
                );
                return None;
            }
        }
        Some(Tally {
            aggregate: aggregate?,
            from,
        })
    }

    /// What a `[target.count]` counts: a facility kind (`facility`) or a
    /// register of the public employment service (`service`), exactly one.
    fn count_source(&mut self, sc: &S<RawCount>) -> Option<CountSource> {
        let c = sc.get_ref();
        match (&c.facility, &c.service) {
            (Some(code), None) => {
                let k = code.get_ref().trim();
                let kind = FacilityKind::from_code(k).map(CountSource::Facility);
                if kind.is_none() {
                    let list: Vec<String> = FacilityKind::ALL
                        .iter()
                        .map(|k| format!("{}（{}）", k.code(), k.label_zh()))
                        .collect();
                    self.err(code.span(), format!("未知的设施台账“{k}”，可选：{}", list.join("、")));
                }
                kind
            }
            (None, Some(code)) => {
                let k = code.get_ref().trim();
                let register = ServiceRegister::from_code(k).map(CountSource::Service);
                if register.is_none() {
                    let list: Vec<String> = ServiceRegister::ALL
                        .iter()
                        .map(|r| format!("{}（{}）", r.code(), r.label_zh()))
                        .collect();
                    self.err(
                        code.span(),
                        format!("未知的就业服务台账“{k}”，可选：{}", list.join("、")),
                    );
                }
                register
            }
            (Some(_), Some(s)) => {
                self.err(s.span(), "facility（设施台账）和 service（就业服务台账）只能写一个");
                None
            }
            (None, None) => {
                self.err(
                    sc.span(),
                    "缺少统计对象：写 facility（设施台账）或 service（就业服务台账）",
                );
                None
            }
        }
    }

    /// `[target.count]`: what is counted (a facility registry or a register
    /// of the public employment service), how, the date field and window
    /// that place an entry in time, and the filters.
    fn count(&mut self, sc: &S<RawCount>) -> Option<FacilityCount> {
        let c = sc.get_ref();
        let kind = self.count_source(sc)?;
        let spec = kind.spec();
        let mut ok = true;
        let agg = c.aggregate.as_ref().map_or("count", |a| a.get_ref().trim());
        if agg != "sum"
            && let Some(f) = &c.field
        {
            self.err(f.span(), "field 只用于求和（sum）");
            ok = false;
        }
        let aggregate = match agg {
            "count" => Some(FacilityAggregate::Count),
            "counties" => Some(FacilityAggregate::Counties),
            "sum" => match &c.field {
                None => {
                    self.err(sc.span(), "求和（sum）须写 field：数量字段，如 delivered");
                    None
                }
                Some(f) => {
                    let k = f.get_ref().trim();
                    match spec.field(k) {
                        Some(field) if field.ty == FieldType::Count => Some(FacilityAggregate::Sum(field.key)),
                        Some(field) => {
                            self.err(f.span(), format!("字段“{}”（{k}）不是数量，不能求和", field.label));
                            None
                        }
                        None => {
                            self.err(f.span(), unknown_facility_field(spec, k));
                            None
                        }
                    }
                }
            },
            other => {
                let span = c.aggregate.as_ref().map_or(sc.span(), Spanned::span);
                self.err(
                    span,
                    format!("台账统计方式“{other}”无效，可选：count（个数）、sum（求和）、counties（覆盖区县数）"),
                );
                None
            }
        };
        let date = match &c.date {
            // Every entry of a register is dated: without its date, a figure
            // as of a past day would count entries made since.
            None if matches!(kind, CountSource::Service(_)) => {
                let dates: Vec<String> = spec
                    .fields()
                    .iter()
                    .filter(|f| f.ty == FieldType::Date)
                    .map(|f| format!("{}（{}）", f.key, f.label))
                    .collect();
                self.err(
                    sc.span(),
                    format!(
                        "就业服务台账统计须写日期字段 date，确定每条记录所属时段，可选：{}",
                        dates.join("、")
                    ),
                );
                ok = false;
                None
            }
            None => None,
            Some(d) => {
                let k = d.get_ref().trim();
                match spec.field(k) {
                    Some(f) if f.ty == FieldType::Date => Some(f.key),
                    Some(f) => {
                        self.err(
                            d.span(),
                            format!("字段“{}”（{k}）不是日期，不能用来确定台账记录所属时段", f.label),
                        );
                        ok = false;
                        None
                    }
                    None => {
                        self.err(d.span(), unknown_facility_field(spec, k));
                        ok = false;
                        None
                    }
                }
            }
        };
        let window = match &c.window {
            None if c.date.is_none() => Window::ToDate,
            None => Window::Plan,
            Some(w) => match self.window(w) {
                Some(x) if c.date.is_none() && x != Window::ToDate => {
                    self.err(
                        w.span(),
                        "没有写日期字段 date 的台账统计按截至当日在册的设施计算，时间范围只能是 to_date",
                    );
                    ok = false;
                    x
                }
                Some(x) => x,
                None => {
                    ok = false;
                    Window::Plan
                }
            },
        };
        let filters = self.filters(spec, &c.filters, &|k| unknown_facility_field(spec, k), &mut ok);
        let aggregate = aggregate?;
        ok.then_some(FacilityCount {
            kind,
            aggregate,
            date,
            window,
            filters,
        })
    }

    /// A field key that every source kind has (`summable`: money or count).
    fn field_in_all(
        &mut self,
        key: &S<String>,
        specs: &[&'static KindSpec],
        summable: Option<bool>,
    ) -> Option<&'static str> {
        let k = key.get_ref().trim();
        let mut found = None;
        for spec in specs {
            match spec.field(k) {
                None => {
                    self.err(key.span(), unknown_field(spec, k));
                    return None;
                }
                Some(f) => {
                    if summable.is_some() && !matches!(f.ty, FieldType::Money | FieldType::Count) {
                        self.err(key.span(), format!("字段“{}”（{k}）不是金额或数量，不能求和", f.label));
                        return None;
                    }
                    found = Some(f.key);
                }
            }
        }
        found
    }

    fn source(&mut self, ss: &S<RawSource>) -> Option<(Source, &'static KindSpec)> {
        let s = ss.get_ref();
        let code = s.kind.get_ref().trim();
        let spec = RecordKind::from_code(code).and_then(source_spec);
        let Some(spec) = spec else {
            let list: Vec<String> = KINDS
                .iter()
                .map(|k| format!("{}（{}）", k.code(), k.label_zh()))
                .chain(std::iter::once(format!(
                    "{}（欠薪线索/案件）",
                    RecordKind::WageCase.code()
                )))
                .collect();
            self.err(
                s.kind.span(),
                format!("未知的业务类别“{code}”，可选：{}", list.join("、")),
            );
            return None;
        };
        let mut ok = true;
        let date = match &s.date {
            None => None,
            Some(d) => {
                let k = d.get_ref().trim();
                match spec.field(k) {
                    Some(f) if matches!(f.ty, FieldType::Date | FieldType::SchoolYear) => Some(f.key),
                    Some(f) => {
                        self.err(
                            d.span(),
                            format!("字段“{}”（{k}）不是日期，不能用来确定记录所属时段", f.label),
                        );
                        ok = false;
                        None
                    }
                    None => {
                        self.err(d.span(), unknown_field(spec, k));
                        ok = false;
                        None
                    }
                }
            }
        };
        let window = match &s.window {
            None => Window::Plan,
            Some(w) => self.window(w).unwrap_or_else(|| {
                ok = false;
                Window::Plan
            }),
        };
        let filters = self.filters(spec, &s.filters, &|k| unknown_field(spec, k), &mut ok);
        let when = self.filters(spec, &s.family_when, &|k| unknown_field(spec, k), &mut ok);
        let family = match (s.family.as_ref().map(|f| *f.get_ref()), s.family_when.first()) {
            (Some(true), _) if spec.kind == RecordKind::WageCase => {
                self.err(ss.span(), "欠薪案件（wage_case）没有随迁家属，不能写 family");
                ok = false;
                None
            }
            (Some(true), _) => Some(when),
            (_, Some(first)) => {
                self.err(
                    first.span(),
                    "family_when 只与 family = true 一起使用（随迁家属在满足这些条件时一并计入）",
                );
                ok = false;
                None
            }
            _ => None,
        };
        ok.then_some((
            Source {
                kind: spec.kind,
                date,
                window,
                filters,
                family,
            },
            spec,
        ))
    }

    /// A time window by its code, or an error naming the choices.
    fn window(&mut self, w: &S<String>) -> Option<Window> {
        let found = Window::ALL.into_iter().find(|x| x.code() == w.get_ref().trim());
        if found.is_none() {
            self.err(
                w.span(),
                format!(
                    "时间范围“{}”无效，可选：plan（计划期内至当日）、to_date（截至当日累计）、rolling_year（截至当日的12个月）",
                    w.get_ref()
                ),
            );
        }
        found
    }

    /// Every filter of a list that checks; `ok` is cleared when one does not.
    fn filters(
        &mut self,
        spec: &dyn crate::field::FieldSpec,
        list: &[S<RawFilter>],
        unknown: &dyn Fn(&str) -> String,
        ok: &mut bool,
    ) -> Vec<Filter> {
        let mut out = Vec::new();
        for f in list {
            match self.filter(spec, f, unknown) {
                Some(f) => out.push(f),
                None => *ok = false,
            }
        }
        out
    }

    fn filter(
        &mut self,
        spec: &dyn crate::field::FieldSpec,
        sf: &S<RawFilter>,
        unknown: &dyn Fn(&str) -> String,
    ) -> Option<Filter> {
        let f = sf.get_ref();
        let k = f.field.get_ref().trim();
        let Some(field) = spec.field(k) else {
            self.err(f.field.span(), unknown(k));
            return None;
        };
        let ops = usize::from(f.is.is_some()) + usize::from(f.not.is_some()) + usize::from(f.present.is_some());
        if ops != 1 {
            self.err(
                sf.span(),
                format!("筛选条件（字段 {k}）须有且只有 is、not、present 之一"),
            );
            return None;
        }
        if let Some(p) = &f.present {
            return Some(Filter {
                field: field.key,
                test: Test::Present(*p.get_ref()),
            });
        }
        let (vals, negate) = match (&f.is, &f.not) {
            (Some(v), _) => (v, false),
            (_, Some(v)) => (v, true),
            _ => return None,
        };
        let raw: Option<Vec<&str>> = match vals.get_ref() {
            toml::Value::String(s) => Some(vec![s.as_str()]),
            toml::Value::Array(a) if !a.is_empty() => a.iter().map(toml::Value::as_str).collect(),
            _ => None,
        };
        let Some(raw) = raw else {
            self.err(vals.span(), format!("筛选值（字段 {k}）应为文本或非空的文本数组"));
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for v in raw {
            let v = v.trim();
            let canon: Option<String> = match field.ty {
                FieldType::Choice(list) => list.iter().find(|c| **c == v).map(|c| (*c).to_string()),
                FieldType::Flag => record::parse_flag(v).map(|b| if b { "是" } else { "否" }.to_string()),
                FieldType::Industry => INDUSTRIES
                    .iter()
                    .find(|(code, name)| code.eq_ignore_ascii_case(v) || *name == v)
                    .map(|(code, _)| (*code).to_string()),
                FieldType::Text(_) if !v.is_empty() => Some(v.to_string()),
                FieldType::Text(_) => None,
                _ => {
                    self.err(
                        vals.span(),
                        format!("字段“{}”（{k}）不能按取值筛选，只能用 present（是否填写）", field.label),
                    );
                    return None;
                }
            };
            match canon {
                Some(c) => out.push(c),
                None => {
                    let choices = field.ty.choices();
                    let hint = if choices.is_empty() {
                        String::new()
                    } else {
                        format!("，可选：{}", choices.join("、"))
                    };
                    self.err(
                        vals.span(),
                        format!("字段“{}”（{k}）没有“{v}”这个取值{hint}", field.label),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(Filter {
            field: field.key,
            test: if negate { Test::NotIn(out) } else { Test::In(out) },
        })
    }

    fn item(
        &mut self,
        si: &S<RawItem>,
        expected: usize,
        targets: &BTreeMap<String, usize>,
        measure_ids: &mut BTreeMap<String, usize>,
    ) -> Option<Item> {
        let it = si.get_ref();
        let no = *it.no.get_ref();
        if no != expected as i64 {
            self.err(
                it.no.span(),
                format!("工作举措应依次编号，这里应为 {expected}，写的是 {no}"),
            );
        }
        let section = self.text(&it.section, "section");
        let title = self.text(&it.title, "title");
        if it.measure.is_empty() {
            self.err(
                si.span(),
                format!(
                    "（{}）须至少有一条具体举措 [[item.measure]]",
                    numeral_zh(expected as u32)
                ),
            );
        }
        let mut measures = Vec::new();
        for sm in &it.measure {
            let m = sm.get_ref();
            let id = self.id(&m.id, "举措编号", &['.', '-', '_']);
            let line = line_of(self.text, m.id.span().start);
            if let Some(first) = measure_ids.get(&id) {
                self.err(m.id.span(), format!("举措编号“{id}”重复，第{first}行已经用过"));
            } else {
                measure_ids.insert(id.clone(), line);
            }
            if let Some(m) = self.measure(id, m, targets) {
                measures.push(m);
            }
        }
        Some(Item {
            no: u32::try_from(no).ok()?,
            section,
            title,
            measures,
        })
    }

    fn units(&mut self, list: &[S<String>], role: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        let mut ok = true;
        for u in list {
            match self.unit(u, role) {
                Some(c) if out.contains(&c) => {
                    self.err(u.span(), format!("{role}“{c}”重复列出"));
                    ok = false;
                }
                Some(c) => out.push(c),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn measure(&mut self, id: String, m: &RawMeasure, targets: &BTreeMap<String, usize>) -> Option<Measure> {
        let text = self.text(&m.text, "text");
        let lead = self.units(&m.lead, "责任单位");
        let cooperating = self.units(&m.cooperating, "配合单位");
        if let (Some(l), Some(c)) = (&lead, &cooperating) {
            for (u, s) in m.cooperating.iter().map(|s| (s.get_ref().trim(), s)) {
                if l.iter().any(|x| x == u) {
                    self.err(s.span(), format!("单位“{u}”不能既是责任单位又是配合单位"));
                }
            }
            if l.is_empty() && !c.is_empty() {
                self.err(m.cooperating[0].span(), "有配合单位的举措须写责任单位 lead");
            }
        }
        let responsibility = match &m.responsibility {
            None => None,
            Some(r) => {
                let clause = self.text(r, "responsibility");
                if let (Some(l), Some(c)) = (&lead, &cooperating) {
                    let spans = [
                        m.lead.first().map_or(r.span(), Spanned::span),
                        m.cooperating.first().map_or(r.span(), Spanned::span),
                    ];
                    self.clause_matches(r, &clause, [l, c], spans);
                }
                Some(clause)
            }
        };
        let due = m.due.as_ref().map(|d| self.date(d, "due"));
        let mut ts = Vec::new();
        for t in &m.targets {
            let tid = t.get_ref().trim();
            if targets.contains_key(tid) {
                ts.push(tid.to_string());
            } else {
                self.err(t.span(), format!("目标编号“{tid}”不存在（须在 [[target]] 中定义）"));
            }
        }
        Some(Measure {
            id,
            text,
            responsibility,
            lead: lead?,
            cooperating: cooperating?,
            counties: m.counties,
            others: m.others.iter().map(|s| s.trim().to_string()).collect(),
            due: match due {
                Some(None) => return None,
                d => d.flatten(),
            },
            targets: ts,
        })
    }

    /// The units the clause names must be the lead and cooperating units, in order.
    fn clause_matches(&mut self, r: &S<String>, clause: &str, [lead, coop]: [&[String]; 2], spans: [Range<usize>; 2]) {
        let (named_lead, named_coop) = named_units(clause);
        let [lead_span, coop_span] = spans;
        for (names, codes, role, key, span) in [
            (named_lead, lead, "责任单位", "lead", lead_span),
            (named_coop, coop, "配合单位", "cooperating", coop_span),
        ] {
            let mut resolved = Vec::new();
            for n in names {
                match self.ctx.unit_named(n) {
                    Some(u) => resolved.push(u.code.clone()),
                    None => {
                        self.err(
                            r.span(),
                            format!("responsibility 中的{role}“{n}”不在单位名单中（应为单位全称或简称）"),
                        );
                        return;
                    }
                }
            }
            if resolved != codes {
                self.err(
                    span,
                    format!(
                        "{key} 与原文不一致：原文的{role}为 [{}]，{key} 写的是 [{}]",
                        resolved.join(", "),
                        codes.join(", ")
                    ),
                );
            }
        }
    }
}

impl Tally {
    /// Whether the tally sums a money field.
    pub fn is_money(&self) -> bool {
        match self.aggregate {
            Aggregate::Sum(key) => self
                .from
                .iter()
                .filter_map(|s| source_spec(s.kind))
                .any(|spec| spec.field(key).is_some_and(|f| f.ty == FieldType::Money)),
            _ => false,
        }
    }

    /// Whether the tally counts wage-arrears cases (the plan check keeps
    /// cases and registry records apart).
    pub fn is_cases(&self) -> bool {
        !self.from.is_empty() && self.from.iter().all(|s| s.kind == RecordKind::WageCase)
    }
}

fn unknown_facility_field(spec: &dyn crate::field::FieldSpec, key: &str) -> String {
    let list: Vec<String> = spec
        .fields()
        .iter()
        .map(|f| format!("{}（{}）", f.key, f.label))
        .collect();
    format!(
        "台账“{}”（{}）没有字段“{key}”，可用字段：{}",
        spec.label(),
        spec.code(),
        list.join("、")
    )
}

fn money_unit_of(unit: &str) -> bool {
    MONEY_UNITS.iter().any(|(u, _)| *u == unit)
}

fn unknown_field(spec: &KindSpec, key: &str) -> String {
    let list: Vec<String> = spec
        .fields
        .iter()
        .map(|f| format!("{}（{}）", f.key, f.label))
        .collect();
    format!(
        "业务类别“{}”（{}）没有字段“{key}”，可用字段：{}",
        spec.kind.label_zh(),
        spec.kind.code(),
        list.join("、")
    )
}
