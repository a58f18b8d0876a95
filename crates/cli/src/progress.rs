//! Progress of long commands (`import`, `demo`) on standard error: on a
//! terminal one bar that redraws in place; in a log (a file, a pipe, a
//! service manager's journal) a plain line at most every
//! [`LOG_EVERY`], so that a million-row import leaves a handful of lines.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The least time between two progress lines in a log.
pub const LOG_EVERY: Duration = Duration::from_secs(5);

/// What a progress report counts: the noun of the line and its unit.
#[derive(Clone, Copy)]
pub struct Counting {
    /// 已处理 / 已生成 …
    pub verb: &'static str,
    /// 行 / 人 …
    pub unit: &'static str,
}

pub enum Progress {
    Bar(ProgressBar, Counting),
    Log {
        counting: Counting,
        started: Instant,
        state: Mutex<LogState>,
    },
}

/// What a log's progress has seen so far.
pub struct LogState {
    /// When the last line was written (the start, before the first).
    last_line: Instant,
    /// The latest figures, if any came.
    latest: Option<(u64, Option<u64>)>,
}

impl Progress {
    /// A bar when standard error is a terminal, else plain lines.
    pub fn new(counting: Counting) -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(spinner_style(counting));
            Progress::Bar(bar, counting)
        } else {
            Progress::log(counting)
        }
    }

    /// Plain lines, whatever standard error is.
    pub fn log(counting: Counting) -> Progress {
        let now = Instant::now();
        Progress::Log {
            counting,
            started: now,
            state: Mutex::new(LogState {
                last_line: now,
                latest: None,
            }),
        }
    }

    /// `done` of about `total` (when known).
    pub fn update(&self, done: u64, total: Option<u64>) {
        match self {
            Progress::Bar(bar, counting) => {
                if let Some(t) = total.filter(|t| *t > 0) {
                    if bar.length() != Some(t.max(done)) {
                        if bar.length().is_none() {
                            bar.set_style(bar_style(*counting));
                        }
                        bar.set_length(t.max(done));
                    }
                } else if bar.length().is_some() {
                    bar.set_style(spinner_style(*counting));
                    bar.unset_length();
                }
                bar.set_position(done);
            }
            Progress::Log {
                counting,
                started,
                state,
            } => {
                let now = Instant::now();
                let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                state.latest = Some((done, total));
                if now.duration_since(state.last_line) >= LOG_EVERY {
                    state.last_line = now;
                    line(*counting, *started, done, total);
                }
            }
        }
    }

    /// Clears the bar (the command prints its own summary); a log gets the
    /// last figures in one more line.
    pub fn finish(&self) {
        match self {
            Progress::Bar(bar, _) => bar.finish_and_clear(),
            Progress::Log {
                counting,
                started,
                state,
            } => {
                let state = state.lock().unwrap_or_else(|p| p.into_inner());
                // Done: the count is the total now, whatever was estimated.
                if let Some((done, total)) = state.latest {
                    line(*counting, *started, done, total.map(|_| done));
                }
            }
        }
    }
}

/// One progress line of a log.
fn line(counting: Counting, started: Instant, done: u64, total: Option<u64>) {
    let secs = started.elapsed().as_secs();
    let text = match total.filter(|t| *t > 0) {
        Some(t) => format!(
            "{}{done} / 约 {t} {}（{}%），已用 {secs} 秒",
            counting.verb,
            counting.unit,
            (done.saturating_mul(100) / t).min(100)
        ),
        None => format!("{}{done} {}，已用 {secs} 秒", counting.verb, counting.unit),
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
    let _ = err.flush();
}

fn bar_style(c: Counting) -> ProgressStyle {
    ProgressStyle::with_template(&format!(
        "[{{bar:32}}] {}{{pos}} / 约 {{len}} {}（{{percent}}%），已用 {{elapsed_precise}}",
        c.verb, c.unit
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

fn spinner_style(c: Counting) -> ProgressStyle {
    ProgressStyle::with_template(&format!(
        "{{spinner}} {}{{pos}} {}，已用 {{elapsed_precise}}",
        c.verb, c.unit
    ))
    .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_gets_at_most_one_line_every_few_seconds() {
        let p = Progress::log(Counting {
            verb: "已处理 ",
            unit: "行",
        });
        let Progress::Log { state, .. } = &p else {
            unreachable!("a log was asked for")
        };
        let before = state.lock().unwrap().last_line;
        // Updates within the interval write nothing and keep the clock, but
        // keep the latest figures for the last line.
        for n in 1..=1_000 {
            p.update(n, Some(1_000));
        }
        let s = state.lock().unwrap();
        assert_eq!(s.last_line, before);
        assert_eq!(s.latest, Some((1_000, Some(1_000))));
    }
}
