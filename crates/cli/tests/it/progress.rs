//! Progress of long commands in a log (standard error not a terminal): plain
//! lines, at most one every few seconds, never a redrawn line.

use crate::common::{Dir, run, stderr, stdout};
use std::time::Instant;

/// The least time between two progress lines in a log (the binary's).
const LOG_EVERY_SECS: u64 = 5;

#[test]
fn an_import_into_a_log_prints_a_few_progress_lines() {
    let dir = Dir::new("cli-progress");
    assert!(run(&dir.0, &["init"], &[]).status.success());
    let o = run(
        &dir.0,
        &[
            "user",
            "add",
            "office1",
            "--name",
            "办公室",
            "--role",
            "office",
            "--region",
            "341000",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // 60,000 workers: 12 batches of 5,000, each of which used to print a line.
    let file = dir.0.join("workers.csv");
    let f = file.to_str().unwrap();
    let o = run(&dir.0, &["demo-file", f, "--workers", "60000", "--seed", "3"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let started = Instant::now();
    let o = run(&dir.0, &["import", "worker", f, "--as", "office1"], &[]);
    let secs = started.elapsed().as_secs();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("新增 60000"), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(!err.contains('\r'), "no line redrawn in a log: {err:?}");
    assert!(!err.contains('\u{1b}'), "no terminal codes in a log: {err:?}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("已处理 ")).collect();
    // One line per interval at most, and the last figures when done.
    assert!(
        !lines.is_empty() && lines.len() as u64 <= secs / LOG_EVERY_SECS + 1,
        "{} lines in {secs} s: {err}",
        lines.len()
    );
    let last = lines.last().unwrap();
    assert!(
        last.contains("已处理 60000 / 约 ") && last.contains("（100%）"),
        "{last}"
    );
}
