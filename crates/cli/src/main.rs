//! `shiminhua`: the one binary (serve, init, user administration, backup,
//! restore, audit verification). Messages to the operator are in Chinese.

use clap::{Args, Parser, Subcommand};
use shiminhua_app::clock::Clock;
use shiminhua_app::config::{Config, Overrides};
use shiminhua_app::crypto::Cipher;
use shiminhua_app::users::UserForm;
use shiminhua_app::{AppError, audit, ops::backup, ops::setup, users};
use shiminhua_core::auth::{Grant, KindSet, Role};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::UserId;
use std::path::PathBuf;
use std::process::ExitCode;

mod progress;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// 县域农民工市民化信息平台（市民化）
#[derive(Parser)]
#[command(
    name = "shiminhua",
    version,
    about = "县域农民工市民化质量提升行动信息与督办平台",
    disable_help_subcommand = true
)]
struct Cli {
    /// 数据目录（SQLite 数据库、密钥文件、配置文件所在目录），默认 ./shiminhua-data
    #[arg(long, global = true, env = "SHIMINHUA_DATA_DIR", value_name = "目录")]
    data_dir: Option<PathBuf>,
    /// 数据库地址：sqlite://文件路径 或 postgres://用户@主机/库名
    #[arg(
        long,
        global = true,
        env = "SHIMINHUA_DATABASE_URL",
        value_name = "地址",
        hide_env_values = true
    )]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 初始化：建库、加载行政区划和责任单位、创建系统管理员（可重复执行）
    Init,
    /// 启动网页服务
    Serve(ServeArgs),
    /// 用户管理
    #[command(subcommand)]
    User(UserCmd),
    /// 备份数据库到文件（SQLite 在线一致性快照；PostgreSQL 调用 pg_dump）
    Backup {
        /// 备份文件路径（不能已存在）
        file: PathBuf,
    },
    /// 从备份文件恢复（SQLite 须先停止服务；PostgreSQL 调用 pg_restore）
    Restore {
        /// 备份文件路径
        file: PathBuf,
    },
    /// 审计日志
    #[command(subcommand)]
    Audit(AuditCmd),
    /// 密钥管理
    #[command(subcommand)]
    Key(KeyCmd),
    /// 批量导入 Excel（.xlsx）或 CSV 文件，与网页“批量导入”相同的校验
    Import {
        /// 导入内容：worker（农民工名单）employment venture training insurance schooling housing settlement
        kind: String,
        /// 文件路径
        file: PathBuf,
        /// 以哪个用户的身份导入（按其角色和数据范围校验，并记入审计日志）
        #[arg(long = "as", value_name = "用户名")]
        user: String,
        /// 只校验，不写入农民工信息（校验过的行暂存一小时，可用 --commit 确认导入）
        #[arg(long)]
        dry_run: bool,
        /// 确认导入先前 --dry-run 校验并暂存的行（其批次号），不再重新读取和校验文件
        #[arg(long, value_name = "批次号", conflicts_with_all = ["dry_run", "raw"])]
        commit: Option<i64>,
        /// 未导入的行写入此 Excel 文件，默认为“原文件名-未导入.xlsx”
        #[arg(long, value_name = "文件")]
        rejected: Option<PathBuf>,
        /// 性能对比用：不校验、不加密，原样写入临时表后删除
        #[arg(long, hide = true)]
        raw: bool,
        /// 表格中某列导入为哪一项（可多次使用），如 --map 技能特长=职业技能；“=忽略”表示不导入该列。导入后本单位下次自动沿用
        #[arg(long = "map", value_name = "列名=字段")]
        map: Vec<String>,
    },
    /// 部门数据共享接口密钥
    #[command(subcommand)]
    Apikey(ApikeyCmd),
    /// 下载导入模板（.xlsx）
    Template {
        /// 导入内容，同 import
        kind: String,
        /// 保存路径
        file: PathBuf,
    },
    /// 生成演示导入文件（农民工名单模板格式；.csv 或 .xlsx），用于试用和测量批量导入
    #[command(hide = true)]
    DemoFile {
        /// 文件路径（扩展名 .csv 或 .xlsx）
        file: PathBuf,
        #[arg(long, default_value_t = 1000)]
        workers: usize,
        #[arg(long, default_value_t = 2023)]
        seed: u64,
        /// 内容：worker（农民工名单）或 employment（就业登记，人员与同种子、同人数的名单相同）
        #[arg(long, default_value = "worker")]
        kind: String,
        /// 与未改动的同种子文件相比，内容有改动的行所占百分比（0–100）
        #[arg(long, default_value_t = 0)]
        changed: u8,
    },
    /// 目标计划文件（实施方案的目标、举措、责任单位和调度周期）
    #[command(subcommand)]
    Plan(PlanCmd),
    /// 节假日安排与工作日计算（按数据库中已载入的安排）
    #[command(subcommand)]
    Calendar(CalendarCmd),
    /// 生成演示数据：农民工及随迁家属（身份证号校验位有效，同一种子结果相同）
    Demo {
        /// 农民工人数
        #[arg(long, default_value_t = 2000)]
        workers: usize,
        /// 随机种子
        #[arg(long, default_value_t = 2023)]
        seed: u64,
        /// 每人平均业务记录条数（默认约4.1条；更高时补充既往就业和其他培训记录，用于大数据量测试）
        #[arg(long, value_name = "条数")]
        records_per_worker: Option<f64>,
        /// 欠薪线索（案件）件数（已有案件时不再生成）
        #[arg(long, default_value_t = DEMO_CASES)]
        cases: usize,
    },
}

/// Wage-arrears cases of the demo data.
const DEMO_CASES: usize = 400;

#[derive(Args)]
struct ServeArgs {
    /// 演示模式：创建每个角色的演示账号（免改初始密码和动态口令），页面显示“演示环境”
    #[arg(long)]
    demo: bool,
    /// 监听地址，默认 127.0.0.1:8080
    #[arg(long, env = "SHIMINHUA_LISTEN", value_name = "地址")]
    listen: Option<String>,
}

#[derive(Subcommand)]
enum UserCmd {
    /// 新建用户（输出一次性密码，首次登录须修改）
    Add {
        /// 用户名（3至32位字母、数字、下划线、点或连字符）
        username: String,
        /// 姓名
        #[arg(long)]
        name: String,
        /// 角色，可重复：admin lead office dept local inspector auditor
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// 数据范围区划代码，可重复（业务角色必填），如 341021
        #[arg(long = "region")]
        regions: Vec<String>,
        /// 所在单位代码，如 341021-rsj
        #[arg(long)]
        unit: Option<String>,
        /// 业务类别，可重复或以逗号分隔，如 随迁子女就学,住房保障；部门账户不填时取所在单位的默认类别，其他角色不填时为全部类别
        #[arg(long = "kind")]
        kinds: Vec<String>,
    },
    /// 停用用户（立即结束其全部会话）
    Disable { username: String },
    /// 重置密码（输出新的一次性密码）
    ResetPassword { username: String },
}

#[derive(Subcommand)]
enum ApikeyCmd {
    /// 新建接口密钥（密钥只显示这一次）
    Add {
        /// 所属单位代码，如 341021-zjj
        #[arg(long)]
        unit: String,
        /// 用途，如“住建局住房保障系统”
        #[arg(long)]
        name: String,
        /// 数据范围区划代码，可重复，如 341021
        #[arg(long = "region", required = true)]
        regions: Vec<String>,
        /// 可访问的业务类别，可重复：worker employment venture training insurance schooling housing settlement
        #[arg(long = "kind", required = true)]
        kinds: Vec<String>,
    },
    /// 列出接口密钥
    List,
    /// 吊销接口密钥（立即失效）
    Revoke {
        /// 密钥前缀，如 smh_1a2b3c4d
        prefix: String,
    },
}

#[derive(Subcommand)]
enum KeyCmd {
    /// 轮换加密密钥：生成新密钥并用其重新加密全部个人信息（服务可不停机）
    Rotate,
}

#[derive(Subcommand)]
enum PlanCmd {
    /// 检查计划文件（TOML）：格式、业务类别和字段、单位代码、阈值等，有误时逐条列出行号
    Check {
        /// 计划文件路径，如 data/plans/huangshan-2023.toml
        file: PathBuf,
    },
    /// 按当前计划重新计算全部目标数据（自动计算的目标），用于核对或修复
    Rebuild,
}

#[derive(Subcommand)]
enum CalendarCmd {
    /// 计算某日之后第 N 个工作日（当日不计入），如 calendar add 2023-09-27 5
    Add {
        /// 起算日期，YYYY-MM-DD
        date: String,
        /// 工作日数
        n: String,
    },
    /// 载入节假日表（CSV，格式同 data/cn_holidays_2023_2026.csv）
    Load {
        /// CSV 文件路径
        file: PathBuf,
        /// 以哪个用户的身份载入（须为系统管理员，记入审计日志）
        #[arg(long = "as", value_name = "用户名")]
        user: String,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// 校验审计日志哈希链，指出第一条被修改或删除的记录
    Verify,
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|_| {
        eprintln!("错误：程序遇到内部错误，操作未完成。请联系技术支持。");
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(_) => {
            eprintln!("错误：无法启动运行时。");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e}");
            ExitCode::FAILURE
        }
    }
}

fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
        _ => {}
    }
    let what = match e.kind() {
        ErrorKind::InvalidSubcommand => "无法识别的命令",
        ErrorKind::UnknownArgument => "无法识别的参数",
        ErrorKind::MissingRequiredArgument => "缺少必填参数",
        ErrorKind::MissingSubcommand => "缺少子命令",
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => "参数值无效",
        ErrorKind::TooManyValues | ErrorKind::ArgumentConflict => "参数重复或冲突",
        _ => "命令行参数有误",
    };
    let detail = e
        .get(clap::error::ContextKind::InvalidArg)
        .or_else(|| e.get(clap::error::ContextKind::InvalidSubcommand))
        .map(|v| format!("：{v}"))
        .unwrap_or_default();
    eprintln!("错误：{what}{detail}。运行 shiminhua --help 查看用法。");
    ExitCode::from(2)
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SHIMINHUA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> Result<(), AppError> {
    if let Command::Plan(PlanCmd::Check { file }) = &cli.command {
        // A check of a file alone: no configuration, no database.
        return plan_check(file);
    }
    let listen = match &cli.command {
        Command::Serve(a) => a.listen.clone(),
        _ => None,
    };
    // The demo may run with settings below the level-3 floor.
    let demo = matches!(&cli.command, Command::Serve(a) if a.demo) || matches!(&cli.command, Command::Demo { .. });
    let over = Overrides {
        data_dir: cli.data_dir.clone(),
        database: cli.database.clone(),
        listen,
        demo,
    };
    let config = Config::load(&over, &|k| std::env::var(k).ok().filter(|v| !v.is_empty()))?;
    let clock = Clock::System;
    let admin_password = std::env::var("SHIMINHUA_ADMIN_PASSWORD").ok().filter(|v| !v.is_empty());
    match cli.command {
        Command::Init => {
            let (db, _key) = setup::open(&config, true, clock.now()).await?;
            let r = setup::init(&db, clock.now(), &config.password, admin_password).await?;
            println!(
                "初始化完成（{}）：行政区划 {} 个，责任单位 {} 个{}{}。",
                db.backend().label(),
                r.regions,
                r.units,
                if r.plan_loaded {
                    "，已载入目标计划（黄山市2023年实施方案）"
                } else {
                    ""
                },
                if r.holidays > 0 {
                    format!("，节假日安排新增 {} 个日期", r.holidays)
                } else {
                    String::new()
                }
            );
            print_admin(&r);
            db.close().await;
        }
        Command::Serve(args) => serve(config, clock, args.demo, admin_password).await?,
        Command::User(cmd) => {
            let (db, _key) = setup::open(&config, false, clock.now()).await?;
            user_cmd(&db, &config, &clock, cmd).await?;
            db.close().await;
        }
        Command::Backup { file } => {
            let (db, _key) = setup::open(&config, false, clock.now()).await?;
            backup::backup(&db, &config.database, clock.now(), &file).await?;
            db.close().await;
            println!(
                "已备份到 {}。请同时妥善保管密钥文件 {}（恢复时需要）。",
                file.display(),
                config.key_file.display()
            );
        }
        Command::Restore { file } => {
            backup::restore(&config.database, &file).await?;
            // The restored log is older than the anchor: record the restore
            // and anchor the restored chain's head.
            let (db, _) = setup::open(&config, false, clock.now()).await?;
            let done = audit::after_restore(&db, clock.now(), &file.display().to_string()).await;
            db.close().await;
            done?;
            println!("已从 {} 恢复。", file.display());
        }
        Command::Key(KeyCmd::Rotate) => {
            if std::env::var("SHIMINHUA_KEY").is_ok_and(|k| !k.is_empty()) {
                return Err(AppError::Config(
                    "密钥来自环境变量 SHIMINHUA_KEY 时不能自动轮换，请改用密钥文件。".into(),
                ));
            }
            let (db, _) = setup::open(&config, false, clock.now()).await?;
            let r = shiminhua_app::ops::rekey::rotate(&db, &config.key_file, clock.now()).await?;
            db.close().await;
            println!(
                "密钥已轮换：重新加密 {} 项（身份证号 {}、手机号 {}、随迁家属身份证号 {}、姓名 {}、出生日期 {}、动态口令密钥 {}、手机求职登记 {}）。新密钥已写入 {}，旧密钥仍保留在文件中。请立即备份新的密钥文件。",
                r.total(),
                r.worker_ids,
                r.worker_phones,
                r.dependant_ids,
                r.dependant_names,
                r.dependant_births,
                r.totp_secrets,
                r.applications,
                config.key_file.display()
            );
        }
        Command::Demo {
            workers,
            seed,
            records_per_worker,
            cases,
        } => {
            if cases > 1_000_000 {
                return Err(AppError::Config("演示案件数不能超过100万件。".into()));
            }
            if workers > 2_000_000 {
                return Err(AppError::Config("演示数据人数不能超过200万。".into()));
            }
            if records_per_worker.is_some_and(|r| !(0.0..=20.0).contains(&r)) {
                return Err(AppError::Config("每人平均业务记录条数应在0至20之间。".into()));
            }
            let options = shiminhua_app::ops::demo::Options { records_per_worker };
            let (db, key) = setup::open(&config, true, clock.now()).await?;
            if !setup::is_initialised(&db).await? {
                setup::init(&db, clock.now(), &config.password, admin_password).await?;
            }
            let cipher = Cipher::from_ring(&key);
            let bar = progress::Progress::new(progress::Counting {
                verb: "已生成农民工 ",
                unit: "人",
            });
            let g = shiminhua_app::ops::demo::generate_observed(
                &db,
                &cipher,
                clock.now(),
                workers,
                seed,
                options,
                &|done, n| bar.update(done, Some(n)),
            )
            .await;
            bar.finish();
            let g = g?;
            let r = shiminhua_app::plan::reports::demo(&db, clock.now()).await?;
            let bar = progress::Progress::new(progress::Counting {
                verb: "已生成欠薪线索 ",
                unit: "件",
            });
            let c = shiminhua_app::ops::demo::cases_observed(&db, &cipher, clock.now(), cases, seed, &|done, n| {
                bar.update(done, Some(n))
            })
            .await;
            bar.finish();
            let c = c?;
            let f = shiminhua_app::ops::demo::facilities(&db, &cipher, clock.now(), seed).await?;
            let m = shiminhua_app::ops::demo::monitor(&db, &cipher, clock.now(), seed).await?;
            let j = shiminhua_app::ops::demo::jobs(&db, &cipher, clock.now(), seed).await?;
            db.close().await;
            println!(
                "已生成演示数据：农民工 {} 人，随迁家属 {} 人，业务记录 {} 条，调度报告 {} 份，欠薪线索 {} 件\
                 （办理中 {} 件，其中逾期 {} 件），设施台账 {f} 条（种子 {seed}）。",
                g.workers, g.dependants, g.records, r.filed, c.cases, c.open, c.overdue
            );
            if m.projects > 0 {
                println!(
                    "智慧监管演示数据：工程建设项目 {} 个（在监管 {} 个），实名制人员 {} 人次（{} 人），考勤 {} 条，\
                     工资发放 {} 条，人工费用拨付 {} 笔，工资保证金 {} 笔；系统核验产生预警 {} 条。",
                    m.projects,
                    m.watched,
                    m.roster,
                    m.workers,
                    m.attendance,
                    m.payroll,
                    m.transfers,
                    m.deposits,
                    m.warnings
                );
            }
            print_jobs(&j);
        }
        Command::Import {
            kind,
            file,
            user,
            dry_run,
            commit,
            rejected,
            raw,
            map,
        } => {
            let target = import_target(&kind)?;
            let mapping = import_mapping(target, &map)?;
            let (db, key) = setup::open(&config, false, clock.now()).await?;
            let actor = users::actor_cli(&db, &user).await?;
            let cipher = Cipher::from_ring(&key);
            let origin = shiminhua_app::Origin::cli();
            let call = shiminhua_app::Call {
                db: &db,
                cipher: &cipher,
                actor: &actor,
                origin: &origin,
                now: clock.now(),
            };
            let started = std::time::Instant::now();
            let bar = progress::Progress::new(progress::Counting {
                verb: "已处理 ",
                unit: "行",
            });
            let progress = |done: u64, total: Option<u64>| bar.update(done, total);
            // The merge, as a second bar once the rows are staged.
            let merge_bar = std::sync::OnceLock::new();
            let merging = |done: u64, all: u64| {
                merge_bar
                    .get_or_init(|| {
                        bar.finish();
                        progress::Progress::new(progress::Counting {
                            verb: "已写入 ",
                            unit: "行",
                        })
                    })
                    .update(done, Some(all))
            };
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let opts = shiminhua_app::registry::import::Options {
                dry_run,
                raw,
                progress: Some(&progress),
                merging: Some(&merging),
                mapping,
                ..Default::default()
            };
            let result = match commit {
                Some(batch) => shiminhua_app::registry::import::commit(&call, target, batch, &name, &opts).await,
                None => shiminhua_app::registry::import::run(&call, target, &file, &name, &opts).await,
            };
            match merge_bar.get() {
                Some(b) => b.finish(),
                None => bar.finish(),
            }
            let s = result.map_err(|e| match e {
                AppError::Validation(f) => AppError::Config(f.get("file").unwrap_or("文件有误").to_string()),
                e => e,
            })?;
            let secs = started.elapsed().as_secs_f64();
            let verb = if dry_run {
                "校验完成（未写入）"
            } else {
                "导入完成"
            };
            println!(
                "{verb}：共 {} 行，新增 {}，更新 {}，无变化 {}，有误未导入 {}{}；用时 {secs:.1} 秒。",
                s.rows + s.resumed,
                s.inserted,
                s.updated,
                s.unchanged,
                s.rejected,
                if s.resumed > 0 {
                    format!("（接续上次中断的导入，已跳过 {} 行）", s.resumed)
                } else {
                    String::new()
                },
            );
            if let Some(c) = s.employment {
                println!(
                    "同一表格中的就业登记：新增 {}，更新 {}，无变化 {}。",
                    c.inserted, c.updated, c.unchanged
                );
            }
            if let (true, Some(batch)) = (dry_run, s.batch_id) {
                println!(
                    "校验通过的行已暂存（批次号 {batch}，一小时内有效）。确认导入：shiminhua import {kind} {} --as {user} --commit {batch}",
                    file.display()
                );
            }
            for x in s.notes.iter().take(20) {
                println!("  已更正 第 {} 行（{}）：{}", x.line, x.person, x.text);
            }
            for r in s.rejects.iter().take(20) {
                let col = if r.column.is_empty() {
                    String::new()
                } else {
                    format!("“{}”列", r.column)
                };
                let who = if r.person.is_empty() {
                    String::new()
                } else {
                    format!("（{}）", r.person)
                };
                println!("  第 {} 行{col}：{}{who}", r.line, r.reason);
            }
            if s.rejected > 20 {
                println!("  ……另有 {} 行有误", s.rejected - 20);
            }
            if !s.rejects.is_empty() {
                let out = rejected.unwrap_or_else(|| {
                    let stem = file
                        .file_stem()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    file.with_file_name(format!("{stem}-未导入.xlsx"))
                });
                shiminhua_app::registry::import::rejected_workbook(target, &s.rejects, &out)?;
                println!(
                    "未导入的行已写入 {}，改正后可重新导入（已导入的行不会重复）。",
                    out.display()
                );
            }
            db.close().await;
        }
        Command::Apikey(cmd) => {
            let (db, _key) = setup::open(&config, false, clock.now()).await?;
            apikey_cmd(&db, &clock, cmd).await?;
            db.close().await;
        }
        Command::DemoFile {
            file,
            workers,
            seed,
            kind,
            changed,
        } => {
            use shiminhua_app::ops::demo::FileKind;
            let kind = match kind.as_str() {
                "worker" => FileKind::Workers,
                "employment" => FileKind::Employment,
                other => {
                    return Err(AppError::Config(format!(
                        "不支持生成“{other}”文件，可选 worker 或 employment。"
                    )));
                }
            };
            if changed > 100 {
                return Err(AppError::Config("--changed 应为 0 到 100 之间的百分比。".into()));
            }
            let n = shiminhua_app::ops::demo::write_import_file(&file, workers, seed, kind, changed)?;
            println!("已生成演示导入文件 {}：{n} 行。", file.display());
        }
        Command::Template { kind, file } => {
            let target = import_target(&kind)?;
            let bytes = shiminhua_app::registry::import::template(target)?;
            std::fs::write(&file, bytes).map_err(|e| AppError::Config(format!("无法写入 {}：{e}", file.display())))?;
            println!("已保存“{}”导入模板：{}", target.label(), file.display());
        }
        Command::Plan(PlanCmd::Check { .. }) => {} // handled above, before the configuration is read
        Command::Plan(PlanCmd::Rebuild) => {
            let db = setup::connect(&config).await?;
            let started = std::time::Instant::now();
            let result = async {
                let current = shiminhua_app::plan::document::current(&db).await?;
                shiminhua_app::plan::indicators::rebuild(&db, &current.plan).await
            }
            .await;
            db.close().await;
            let read = result?;
            println!(
                "目标数据已重新计算：读取业务记录 {read} 条，用时 {:.1} 秒。",
                started.elapsed().as_secs_f64()
            );
        }
        Command::Calendar(cmd) => calendar_cmd(&config, &clock, cmd).await?,
        Command::Audit(AuditCmd::Verify) => {
            let (db, _) = setup::open(&config, false, clock.now()).await?;
            let v = audit::verify(&db).await?;
            db.close().await;
            match v {
                audit::Verdict::Intact { rows } => {
                    println!("审计日志完整：共 {rows} 条记录，哈希链校验通过。")
                }
                audit::Verdict::Altered { id } => {
                    return Err(AppError::Config(format!(
                        "审计日志校验未通过：第 {id} 条记录已被修改。"
                    )));
                }
                audit::Verdict::Missing { after, next } => {
                    return Err(AppError::Config(format!(
                        "审计日志校验未通过：第 {after} 条记录之后有记录被删除或插入（下一条为第 {next} 条）。"
                    )));
                }
                audit::Verdict::Truncated { last, anchored } => {
                    return Err(AppError::Config(format!(
                        "审计日志校验未通过：日志止于第 {last} 条，但锚点记载已写到第 {anchored} 条，末尾记录被删除。"
                    )));
                }
                audit::Verdict::Rewritten { id } => {
                    return Err(AppError::Config(format!(
                        "审计日志校验未通过：第 {id} 条记录与锚点记载的链值不符，哈希链已被重新计算。"
                    )));
                }
                audit::Verdict::Unanchored => {
                    return Err(AppError::Config(
                        "审计日志校验未通过：数据目录中缺少审计日志锚点文件 audit-anchor。".into(),
                    ));
                }
                audit::Verdict::BadAnchor => {
                    return Err(AppError::Config(
                        "审计日志校验未通过：审计日志锚点文件 audit-anchor 已损坏或被伪造。".into(),
                    ));
                }
            }
        }
    }
    Ok(())
}

async fn apikey_cmd(db: &shiminhua_app::store::Db, clock: &Clock, cmd: ApikeyCmd) -> Result<(), AppError> {
    use shiminhua_app::apikeys;
    let who = shiminhua_app::audit::Who::system(&shiminhua_app::Origin::cli());
    match cmd {
        ApikeyCmd::Add {
            unit,
            name,
            regions,
            kinds,
        } => {
            let unit_id = shiminhua_app::units::id_by_code(db, &unit)
                .await?
                .ok_or_else(|| AppError::Config(format!("单位代码“{unit}”不存在。")))?;
            let mut set = KindSet::default();
            for k in &kinds {
                let kind = shiminhua_core::auth::RecordKind::from_code(k)
                    .ok_or_else(|| AppError::Config(format!("业务类别“{k}”无效。")))?;
                set = set.iter().chain([kind]).collect();
            }
            let mut grants = Vec::new();
            for r in &regions {
                let code = DivisionCode::parse(r).map_err(|e| AppError::Config(format!("区划代码“{r}”无效：{e}。")))?;
                grants.push(Grant {
                    region: code,
                    kinds: set,
                });
            }
            let (_, key) = apikeys::create(db, &who, clock.now(), unit_id, &name, &grants).await?;
            println!("已创建接口密钥（只显示这一次，请交给对方系统妥善保存）：\n{key}");
        }
        ApikeyCmd::List => {
            let rows = apikeys::list(db).await?;
            if rows.is_empty() {
                println!("还没有接口密钥。");
            }
            for k in rows {
                let state = if k.revoked_at.is_some() { "已吊销" } else { "有效" };
                let used = k
                    .last_used
                    .map(shiminhua_app::xlsx::local_time)
                    .unwrap_or_else(|| "从未使用".into());
                println!("{}　{}　{}　{state}　最近使用：{used}", k.prefix, k.unit_name, k.name);
            }
        }
        ApikeyCmd::Revoke { prefix } => {
            apikeys::revoke(db, &who, clock.now(), &prefix).await?;
            println!("已吊销接口密钥 {prefix}，立即失效。");
        }
    }
    Ok(())
}

fn plan_check(file: &std::path::Path) -> Result<(), AppError> {
    use shiminhua_core::plan;
    let text = std::fs::read_to_string(file).map_err(|e| {
        AppError::Config(match e.kind() {
            std::io::ErrorKind::NotFound => format!("找不到计划文件 {}。", file.display()),
            std::io::ErrorKind::InvalidData => format!("计划文件 {} 不是 UTF-8 编码的文本。", file.display()),
            _ => format!("无法读取计划文件 {}：{e}", file.display()),
        })
    })?;
    let ctx = plan::Context::from_csv(shiminhua_app::units::UNITS_CSV, shiminhua_app::regions::SEED_CSV);
    match plan::parse(&text, &ctx) {
        Ok(p) => {
            let s = p.summary();
            println!(
                "计划文件检查通过：《{}》（{}），工作举措 {} 项、具体举措 {} 条，目标 {} 个（自动计算 {} 个、部门填报 {} 个），涉及责任单位 {} 个，{}调度。",
                p.meta.title,
                p.meta.id,
                s.items,
                s.measures,
                s.targets,
                s.computed,
                s.reported,
                s.units,
                p.reporting.cycle.label_zh()
            );
            Ok(())
        }
        Err(errors) => {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            Err(AppError::Config(format!(
                "计划文件 {} 未通过检查，共 {} 处问题：\n{}",
                file.display(),
                errors.len(),
                lines.join("\n")
            )))
        }
    }
}

async fn calendar_cmd(config: &Config, clock: &Clock, cmd: CalendarCmd) -> Result<(), AppError> {
    match cmd {
        CalendarCmd::Add { date, n } => {
            let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
                AppError::Config(format!(
                    "日期“{}”无效，应为 YYYY-MM-DD 格式的有效日期，如 2023-09-27。",
                    date.chars().take(40).collect::<String>()
                ))
            })?;
            let days: u32 = n.trim().parse().ok().filter(|v| *v <= 3650).ok_or_else(|| {
                AppError::Config(format!(
                    "工作日数“{}”无效，应为 0 至 3650 之间的整数。",
                    n.chars().take(40).collect::<String>()
                ))
            })?;
            let db = setup::connect(config).await?;
            let cal = shiminhua_app::calendar::calendar(&db).await;
            db.close().await;
            let cal = cal?;
            let due = cal.add_working_days(d, days).map_err(|e| {
                AppError::Config(format!(
                    "无法计算：{e}。请先用 shiminhua calendar load 载入该年的节假日安排。"
                ))
            })?;
            println!(
                "{d} 之后第 {days} 个工作日：{due}（{}）",
                shiminhua_core::calendar::weekday_cn(chrono::Datelike::weekday(&due))
            );
        }
        CalendarCmd::Load { file, user } => {
            let bytes = std::fs::read(&file).map_err(|e| {
                AppError::Config(match e.kind() {
                    std::io::ErrorKind::NotFound => format!("找不到文件 {}。", file.display()),
                    _ => format!("无法读取文件 {}：{e}", file.display()),
                })
            })?;
            let text = String::from_utf8(bytes)
                .map_err(|_| AppError::Config(format!("文件 {} 不是 UTF-8 编码的文本。", file.display())))?;
            let (db, key) = setup::open(config, false, clock.now()).await?;
            let actor = users::actor_cli(&db, &user).await;
            let result = match actor {
                Ok(actor) => {
                    let cipher = Cipher::from_ring(&key);
                    let origin = shiminhua_app::Origin::cli();
                    let call = shiminhua_app::Call {
                        db: &db,
                        cipher: &cipher,
                        actor: &actor,
                        origin: &origin,
                        now: clock.now(),
                    };
                    shiminhua_app::rights::holidays::load_year(&call, &text).await
                }
                Err(e) => Err(e),
            };
            db.close().await;
            let l = result.map_err(|e| match e {
                AppError::Validation(f) => AppError::Config(format!(
                    "节假日表 {} 未载入：{}",
                    file.display(),
                    f.get("csv").unwrap_or("内容有误")
                )),
                AppError::Forbidden => AppError::Config(format!("用户 {user} 不是系统管理员，不能载入节假日安排。")),
                e => e,
            })?;
            println!("{}", l.notice());
        }
    }
    Ok(())
}

/// The `--map 列名=字段` arguments as (header, field key or "").
fn import_mapping(
    target: shiminhua_app::registry::import::ImportKind,
    args: &[String],
) -> Result<Vec<(String, String)>, AppError> {
    args.iter()
        .map(|a| {
            let (header, field) = a.split_once(['=', '＝']).ok_or_else(|| {
                AppError::Config(format!(
                    "--map 的格式应为“列名=字段”，如 --map 技能特长=职业技能，而不是“{a}”"
                ))
            })?;
            if header.trim().is_empty() {
                return Err(AppError::Config(format!("--map “{a}”缺少列名")));
            }
            let key = shiminhua_app::registry::import::field_named(target, field).ok_or_else(|| {
                let all: Vec<&str> = shiminhua_app::registry::import::read_columns(target)
                    .iter()
                    .map(|c| c.header)
                    .collect();
                AppError::Config(format!(
                    "“{}”不是{}的字段，可选：{}，或“忽略”",
                    field.trim(),
                    target.label(),
                    all.join("、")
                ))
            })?;
            Ok((header.trim().to_string(), key.unwrap_or_default().to_string()))
        })
        .collect()
}

fn import_target(kind: &str) -> Result<shiminhua_app::registry::import::ImportKind, AppError> {
    shiminhua_app::registry::import::ImportKind::parse(kind).ok_or_else(|| {
        let all: Vec<&str> = shiminhua_app::registry::import::kinds()
            .into_iter()
            .map(|t| t.code())
            .collect();
        AppError::Config(format!("导入内容“{kind}”无效，可选：{}。", all.join(" ")))
    })
}

fn print_admin(r: &setup::InitReport) {
    if let Some(pw) = &r.admin_password {
        println!("系统管理员账号：{}　一次性密码：{pw}", setup::ADMIN_USERNAME);
        println!("（该密码仅显示这一次；首次登录须修改密码并绑定动态口令。）");
    } else if r.admin_created {
        println!(
            "系统管理员账号 {} 已按 SHIMINHUA_ADMIN_PASSWORD 设置密码；首次登录须绑定动态口令。",
            setup::ADMIN_USERNAME
        );
    }
}

async fn serve(config: Config, clock: Clock, demo: bool, admin_password: Option<String>) -> Result<(), AppError> {
    init_logging(&config.log_format);
    let (db, key) = setup::open(&config, true, clock.now()).await?;
    if !setup::is_initialised(&db).await? {
        let r = setup::init(&db, clock.now(), &config.password, admin_password).await?;
        println!(
            "已初始化数据库（{}）：行政区划 {} 个，责任单位 {} 个。",
            db.backend().label(),
            r.regions,
            r.units
        );
        print_admin(&r);
    }
    let cipher = Cipher::from_ring(&key).reloading_from(&config.key_file);
    if demo {
        if shiminhua_app::ops::demo::is_empty(&db).await? {
            let g = shiminhua_app::ops::demo::generate(&db, &cipher, clock.now(), 2000, 2023).await?;
            let r = shiminhua_app::plan::reports::demo(&db, clock.now()).await?;
            let c = shiminhua_app::ops::demo::cases(&db, &cipher, clock.now(), DEMO_CASES, 2023).await?;
            let f = shiminhua_app::ops::demo::facilities(&db, &cipher, clock.now(), 2023).await?;
            let m = shiminhua_app::ops::demo::monitor(&db, &cipher, clock.now(), 2023).await?;
            let j = shiminhua_app::ops::demo::jobs(&db, &cipher, clock.now(), 2023).await?;
            println!(
                "已生成演示数据：农民工 {} 人，随迁家属 {} 人，业务记录 {} 条，调度报告 {} 份，欠薪线索 {} 件，设施台账 {f} 条。",
                g.workers, g.dependants, g.records, r.filed, c.cases
            );
            if m.projects > 0 {
                println!(
                    "智慧监管演示数据：工程建设项目 {} 个（在监管 {} 个），实名制人员 {} 人次（{} 人），考勤 {} 条，\
                     工资发放 {} 条，人工费用拨付 {} 笔，工资保证金 {} 笔；系统核验产生预警 {} 条。",
                    m.projects,
                    m.watched,
                    m.roster,
                    m.workers,
                    m.attendance,
                    m.payroll,
                    m.transfers,
                    m.deposits,
                    m.warnings
                );
            }
            print_jobs(&j);
        }
        let accounts = setup::demo_accounts(&db, clock.now()).await?;
        println!("演示账号（密码每次以 --demo 启动时重新生成）：");
        for a in &accounts {
            println!("  {}：用户名 {}　密码 {}", a.role.label_zh(), a.username, a.password);
        }
    }
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|_| AppError::Config(format!("无法监听地址 {}：端口可能已被占用或地址无效。", config.listen)))?;
    let addr = listener.local_addr().map_err(|e| AppError::Internal(e.to_string()))?;
    let metrics_listener = match &config.metrics.listen {
        Some(m) => Some(
            tokio::net::TcpListener::bind(m)
                .await
                .map_err(|_| AppError::Config(format!("无法监听监控指标地址 {m}：端口可能已被占用或地址无效。")))?,
        ),
        None => None,
    };
    println!(
        "服务已启动：http://{addr}/  （{}，按 Ctrl+C 停止）",
        db.backend().label()
    );
    if config.security.cookie_secure && config.security.cookie_secure_setting.is_none() {
        println!(
            "监听地址不是本机回环地址，Cookie 已设为仅限 HTTPS（Secure）：请经 HTTPS 反向代理访问，或在配置中设置 [security] cookie_secure。"
        );
    }
    tracing::info!(%addr, backend = db.backend().label(), demo, "listening");
    let state = shiminhua_web::AppState::new(db.clone(), config, clock, demo, cipher);
    let metrics = match metrics_listener {
        Some(l) => {
            if let Ok(a) = l.local_addr() {
                println!("监控指标：http://{a}/metrics");
            }
            let state = state.clone();
            Some(tokio::spawn(async move {
                if let Err(e) = shiminhua_web::serve_metrics(state, l).await {
                    tracing::error!(error = %e, "metrics listener failed");
                }
            }))
        }
        None => None,
    };
    shiminhua_web::serve(state, listener)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(m) = metrics {
        m.abort();
    }
    db.close().await;
    Ok(())
}

async fn user_cmd(db: &shiminhua_app::store::Db, config: &Config, clock: &Clock, cmd: UserCmd) -> Result<(), AppError> {
    match cmd {
        UserCmd::Add {
            username,
            name,
            roles,
            regions,
            unit,
            kinds,
        } => {
            let mut parsed = Vec::new();
            for r in &roles {
                parsed.push(Role::from_code(r).ok_or_else(|| {
                    AppError::Config(format!(
                        "角色“{r}”无效，可选：admin lead office dept local inspector auditor。"
                    ))
                })?);
            }
            let unit_id = match unit {
                Some(code) => Some(
                    shiminhua_app::units::id_by_code(db, &code)
                        .await?
                        .ok_or_else(|| AppError::Config(format!("单位代码“{code}”不存在。")))?,
                ),
                None => None,
            };
            let mut set = KindSet::default();
            for k in kinds
                .iter()
                .flat_map(|k| k.split([',', '，', '、']))
                .filter(|k| !k.trim().is_empty())
            {
                let kind = shiminhua_core::auth::RecordKind::parse_zh(k).ok_or_else(|| {
                    let all: Vec<&str> = shiminhua_core::auth::RecordKind::ALL
                        .iter()
                        .map(|k| k.label_zh())
                        .collect();
                    AppError::Config(format!("业务类别“{}”无效，可选：{}。", k.trim(), all.join(" ")))
                })?;
                set = set.iter().chain([kind]).collect();
            }
            if set.is_empty() {
                // A department holds its unit's kinds; other roles every kind.
                set = if parsed.contains(&Role::Department) {
                    match unit_id {
                        Some(u) => shiminhua_app::units::default_kinds_of(db, u).await?,
                        None => KindSet::default(),
                    }
                } else {
                    KindSet::all()
                };
                if set.is_empty() && !regions.is_empty() {
                    return Err(AppError::Config(
                        "部门账户须用 --kind 指定业务类别，或用 --unit 指定有默认业务类别的所在单位。".into(),
                    ));
                }
            }
            let mut grants = Vec::new();
            for r in &regions {
                let code = DivisionCode::parse(r).map_err(|e| AppError::Config(format!("区划代码“{r}”无效：{e}。")))?;
                grants.push(Grant {
                    region: code,
                    kinds: set,
                });
            }
            let form = UserForm {
                username: username.clone(),
                display_name: name,
                unit_id,
                roles: parsed,
                grants,
            };
            let (id, pw) = users::add_cli(db, clock.now(), &config.password, form, None).await?;
            println!("已创建用户 {username}，一次性密码：{pw}（首次登录须修改）");
            if users::pending_grant_of_any(db, UserId(id)).await?.is_some() {
                println!(
                    "该用户涉及个人信息的角色和数据范围已提交审批，须由专班办公室的另一位人员在“系统管理 › 授权审批”中批准后生效。"
                );
            }
        }
        UserCmd::Disable { username } => {
            users::disable_cli(db, clock.now(), &username).await?;
            println!("已停用用户 {username}，其全部会话已结束。");
        }
        UserCmd::ResetPassword { username } => {
            let pw = users::reset_password_cli(db, clock.now(), &username).await?;
            println!("已重置用户 {username} 的密码，一次性密码：{pw}（登录后须修改）");
        }
    }
    Ok(())
}

/// What the job-services demo made, in a line.
fn print_jobs(j: &shiminhua_app::ops::demo::DemoJobs) {
    if j.vacancies > 0 {
        println!(
            "就业服务演示数据：岗位 {} 个，求职登记 {} 人，推荐 {} 次（其中录用 {} 人，已生成就业记录），\
             失业登记 {} 人，就业登记 {} 人，招聘活动 {} 场，手机求职登记待确认 {} 份；工资价位按 {} 条就业记录计算。",
            j.vacancies,
            j.seekers,
            j.referrals,
            j.hires,
            j.unemployed,
            j.employment_registrations,
            j.events,
            j.applications,
            j.guide_records
        );
    }
}
