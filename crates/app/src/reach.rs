//! Which workers an account reaches (see [`WorkerReach`]): the condition
//! that the registry's reads (list, profile, export, API, counts) add for
//! departments and inspectors, who see only the workers their own records or
//! cases concern.

use crate::store::{Backend, Sql, dialect};
use shiminhua_core::auth::{Actor, RecordKind};
use shiminhua_core::record;

/// The region ranges a worker's own region must fall in.
pub(crate) fn worker_ranges(actor: &Actor) -> Vec<(i64, i64)> {
    if actor.worker_reach().direct {
        actor.scope.ranges_for(RecordKind::Worker)
    } else {
        actor.scope.region_ranges()
    }
}

/// `AND (…)` over the outer alias `w` (workers), or nothing for accounts that
/// reach workers by region alone. A department's records are probed per
/// worker (most workers have some; a page stops early), an inspector's
/// cases are read once (few workers are parties).
pub(crate) fn worker_condition(backend: Backend, actor: &Actor) -> Sql {
    let reach = actor.worker_reach();
    let mut q = Sql::new("");
    if reach.direct {
        return q;
    }
    if by_parties(actor) {
        // Without an OR around it, so that SQLite reads the parties by the
        // primary key (with the place off its index: [`worker_region`])
        // instead of testing every worker of the place against them.
        q.push(" AND w.id IN (SELECT cc.worker_id FROM cases cc WHERE cc.worker_id IS NOT NULL AND ");
        q.in_ranges("cc.region_code", &actor.scope.ranges_for(RecordKind::WageCase));
        q.push(")");
        return q;
    }
    q.push(" AND (1 = 0");
    if reach.via_records {
        for kind in record::KINDS {
            let ranges = actor.scope.ranges_for(kind);
            if ranges.is_empty() {
                continue;
            }
            q.push(" OR EXISTS (SELECT 1 FROM records rr WHERE rr.worker_id = w.id AND rr.kind = ")
                .arg(kind.code())
                .push(" AND ");
            q.in_ranges(&dialect::record_column_per_worker(backend, "rr.region_code"), &ranges);
            q.push(")");
        }
    }
    if reach.via_cases {
        let ranges = actor.scope.ranges_for(RecordKind::WageCase);
        if !ranges.is_empty() {
            q.push(" OR w.id IN (SELECT cc.worker_id FROM cases cc WHERE cc.worker_id IS NOT NULL AND ");
            q.in_ranges("cc.region_code", &ranges);
            q.push(")");
        }
    }
    q.push(")");
    q
}

/// The workers' region column in a condition with [`worker_condition`]:
/// off the region index where the actor reaches only its cases' parties
/// (few), who are then read by the primary key; at 1,000,000 workers an
/// inspector's 工作台 counted every worker of its district against them
/// (5 ms a count).
pub(crate) fn worker_region(backend: Backend, actor: &Actor, off_index: bool) -> &'static str {
    dialect::worker_region(backend, off_index || by_parties(actor))
}

/// Whether the actor reads records only through its cases' parties (an
/// inspector without a role that reaches workers otherwise): such lists are
/// read by the parties' worker key, never by kind and place.
pub(crate) fn by_parties(actor: &Actor) -> bool {
    let reach = actor.worker_reach();
    reach.via_cases && !reach.via_records
}

/// `AND …` over the alias `r` (records): an inspector (without a role that
/// reaches workers otherwise) reads only the records of its cases' parties.
pub(crate) fn record_condition(actor: &Actor) -> Sql {
    let mut q = Sql::new("");
    if by_parties(actor) {
        // The parties of the cases in scope are few: read once, not per record.
        q.push(" AND r.worker_id IN (SELECT cc.worker_id FROM cases cc WHERE cc.worker_id IS NOT NULL AND ");
        q.in_ranges("cc.region_code", &actor.scope.ranges_for(RecordKind::WageCase));
        q.push(")");
    }
    q
}
