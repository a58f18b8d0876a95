//! Forms and lists of any kind described by its fields
//! (`shiminhua_core::field::FieldSpec`): the record kinds, the facility
//! kinds and the kinds to come. A form's inputs are generated from the
//! kind's fields (`field_form.html`, which a kind's form template extends);
//! a list is a table of cells (`field_table.html`) whose 内容 column gives
//! the fields of each item.

use super::region_options;
use crate::error::WebError;
use crate::extract::{Ctx, Form};
use shiminhua_app::FieldErrors;
use shiminhua_core::auth::Actor;
use shiminhua_core::field::{FieldSpec, FieldType, INDUSTRIES};
use std::collections::HashMap;

/// One input of a form, generated from a field.
pub struct Input {
    pub key: &'static str,
    pub label: &'static str,
    pub required: bool,
    pub help: String,
    pub placeholder: &'static str,
    pub inputmode: &'static str,
    /// Non-empty: a dropdown of (value, label).
    pub options: Vec<(String, String)>,
    pub value: String,
    pub error: Option<String>,
}

/// The values a dropdown of this field type offers: (value, label).
pub fn options_of(ty: FieldType) -> Vec<(String, String)> {
    match ty {
        // Stored as the section letter, chosen by name.
        FieldType::Industry => INDUSTRIES
            .iter()
            .map(|(c, n)| (c.to_string(), format!("{c} {n}")))
            .collect(),
        other => other
            .choices()
            .into_iter()
            .map(|c| (c.to_string(), c.to_string()))
            .collect(),
    }
}

/// The part of a form page every kind shares (`field_form.html`).
pub struct FieldForm {
    pub action: String,
    /// The kind's code, sent back with the form.
    pub kind: &'static str,
    pub version: i64,
    pub inputs: Vec<Input>,
    pub conflict: Option<String>,
    /// Every error at once, on top of the form: (the field's id or "",
    /// message), in the form's order.
    pub summary: Vec<(String, String)>,
}

/// What a form shows: the texts in its inputs, the errors, and a hint for
/// a child field (in place of the field's own help).
pub struct Filled<'a> {
    pub values: &'a HashMap<String, String>,
    pub errors: &'a FieldErrors,
    pub conflict: Option<String>,
    pub child_help: Option<String>,
}

impl FieldForm {
    /// The form of `spec` posting to `action`; places offered are those of
    /// the actor's scope (loaded when the kind has a place field).
    pub async fn new(
        ctx: &Ctx,
        actor: &Actor,
        spec: &dyn FieldSpec,
        action: String,
        version: i64,
        filled: Filled<'_>,
    ) -> Result<FieldForm, WebError> {
        let places = if spec.has(FieldType::Place) {
            region_options(ctx, actor, 4).await?
        } else {
            Vec::new()
        };
        let general: Vec<String> = filled
            .errors
            .0
            .iter()
            .filter(|(k, _)| spec.field(k).is_none())
            .map(|(_, m)| m.clone())
            .collect();
        let inputs = inputs(spec, &filled, &places);
        let summary = error_summary(&inputs, &general);
        Ok(FieldForm {
            action,
            kind: spec.code(),
            version,
            inputs,
            conflict: filled.conflict,
            summary,
        })
    }
}

/// The errors of a form, all at once: those not tied to one field (e.g. the
/// data scope) first, then
/// each field's in the form's order with the id of its input.
fn error_summary(inputs: &[Input], general: &[String]) -> Vec<(String, String)> {
    general
        .iter()
        .map(|m| (String::new(), m.clone()))
        .chain(
            inputs
                .iter()
                .filter_map(|i| i.error.as_ref().map(|e| (format!("f-{}", i.key), e.clone()))),
        )
        .collect()
}

/// The inputs of the kind's fields, in order: each field's type gives its
/// placeholder, keyboard and dropdown.
fn inputs(spec: &dyn FieldSpec, filled: &Filled<'_>, places: &[(String, String)]) -> Vec<Input> {
    spec.fields()
        .iter()
        .map(|f| {
            let value = filled.values.get(f.key).cloned().unwrap_or_default();
            let mut help = f.help.to_string();
            let (mut placeholder, mut inputmode) = ("", "");
            let mut options = Vec::new();
            match f.ty {
                FieldType::Date | FieldType::LaterDate => placeholder = "2023-03-05",
                FieldType::SchoolYear => placeholder = "2023-2024",
                FieldType::Money => {
                    placeholder = "如 3500";
                    inputmode = "decimal";
                }
                FieldType::Count => inputmode = "numeric",
                FieldType::Place => {
                    options = places.to_vec();
                    // A value typed elsewhere (or outside the scope) stays visible.
                    if !value.is_empty() && !options.iter().any(|o| o.0 == value) {
                        options.push((value.clone(), value.clone()));
                    }
                }
                FieldType::Child => {
                    if let Some(h) = &filled.child_help {
                        help = h.clone();
                    }
                }
                _ => options = options_of(f.ty),
            }
            Input {
                key: f.key,
                label: f.label,
                required: f.required,
                help,
                placeholder,
                inputmode,
                options,
                value,
                error: filled.errors.get(f.key).map(str::to_string),
            }
        })
        .collect()
}

/// The submitted texts of the kind's fields (to show them again).
pub fn submitted(spec: &dyn FieldSpec, form: &Form) -> HashMap<String, String> {
    spec.fields()
        .iter()
        .map(|f| (f.key.to_string(), form.get(f.key).to_string()))
        .collect()
}

/// An item's fields in one line (a list's 内容 column): "label：text",
/// joined by "；", leaving out the fields labelled in `hidden` (those with
/// a column of their own).
pub fn summary(described: &[(&'static str, String)], hidden: &[&str]) -> String {
    described
        .iter()
        .filter(|(l, _)| !hidden.contains(l))
        .map(|(l, t)| format!("{l}：{t}"))
        .collect::<Vec<_>>()
        .join("；")
}

/// A list of items (`field_table.html`).
pub struct Table {
    /// Column headings.
    pub head: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// Whether rows end with a 修改 link.
    edit: bool,
}

/// One cell of a list: its text, its class, and where it links to.
pub struct Cell {
    pub text: String,
    pub class: &'static str,
    pub href: Option<String>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            class: "",
            href: None,
        }
    }

    pub fn class(mut self, class: &'static str) -> Cell {
        self.class = class;
        self
    }

    pub fn link(mut self, href: String) -> Cell {
        self.href = Some(href);
        self
    }
}

impl Table {
    /// A table with these headings and, when `edit`, an 操作 column of
    /// 修改 links.
    pub fn new(mut head: Vec<&'static str>, edit: bool) -> Table {
        if edit {
            head.push("操作");
        }
        Table {
            head,
            rows: Vec::new(),
            edit,
        }
    }

    /// Adds a row; `edit` (the item's edit page) adds its 修改 link when
    /// the table has an 操作 column.
    pub fn row(&mut self, mut cells: Vec<Cell>, edit: String) {
        if self.edit {
            cells.push(Cell::text("修改").class("nowrap").link(edit));
        }
        self.rows.push(cells);
    }
}
