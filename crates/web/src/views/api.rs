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
use shiminhua_app::registry::Outcome;
use shiminhua_app::registry::records::{self, RecordFilter, RecordRow};
use shiminhua_app::registry::workers::{self, WorkerFilter, WorkerInput, WorkerRow};
use shiminhua_app::{AppError, FieldErrors, Origin};
use shiminhua_core::auth::{Actor, RecordKind};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::ids::WorkerId;
use shiminhua_core::record::{self as rec, FieldType, KindSpec};
use std::collections::HashMap;
use std::sync::OnceLock;

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
            AppError::Config(m) | AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, json!({"error": m})),
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

/// Largest page number a list answers (pages past the rows are empty).
const MAX_PAGE: i64 = 1_000_000;

/// The string patterns the document uses, each with the check the server
/// makes; the document and the check come from the same value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// A unified social credit code's alphabet (the check code is a business rule).
    CreditCode,
    /// An amount in yuan: digits, at most two decimals.
    Money,
    /// A school year such as 2023-2024.
    SchoolYear,
    /// A division code of 6, 9 or 12 digits.
    Region,
}

impl Pattern {
    pub const ALL: [Pattern; 4] = [
        Pattern::CreditCode,
        Pattern::Money,
        Pattern::SchoolYear,
        Pattern::Region,
    ];

    /// The ECMA regular expression written into the document.
    pub fn regex(self) -> &'static str {
        match self {
            Pattern::CreditCode => "^[0-9A-HJ-NPQRTUWXY]{18}$",
            Pattern::Money => "^[0-9]{1,13}(\\.[0-9]{1,2})?$",
            Pattern::SchoolYear => "^[0-9]{4}-[0-9]{4}$",
            Pattern::Region => "^([0-9]{6}|[0-9]{9}|[0-9]{12})$",
        }
    }

    fn from_regex(r: &str) -> Option<Pattern> {
        Pattern::ALL.into_iter().find(|p| p.regex() == r)
    }

    /// Whether `s` matches [`Pattern::regex`].
    pub fn matches(self, s: &str) -> bool {
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        match self {
            Pattern::CreditCode => {
                s.chars().count() == 18
                    && s.chars()
                        .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"IOSVZ".contains(c)))
            }
            Pattern::Money => {
                let (whole, frac) = match s.split_once('.') {
                    Some((w, f)) => (w, Some(f)),
                    None => (s, None),
                };
                (1..=13).contains(&whole.len())
                    && digits(whole)
                    && frac.is_none_or(|f| (1..=2).contains(&f.len()) && digits(f))
            }
            Pattern::SchoolYear => s.len() == 9 && s.as_bytes()[4] == b'-' && digits(&s[..4]) && digits(&s[5..]),
            Pattern::Region => matches!(s.len(), 6 | 9 | 12) && digits(s),
        }
    }

    fn message(self) -> &'static str {
        match self {
            Pattern::CreditCode => "应为18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z）",
            Pattern::Money => "应为以元为单位的金额，如 3500.00（最多两位小数）",
            Pattern::SchoolYear => "应写成 2023-2024 的形式",
            Pattern::Region => "应为6、9或12位数字的区划代码",
        }
    }
}

/// A strict calendar date, YYYY-MM-DD (the document's `format: date`).
fn iso_date(s: &str) -> Option<chrono::NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if !s
        .bytes()
        .enumerate()
        .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return None;
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Checks one text against a string schema (enum, length, pattern, date).
fn check_text(schema: &Value, s: &str) -> Result<(), String> {
    if let Some(choices) = schema["enum"].as_array()
        && !choices.iter().any(|c| c.as_str() == Some(s))
    {
        let list: Vec<&str> = choices.iter().filter_map(Value::as_str).collect();
        return Err(format!("应为以下之一：{}", list.join("、")));
    }
    let len = s.chars().count() as u64;
    if let Some(min) = schema["minLength"].as_u64()
        && len < min
    {
        return Err("不能为空".into());
    }
    if let Some(max) = schema["maxLength"].as_u64()
        && len > max
    {
        return Err(format!("不能超过{max}个字"));
    }
    if let Some(r) = schema["pattern"].as_str() {
        let p = Pattern::from_regex(r).ok_or_else(|| format!("未知的格式 {r}"))?;
        if !p.matches(s) {
            return Err(p.message().into());
        }
    }
    if schema["format"] == "date" && iso_date(s).is_none() {
        return Err("应为有效日期，格式如 2023-03-05".into());
    }
    Ok(())
}

/// Checks one body value against its property schema; returns the text the
/// use cases read (booleans as 是/否, null as empty).
fn check_value(schema: &Value, v: &Value) -> Result<String, String> {
    match (schema["type"].as_str().unwrap_or_default(), v) {
        (_, Value::Null) if schema["nullable"] == true => Ok(String::new()),
        (_, Value::Null) => Err("不能为空".into()),
        ("string", Value::String(s)) => check_text(schema, s).map(|()| s.clone()),
        ("string", _) => Err("应为字符串".into()),
        ("integer", Value::Number(n)) => match n.as_i64() {
            Some(i) if schema["minimum"].as_i64().is_none_or(|m| i >= m) => Ok(i.to_string()),
            _ => Err(match schema["minimum"].as_i64() {
                Some(m) => format!("应为不小于{m}的整数"),
                None => "应为整数".into(),
            }),
        },
        ("integer", _) => Err("应为整数".into()),
        ("boolean", Value::Bool(b)) => Ok(if *b { "是" } else { "否" }.to_string()),
        ("boolean", _) => Err("应为 true 或 false".into()),
        (ty, _) => Err(format!("未知的类型 {ty}")),
    }
}

/// A JSON object body checked against its schema in the document: no
/// properties the document does not name, every required one present, each
/// of its declared type and format. A body that is not a JSON object is 400;
/// a property that breaks the schema is 422 with the field's reason.
fn checked_body(schema: &Value, body: &Bytes) -> Result<HashMap<String, String>, ApiError> {
    let bad = |m: &str| ApiError(AppError::BadRequest(m.to_string()));
    let v: Value = serde_json::from_slice(body).map_err(|_| bad("请求体不是有效的 JSON"))?;
    let Value::Object(m) = v else {
        return Err(bad("请求体应为 JSON 对象"));
    };
    let props = &schema["properties"];
    let title = |k: &str| props[k]["title"].as_str().unwrap_or(k).to_string();
    let mut errors = FieldErrors::default();
    let mut out = HashMap::new();
    for (k, v) in m {
        if !props[&k].is_object() {
            errors.add(&k, "接口文档中没有此字段");
            continue;
        }
        match check_value(&props[&k], &v) {
            Ok(text) => {
                out.insert(k, text);
            }
            Err(why) => errors.add(&k, format!("{}{why}", title(&k))),
        }
    }
    for r in schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !out.contains_key(r) && errors.get(r).is_none() {
            errors.add(r, format!("{}不能为空", title(r)));
        }
    }
    errors.into_result()?;
    Ok(out)
}

/// Query parameters checked against the operation's declared parameters:
/// each at most once, each of its declared type and format (400 otherwise).
/// Parameters the document does not declare are ignored.
fn checked_query(params: &Value, pairs: Vec<(String, String)>) -> Result<HashMap<String, String>, ApiError> {
    let bad = |m: String| ApiError(AppError::BadRequest(m));
    let mut out = HashMap::new();
    for (k, v) in pairs {
        let Some(p) = params
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["in"] == "query" && p["name"] == k.as_str())
        else {
            continue;
        };
        if out.contains_key(&k) {
            return Err(bad(format!("参数 {k} 只能出现一次")));
        }
        let schema = &p["schema"];
        if schema["type"] == "integer" {
            let n = Some(&v)
                .filter(|v| !v.is_empty() && v.len() <= 18 && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<i64>().ok());
            let min = schema["minimum"].as_i64().unwrap_or(i64::MIN);
            let max = schema["maximum"].as_i64().unwrap_or(i64::MAX);
            if !n.is_some_and(|n| (min..=max).contains(&n)) {
                return Err(bad(format!("参数 {k} 应为 {min} 至 {max} 的整数")));
            }
        } else if let Err(why) = check_text(schema, &v) {
            return Err(bad(format!("参数 {k} {why}")));
        }
        out.insert(k, v);
    }
    Ok(out)
}

fn page_of(q: &HashMap<String, String>) -> i64 {
    q.get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1)
}

/// The region filter: none, a division, or a well-formed code that names no
/// division (no worker can be there, so the page is empty).
enum RegionFilter {
    Any,
    In(DivisionCode),
    Nowhere,
}

fn region_of(q: &HashMap<String, String>) -> RegionFilter {
    match q.get("region") {
        None => RegionFilter::Any,
        Some(r) => DivisionCode::parse(r).map_or(RegionFilter::Nowhere, RegionFilter::In),
    }
}

fn worker_json(w: &WorkerRow) -> Value {
    json!({
        "id": w.id,
        "name": w.name,
        "id_number_masked": w.id_masked,
        "sex": w.sex,
        "birth_year": w.birth_year,
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
            "total": total.min(workers::COUNT_CAP),
            "total_capped": total > workers::COUNT_CAP,
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

/// The document, built once from the record kinds' definitions.
fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build_doc)
}

/// The declared parameters of one operation.
fn params_of(path: &str, method: &str) -> &'static Value {
    &doc()["paths"][path][method]["parameters"]
}

/// The request body schema of one operation, with its `$ref` followed.
fn body_schema_of(path: &str) -> &'static Value {
    let r = doc()["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap_or_default();
    &doc()["components"]["schemas"][r.rsplit('/').next().unwrap_or_default()]
}

/// GET /api/v1/workers?q=&region=&tag=&page=
pub async fn workers(a: ApiActor, Query(q): Query<Vec<(String, String)>>) -> Result<Response, ApiError> {
    let q = checked_query(params_of("/api/v1/workers", "get"), q)?;
    let page = page_of(&q);
    let region = match region_of(&q) {
        RegionFilter::Nowhere => return Ok(page_reply(page, 0, Vec::new())),
        RegionFilter::In(r) => Some(r),
        RegionFilter::Any => None,
    };
    let filter = WorkerFilter {
        q: q.get("q").cloned().unwrap_or_default(),
        region,
        tag: q.get("tag").cloned().unwrap_or_default(),
        ..WorkerFilter::default()
    };
    let (rows, total) = workers::list_workers(
        &a.state.db,
        &a.state.cipher,
        &a.actor,
        &filter,
        PAGE,
        (page - 1) * PAGE,
        workers::COUNT_CAP,
    )
    .await?;
    super::audit::saw_search(&a.state.reads, &a.call(), &filter.q, rows.iter().map(|r| r.id));
    Ok(page_reply(page, total, rows.iter().map(worker_json).collect()))
}

/// POST /api/v1/workers — registers, or updates by ID number.
pub async fn put_worker(a: ApiActor, body: Bytes) -> Result<Response, ApiError> {
    let f = checked_body(body_schema_of("/api/v1/workers"), &body)?;
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
    Ok(outcome_reply(workers::put_worker(&a.call(), &input).await?))
}

/// GET /api/v1/workers/{id} — the worker, the family and the records in scope.
pub async fn worker(a: ApiActor, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = id.parse::<i64>().map_err(|_| ApiError(AppError::NotFound))?;
    let (w, deps) = workers::get_worker(&a.state.db, &a.actor, WorkerId(id)).await?;
    let recs = records::worker_records(&a.state.db, &a.actor, WorkerId(id)).await?;
    let mut body = worker_json(&w);
    body["dependants"] = deps
        .iter()
        .map(|d| {
            json!({"id": d.id, "relation": d.relation, "name_masked": d.name_masked,
                   "id_number_masked": d.id_masked, "birth_year": d.birth_year})
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
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let kind = kind_of(&kind)?;
    let q = checked_query(params_of(&format!("/api/v1/records/{}", kind.code()), "get"), q)?;
    let page = page_of(&q);
    let region = match region_of(&q) {
        RegionFilter::Nowhere => return Ok(page_reply(page, 0, Vec::new())),
        RegionFilter::In(r) => Some(r),
        RegionFilter::Any => None,
    };
    let filter = RecordFilter {
        region,
        from: q.get("from").and_then(|s| iso_date(s)),
        to: q.get("to").and_then(|s| iso_date(s)),
        ..RecordFilter::default()
    };
    let (rows, total) = records::list_records(
        &a.state.db,
        &a.actor,
        kind,
        &filter,
        PAGE,
        (page - 1) * PAGE,
        workers::COUNT_CAP,
    )
    .await?;
    Ok(page_reply(page, total, rows.iter().map(record_json).collect()))
}

/// POST /api/v1/records/{kind} — adds, or updates by natural key.
pub async fn put_record(a: ApiActor, Path(kind): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let kind = kind_of(&kind)?;
    // A kind outside the key's grants is refused before its body is read.
    if a.actor.scope.ranges_for(kind).is_empty() {
        return Err(ApiError(AppError::Forbidden));
    }
    let f = checked_body(body_schema_of(&format!("/api/v1/records/{}", kind.code())), &body)?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let outcome = records::put_record(&a.call(), &get("id_number"), &get("name"), kind, &get).await?;
    Ok(outcome_reply(outcome))
}

/// POST /api/v1/vacancies — publishes a vacancy (岗位) of the key's scope,
/// checked as the page's form is.
pub async fn post_vacancy(a: ApiActor, body: Bytes) -> Result<Response, ApiError> {
    // Without job-service scope the body is not read.
    if a.actor.scope.ranges_for(RecordKind::JobService).is_empty() {
        return Err(ApiError(AppError::Forbidden));
    }
    let f = checked_body(body_schema_of("/api/v1/vacancies"), &body)?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let id = shiminhua_app::registry::jobs::vacancies::create(&a.call(), &get, "api").await?;
    Ok(outcome_reply(Outcome::Inserted(id)))
}

/// A property: required ones may not be empty, optional ones may be null
/// (no value).
fn property(mut s: Value, title: &str, required: bool) -> Value {
    s["title"] = Value::from(title);
    if required {
        if s["type"] == "string" && s["enum"].is_null() && s["pattern"].is_null() && s["format"].is_null() {
            s["minLength"] = Value::from(1);
        }
    } else {
        s["nullable"] = Value::from(true);
    }
    s
}

fn field_schema(f: &rec::Field) -> Value {
    let description = if f.help.is_empty() {
        f.label.to_string()
    } else {
        format!("{}。{}", f.label, f.help)
    };
    let mut s = match f.ty {
        FieldType::Text(max) => json!({"type": "string", "maxLength": max}),
        FieldType::Date | FieldType::LaterDate => json!({"type": "string", "format": "date", "example": "2023-03-05"}),
        FieldType::Money => json!({"type": "string", "pattern": Pattern::Money.regex(), "example": "3500.00"}),
        FieldType::Count => json!({"type": "integer", "minimum": 0}),
        FieldType::Flag => json!({"type": "boolean"}),
        FieldType::Choice(c) => json!({"type": "string", "enum": c}),
        FieldType::CreditCode => json!({"type": "string", "pattern": Pattern::CreditCode.regex()}),
        FieldType::Industry => {
            json!({"type": "string", "enum": rec::INDUSTRIES.iter().map(|(c, _)| *c).collect::<Vec<_>>()})
        }
        FieldType::Place => json!({"type": "string", "example": "341021100"}),
        FieldType::SchoolYear => {
            json!({"type": "string", "pattern": Pattern::SchoolYear.regex(), "example": "2023-2024"})
        }
        FieldType::Child => json!({"type": "string"}),
    };
    let unit = if f.ty == FieldType::Money { "（元）" } else { "" };
    s["description"] = Value::from(format!("{description}{unit}"));
    property(s, f.label, f.required)
}

fn kind_schema(spec: &KindSpec) -> Value {
    let mut props = Map::new();
    props.insert(
        "id_number".into(),
        property(
            json!({"type": "string", "description": "农民工本人身份证号"}),
            "身份证号",
            true,
        ),
    );
    props.insert(
        "name".into(),
        property(json!({"type": "string", "description": "农民工本人姓名"}), "姓名", true),
    );
    let mut required = vec!["id_number", "name"];
    for f in spec.fields {
        props.insert(f.key.into(), field_schema(f));
        if f.required {
            required.push(f.key);
        }
    }
    json!({"type": "object", "title": spec.kind.label_zh(), "properties": props, "required": required,
           "additionalProperties": false})
}

/// One response of the document with the error body.
fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// The answers every operation behind a key can give besides its own.
fn keyed_responses(mut own: Map<String, Value>) -> Value {
    own.insert("401".into(), error_response("密钥无效、已吊销或未提供"));
    own.insert("403".into(), error_response("本密钥无权访问此类数据"));
    own.insert("500".into(), error_response("系统暂时出现问题"));
    Value::Object(own)
}

fn list_responses(description: &str, item: Value) -> Value {
    let page = json!({"allOf": [
        {"$ref": "#/components/schemas/Page"},
        {"type": "object", "properties": {"items": {"type": "array", "items": item}}},
    ]});
    let mut own = Map::new();
    own.insert(
        "200".into(),
        json!({"description": description, "content": {"application/json": {"schema": page}}}),
    );
    own.insert("400".into(), error_response("查询参数不符合本文档（类型、格式、重复）"));
    keyed_responses(own)
}

fn write_responses() -> Value {
    let outcome = json!({"application/json": {"schema": {"$ref": "#/components/schemas/Outcome"}}});
    let mut own = Map::new();
    own.insert(
        "200".into(),
        json!({"description": "已更新或无变化", "content": outcome}),
    );
    own.insert("201".into(), json!({"description": "已新增", "content": outcome}));
    own.insert("400".into(), error_response("请求体不是 JSON 对象"));
    own.insert("409".into(), error_response("与已有记录冲突，或记录正被他人修改"));
    own.insert(
        "422".into(),
        error_response("数据有误（fields 给出各字段的原因）：不符合本文档的字段，或身份证号校验位、区划、是否已登记等业务校验未通过"),
    );
    keyed_responses(own)
}

fn page_param() -> Value {
    json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
           "description": "页码，从1开始"})
}

fn region_param() -> Value {
    json!({"name": "region", "in": "query", "schema": {"type": "string", "pattern": Pattern::Region.regex()},
           "description": "区划代码（6、9或12位），限定在该区划内；不存在的区划没有数据"})
}

/// GET /api/v1/openapi.json — generated from the record kinds' definitions.
pub async fn openapi() -> Response {
    reply(StatusCode::OK, doc().clone())
}

fn build_doc() -> Value {
    let mut schemas = Map::new();
    let mut paths = Map::new();
    for kind in rec::KINDS {
        let Some(spec) = rec::spec(kind) else { continue };
        let name = format!("{}Record", capitalise(kind.code()));
        schemas.insert(name.clone(), kind_schema(spec));
        let params = json!([
            region_param(),
            page_param(),
            {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "业务日期不早于"},
            {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "业务日期不晚于"},
        ]);
        paths.insert(
            format!("/api/v1/records/{}", kind.code()),
            json!({
                "get": {"summary": format!("{}记录列表", kind.label_zh()), "parameters": params,
                        "responses": list_responses("一页记录（每页100条）", json!({"type": "object"}))},
                "post": {"summary": format!("新增或更新{}记录（按自然键去重）", kind.label_zh()),
                         "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}},
                         "responses": write_responses()},
            }),
        );
    }
    {
        use shiminhua_core::jobs::forms::VACANCY;
        let mut props = Map::new();
        let mut required = Vec::new();
        for f in VACANCY.fields {
            props.insert(f.key.into(), field_schema(f));
            if f.required {
                required.push(f.key);
            }
        }
        schemas.insert(
            "Vacancy".into(),
            json!({"type": "object", "title": "岗位", "properties": props, "required": required,
                   "additionalProperties": false}),
        );
        paths.insert(
            "/api/v1/vacancies".into(),
            json!({"post": {"summary": "发布岗位（工作地点须在本密钥的公共就业服务数据范围内）",
                            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Vacancy"}}}},
                            "responses": write_responses()}}),
        );
    }
    let text = |title: &str, description: &str, required: bool| {
        property(json!({"type": "string", "description": description}), title, required)
    };
    schemas.insert(
        "Worker".into(),
        json!({"type": "object", "required": ["name", "id_number", "region"], "additionalProperties": false, "properties": {
            "name": text("姓名", "姓名", true),
            "id_number": text("身份证号", "身份证号（18位；15位旧号自动转换）", true),
            "phone": text("手机号码", "手机号码", false),
            "region": text("现居住地", "现居住地：本市乡镇（街道）或村（社区）的区划代码或名称", true),
            "hukou_place": text("户籍地", "户籍地", false),
            "education": property(json!({"type": "string", "enum": workers::EDUCATION, "description": "文化程度"}), "文化程度", false),
            "skills": text("职业技能", "职业技能", false),
            "tags": text("标签", "标签，逗号分隔", false),
        }}),
    );
    // What the API returns about a person: the ID number shows only its
    // address code, and of the birth date only the year (see
    // docs/decisions/0003-id-masking.md).
    let masked_id = json!({"type": "string", "pattern": "^[0-9]{6}\\*{12}$",
        "description": "脱敏身份证号：仅显示前6位地址码，如 341181************"});
    let birth_year = json!({"type": "integer", "description": "出生年份（不提供完整出生日期）"});
    schemas.insert(
        "WorkerSummary".into(),
        json!({"type": "object", "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "id_number_masked": masked_id,
            "sex": {"type": "string", "enum": ["男", "女"]},
            "birth_year": birth_year,
            "region_code": {"type": "string"},
            "region_name": {"type": "string"},
            "phone_masked": {"type": "string"},
            "hukou_place": {"type": "string"},
            "education": {"type": "string"},
            "skills": {"type": "string"},
            "tags": {"type": "string"},
            "version": {"type": "integer"},
            "updated_at": {"type": "string", "format": "date-time"},
        }}),
    );
    schemas.insert(
        "Dependant".into(),
        json!({"type": "object", "properties": {
            "id": {"type": "integer"},
            "relation": {"type": "string", "enum": workers::RELATIONS},
            "name_masked": {"type": "string"},
            "id_number_masked": masked_id,
            "birth_year": birth_year,
        }}),
    );
    schemas.insert(
        "Outcome".into(),
        json!({"type": "object", "required": ["id", "result"], "properties": {"id": {"type": "integer"}, "result": {"type": "string", "enum": ["inserted", "updated", "unchanged"]}}}),
    );
    schemas.insert(
        "Page".into(),
        json!({"type": "object", "required": ["page", "per_page", "total", "total_capped", "items"], "properties": {
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer"},
            "total": {"type": "integer", "minimum": 0, "description": "总数（超过上限时为上限）"},
            "total_capped": {"type": "boolean"},
            "items": {"type": "array", "items": {"type": "object"}},
        }}),
    );
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}, "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}),
    );
    paths.insert(
        "/api/v1/workers".into(),
        json!({
            "get": {"summary": "农民工列表（个人信息已脱敏）", "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "姓名（任意部分）、完整身份证号或手机号"},
                region_param(),
                {"name": "tag", "in": "query", "schema": {"type": "string"}, "description": "标签"},
                page_param()],
                "responses": list_responses("一页农民工（每页100人）", json!({"$ref": "#/components/schemas/WorkerSummary"}))},
            "post": {"summary": "登记农民工，或按身份证号更新",
                     "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Worker"}}}},
                     "responses": write_responses()},
        }),
    );
    let mut detail = Map::new();
    detail.insert(
        "200".into(),
        json!({"description": "详情：WorkerSummary 加 dependants（Dependant 列表）和 records",
               "content": {"application/json": {"schema": {"allOf": [
                   {"$ref": "#/components/schemas/WorkerSummary"},
                   {"type": "object", "properties": {
                       "dependants": {"type": "array", "items": {"$ref": "#/components/schemas/Dependant"}},
                       "records": {"type": "array", "items": {"type": "object"}}}}]}}}}),
    );
    detail.insert("404".into(), error_response("不存在或不在数据范围内"));
    paths.insert(
        "/api/v1/workers/{id}".into(),
        json!({"get": {"summary": "农民工详情：本人、随迁家属及数据范围内的各类记录",
                       "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}],
                       "responses": keyed_responses(detail)}}),
    );
    paths.insert(
        "/api/v1/openapi.json".into(),
        json!({"get": {"summary": "本文档", "security": [],
                       "responses": {"200": {"description": "OpenAPI 3.0 文档", "content": {"application/json": {"schema": {"type": "object"}}}}}}}),
    );
    json!({
        "openapi": "3.0.3",
        "info": {"title": "市民化 部门数据共享接口", "version": "1",
                 "description": "各成员单位系统按单位密钥推送和查询农民工及各类业务记录。校验规则、数据范围和审计与网页相同；个人信息以脱敏形式返回。请求体只能含本文档列出的字段；可选字段不填时省略或给 null。"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "单位接口密钥 smh_…"}},
                       "schemas": schemas},
        "paths": paths,
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
