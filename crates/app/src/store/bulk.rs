//! The bulk-load path: many rows in one statement. SQLite takes multi-row
//! INSERTs with anonymous `?` placeholders (numbered placeholders make the
//! driver look every parameter up by name, which is ruinous in a statement of
//! thousands of them); PostgreSQL takes COPY FROM STDIN in text format.

use super::{Arg, Conn, Tx};
use crate::error::{AppError, AppResult};
use sqlx::AssertSqlSafe;
use std::fmt::Write;

/// SQLite's limit on the parameters of one statement.
const SQLITE_MAX_PARAMS: usize = 32_766;
/// Rows per multi-row INSERT on SQLite (fixed so that the prepared
/// statements are reused between batches).
const SQLITE_ROWS_PER_STATEMENT: usize = 500;

impl Tx {
    /// Inserts `rows` (each with one value per column) into `table`; returns
    /// the number of rows written. `table` and `columns` are fixed identifiers
    /// of the caller, never user input.
    pub async fn bulk_insert(&mut self, table: &str, columns: &[&str], rows: Vec<Vec<Arg>>) -> AppResult<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        if rows.iter().any(|r| r.len() != columns.len()) {
            return Err(AppError::Internal(format!(
                "bulk insert into {table}: row width differs"
            )));
        }
        match &mut self.conn {
            Conn::Sqlite(t, _) => {
                let per = SQLITE_ROWS_PER_STATEMENT.min(SQLITE_MAX_PARAMS / columns.len()).max(1);
                let one = format!("({})", vec!["?"; columns.len()].join(", "));
                let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
                let mut written = 0;
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let chunk: Vec<Vec<Arg>> = rows.by_ref().take(per).collect();
                    let text = format!("{head}{}", vec![one.as_str(); chunk.len()].join(", "));
                    let q = bind_all!(sqlx::query(AssertSqlSafe(text)), chunk.into_iter().flatten());
                    written += q.execute(&mut **t).await?.rows_affected();
                }
                Ok(written)
            }
            Conn::Postgres(t) => {
                let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
                let mut buf = String::with_capacity(rows.len() * 64 * columns.len());
                for row in &rows {
                    for (i, a) in row.iter().enumerate() {
                        if i > 0 {
                            buf.push('\t');
                        }
                        copy_text(&mut buf, a);
                    }
                    buf.push('\n');
                }
                let conn: &mut sqlx::PgConnection = t;
                let mut copy = conn.copy_in_raw(&statement).await?;
                copy.send(buf.into_bytes()).await?;
                Ok(copy.finish().await?)
            }
        }
    }
}

/// One value in COPY's text format.
fn copy_text(buf: &mut String, a: &Arg) {
    fn escaped(buf: &mut String, s: &str) {
        for c in s.chars() {
            match c {
                '\\' => buf.push_str("\\\\"),
                '\t' => buf.push_str("\\t"),
                '\n' => buf.push_str("\\n"),
                '\r' => buf.push_str("\\r"),
                c => buf.push(c),
            }
        }
    }
    const NULL: &str = "\\N";
    match a {
        Arg::I64(Some(v)) => {
            let _ = write!(buf, "{v}");
        }
        Arg::Text(Some(s)) => escaped(buf, s),
        Arg::Bool(b) => buf.push(if *b { 't' } else { 'f' }),
        Arg::Bytes(Some(b)) => {
            // bytea's hex form, with its backslash escaped for COPY.
            buf.push_str("\\\\x");
            for byte in b {
                let _ = write!(buf, "{byte:02x}");
            }
        }
        Arg::Time(Some(t)) => buf.push_str(&t.to_rfc3339()),
        Arg::Date(Some(d)) => {
            let _ = write!(buf, "{}", d.format("%Y-%m-%d"));
        }
        Arg::I64(None) | Arg::Text(None) | Arg::Bytes(None) | Arg::Time(None) | Arg::Date(None) => buf.push_str(NULL),
    }
}

impl Tx {
    /// Rows of `select` (a query without a WHERE clause) whose `column` is one
    /// of `keys`: in chunks with anonymous placeholders on SQLite, in one
    /// query with an array parameter on PostgreSQL.
    pub async fn select_in<T: super::Row>(
        &mut self,
        select: &str,
        column: &str,
        keys: &[Vec<u8>],
    ) -> AppResult<Vec<T>> {
        let mut out = Vec::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(out);
        }
        match &mut self.conn {
            Conn::Sqlite(t, _) => {
                for chunk in keys.chunks(SQLITE_ROWS_PER_STATEMENT) {
                    let text = format!("{select} WHERE {column} IN ({})", vec!["?"; chunk.len()].join(", "));
                    let mut q = sqlx::query_as::<_, T>(AssertSqlSafe(text));
                    for k in chunk {
                        q = q.bind(k.as_slice());
                    }
                    out.extend(q.fetch_all(&mut **t).await?);
                }
            }
            Conn::Postgres(t) => {
                let text = format!("{select} WHERE {column} = ANY($1)");
                out = sqlx::query_as::<_, T>(AssertSqlSafe(text))
                    .bind(keys)
                    .fetch_all(&mut **t)
                    .await?;
            }
        }
        Ok(out)
    }

    /// Refreshes the planner's statistics of a table that is growing fast
    /// (PostgreSQL; SQLite needs none), so that lookups keep using its indexes.
    pub async fn analyze(&mut self, table: &str) -> AppResult<()> {
        if let Conn::Postgres(t) = &mut self.conn {
            sqlx::query(AssertSqlSafe(format!("ANALYZE {table}")))
                .execute(&mut **t)
                .await?;
        }
        Ok(())
    }
}
