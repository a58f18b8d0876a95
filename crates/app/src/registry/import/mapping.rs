//! Column mappings: which field a file column of an unfamiliar header is
//! read as, chosen on the preview page or on the command line, and
//! remembered for the unit (or, for a user without one, the user) and the
//! import kind, so that the next roster of the same shape needs no choosing.

use super::read::{Layout, normalize_header};
use super::templates::{Column, ImportKind, Part, SKIPPED_HEADERS};
use crate::Call;
use crate::error::{AppError, AppResult};
use crate::store::{Sql, Tx};
use shiminhua_core::auth::Actor;

/// Whose mapping it is: the actor's unit, else the actor.
fn owner(actor: &Actor) -> String {
    match actor.unit_id {
        Some(unit) => format!("unit:{unit}"),
        None => format!("user:{}", actor.user_id),
    }
}

/// The mapping remembered for the actor's unit and `target`: (header as
/// compared, field key or "" for a column left out).
pub async fn remembered(call: &Call<'_>, target: ImportKind) -> AppResult<Vec<(String, String)>> {
    let mut tx = call.db.read().await?;
    let rows: Vec<(String, String)> = tx
        .all(
            Sql::new("SELECT header, field FROM import_mappings WHERE owner = $1 AND kind = $2 ORDER BY header")
                .bind(owner(call.actor))
                .bind(target.code()),
        )
        .await?;
    Ok(rows)
}

/// Remembers `mapping` for the actor's unit and `target` (a header mapped
/// again replaces what it was mapped to).
pub(super) async fn remember(
    tx: &mut Tx,
    call: &Call<'_>,
    target: ImportKind,
    mapping: &[(String, String)],
) -> AppResult<()> {
    for (header, field) in mapping {
        tx.exec(
            Sql::new(
                "INSERT INTO import_mappings (owner, kind, header, field, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (owner, kind, header) DO UPDATE SET field = excluded.field, updated_at = excluded.updated_at",
            )
            .bind(owner(call.actor))
            .bind(target.code())
            .bind(normalize_header(header))
            .bind(field.clone())
            .bind(call.now),
        )
        .await?;
    }
    Ok(())
}

/// The user's mapping checked against the columns: each header once (the
/// last choice wins), each field a key of `cols` or "".
pub(super) fn checked(cols: &[Column], mapping: &[(String, String)]) -> AppResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (header, field) in mapping {
        let header = normalize_header(header);
        if header.is_empty() {
            continue;
        }
        if !field.is_empty() && !cols.iter().any(|c| c.key == field) {
            return Err(AppError::field(
                "file",
                format!("列“{header}”要对应的字段“{field}”不是本类数据的字段，未导入任何数据。"),
            ));
        }
        out.retain(|(h, _)| *h != header);
        out.push((header, field.clone()));
    }
    Ok(out)
}

/// The layout a file is read with: each column by its header and the other
/// headers rosters use, the template's required columns required, the
/// user's mapping, and the columns that are never data left out.
pub(super) fn layout(cols: &[Column], mapping: &[(String, String)]) -> Layout {
    Layout {
        names: cols
            .iter()
            .map(|c| {
                std::iter::once(c.header)
                    .chain(c.aliases.iter().copied())
                    .map(str::to_string)
                    .collect()
            })
            .collect(),
        required: cols.iter().map(|c| c.required && c.part == Part::Template).collect(),
        template: cols.iter().filter(|c| c.part == Part::Template).count(),
        mapped: mapping
            .iter()
            .map(|(h, f)| (h.clone(), cols.iter().position(|c| !f.is_empty() && c.key == f)))
            .collect(),
        skipped: SKIPPED_HEADERS.iter().map(|s| (*s).to_string()).collect(),
    }
}
