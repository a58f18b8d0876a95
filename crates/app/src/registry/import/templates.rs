//! What a file imports and its columns: the kinds, the template
//! columns with their examples, and the template workbooks.

use crate::error::AppResult;
use crate::registry::workers::EDUCATION;
use crate::xlsx::TemplateColumn;
use shiminhua_core::auth::Actor;
use shiminhua_core::auth::{Permission, RecordKind};
use shiminhua_core::facility::FacilityKind;
use shiminhua_core::monitor::forms as monitor_forms;
use shiminhua_core::record::{self, FieldType, KindSpec};

/// What a file imports: workers, one record kind, one facility kind, or the
/// national platform's list of transferred wage-arrears clues.
#[derive(Clone, Copy, Debug)]
pub enum ImportKind {
    Workers,
    Records(&'static KindSpec),
    Facilities(FacilityKind),
    /// 全国根治欠薪线索反映平台转办线索 (registered as cases, deduplicated
    /// on the platform's clue number).
    PlatformCases,
    /// 工程建设项目 (wage-payment monitoring), keyed by project code.
    Projects,
    /// 实名制名单及考勤: workers on projects, with a month's attendance.
    ProjectRoster,
    /// 工资发放: the bank's payroll file, matched to the rosters.
    Payroll,
    /// 招聘岗位: employers' vacancies as the HR offices collect them, an
    /// open vacancy of the same employer, title and place changed.
    Vacancies,
}

impl PartialEq for ImportKind {
    fn eq(&self, other: &ImportKind) -> bool {
        self.code() == other.code()
    }
}

impl ImportKind {
    /// From a code as in the CLI and URLs: `worker`, `employment`, …,
    /// `station`, …
    pub fn parse(code: &str) -> Option<ImportKind> {
        if code == PLATFORM_CASES {
            return Some(ImportKind::PlatformCases);
        }
        if let Some(k) = [
            ImportKind::Projects,
            ImportKind::ProjectRoster,
            ImportKind::Payroll,
            ImportKind::Vacancies,
        ]
        .into_iter()
        .find(|k| k.code() == code)
        {
            return Some(k);
        }
        if let Some(kind) = FacilityKind::from_code(code) {
            return Some(ImportKind::Facilities(kind));
        }
        match RecordKind::from_code(code)? {
            RecordKind::Worker => Some(ImportKind::Workers),
            kind => record::spec(kind).map(ImportKind::Records),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ImportKind::Workers => RecordKind::Worker.code(),
            ImportKind::Records(s) => s.kind.code(),
            ImportKind::Facilities(k) => k.code(),
            ImportKind::PlatformCases => PLATFORM_CASES,
            ImportKind::Projects => "project",
            ImportKind::ProjectRoster => "project_roster",
            ImportKind::Payroll => "payroll",
            ImportKind::Vacancies => "vacancy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Workers => "农民工名单",
            ImportKind::Records(s) => s.kind.label_zh(),
            ImportKind::Facilities(k) => k.label_zh(),
            ImportKind::PlatformCases => "全国根治欠薪线索反映平台转办线索",
            ImportKind::Projects => "工程建设项目",
            ImportKind::ProjectRoster => "实名制名单及考勤",
            ImportKind::Payroll => "工资发放",
            ImportKind::Vacancies => "招聘岗位",
        }
    }

    /// The actor may import this somewhere: workers and records where the
    /// kind is in its data scope, facilities wherever it has a region.
    pub fn in_scope(self, actor: &Actor) -> bool {
        match self {
            ImportKind::Workers => !actor.scope.ranges_for(RecordKind::Worker).is_empty(),
            ImportKind::Records(s) => !actor.scope.ranges_for(s.kind).is_empty(),
            ImportKind::Facilities(_) => !actor.scope.is_empty(),
            ImportKind::PlatformCases => !actor.scope.ranges_for(RecordKind::WageCase).is_empty(),
            ImportKind::Projects | ImportKind::ProjectRoster | ImportKind::Payroll => {
                !actor.scope.ranges_for(RecordKind::Project).is_empty()
            }
            ImportKind::Vacancies => !actor.scope.ranges_for(RecordKind::JobService).is_empty(),
        }
    }

    /// The actor's roles may import this at all: registry data with the
    /// permission to write records, cases where the roles register cases.
    pub fn permitted(self, actor: &Actor) -> bool {
        match self {
            ImportKind::PlatformCases => {
                actor.can(Permission::ReadPii) && shiminhua_core::case::may_register(&actor.roles)
            }
            _ => actor.can(Permission::WriteRecords),
        }
    }
}

/// The code of [`ImportKind::PlatformCases`] (CLI and URLs).
pub const PLATFORM_CASES: &str = "platform_case";

/// All import kinds, in menu order.
pub fn kinds() -> Vec<ImportKind> {
    std::iter::once(ImportKind::Workers)
        .chain(
            record::KINDS
                .iter()
                .filter_map(|k| record::spec(*k))
                .map(ImportKind::Records),
        )
        .chain(FacilityKind::ALL.into_iter().map(ImportKind::Facilities))
        .chain([
            ImportKind::PlatformCases,
            ImportKind::Projects,
            ImportKind::ProjectRoster,
            ImportKind::Payroll,
            ImportKind::Vacancies,
        ])
        .collect()
}

/// One column of a template.
#[derive(Clone, Debug)]
pub struct Column {
    pub key: &'static str,
    pub header: &'static str,
    pub required: bool,
    /// Kept as text in the template (ID numbers, phones, codes).
    pub text: bool,
    pub help: String,
    pub choices: Vec<String>,
    pub example: &'static str,
    /// Other headers rosters use for the column (身份证号码, 联系电话, …).
    pub aliases: &'static [&'static str],
    pub part: Part,
}

/// What a column of a file is part of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The template's own columns.
    Template,
    /// Read to check a row, not stored: the sex and birth date of a worker,
    /// which must agree with the ID number.
    Check,
    /// A worker roster's employment columns: a row with any of them filled
    /// also imports the worker's employment record (`required` then applies).
    Employment,
}

fn col(
    key: &'static str,
    header: &'static str,
    required: bool,
    text: bool,
    help: &str,
    example: &'static str,
) -> Column {
    Column {
        key,
        header,
        required,
        text,
        help: help.to_string(),
        choices: Vec::new(),
        example,
        aliases: aliases(key),
        part: Part::Template,
    }
}

/// Headers that rosters use for the registry's fields, by field key (the
/// worker's and the employment record's; other kinds' keys have none).
fn aliases(key: &str) -> &'static [&'static str] {
    match key {
        "name" | "worker_name" => &["职工姓名", "农民工姓名", "人员姓名"],
        "id_number" | "worker_id" => &[
            "身份证号码",
            "公民身份号码",
            "居民身份证号码",
            "身份证件号码",
            "身份证",
            "证件号码",
        ],
        "phone" => &["联系电话", "手机", "手机号", "联系方式", "电话", "电话号码"],
        "region" => &[
            "现居住乡镇",
            "现居住乡镇（街道）",
            "现居住地（乡镇/街道）",
            "居住乡镇",
            "现住乡镇",
            "所在乡镇",
            "乡镇（街道）",
            "乡镇",
        ],
        "hukou_place" => &["户籍地址", "户籍所在地", "户口所在地", "户籍"],
        "education" => &["学历"],
        _ => &[],
    }
}

/// Headers that rosters use for the employment record's fields.
fn employment_aliases(key: &str) -> &'static [&'static str] {
    match key {
        "credit_code" => &["统一社会信用代码", "单位统一社会信用代码", "信用代码"],
        "employer" => &["就业单位", "工作单位", "用人单位", "单位名称"],
        "industry" => &["所属行业", "行业"],
        "form" => &["用工形式", "就业方式"],
        "place" => &["就业地", "就业乡镇", "工作地点"],
        "start" => &["入职日期", "入职时间", "就业时间", "参加工作时间"],
        "end" => &["离职日期", "离职时间"],
        "wage" => &["月工资", "月收入", "工资"],
        "contract" => &["签订劳动合同", "劳动合同"],
        "public_service" => &["经公共就业服务机构介绍"],
        _ => &[],
    }
}

/// Headers that are never data: a row number, and the columns the
/// rejected-rows workbook adds (so that it can be uploaded again as it is).
pub const SKIPPED_HEADERS: [&str; 5] = ["序号", "原行号", "出错列", "错误原因", "出错人员"];

/// The template's columns for a target.
pub fn columns(target: ImportKind) -> Vec<Column> {
    match target {
        ImportKind::Workers => {
            let mut education = col("education", "文化程度", false, false, "", "初中");
            education.choices = EDUCATION.iter().map(|s| s.to_string()).collect();
            vec![
                col("name", "姓名", true, false, "2至20个汉字", "张三"),
                col(
                    "id_number",
                    "身份证号",
                    true,
                    true,
                    "18位居民身份证号；15位旧号自动转换。请勿存为数字格式，否则后几位会丢失",
                    "341021199001011234",
                ),
                col("phone", "手机号码", false, true, "11位手机号码", "13800000000"),
                col(
                    "region",
                    "现居住地",
                    true,
                    false,
                    "本市乡镇（街道）或村（社区）的名称或区划代码，重名时在前面加区县名称",
                    "徽城镇",
                ),
                col(
                    "hukou_place",
                    "户籍地",
                    false,
                    false,
                    "可在本市以外",
                    "安徽省黄山市歙县",
                ),
                education,
                col("skills", "职业技能", false, false, "", "电工"),
                col("tags", "标签", false, false, "多个标签用逗号分隔", "返乡"),
            ]
        }
        ImportKind::Records(spec) => {
            let mut cols = vec![
                col(
                    "worker_name",
                    "姓名",
                    true,
                    false,
                    "农民工本人姓名，须与登记的一致",
                    "张三",
                ),
                col(
                    "worker_id",
                    "身份证号",
                    true,
                    true,
                    "农民工本人身份证号，须已登记农民工信息。请勿存为数字格式",
                    "341021199001011234",
                ),
            ];
            for f in spec.fields {
                let text = matches!(f.ty, FieldType::CreditCode | FieldType::Child);
                let mut c = col(f.key, f.label, f.required, text, f.help, example(f.ty, f.key));
                c.choices = f.ty.choices().iter().map(|s| s.to_string()).collect();
                c.aliases = if spec.kind == RecordKind::Employment {
                    employment_aliases(f.key)
                } else {
                    &[]
                };
                cols.push(c);
            }
            cols
        }
        ImportKind::PlatformCases => platform_columns(),
        ImportKind::Projects => form_columns(monitor_forms::PROJECT.fields),
        ImportKind::Vacancies => vacancy_columns(),
        ImportKind::ProjectRoster => {
            let mut cols = people_columns();
            let mut phone = col(
                "phone",
                "手机号码",
                false,
                true,
                "尚未登记的人员按项目所在地登记，可填手机号码",
                "",
            );
            phone.aliases = &["联系电话", "手机号"];
            cols.push(phone);
            cols.extend(form_columns(monitor_forms::ROSTER.fields));
            let mut month = col(
                "month",
                "考勤月份",
                false,
                false,
                "如 2026-03；与出勤天数同时填写",
                "2026-03",
            );
            month.aliases = &["月份"];
            let mut days = col("days", "出勤天数", false, false, "", "22");
            days.aliases = &["出勤天数（天）", "考勤天数"];
            cols.extend([month, days]);
            cols
        }
        ImportKind::Payroll => {
            let mut cols = people_columns();
            cols.extend(form_columns(monitor_forms::PAYROLL.fields));
            for c in &mut cols {
                c.aliases = match c.key {
                    "amount" => &["实发工资", "金额", "发放金额", "交易金额"],
                    "paid_on" => &["交易日期", "代发日期", "入账日期"],
                    "account" => &["卡号", "银行卡号", "账号", "收款人账号"],
                    "month" => &["所属月份", "工资所属期"],
                    _ => c.aliases,
                };
            }
            cols
        }
        ImportKind::Facilities(kind) => kind
            .spec()
            .fields
            .iter()
            .map(|f| {
                let text = matches!(f.ty, FieldType::CreditCode);
                let mut c = col(f.key, f.label, f.required, text, f.help, facility_example(f.ty, f.key));
                c.choices = f.ty.choices().iter().map(|s| s.to_string()).collect();
                c
            })
            .collect(),
    }
}

/// The employment record kind (a worker roster's second kind).
pub(crate) fn employment() -> &'static KindSpec {
    static EMPLOYMENT: std::sync::OnceLock<&'static KindSpec> = std::sync::OnceLock::new();
    EMPLOYMENT.get_or_init(|| record::spec(RecordKind::Employment).unwrap_or_else(|| unreachable!()))
}

/// The columns a file of `target` is read with: the template's, then, for
/// a worker roster, the columns checked against the ID number (性别,
/// 出生日期) and the employment record's columns.
pub fn read_columns(target: ImportKind) -> Vec<Column> {
    let mut cols = columns(target);
    if target == ImportKind::Workers {
        let mut sex = col("sex", "性别", false, false, "须与身份证号一致", "男");
        sex.part = Part::Check;
        let mut birth = col("birth_date", "出生日期", false, false, "须与身份证号一致", "");
        birth.aliases = &["出生年月日"];
        birth.part = Part::Check;
        cols.extend([sex, birth]);
        // The first two are the worker's name and ID number, read once.
        for mut c in columns(ImportKind::Records(employment())).into_iter().skip(2) {
            c.part = Part::Employment;
            cols.push(c);
        }
    }
    cols
}

/// The column a user names on the command line or picks on the preview
/// page: by key (`skills`) or header (职业技能, 用人单位名称). `Some(None)`:
/// the column is to be left out (“忽略”, “不导入” or nothing).
pub fn field_named(target: ImportKind, name: &str) -> Option<Option<&'static str>> {
    let name = name.trim();
    if name.is_empty() || matches!(name, "忽略" | "不导入") {
        return Some(None);
    }
    let wanted = super::read::normalize_header(name);
    read_columns(target)
        .iter()
        .find(|c| {
            c.key == name
                || std::iter::once(c.header)
                    .chain(c.aliases.iter().copied())
                    .any(|h| super::read::normalize_header(h) == wanted)
        })
        .map(|c| Some(c.key))
}

/// The columns of the platform's transfer list.
/// The columns of a monitoring form, as the facilities' are.
fn form_columns(fields: &'static [record::Field]) -> Vec<Column> {
    fields
        .iter()
        .map(|f| {
            let text = matches!(f.ty, FieldType::CreditCode | FieldType::Text(_));
            let mut c = col(f.key, f.label, f.required, text, f.help, facility_example(f.ty, f.key));
            c.choices = f.ty.choices().iter().map(|s| s.to_string()).collect();
            c
        })
        .collect()
}

/// A vacancy's columns: the form's, under the headers employers' and HR
/// offices' lists use, and one "工资待遇" column written as a range
/// ("4000-6000", "4000至6000元") for lists that do not split the wage.
fn vacancy_columns() -> Vec<Column> {
    let mut cols = form_columns(shiminhua_core::jobs::forms::VACANCY.fields);
    for c in &mut cols {
        c.aliases = match c.key {
            "employer_code" => &["统一社会信用代码", "信用代码", "单位信用代码", "企业信用代码"],
            "employer" => &["单位名称", "用人单位", "企业名称", "招聘单位", "公司名称"],
            "industry" => &["所属行业", "行业", "行业门类"],
            "title" => &["岗位名称", "招聘岗位", "岗位", "职位", "职位名称"],
            "occupation" => &["职业", "职业分类", "职业类别", "职业代码"],
            "headcount" => &["招聘人数", "需求人数", "人数", "招聘数量"],
            "wage_min" => &["工资下限", "最低工资", "月薪下限", "最低月薪", "薪资下限"],
            "wage_max" => &["工资上限", "最高工资", "月薪上限", "最高月薪", "薪资上限"],
            "place" => &["工作地点", "工作地址", "所在乡镇", "乡镇（街道）"],
            "requirements" => &["岗位要求", "任职要求", "招聘条件", "岗位条件"],
            "contact" => &["联系方式", "报名方式", "联系电话"],
            "valid_until" => &["有效期至", "截止日期", "有效期", "招聘截止日期"],
            _ => &[],
        };
        // Either the two wage columns or the one range column.
        if matches!(c.key, "wage_min" | "wage_max") {
            c.required = false;
        }
    }
    let mut wage = col(
        "wage",
        "工资待遇",
        false,
        true,
        "不分上下限时填这一列，如 4000-6000（元/月）",
        "",
    );
    wage.aliases = &["薪资待遇", "工资", "月薪", "薪资", "月工资", "工资范围"];
    cols.push(wage);
    cols
}

/// The project and the person a roster or payroll line is about.
fn people_columns() -> Vec<Column> {
    let mut project = col(
        "project_code",
        "项目编号",
        true,
        true,
        "与工程建设项目的项目编号一致",
        "HS2026-001",
    );
    project.aliases = &["项目代码", "工程编号"];
    let mut name = col("name", "姓名", true, false, "", "张三");
    name.aliases = &["收款人", "收款人姓名", "户名"];
    let mut id = col("id_number", "身份证号码", true, true, "18位", "");
    id.aliases = &["身份证号", "证件号码", "公民身份号码"];
    vec![project, name, id]
}

fn platform_columns() -> Vec<Column> {
    let mut sector = col("sector", "行业领域", true, false, "", "工程建设");
    sector.choices = shiminhua_core::case::Sector::ALL
        .iter()
        .map(|s| s.label_zh().to_string())
        .collect();
    vec![
        col(
            "clue_no",
            "平台线索编号",
            true,
            true,
            "全国根治欠薪线索反映平台的线索编号；已登记的编号不会重复登记",
            "XS2023091200123",
        ),
        col(
            "received_on",
            "转办日期",
            true,
            false,
            "平台转办到本地的日期",
            "2023-09-12",
        ),
        col(
            "reporter_name",
            "反映人",
            false,
            false,
            "反映人姓名与联系电话都不填的，按匿名反映登记",
            "李四",
        ),
        col("reporter_phone", "联系电话", false, true, "11位手机号码", "13900000000"),
        col("reporter_id_number", "反映人身份证号", false, true, "选填", ""),
        col(
            "employer_name",
            "被反映单位",
            true,
            false,
            "",
            "黄山市某某建筑工程有限公司",
        ),
        col(
            "employer_credit_code",
            "统一社会信用代码",
            false,
            true,
            "被反映单位的18位代码",
            "",
        ),
        col("employer_address", "单位地址", false, false, "", ""),
        sector,
        col(
            "project_name",
            "项目名称",
            false,
            false,
            "工程建设领域必填",
            "徽州区某某安置房项目",
        ),
        col(
            "contractor_credit_code",
            "总承包单位信用代码",
            false,
            true,
            "工程建设领域必填",
            "91341000MA2N0Q0M26",
        ),
        col("workers", "涉及人数", true, false, "", "12"),
        col("amount_claimed", "欠薪金额（元）", true, false, "", "186,000"),
        col("arrears_from", "欠薪起始日期", true, false, "", "2023-05-01"),
        col("arrears_to", "欠薪截止日期", true, false, "", "2023-07-31"),
        col(
            "region",
            "欠薪发生地（乡镇/街道）",
            true,
            false,
            "本市乡镇（街道）的名称或区划代码，重名时在前面加区县名称",
            "岩寺镇",
        ),
        col("description", "反映内容", true, false, "", "拖欠12名工人5至7月工资"),
    ]
}

/// The example row of a facility template.
fn facility_example(ty: FieldType, key: &str) -> &'static str {
    match (ty, key) {
        (FieldType::Text(_), "name") => "黄山市某某工会驿站",
        (FieldType::Text(_), _) => "",
        (FieldType::Count, _) => "10",
        _ => example(ty, key),
    }
}

pub(super) fn example(ty: FieldType, key: &str) -> &'static str {
    match ty {
        FieldType::Text(_) => match key {
            "employer" | "business" => "黄山市某某有限公司",
            "school" => "歙县实验小学",
            "project" => "徽州区保障性租赁住房一期",
            "loan_bank" => "徽商银行",
            _ => "",
        },
        FieldType::Date | FieldType::LaterDate => "2023-03-05",
        FieldType::Money => "3,500",
        FieldType::Count => "1",
        FieldType::Flag => "是",
        FieldType::Choice(c) => c.first().copied().unwrap_or(""),
        FieldType::CreditCode => "91341000MA2N0Q0M26",
        FieldType::Industry => "制造业",
        FieldType::Place => "徽城镇",
        FieldType::SchoolYear => "2023-2024",
        FieldType::Child => "张小明",
    }
}

/// The xlsx template of a target: notes, dropdowns, an example row, and a
/// sheet of instructions.
pub fn template(target: ImportKind) -> AppResult<Vec<u8>> {
    let cols = columns(target);
    let tcols: Vec<TemplateColumn<'_>> = cols
        .iter()
        .map(|c| TemplateColumn {
            header: c.header,
            required: c.required,
            note: if c.help.is_empty() {
                if c.required { "必填" } else { "选填" }.to_string()
            } else {
                c.help.clone()
            },
            choices: c.choices.clone(),
            example: c.example.to_string(),
            text: c.text,
            width: if c.text { 22.0 } else { 16.0 },
        })
        .collect();
    xlsx_template(target, &tcols)
}

fn xlsx_template(target: ImportKind, cols: &[TemplateColumn<'_>]) -> AppResult<Vec<u8>> {
    crate::xlsx::template_workbook(
        target.label(),
        cols,
        &[
            "第1行为表头，请勿修改表头文字；带*的列为必填。",
            "第2行为示例，导入时会自动跳过，也可删除。",
            "日期可写作 2023-03-05、2023/3/5、2023.03.05 或 2023年3月5日；金额以元为单位，可带千分位。",
            "身份证号、手机号码、信用代码请保持文本格式，切勿转为数字。",
            match target {
                ImportKind::Facilities(k) if k.spec().key == ["credit_code"] => {
                    "同一统一社会信用代码重复导入时更新原有信息，不会重复登记。"
                }
                ImportKind::Facilities(_) => "名称与所在地相同的重复导入时更新原有信息，不会重复登记。",
                ImportKind::PlatformCases => {
                    "平台线索编号已登记的行跳过（计为“未变化”），不会重复登记，也不会修改已登记的案件。"
                }
                ImportKind::Projects => "同一项目编号重复导入时更新原有信息，不会重复登记。",
                ImportKind::Vacancies => {
                    "同一单位（信用代码）、同一岗位名称、同一工作地点的招聘中岗位重复导入时更新原岗位，不会重复发布；工资可分两列填写，也可在“工资待遇”一列写作 4000-6000。"
                }
                ImportKind::ProjectRoster => {
                    "尚未登记的人员按项目所在地登记到农民工信息库；同一项目同一人重复导入时更新名单，同月考勤以最后一次为准。"
                }
                ImportKind::Payroll => {
                    "人员须在该项目实名制名单中；同一项目同一人同月重复导入时以最后一次为准，账号只保存脱敏后的号码。"
                }
                _ => "同一人同一记录重复导入时更新原记录，不会重复登记。",
            },
            "单个文件不超过100万行。",
        ],
    )
}
