//! The page frame: top bar, navigation by job, breadcrumbs, demo banner.

use crate::extract::Ctx;
use shiminhua_core::auth::{Actor, Permission};

#[derive(Clone, Debug)]
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub active: bool,
}

#[derive(Clone, Debug)]
pub struct NavGroup {
    pub label: &'static str,
    pub items: Vec<NavItem>,
}

#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub title: String,
    pub demo: bool,
    pub user_name: String,
    pub roles: String,
    pub csrf: String,
    pub signed_in: bool,
    pub nav: Vec<NavGroup>,
    pub crumbs: Vec<(String, String)>,
    /// Today, China Standard Time, for the page header and print.
    pub today: String,
}

/// (group, label, href, permission or None for everyone signed in)
const NAV: &[(&str, &str, &str, Option<Permission>)] = &[
    ("工作台", "工作台", "/", None),
    ("农民工信息", "农民工名册", "/workers", Some(Permission::ReadPii)),
    (
        "农民工信息",
        "登记农民工",
        "/workers/new",
        Some(Permission::WriteRecords),
    ),
    (
        "农民工信息",
        "业务记录",
        "/records?kind=employment",
        Some(Permission::ReadPii),
    ),
    ("农民工信息", "批量导入", "/imports", Some(Permission::WriteRecords)),
    ("目标督办", "目标进度", "/plan/board", Some(Permission::ViewDashboard)),
    ("目标督办", "目标与举措", "/plan", None),
    ("目标督办", "调度", "/reports", Some(Permission::ViewDashboard)),
    ("目标督办", "任务分解", "/plan/allocation", Some(Permission::ManagePlan)),
    (
        "目标督办",
        "市民化情况评估",
        "/plan/evaluation",
        Some(Permission::ViewDashboard),
    ),
    (
        "目标督办",
        "设施台账",
        "/facilities?kind=station",
        Some(Permission::ViewDashboard),
    ),
    // -- public employment services (shown to those with job-service scope)
    ("就业服务", "岗位", "/jobs", Some(Permission::ViewDashboard)),
    ("就业服务", "求职登记", "/jobs/seekers", Some(Permission::ViewDashboard)),
    (
        "就业服务",
        "手机求职登记",
        "/jobs/applications",
        Some(Permission::ViewDashboard),
    ),
    ("就业服务", "招聘活动", "/jobs/events", Some(Permission::ViewDashboard)),
    (
        "就业服务",
        "就业失业登记",
        "/jobs/registrations",
        Some(Permission::ViewDashboard),
    ),
    (
        "就业服务",
        "工资价位",
        "/jobs/wage-guide",
        Some(Permission::ViewDashboard),
    ),
    // -- wage-payment monitoring (shown to those who see projects, see below)
    ("欠薪治理", "工资支付监控", "/monitor", Some(Permission::ViewDashboard)),
    // -- cases (staff pages)
    ("欠薪治理", "案件办理", "/cases", Some(Permission::ReadCases)),
    (
        "欠薪治理",
        "办理设置",
        "/cases/settings",
        Some(Permission::SuperviseReports),
    ),
    // -- cases (blacklist)
    ("欠薪治理", "失信名单", "/blacklist", Some(Permission::ViewDashboard)),
    // -- cases (statistics)
    ("欠薪治理", "案件统计", "/cases/stats", Some(Permission::ViewDashboard)),
    (
        "欠薪治理",
        "欠薪清零",
        "/cases/clearance",
        Some(Permission::ViewDashboard),
    ),
    ("基础信息", "行政区划", "/regions", Some(Permission::ViewRegions)),
    ("基础信息", "责任单位", "/units", Some(Permission::ViewUnits)),
    ("基础信息", "工作专班", "/taskforce", Some(Permission::ViewUnits)),
    ("基础信息", "职业分类", "/jobs/occupations", Some(Permission::ViewUnits)),
    ("系统管理", "用户管理", "/admin/users", Some(Permission::ManageUsers)),
    ("系统管理", "授权审批", "/grants", Some(Permission::ApproveGrants)),
    (
        "系统管理",
        "区划导入",
        "/regions/import",
        Some(Permission::ManageSystem),
    ),
    (
        "系统管理",
        "节假日安排",
        "/admin/calendar",
        Some(Permission::ManageSystem),
    ),
    ("安全审计", "审计日志", "/audit", Some(Permission::ViewAudit)),
    ("我的账户", "账户与安全", "/account", None),
];

/// The length of a link's path (without its query string).
fn base_len(href: &str) -> usize {
    href.split('?').next().unwrap_or(href).len()
}

impl Layout {
    pub fn new(ctx: &Ctx, actor: Option<&Actor>, title: impl Into<String>) -> Layout {
        let now = ctx.state.clock.now() + chrono::Duration::hours(8);
        let mut l = Layout {
            title: title.into(),
            demo: ctx.state.demo,
            csrf: ctx.csrf(),
            today: now.format("%Y年%m月%d日").to_string(),
            ..Layout::default()
        };
        if let Some(a) = actor {
            l.signed_in = true;
            l.user_name = a.display_name.clone();
            l.roles = a.roles.label_zh();
            for (group, label, href, perm) in NAV {
                if perm.is_some_and(|p| !a.can(p)) {
                    continue;
                }
                if *href == "/monitor" && !crate::views::monitor::nav_sees_projects(&ctx.state, a) {
                    continue;
                }
                if *group == "就业服务"
                    && a.scope
                        .ranges_for(shiminhua_core::auth::RecordKind::JobService)
                        .is_empty()
                {
                    continue;
                }
                // An entry's query string (e.g. the default kind) does not take part.
                let base = href.split('?').next().unwrap_or(href);
                let active = if base == "/" {
                    ctx.path == "/"
                } else {
                    ctx.path.starts_with(base)
                };
                let item = NavItem { label, href, active };
                match l.nav.iter_mut().find(|g| g.label == *group) {
                    Some(g) => g.items.push(item),
                    None => l.nav.push(NavGroup {
                        label: group,
                        items: vec![item],
                    }),
                }
            }
            // A more specific entry wins (区划导入 over 行政区划).
            let best = l
                .nav
                .iter()
                .flat_map(|g| &g.items)
                .filter(|i| i.active)
                .map(|i| base_len(i.href))
                .max();
            for g in &mut l.nav {
                for i in &mut g.items {
                    i.active = i.active && Some(base_len(i.href)) == best;
                }
            }
        }
        l
    }

    pub fn crumb(mut self, label: impl Into<String>, href: impl Into<String>) -> Layout {
        self.crumbs.push((label.into(), href.into()));
        self
    }
}
