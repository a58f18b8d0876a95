//! Roles (角色), permissions and data scope (数据范围).
//!
//! A user holds one or more roles; the permissions of the roles add up. The
//! data scope is a set of grants, each a region subtree × a set of record kinds;
//! grants add up as well.

use crate::division::DivisionCode;
use std::fmt;

crate::coded! {
    /// A role of DESIGN §2.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Role {
        /// 系统管理员
        Admin = "admin" / "系统管理员",
        /// 专班领导
        Lead = "lead" / "专班领导",
        /// 专班办公室
        Office = "office" / "专班办公室",
        /// 部门
        Department = "dept" / "部门",
        /// 区县/乡镇工作人员
        Local = "local" / "区县/乡镇工作人员",
        /// 劳动保障监察员
        Inspector = "inspector" / "劳动保障监察员",
        /// 审计员
        Auditor = "auditor" / "审计员",
    }
}

impl Role {
    /// Whether this role reads or reveals personal data: granting it (or
    /// widening its data scope) takes a second person's approval.
    pub fn touches_pii(self) -> bool {
        self.permissions().iter().any(|p| {
            matches!(
                p,
                Permission::ReadPii | Permission::RevealPii | Permission::ApproveGrants
            )
        })
    }

    /// Whether this role works on business data and therefore needs a data scope.
    pub fn needs_scope(self) -> bool {
        !matches!(self, Role::Admin | Role::Auditor)
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &[ManageUsers, ManageSystem, ViewRegions, ViewUnits],
            Role::Lead => &[ViewRegions, ViewUnits, ViewDashboard, ReadPii, ReadCases],
            Role::Office => &[
                ViewRegions,
                ViewUnits,
                ViewDashboard,
                ReadPii,
                RevealPii,
                WriteRecords,
                ManagePlan,
                FileReports,
                SuperviseReports,
                ReadCases,
                ApproveGrants,
            ],
            Role::Department => &[
                ViewRegions,
                ViewUnits,
                ViewDashboard,
                ReadPii,
                WriteRecords,
                FileReports,
            ],
            Role::Local => &[
                ViewRegions,
                ViewUnits,
                ViewDashboard,
                ReadPii,
                RevealPii,
                WriteRecords,
                FileReports,
                ReadCases,
            ],
            Role::Inspector => &[ViewRegions, ViewUnits, ViewDashboard, ReadPii, RevealPii, ReadCases],
            Role::Auditor => &[ViewAudit],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// What a role allows. Handlers demand these through typed extractors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Create, edit and disable accounts; assign roles and scopes.
    ManageUsers,
    /// Regions, units, plan file, holidays, backups.
    ManageSystem,
    /// Edit the plan (targets, measures, units, allocation): the task-force
    /// office alone. The administrator keeps the system's data (regions,
    /// holidays) but neither edits the plan nor sees its progress.
    ManagePlan,
    ViewRegions,
    ViewUnits,
    /// Business figures (工作台, 目标督办).
    ViewDashboard,
    /// Read personal information (masked by default).
    ReadPii,
    /// See a masked value in full, giving a reason (audited).
    RevealPii,
    /// Enter and import records.
    WriteRecords,
    /// Read and export the audit log.
    ViewAudit,
    /// File and revise the progress reports (调度报送) of one's own unit.
    FileReports,
    /// Review reports (采纳、退回), mark overdue ones (督办) and close a
    /// reporting period: the task-force office.
    SuperviseReports,
    /// Read wage-arrears cases in scope (the handlers, the office and the
    /// lead; which steps a role takes is the case workflow's table).
    ReadCases,
    /// Approve or reject a grant of access to personal data that an
    /// administrator asked for (the second person of a four-eyes grant):
    /// the task-force office, which owns the registry's data.
    ApproveGrants,
}

/// A set of roles held by one user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleSet(Vec<Role>);

impl RoleSet {
    pub fn new(mut roles: Vec<Role>) -> RoleSet {
        roles.sort();
        roles.dedup();
        RoleSet(roles)
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn allows(&self, p: Permission) -> bool {
        self.0.iter().any(|r| r.permissions().contains(&p))
    }

    /// The roles' names joined for display and for the audit record.
    pub fn label_zh(&self) -> String {
        self.0.iter().map(|r| r.label_zh()).collect::<Vec<_>>().join("、")
    }

    pub fn codes(&self) -> String {
        self.0.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
    }
}

crate::coded! {
    /// The kinds of records a scope grant covers.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum RecordKind {
        /// 农民工及随迁家属
        Worker = "worker" / "农民工信息",
        /// 就业
        Employment = "employment" / "就业",
        /// 返乡创业
        Venture = "venture" / "返乡创业",
        /// 职业技能培训
        Training = "training" / "职业技能培训",
        /// 参保
        Insurance = "insurance" / "参保",
        /// 随迁子女就学
        Schooling = "schooling" / "随迁子女就学",
        /// 住房保障
        Housing = "housing" / "住房保障",
        /// 落户
        Settlement = "settlement" / "落户",
        /// 欠薪线索/案件
        WageCase = "wage_case" / "欠薪线索",
        /// 工程建设项目 (wage-payment monitoring: projects, their rosters,
        /// payroll and warnings)
        Project = "project" / "工程建设项目",
        /// 公共就业服务 (job seekers, vacancies, referrals, recruitment
        /// events; seekers' and vacancies' public facts are seen across
        /// counties, personal data only in scope)
        JobService = "job_service" / "公共就业服务",
    }
}

impl RecordKind {
    /// A kind by its Chinese name or its code.
    pub fn parse_zh(s: &str) -> Option<RecordKind> {
        let s = s.trim();
        RecordKind::ALL.into_iter().find(|k| k.label_zh() == s || k.code() == s)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of record kinds, stored as a bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct KindSet(u16);

impl KindSet {
    pub fn all() -> KindSet {
        RecordKind::ALL.into_iter().collect()
    }

    pub fn from_bits(bits: i64) -> KindSet {
        KindSet((bits as u16) & KindSet::all().0)
    }

    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    pub fn contains(self, kind: RecordKind) -> bool {
        self.0 & kind.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_all(self) -> bool {
        self == KindSet::all()
    }

    pub fn iter(self) -> impl Iterator<Item = RecordKind> {
        RecordKind::ALL.into_iter().filter(move |k| self.contains(*k))
    }

    pub fn label_zh(self) -> String {
        if self.is_all() {
            return "全部业务".to_string();
        }
        self.iter().map(|k| k.label_zh()).collect::<Vec<_>>().join("、")
    }
}

impl FromIterator<RecordKind> for KindSet {
    fn from_iter<I: IntoIterator<Item = RecordKind>>(iter: I) -> KindSet {
        KindSet(iter.into_iter().fold(0, |acc, k| acc | k.bit()))
    }
}

/// One grant of a data scope: a region subtree × record kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub region: DivisionCode,
    pub kinds: KindSet,
}

/// The data scope of a user: the union of its grants. An empty scope sees nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    grants: Vec<Grant>,
}

impl Scope {
    pub fn new(grants: Vec<Grant>) -> Scope {
        Scope {
            grants: grants.into_iter().filter(|g| !g.kinds.is_empty()).collect(),
        }
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// Whether any grant covers this region (for any record kind).
    pub fn covers_region(&self, code: DivisionCode) -> bool {
        self.grants.iter().any(|g| g.region.contains(code))
    }

    /// Whether records of `kind` in region `code` are inside the scope.
    pub fn allows(&self, kind: RecordKind, code: DivisionCode) -> bool {
        self.grants
            .iter()
            .any(|g| g.kinds.contains(kind) && g.region.contains(code))
    }

    /// Inclusive numeric ranges of division codes visible for any kind
    /// (for `region_code BETWEEN lo AND hi` conditions over an index).
    pub fn region_ranges(&self) -> Vec<(i64, i64)> {
        merge_ranges(self.grants.iter().map(|g| g.region.subtree_range()))
    }

    /// Inclusive numeric ranges visible for one record kind.
    pub fn ranges_for(&self, kind: RecordKind) -> Vec<(i64, i64)> {
        merge_ranges(
            self.grants
                .iter()
                .filter(|g| g.kinds.contains(kind))
                .map(|g| g.region.subtree_range()),
        )
    }

    /// Whether the scope covers every region of `other` (used when one user
    /// grants scope to another: nobody hands out more than they hold).
    pub fn covers_grant(&self, grant: &Grant) -> bool {
        grant.kinds.iter().all(|k| self.allows(k, grant.region))
    }
}

impl Grant {
    /// The part of both grants: the smaller region where one subtree holds
    /// the other, and the kinds both cover.
    pub fn intersect(&self, other: &Grant) -> Option<Grant> {
        let region = if self.region.contains(other.region) {
            other.region
        } else if other.region.contains(self.region) {
            self.region
        } else {
            return None;
        };
        let kinds = KindSet::from_bits(self.kinds.bits() & other.kinds.bits());
        (!kinds.is_empty()).then_some(Grant { region, kinds })
    }
}

/// Whether changing an account's access from `old` to `new` (roles and
/// grants) widens its access to personal data: a role that reads or reveals
/// it and was not held, or a grant outside the old scope while such a role
/// is held. Such a change waits for a second person's approval.
pub fn widens_pii(old_roles: &RoleSet, old_grants: &[Grant], new_roles: &RoleSet, new_grants: &[Grant]) -> bool {
    if new_roles.iter().any(|r| r.touches_pii() && !old_roles.contains(r)) {
        return true;
    }
    if !new_roles.iter().any(Role::touches_pii) {
        return false;
    }
    let old = Scope::new(old_grants.to_vec());
    new_grants.iter().any(|g| !g.kinds.is_empty() && !old.covers_grant(g))
}

/// The access an account keeps while a widening change waits for approval:
/// the new roles without the personal-data roles it did not hold, and the
/// grants both the old and the new access cover (so narrowing takes effect
/// at once and nothing is widened).
pub fn interim_access(
    old_roles: &RoleSet,
    old_grants: &[Grant],
    new_roles: &RoleSet,
    new_grants: &[Grant],
) -> (RoleSet, Vec<Grant>) {
    let roles = RoleSet::new(
        new_roles
            .iter()
            .filter(|r| !r.touches_pii() || old_roles.contains(*r))
            .collect(),
    );
    let mut grants: Vec<Grant> = Vec::new();
    for n in new_grants {
        for o in old_grants {
            if let Some(g) = n.intersect(o)
                && !grants.contains(&g)
            {
                grants.push(g);
            }
        }
    }
    (roles, grants)
}

fn merge_ranges(ranges: impl Iterator<Item = (i64, i64)>) -> Vec<(i64, i64)> {
    let mut v: Vec<(i64, i64)> = ranges.collect();
    v.sort();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// The signed-in person on whose behalf a use case runs.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: RoleSet,
    pub scope: Scope,
    /// The unit (责任单位) the user works for, if any.
    pub unit_id: Option<i64>,
}

impl Actor {
    pub fn can(&self, p: Permission) -> bool {
        self.roles.allows(p)
    }

    /// How the actor reaches workers in the registry.
    pub fn worker_reach(&self) -> WorkerReach {
        let direct = self
            .roles
            .iter()
            .any(|r| r.needs_scope() && !matches!(r, Role::Department | Role::Inspector));
        WorkerReach {
            direct,
            via_records: !direct && self.roles.contains(Role::Department),
            via_cases: !direct && self.roles.contains(Role::Inspector),
        }
    }
}

/// How an account reaches workers: by region (the registry's own roles), or
/// only through what concerns it — a department through records of its kinds
/// (教育局: the workers its schooling records are about), an inspector
/// through the cases in its scope that name a worker as a party.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerReach {
    /// Every worker in the scope's regions for the `Worker` kind.
    pub direct: bool,
    /// Workers with at least one record of a kind the scope holds, in that
    /// kind's regions.
    pub via_records: bool,
    /// Workers who are parties of wage-arrears cases in scope.
    pub via_cases: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).unwrap()
    }

    #[test]
    fn roles_round_trip_and_permissions() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        assert_eq!(Role::from_code("root"), None);
        // Separation of duties: the admin cannot read personal data, the auditor only reads the log.
        assert!(!Role::Admin.permissions().contains(&Permission::ReadPii));
        assert!(!Role::Admin.permissions().contains(&Permission::ViewAudit));
        assert_eq!(Role::Auditor.permissions(), &[Permission::ViewAudit]);
        let both = RoleSet::new(vec![Role::Admin, Role::Local, Role::Admin]);
        assert!(both.allows(Permission::ReadPii));
        assert!(both.allows(Permission::ManageUsers));
        assert_eq!(both.iter().count(), 2);
        assert_eq!(both.label_zh(), "系统管理员、区县/乡镇工作人员");
        // Units file reports; only the office reviews them.
        for r in Role::ALL {
            let files = matches!(r, Role::Office | Role::Department | Role::Local);
            assert_eq!(r.permissions().contains(&Permission::FileReports), files, "{r:?}");
            assert_eq!(
                r.permissions().contains(&Permission::SuperviseReports),
                r == Role::Office,
                "{r:?}"
            );
            let cases = matches!(r, Role::Lead | Role::Office | Role::Local | Role::Inspector);
            assert_eq!(r.permissions().contains(&Permission::ReadCases), cases, "{r:?}");
        }
    }

    #[test]
    fn widening_access_to_personal_data_needs_approval() {
        let city = Grant {
            region: code("341000"),
            kinds: KindSet::all(),
        };
        let county = Grant {
            region: code("341021"),
            kinds: KindSet::all(),
        };
        let school = Grant {
            region: code("341021"),
            kinds: [RecordKind::Schooling].into_iter().collect(),
        };
        let none = RoleSet::default();
        let admin = RoleSet::new(vec![Role::Admin]);
        let local = RoleSet::new(vec![Role::Local]);
        let both = RoleSet::new(vec![Role::Local, Role::Office]);
        // Roles without personal data are not held back.
        assert!(!widens_pii(&none, &[], &admin, &[]));
        assert!(!widens_pii(&none, &[], &RoleSet::new(vec![Role::Auditor]), &[]));
        // A new personal-data role, or a wider scope for one, is.
        assert!(widens_pii(&none, &[], &local, &[county]));
        assert!(widens_pii(&local, &[county], &both, &[county]));
        assert!(widens_pii(&local, &[county], &local, &[city]));
        assert!(widens_pii(&local, &[school], &local, &[county]));
        // Narrowing, or the same access, is not.
        assert!(!widens_pii(&local, &[city], &local, &[county]));
        assert!(!widens_pii(&local, &[county], &local, &[school]));
        assert!(!widens_pii(&both, &[county], &local, &[county]));
        assert!(!widens_pii(&local, &[county], &admin, &[]));
        // Meanwhile the account keeps what both sides allow.
        let (r, g) = interim_access(&local, &[county], &both, &[city]);
        assert_eq!(r, local);
        assert_eq!(g, vec![county]);
        let (r, g) = interim_access(&none, &[], &RoleSet::new(vec![Role::Admin, Role::Lead]), &[city]);
        assert_eq!(r, admin);
        assert!(g.is_empty());
        assert_eq!(city.intersect(&school), Some(school));
        assert_eq!(
            county.intersect(&Grant {
                region: code("341022"),
                kinds: KindSet::all()
            }),
            None
        );
        assert!(Role::Office.permissions().contains(&Permission::ApproveGrants));
        for r in Role::ALL {
            assert_eq!(
                r.permissions().contains(&Permission::ApproveGrants),
                r == Role::Office,
                "{r:?}"
            );
        }
    }

    #[test]
    fn departments_and_inspectors_reach_workers_through_their_own_business() {
        let actor = |roles: Vec<Role>| Actor {
            user_id: 1,
            username: "u".into(),
            display_name: "u".into(),
            roles: RoleSet::new(roles),
            scope: Scope::default(),
            unit_id: None,
        };
        let r = actor(vec![Role::Department]).worker_reach();
        assert!(!r.direct && r.via_records && !r.via_cases);
        let r = actor(vec![Role::Inspector]).worker_reach();
        assert!(!r.direct && !r.via_records && r.via_cases);
        let r = actor(vec![Role::Inspector, Role::Department]).worker_reach();
        assert!(!r.direct && r.via_records && r.via_cases);
        for role in [Role::Lead, Role::Office, Role::Local] {
            let r = actor(vec![role, Role::Department]).worker_reach();
            assert!(r.direct && !r.via_records && !r.via_cases, "{role:?}");
        }
        // Least privilege: neither the administrator nor the auditor sees business figures.
        for role in [Role::Admin, Role::Auditor] {
            for p in [Permission::ViewDashboard, Permission::ManagePlan, Permission::ReadPii] {
                assert!(!role.permissions().contains(&p), "{role:?} {p:?}");
            }
        }
    }

    /// A label or a code, as typed on the command line.
    #[test]
    fn kinds_parse_from_labels_and_codes() {
        assert_eq!(RecordKind::parse_zh("随迁子女就学"), Some(RecordKind::Schooling));
        assert_eq!(RecordKind::parse_zh(" housing "), Some(RecordKind::Housing));
        assert_eq!(RecordKind::parse_zh("住房"), None);
    }

    #[test]
    fn kind_sets() {
        let s: KindSet = [RecordKind::Schooling, RecordKind::Worker].into_iter().collect();
        assert!(s.contains(RecordKind::Schooling));
        assert!(!s.contains(RecordKind::Housing));
        assert_eq!(KindSet::from_bits(s.bits()), s);
        assert!(KindSet::all().is_all());
        assert_eq!(KindSet::from_bits(-1), KindSet::all());
        assert_eq!(s.label_zh(), "农民工信息、随迁子女就学");
    }

    #[test]
    fn scope_is_a_union_of_subtrees_per_kind() {
        let school: KindSet = [RecordKind::Schooling].into_iter().collect();
        let scope = Scope::new(vec![
            Grant {
                region: code("341021"),
                kinds: KindSet::all(),
            },
            Grant {
                region: code("341022100"),
                kinds: school,
            },
        ]);
        assert!(scope.allows(RecordKind::Worker, code("341021100")));
        assert!(scope.allows(RecordKind::Schooling, code("341022100")));
        assert!(!scope.allows(RecordKind::Worker, code("341022100")));
        assert!(!scope.allows(RecordKind::Worker, code("341022")));
        assert!(!scope.covers_region(code("341000")));
        assert!(scope.covers_region(code("341022100")));
        assert_eq!(scope.ranges_for(RecordKind::Worker), vec![(341021000000, 341021999999)]);
        assert_eq!(scope.region_ranges().len(), 2);
        assert!(Scope::default().region_ranges().is_empty());
        assert!(!Scope::default().allows(RecordKind::Worker, code("341021")));
    }

    #[test]
    fn overlapping_grants_merge() {
        let scope = Scope::new(vec![
            Grant {
                region: code("341021100"),
                kinds: KindSet::all(),
            },
            Grant {
                region: code("341021"),
                kinds: KindSet::all(),
            },
            Grant {
                region: code("341022"),
                kinds: KindSet::all(),
            },
        ]);
        assert_eq!(
            scope.region_ranges(),
            vec![(341021000000, 341022999999)],
            "adjacent and nested subtrees merge into one range"
        );
        assert!(scope.covers_grant(&Grant {
            region: code("341021101"),
            kinds: KindSet::all()
        }));
        assert!(!scope.covers_grant(&Grant {
            region: code("341000"),
            kinds: KindSet::all()
        }));
    }
}
