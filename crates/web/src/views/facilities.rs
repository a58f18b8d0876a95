//! 设施台账: the facility registries the plan's targets count (工会驿站,
//! 返乡创业示范园, 家政企业, 家政劳务输出示范基地, 保障性租赁住房项目) — a
//! list per kind with filters and pages, forms generated from the kind's
//! spec, and the export.

use super::fields::{Cell, FieldForm, Filled, Table, submitted, summary};
use super::{Pager, TempFile, file_stamp, html, parse_id, q_get, query_string, region_options, with_status};
use crate::error::WebError;
use crate::extract::{Form, Need, ViewDashboard, WriteRecords};
use crate::layout::Layout;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shiminhua_app::plan::{document, facility_tally};
use shiminhua_app::regions::PlaceBook;
use shiminhua_app::registry::facilities::{self, FacilityFilter, FacilityRow};
use shiminhua_app::{AppError, FieldErrors, registry::workers};
use shiminhua_core::auth::Permission;
use shiminhua_core::division::DivisionCode;
use shiminhua_core::facility::{FacilityKind, FacilitySpec};
use shiminhua_core::field::FieldSpec;
use shiminhua_core::ids::FacilityId;
use shiminhua_core::plan::{CountSource, FacilityAggregate};
use shiminhua_core::record;
use std::collections::HashMap;

/// The kind named by `code`; none given means the first kind (工会驿站).
fn kind_of(code: &str) -> Result<FacilityKind, WebError> {
    if code.is_empty() {
        return Ok(FacilityKind::Station);
    }
    FacilityKind::from_code(code)
        .ok_or_else(|| AppError::BadRequest("设施类型无效，请从菜单进入设施台账。".into()).into())
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    FacilityKind::ALL.iter().map(|k| (k.code(), k.label_zh())).collect()
}

// ---------------------------------------------------------------------------
// The form

#[derive(Template)]
#[template(path = "facility_form.html")]
struct FormTpl {
    layout: Layout,
    form: FieldForm,
    kind_label: &'static str,
    /// The facility being edited (0 for a new one).
    id: i64,
}

/// What a form is for: a new facility (id 0) or an existing one.
struct Target {
    id: i64,
    version: i64,
}

async fn form_page(
    n: &Need<WriteRecords>,
    spec: &'static FacilitySpec,
    t: Target,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
    conflict: Option<String>,
) -> Result<FormTpl, WebError> {
    let label = spec.label;
    let title = if t.id > 0 {
        format!("修改{label}")
    } else {
        format!("新增{label}")
    };
    let action = if t.id > 0 {
        format!("/facilities/{}/edit", t.id)
    } else {
        format!("/facilities/new?kind={}", spec.kind.code())
    };
    let filled = Filled {
        values,
        errors,
        conflict,
        child_help: None,
    };
    Ok(FormTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), title.clone())
            .crumb("目标督办", "")
            .crumb("设施台账", "/facilities")
            .crumb(label, format!("/facilities?kind={}", spec.kind.code()))
            .crumb(title, ""),
        form: FieldForm::new(&n.ctx, &n.actor, spec, action, t.version, filled).await?,
        kind_label: label,
        id: t.id,
    })
}

/// GET /facilities/new?kind=CODE
pub async fn new_page(n: Need<WriteRecords>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let spec = kind_of(&q_get(&q, "kind"))?.spec();
    let t = Target { id: 0, version: 0 };
    Ok(html(
        &form_page(&n, spec, t, &HashMap::new(), &FieldErrors::default(), None).await?,
    ))
}

/// POST /facilities/new?kind=CODE (the kind also comes with the form).
pub async fn create(
    n: Need<WriteRecords>,
    Query(q): Query<HashMap<String, String>>,
    form: Form,
) -> Result<Response, WebError> {
    let code = match form.get("form_kind") {
        "" => q_get(&q, "kind"),
        k => k.to_string(),
    };
    let spec = kind_of(&code)?.spec();
    let get = |k: &str| form.get(k).to_string();
    match facilities::create(&n.ctx.call(&n.actor), spec.kind, &get).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities?kind={}&done=created", spec.kind.code())).into_response()),
        Err(AppError::Validation(e)) => {
            let t = Target { id: 0, version: 0 };
            let page = form_page(&n, spec, t, &submitted(spec, &form), &e, None).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

async fn current(n: &Need<WriteRecords>, id: i64) -> Result<(FacilityRow, &'static FacilitySpec), WebError> {
    let row = facilities::get(&n.ctx.state.db, &n.actor, FacilityId(id)).await?;
    let spec = row.facility_kind().ok_or(WebError(AppError::NotFound))?.spec();
    Ok((row, spec))
}

/// GET /facilities/{id}/edit
pub async fn edit_page(n: Need<WriteRecords>, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let (row, spec) = current(&n, id).await?;
    let t = Target {
        id,
        version: row.version,
    };
    Ok(html(
        &form_page(&n, spec, t, &row.form_values(), &FieldErrors::default(), None).await?,
    ))
}

/// POST /facilities/{id}/edit
pub async fn update(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let (_, spec) = current(&n, id).await?;
    let get = |k: &str| form.get(k).to_string();
    let t = Target { id, version };
    match facilities::update(&n.ctx.call(&n.actor), FacilityId(id), version, &get).await {
        Ok(()) => Ok(Redirect::to(&format!("/facilities?kind={}&done=saved", spec.kind.code())).into_response()),
        Err(AppError::Validation(e)) => {
            let page = form_page(&n, spec, t, &submitted(spec, &form), &e, None).await?;
            Ok(with_status(html(&page), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Conflict(m)) => {
            let page = form_page(&n, spec, t, &submitted(spec, &form), &FieldErrors::default(), Some(m)).await?;
            Ok(with_status(html(&page), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /facilities/{id}/delete
pub async fn delete(n: Need<WriteRecords>, Path(id): Path<String>, form: Form) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let kind = facilities::delete(&n.ctx.call(&n.actor), FacilityId(id), version).await?;
    Ok(Redirect::to(&format!("/facilities?kind={}&done=deleted", kind.code())).into_response())
}

// ---------------------------------------------------------------------------
// The list and the export

/// The facilities behind a plan figure (`target` and `as_of` in the query):
/// what the list is restricted to, said above it.
struct Drill {
    /// 新建“工会驿站”（黄山市，截至2023年9月30日）
    title: String,
    /// 计入 2 家 / 已交付 200 套（间） / 覆盖 2 个区县
    figure: String,
    /// Per county: name, facilities counted, and for a sum their units.
    counties: Vec<(String, i64, String)>,
    /// The figure is a sum: the counties show their units too.
    sums: bool,
    /// The list without the figure's restriction.
    clear: String,
    /// Facilities the figure counts.
    counted: i64,
    /// Of those, outside the reader's scope (counted, not listed); set by the list.
    hidden: i64,
}

/// The list's filters as read from the query string, and that query string
/// again (for page links and the export). With `target` (a plan target
/// counted from this registry) and `as_of`, the list holds exactly the
/// facilities the target's figure counts in the region on that day.
async fn filters_of(
    st: &crate::AppState,
    q: &HashMap<String, String>,
) -> Result<(FacilityKind, FacilityFilter, String, Option<Drill>), WebError> {
    let kind = kind_of(&q_get(q, "kind"))?;
    let (region, search) = (q_get(q, "region"), q_get(q, "q"));
    let mut filter = FacilityFilter {
        region: None,
        q: search.chars().take(50).collect(),
        ids: None,
    };
    if !region.is_empty() {
        filter.region =
            Some(DivisionCode::parse(&region).map_err(|e| AppError::BadRequest(format!("区划代码无效：{e}")))?);
    }
    let (target, as_of) = (q_get(q, "target"), q_get(q, "as_of"));
    let mut drill = None;
    if !target.is_empty() {
        let cur = document::current(&st.db).await?;
        let p = &cur.plan;
        let t = p
            .target(&target)
            .filter(|_| facility_tally::count_of(p, &target).is_some_and(|c| c.kind == CountSource::Facility(kind)))
            .ok_or_else(|| AppError::BadRequest(format!("目标“{target}”不是按{}台账统计的目标。", kind.label_zh())))?;
        let count = facility_tally::count_of(p, &target).ok_or(WebError(AppError::NotFound))?;
        let day = if as_of.is_empty() {
            st.clock.today()
        } else {
            record::parse_date(&as_of)
                .ok_or_else(|| AppError::BadRequest("日期格式不正确，应为“年-月-日”，如 2023-09-30。".into()))?
        };
        let area = filter.region.unwrap_or(p.meta.region);
        let counted = facility_tally::counted(&st.db, p, &target, area, day)
            .await?
            .ok_or(WebError(AppError::NotFound))?;
        let book = PlaceBook::load(&mut st.db.read().await?).await?;
        let figure = match count.aggregate {
            FacilityAggregate::Count => format!("计入 {} {}", counted.figure, t.unit),
            FacilityAggregate::Sum(key) => format!(
                "{}项目 {} 个，{}合计 {} {}",
                kind.label_zh(),
                counted.entries.len(),
                kind.spec().field(key).map_or(key, |f| f.label),
                counted.figure,
                t.unit
            ),
            FacilityAggregate::Counties => format!(
                "覆盖 {} {}（{} {}）",
                counted.figure,
                t.unit,
                counted.entries.len(),
                if kind == FacilityKind::Housekeeping {
                    "家企业"
                } else {
                    "处"
                }
            ),
        };
        let counties = counted
            .by_county
            .iter()
            .map(|(c, (n, sum))| {
                let units = match count.aggregate {
                    FacilityAggregate::Sum(_) => format!("{sum} {}", t.unit),
                    _ => String::new(),
                };
                (book.name(*c).to_string(), *n, units)
            })
            .collect();
        drill = Some(Drill {
            title: format!(
                "{}（{}，截至{}）",
                t.name,
                book.name(area.as_i64()),
                day.format("%Y年%-m月%-d日")
            ),
            figure,
            counties,
            sums: matches!(count.aggregate, FacilityAggregate::Sum(_)),
            clear: format!("/facilities?kind={}", kind.code()),
            counted: counted.entries.len() as i64,
            hidden: 0,
        });
        filter.ids = Some(counted.ids());
    }
    let query = query_string(&[
        ("kind", kind.code()),
        ("region", &region),
        ("q", &filter.q),
        ("target", &target),
        ("as_of", &as_of),
    ]);
    Ok((kind, filter, query, drill))
}

#[derive(Template)]
#[template(path = "facilities.html")]
struct ListTpl {
    layout: Layout,
    kind: &'static str,
    kind_label: &'static str,
    kinds: Vec<(&'static str, &'static str)>,
    regions: Vec<(String, String)>,
    region: String,
    q: String,
    notice: Option<&'static str>,
    table: Table,
    pager: Pager,
    query: String,
    can_write: bool,
    drill: Option<Drill>,
    target: String,
    as_of: String,
}

/// GET /facilities?kind=CODE&region=…&q=…
pub async fn list(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let st = &n.ctx.state;
    let (kind, filter, query, mut drill) = filters_of(st, &q).await?;
    let spec = kind.spec();
    let mut pager = Pager::new(q.get("page").map(String::as_str), 20, query.clone());
    let (rows, total) = facilities::list(
        &st.db,
        &n.actor,
        kind,
        &filter,
        pager.per_page,
        pager.offset(),
        workers::COUNT_CAP,
    )
    .await?;
    pager.total = total;
    pager.cap = workers::COUNT_CAP;
    // What the figure counts beyond the reader's scope is not listed: say so.
    if let Some(d) = drill.as_mut()
        && filter.q.is_empty()
    {
        d.hidden = (d.counted - total).max(0);
    }
    let book = if rows.is_empty() {
        PlaceBook::default()
    } else {
        let mut tx = st.db.read().await?;
        PlaceBook::load(&mut tx).await?
    };
    // The name and the place have their own columns.
    let hidden: Vec<&str> = [spec.name, spec.place]
        .iter()
        .filter_map(|k| spec.field(k))
        .map(|f| f.label)
        .collect();
    let can_write = n.actor.can(Permission::WriteRecords);
    let mut table = Table::new(vec!["名称", "所在地", "内容", "最后修改"], can_write);
    for r in &rows {
        table.row(
            vec![
                Cell::text(r.name.clone()),
                Cell::text(r.region_name.clone()),
                Cell::text(summary(&r.describe(&book), &hidden)).class("detail"),
                Cell::text(format!(
                    "{} {}",
                    shiminhua_app::xlsx::local_time(r.updated_at),
                    r.updated_by
                ))
                .class("nowrap small"),
            ],
            format!("/facilities/{}/edit", r.id),
        );
    }
    let notice = match q.get("done").map(String::as_str) {
        Some("created") => Some("已新增。"),
        Some("saved") => Some("已保存修改。"),
        Some("deleted") => Some("已删除，删除前的内容保留在变更历史中。"),
        _ => None,
    };
    Ok(html(&ListTpl {
        layout: Layout::new(&n.ctx, Some(&n.actor), format!("设施台账：{}", spec.label))
            .crumb("目标督办", "")
            .crumb("设施台账", "/facilities")
            .crumb(spec.label, ""),
        kind: kind.code(),
        kind_label: spec.label,
        kinds: kinds(),
        regions: region_options(&n.ctx, &n.actor, 3).await?,
        region: q_get(&q, "region"),
        q: filter.q,
        notice,
        table,
        pager,
        query,
        can_write,
        drill,
        target: q_get(&q, "target"),
        as_of: q_get(&q, "as_of"),
    }))
}

/// GET /facilities/export?… — the filtered list as a workbook, streamed (audited).
pub async fn export(n: Need<ViewDashboard>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let (kind, filter, _, _) = filters_of(&n.ctx.state, &q).await?;
    let call = n.ctx.call(&n.actor);
    // Removed on every path: an error, or once the download has opened it.
    let file = TempFile(super::export_path(&n.ctx.state));
    facilities::export(&call, kind, &filter, &file.0).await?;
    let name = format!("{}-{}.xlsx", kind.label_zh(), file_stamp(call.now));
    let response = super::xlsx_file_download(&file.0, &name).await;
    drop(file);
    response
}
