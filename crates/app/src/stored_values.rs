//! The stored form of record and facility values: one JSON object per row,
//! keyed by the fields' keys, in the fields' order.

use chrono::NaiveDate;
use serde_json::{Map, Value as Json};
use shiminhua_core::division::DivisionCode;
use shiminhua_core::money::Fen;
use shiminhua_core::record::{Field, FieldType, KindSpec, Value, Values};

/// Values as the stored JSON object, in the spec's field order.
pub fn to_json(spec: &KindSpec, values: &Values) -> String {
    fields_to_json(spec.fields, values)
}

/// Values of these fields as a stored JSON object, in the fields' order
/// (records and facilities alike).
pub fn fields_to_json(fields: &[Field], values: &Values) -> String {
    let mut m = Map::new();
    for f in fields {
        // The child is the record's dependant; what was typed to name the
        // child (a name or an ID number) is personal and never stored here.
        if f.ty == FieldType::Child {
            continue;
        }
        let Some(v) = values.get(f.key) else { continue };
        let j = match v {
            Value::Text(s) => Json::from(s.as_str()),
            Value::Date(d) => Json::from(d.format("%Y-%m-%d").to_string()),
            Value::Money(fen) => Json::from(fen.0),
            Value::Count(n) => Json::from(*n),
            Value::Flag(b) => Json::from(*b),
            Value::Place(c) => Json::from(c.as_i64()),
        };
        m.insert(f.key.to_string(), j);
    }
    Json::Object(m).to_string()
}

/// The stored JSON object back as values (unknown or malformed entries are skipped).
pub fn from_json(spec: &KindSpec, data: &str) -> Values {
    fields_from_json(spec.fields, data)
}

/// A stored JSON object back as values of these fields (unknown or
/// malformed entries are skipped).
pub fn fields_from_json(fields: &[Field], data: &str) -> Values {
    let mut values = Values::new();
    let Ok(Json::Object(m)) = serde_json::from_str::<Json>(data) else {
        return values;
    };
    for f in fields {
        let Some(j) = m.get(f.key) else { continue };
        let v = match (f.ty, j) {
            (FieldType::Date | FieldType::LaterDate, Json::String(s)) => {
                NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(Value::Date)
            }
            (FieldType::Money, j) => j.as_i64().map(|n| Value::Money(Fen(n))),
            (FieldType::Count, j) => j.as_i64().map(Value::Count),
            (FieldType::Flag, Json::Bool(b)) => Some(Value::Flag(*b)),
            (FieldType::Place, j) => j
                .as_i64()
                .and_then(|n| DivisionCode::from_i64(n).ok())
                .map(Value::Place),
            (_, Json::String(s)) => Some(Value::Text(s.clone())),
            _ => None,
        };
        if let Some(v) = v {
            values.insert(f.key, v);
        }
    }
    values
}
