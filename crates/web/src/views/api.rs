//! The department data-sharing API: JSON under `/api/v1`, authenticated by a
//! per-unit key (`Authorization: Bearer smh_…`). Requests run as the key's
//! actor through the same use cases as the pages: the same validation, data
//! scope and audit trail. Personal information is returned masked.

use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use shiminhua_app::records::{self, Outcome, RecordFilter, RecordRow};
use shiminhua_app::registry::{self, WorkerFilter, WorkerInput, WorkerRow};
use shiminhua_app::{AppError, Origin};
use shiminhua_core::auth::{Actor, RecordKind};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::record::{self as rec, FieldType, KindSpec};
use std::collections::HashMap;

/// Rows per page of a list.
const PAGE: i64 = 100;

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// An error as JSON, with the Chinese message (and the field errors).
pub struct ApiError(AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self.0 {
            AppError::Validation(f) => {
                let fields: Map<String, Value> =
                    f.0.iter().map(|(k, m)| (k.clone(), Value::from(m.as_str()))).collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({"error": "数据有误，未保存", "fields": fields}),
                )
            }
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                json!({"error": "对象不存在或不在本密钥的数据范围内"}),
            ),
            AppError::Forbidden => (StatusCode::FORBIDDEN, json!({"error": "本密钥无权进行此操作"})),
            AppError::Conflict(m) => (StatusCode::CONFLICT, json!({"error": m})),
            AppError::Auth(m) => (StatusCode::UNAUTHORIZED, json!({"error": m})),
            AppError::Config(m) => (StatusCode::BAD_REQUEST, json!({"error": m})),
            AppError::Db(_) | AppError::Internal(_) => {
                tracing::error!(error = %self.0, "api request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "系统暂时出现问题，请稍后重试"}),
                )
            }
        };
        reply(status, body)
    }
}

/// The caller: the actor of a valid, unrevoked key.
pub struct ApiActor {
    pub state: AppState,
    pub actor: Actor,
    pub origin: Origin,
}

impl ApiActor {
    fn call(&self) -> shiminhua_app::Call<'_> {
        shiminhua_app::Call {
            db: &self.state.db,
            cipher: &self.state.cipher,
            actor: &self.actor,
            origin: &self.origin,
            now: self.state.clock.now(),
        }
    }
}

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ApiActor, ApiError> {
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let invalid = || {
            ApiError(AppError::Auth(
                "接口密钥无效、已吊销或未提供（请在 Authorization 头中以 Bearer 方式提供）".into(),
            ))
        };
        if key.is_empty() {
            return Err(invalid());
        }
        let actor = shiminhua_app::apikeys::authenticate(&state.db, key, state.clock.now())
            .await?
            .ok_or_else(invalid)?;
        Ok(ApiActor {
            state: state.clone(),
            actor,
            origin: parts.extensions.get::<Origin>().cloned().unwrap_or_default(),
        })
    }
}

/// A JSON object body; values may be strings, numbers or booleans.
fn body_fields(body: &Bytes) -> Result<HashMap<String, String>, ApiError> {
    let bad = |m: &str| ApiError(AppError::Config(m.to_string()));
    let v: Value = serde_json::from_slice(body).map_err(|_| bad("请求体不是有效的 JSON"))?;
    let Value::Object(m) = v else {
        return Err(bad("请求体应为 JSON 对象"));
    };
    let mut out = HashMap::new();
    for (k, v) in m {
        let text = match v {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if b { "是" } else { "否" }.to_string(),
            Value::Null => String::new(),
            _ => return Err(bad(&format!("字段 {k} 应为字符串、数字或布尔值"))),
        };
        out.insert(k, text);
    }
    Ok(out)
}

fn page_of(q: &HashMap<String, String>) -> i64 {
    q.get("page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

fn region_of(q: &HashMap<String, String>) -> Result<Option<DivisionCode>, ApiError> {
    match q.get("region").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(r) => DivisionCode::parse(r)
            .map(Some)
            .map_err(|e| ApiError(AppError::Config(format!("区划代码无效：{e}")))),
    }
}

fn worker_json(w: &WorkerRow) -> Value {
    json!({
        "id": w.id,
        "name": w.name,
        "id_number_masked": w.id_masked,
        "sex": w.sex,
        "birth_date": w.birth_date.to_string(),
        "region_code": DivisionCode::from_i64(w.region_code).map(|c| c.to_string()).unwrap_or_default(),
        "region_name": w.region_name,
        "phone_masked": w.phone_masked,
        "hukou_place": w.hukou_place,
        "education": w.education,
        "skills": w.skills,
        "tags": w.tags,
        "version": w.version,
        "updated_at": w.updated_at.to_rfc3339(),
    })
}

fn record_json(r: &RecordRow) -> Value {
    let fields: Value = serde_json::from_str(&r.data).unwrap_or(Value::Null);
    json!({
        "id": r.id,
        "kind": r.kind,
        "worker_id": r.worker_id,
        "worker_name": r.worker_name,
        "worker_id_number_masked": r.worker_id_masked,
        "child_masked": r.child_masked,
        "region_code": DivisionCode::from_i64(r.region_code).map(|c| c.to_string()).unwrap_or_default(),
        "region_name": r.region_name,
        "unit": r.unit_name,
        "period_date": r.period_date.to_string(),
        "fields": fields,
        "version": r.version,
        "updated_at": r.updated_at.to_rfc3339(),
    })
}

/// One page of a list; totals beyond the count cap are reported as capped.
fn page_reply(page: i64, total: i64, items: Vec<Value>) -> Response {
    reply(
        StatusCode::OK,
        json!({
            "page": page,
            "per_page": PAGE,
            "total": total.min(registry::COUNT_CAP),
            "total_capped": total > registry::COUNT_CAP,
            "items": items,
        }),
    )
}

fn outcome_reply(o: Outcome) -> Response {
    let (status, result) = match o {
        Outcome::Inserted(_) => (StatusCode::CREATED, "inserted"),
        Outcome::Updated(_) => (StatusCode::OK, "updated"),
        Outcome::Unchanged(_) => (StatusCode::OK, "unchanged"),
    };
    reply(status, json!({"id": o.id(), "result": result}))
}

/// GET /api/v1/workers?q=&region=&page=
pub async fn workers(a: ApiActor, Query(q): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    let filter = WorkerFilter {
        q: q.get("q").cloned().unwrap_or_default(),
        region: region_of(&q)?,
        tag: q.get("tag").cloned().unwrap_or_default(),
        ..WorkerFilter::default()
    };
    let page = page_of(&q);
    let (rows, total) = registry::list_workers(
        &a.state.db,
        &a.state.cipher,
        &a.actor,
        &filter,
        PAGE,
        (page - 1) * PAGE,
        registry::COUNT_CAP,
    )
    .await?;
    super::audit::saw_search(&a.state.reads, &a.call(), &filter.q, rows.iter().map(|r| r.id));
    Ok(page_reply(page, total, rows.iter().map(worker_json).collect()))
}

/// POST /api/v1/workers — registers, or updates by ID number.
pub async fn put_worker(a: ApiActor, body: Bytes) -> Result<Response, ApiError> {
    let f = body_fields(&body)?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let input = WorkerInput {
        name: get("name"),
        id_number: get("id_number"),
        phone: get("phone"),
        region: get("region"),
        hukou_place: get("hukou_place"),
        education: get("education"),
        skills: get("skills"),
        tags: get("tags"),
    };
    Ok(outcome_reply(registry::put_worker(&a.call(), &input).await?))
}

/// GET /api/v1/workers/{id} — the worker, the family and the records in scope.
pub async fn worker(a: ApiActor, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = id.parse::<i64>().map_err(|_| ApiError(AppError::NotFound))?;
    let (w, deps) = registry::get_worker(&a.state.db, &a.actor, id).await?;
    let recs = records::worker_records(&a.state.db, &a.actor, id).await?;
    let mut body = worker_json(&w);
    body["dependants"] = deps
        .iter()
        .map(|d| {
            json!({"id": d.id, "relation": d.relation, "name_masked": d.name_masked,
                   "id_number_masked": d.id_masked, "birth_date": d.birth_date.to_string()})
        })
        .collect();
    body["records"] = recs.iter().map(record_json).collect();
    a.state.reads.saw(
        &a.call(),
        shiminhua_app::audit::Event::ok("worker.view", "worker", id).detail("接口"),
    );
    Ok(reply(StatusCode::OK, body))
}

fn kind_of(code: &str) -> Result<RecordKind, ApiError> {
    RecordKind::from_code(code)
        .filter(|k| rec::spec(*k).is_some())
        .ok_or(ApiError(AppError::NotFound))
}

/// GET /api/v1/records/{kind}?region=&from=&to=&page=
pub async fn records_list(
    a: ApiActor,
    Path(kind): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let kind = kind_of(&kind)?;
    let date = |k: &str| -> Result<Option<chrono::NaiveDate>, ApiError> {
        match q.get(k).filter(|s| !s.trim().is_empty()) {
            None => Ok(None),
            Some(s) => rec::parse_date(s)
                .map(Some)
                .ok_or_else(|| ApiError(AppError::Config(format!("{k} 不是有效日期")))),
        }
    };
    let filter = RecordFilter {
        region: region_of(&q)?,
        from: date("from")?,
        to: date("to")?,
        ..RecordFilter::default()
    };
    let page = page_of(&q);
    let (rows, total) = records::list_records(
        &a.state.db,
        &a.actor,
        kind,
        &filter,
        PAGE,
        (page - 1) * PAGE,
        registry::COUNT_CAP,
    )
    .await?;
    Ok(page_reply(page, total, rows.iter().map(record_json).collect()))
}

/// POST /api/v1/records/{kind} — adds, or updates by natural key.
pub async fn put_record(a: ApiActor, Path(kind): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let kind = kind_of(&kind)?;
    let f = body_fields(&body)?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let outcome = records::put_record(&a.call(), &get("id_number"), &get("name"), kind, &get).await?;
    Ok(outcome_reply(outcome))
}

fn field_schema(f: &rec::Field) -> Value {
    let description = if f.help.is_empty() {
        f.label.to_string()
    } else {
        format!("{}。{}", f.label, f.help)
    };
    let mut s = match f.ty {
        FieldType::Text(max) => json!({"type": "string", "maxLength": max}),
        FieldType::Date => json!({"type": "string", "format": "date", "example": "2023-03-05"}),
        FieldType::Money => json!({"type": "string", "description": "", "example": "3500.00"}),
        FieldType::Count => json!({"type": "integer", "minimum": 0}),
        FieldType::Flag => json!({"type": "boolean"}),
        FieldType::Choice(c) => json!({"type": "string", "enum": c}),
        FieldType::CreditCode => json!({"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$"}),
        FieldType::Industry => {
            json!({"type": "string", "enum": rec::INDUSTRIES.iter().map(|(c, _)| *c).collect::<Vec<_>>()})
        }
        FieldType::Place => json!({"type": "string", "example": "341021100"}),
        FieldType::SchoolYear => json!({"type": "string", "example": "2023-2024"}),
        FieldType::Child => json!({"type": "string"}),
    };
    let unit = if f.ty == FieldType::Money { "（元）" } else { "" };
    s["description"] = Value::from(format!("{description}{unit}"));
    s
}

fn kind_schema(spec: &KindSpec) -> Value {
    let mut props = Map::new();
    props.insert(
        "id_number".into(),
        json!({"type": "string", "description": "农民工本人身份证号"}),
    );
    props.insert(
        "name".into(),
        json!({"type": "string", "description": "农民工本人姓名"}),
    );
    let mut required = vec!["id_number", "name"];
    for f in spec.fields {
        props.insert(f.key.into(), field_schema(f));
        if f.required {
            required.push(f.key);
        }
    }
    json!({"type": "object", "title": spec.kind.label_zh(), "properties": props, "required": required})
}

/// GET /api/v1/openapi.json — generated from the record kinds' definitions.
pub async fn openapi() -> Response {
    let mut schemas = Map::new();
    let mut paths = Map::new();
    let err = json!({"$ref": "#/components/schemas/Error"});
    let write_responses = json!({
        "200": {"description": "已更新或无变化", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Outcome"}}}},
        "201": {"description": "已新增", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Outcome"}}}},
        "401": {"description": "密钥无效", "content": {"application/json": {"schema": err}}},
        "422": {"description": "数据有误（fields 给出各字段的原因）", "content": {"application/json": {"schema": err}}},
    });
    let list_params = json!([
        {"name": "region", "in": "query", "schema": {"type": "string"}, "description": "区划代码（6、9或12位），限定在该区划内"},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    ]);
    for kind in rec::KINDS {
        let Some(spec) = rec::spec(kind) else { continue };
        let name = format!("{}Record", capitalise(kind.code()));
        schemas.insert(name.clone(), kind_schema(spec));
        let mut params = list_params.as_array().cloned().unwrap_or_default();
        params.push(json!({"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}}));
        params.push(json!({"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}}));
        paths.insert(
            format!("/api/v1/records/{}", kind.code()),
            json!({
                "get": {"summary": format!("{}记录列表", kind.label_zh()), "parameters": params,
                        "responses": {"200": {"description": "一页记录（每页100条）"}}},
                "post": {"summary": format!("新增或更新{}记录（按自然键去重）", kind.label_zh()),
                         "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}},
                         "responses": write_responses},
            }),
        );
    }
    schemas.insert(
        "Worker".into(),
        json!({"type": "object", "required": ["name", "id_number", "region"], "properties": {
            "name": {"type": "string", "description": "姓名"},
            "id_number": {"type": "string", "description": "身份证号（18位；15位旧号自动转换）"},
            "phone": {"type": "string", "description": "手机号码"},
            "region": {"type": "string", "description": "现居住地：本市乡镇（街道）或村（社区）的区划代码或名称"},
            "hukou_place": {"type": "string", "description": "户籍地"},
            "education": {"type": "string", "enum": registry::EDUCATION},
            "skills": {"type": "string", "description": "职业技能"},
            "tags": {"type": "string", "description": "标签，逗号分隔"},
        }}),
    );
    schemas.insert(
        "Outcome".into(),
        json!({"type": "object", "properties": {"id": {"type": "integer"}, "result": {"type": "string", "enum": ["inserted", "updated", "unchanged"]}}}),
    );
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "properties": {"error": {"type": "string"}, "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}),
    );
    paths.insert(
        "/api/v1/workers".into(),
        json!({
            "get": {"summary": "农民工列表（个人信息已脱敏）", "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "姓名前缀、完整身份证号或手机号"},
                {"name": "region", "in": "query", "schema": {"type": "string"}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"200": {"description": "一页农民工（每页100人）"}}},
            "post": {"summary": "登记农民工，或按身份证号更新",
                     "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Worker"}}}},
                     "responses": write_responses},
        }),
    );
    paths.insert(
        "/api/v1/workers/{id}".into(),
        json!({"get": {"summary": "农民工详情：本人、随迁家属及数据范围内的各类记录",
                       "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                       "responses": {"200": {"description": "详情"}, "404": {"description": "不存在或不在数据范围内"}}}}),
    );
    let doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "市民化 部门数据共享接口", "version": "1",
                 "description": "各成员单位系统按单位密钥推送和查询农民工及各类业务记录。校验规则、数据范围和审计与网页相同；个人信息以脱敏形式返回。"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "单位接口密钥 smh_…"}},
                       "schemas": schemas},
        "paths": paths,
    });
    reply(StatusCode::OK, doc)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
