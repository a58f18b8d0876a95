//! The plan in force: the stored text, parsed once per text, and what a
//! plan is checked against.

use crate::error::{AppError, AppResult};
use crate::store::{Sql, Tx};
use shiminhua_core::plan::{self, Context, Plan};
use std::sync::Arc;

/// What a plan is checked against: the shipped units and divisions, read
/// from their tables once (pages ask it for unit names on every request).
pub fn context() -> &'static Context {
    static CONTEXT: std::sync::OnceLock<Context> = std::sync::OnceLock::new();
    CONTEXT.get_or_init(|| Context::from_csv(crate::units::UNITS_CSV, crate::regions::SEED_CSV))
}

/// A stored plan text, parsed once per text. The stored text was checked
/// when it was saved; one that no longer reads (e.g. after a program
/// upgrade) is an internal problem.
pub(crate) fn parsed(text: &str) -> AppResult<std::sync::Arc<Plan>> {
    use std::sync::{Arc, Mutex};
    static PARSED: Mutex<Option<(String, Arc<Plan>)>> = Mutex::new(None);
    if let Some((t, p)) = PARSED.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
        && t == text
    {
        return Ok(Arc::clone(p));
    }
    let plan = Arc::new(plan::parse(text, context()).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
        AppError::Internal(format!("stored plan invalid: {}", lines.join("; ")))
    })?);
    *PARSED.lock().unwrap_or_else(|e| e.into_inner()) = Some((text.to_string(), Arc::clone(&plan)));
    Ok(plan)
}

/// The plan in force, read in the caller's transaction; parsed once per text.
/// `None` before a plan is loaded (nothing to keep current then).
pub(crate) async fn plan_in(tx: &mut Tx) -> AppResult<Option<Arc<Plan>>> {
    let text: Option<(String,)> = tx.opt(Sql::new("SELECT toml FROM plans ORDER BY id LIMIT 1")).await?;
    text.map(|(t,)| parsed(&t)).transpose()
}
