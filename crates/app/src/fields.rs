//! Values of any kind described by its fields (`shiminhua_core::field`):
//! record kinds, facility kinds and the kinds to come. Reading input into
//! values (with the errors as field errors), and values as text: as shown
//! on screen and in exports, and as typed again into a form.

use crate::error::{AppError, AppResult, FieldErrors};
use crate::regions::PlaceBook;
use chrono::{DateTime, Utc};
use shiminhua_core::field::{self, Errors, Field, FieldSpec, FieldType, Places, Value, Values};
use std::collections::HashMap;

/// The local (UTC+8) day of `now`: the latest date a value may have.
pub fn today(now: DateTime<Utc>) -> chrono::NaiveDate {
    (now + chrono::Duration::hours(8)).date_naive()
}

/// Per-field messages as a validation error.
pub fn invalid(errs: Errors) -> AppError {
    let mut fe = FieldErrors::default();
    for (k, m) in errs {
        fe.add(k, m);
    }
    AppError::Validation(fe)
}

/// Reads an item of `spec` from raw field texts (`get` returns "" when
/// absent): its values, or a validation error with one message per field.
pub fn read<S: FieldSpec + ?Sized>(
    spec: &S,
    get: &dyn Fn(&str) -> String,
    places: &dyn Places,
    now: DateTime<Utc>,
) -> AppResult<Values> {
    field::validate(spec, get, places, today(now)).map_err(invalid)
}

/// A field's value as shown on screen and in exports: places by name,
/// industries with their name, amounts in yuan.
pub fn shown(field: &Field, value: &Value, places: &PlaceBook) -> String {
    match (field.ty, value) {
        (FieldType::Place, Value::Place(c)) => places.full_name(c.as_i64()),
        (FieldType::Industry, Value::Text(c)) => format!("{c} {}", field::industry_name(c)),
        (FieldType::Money, Value::Money(m)) => format!("{m} 元"),
        (_, v) => v.display(),
    }
}

/// A value as typed again into a form (amounts as plain yuan).
pub fn form_text(value: &Value) -> String {
    match value {
        Value::Money(f) => format!("{}.{:02}", f.0 / 100, f.0 % 100),
        other => other.display(),
    }
}

/// Label and text of each field given, in the fields' order, as shown on
/// screen and in exports. A child field (not stored with the values) shows
/// `child` when given.
pub fn describe(
    fields: &[Field],
    values: &Values,
    places: &PlaceBook,
    child: Option<&str>,
) -> Vec<(&'static str, String)> {
    fields
        .iter()
        .filter_map(|f| {
            let text = match (f.ty, values.get(f.key)) {
                (FieldType::Child, _) => child?.to_string(),
                (_, None) => return None,
                (_, Some(v)) => shown(f, v, places),
            };
            Some((f.label, text))
        })
        .collect()
}

/// The raw field texts of values, for an edit form.
pub fn form_values(values: Values) -> HashMap<String, String> {
    values
        .into_iter()
        .map(|(k, v)| (k.to_string(), form_text(&v)))
        .collect()
}
