//! Xlsx bombs: small files that unpack to gigabytes. Each is read in a
//! process of its own (this test binary, run again for one ignored test), so
//! that its peak memory (VmHWM) is its own and not that of tests running
//! beside it; a watchdog kills the child if it passes 1 GiB, so that a
//! regression fails the test instead of taking the machine's memory.

use shiminhua_app::registry::import::guard;
use shiminhua_app::registry::import::read;
use shiminhua_app::testing::{TempDir, bombs};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The ceiling every upload must keep the reading process under.
const CEILING_KB: u64 = 512 * 1024;
/// The watchdog's limit.
const KILL_KB: u64 = 1024 * 1024;

fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// What the child saw and the most memory it used.
struct Outcome {
    result: String,
    peak_kb: u64,
    secs: f64,
}

/// Reads `file` the way an upload is read (`estimate_rows`, then `open` and
/// every row) in a child process.
fn read_in_child(file: &Path) -> Outcome {
    let exe = std::env::current_exe().expect("test binary");
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "xlsx_bombs::child_reads_the_file",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SHIMINHUA_BOMB_FILE", file)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("child");
    let pid = child.id();
    let mut seen_kb = 0;
    loop {
        if let Some(kb) = status_kb(pid, "VmRSS:") {
            seen_kb = seen_kb.max(kb);
            if kb > KILL_KB {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the reader passed {} MB and was stopped", kb / 1024);
            }
        }
        if child.try_wait().expect("child status").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let secs = started.elapsed().as_secs_f64();
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("child output");
    let status = child.wait().expect("child status");
    assert!(status.success(), "the reading process failed ({status}): {out}");
    let field = |key: &str| {
        out.lines()
            .find_map(|l| l.split_once(key).map(|(_, v)| v))
            .unwrap_or_else(|| panic!("no {key} in {out}"))
            .trim()
            .to_string()
    };
    let peak_kb = field("PEAK_KB:").parse::<u64>().expect("peak").max(seen_kb);
    let o = Outcome {
        result: field("RESULT:"),
        peak_kb,
        secs,
    };
    println!(
        "{}: {} MB peak, {:.2}s, {}",
        file.file_name().and_then(|n| n.to_str()).unwrap_or(""),
        o.peak_kb / 1024,
        o.secs,
        o.result
    );
    o
}

#[test]
#[ignore = "run by the other tests in a process of its own"]
fn child_reads_the_file() {
    let path = std::env::var("SHIMINHUA_BOMB_FILE").expect("SHIMINHUA_BOMB_FILE");
    let path = Path::new(&path);
    let result = (|| {
        let estimate = read::estimate_rows(path)?;
        let reader = read::open(path, &["姓名", "身份证号"], &[true, false])?;
        let mut rows = 0u64;
        for row in reader {
            row?;
            rows += 1;
        }
        Ok::<_, read::ReadError>(format!("读取完成：{rows} 行（估计 {estimate:?}）"))
    })();
    let result = result.unwrap_or_else(|e| e.to_string());
    println!("RESULT: {result}");
    println!("PEAK_KB: {}", status_kb(std::process::id(), "VmHWM:").unwrap_or(0));
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.0.join(name);
    std::fs::write(&p, bytes).expect("write bomb");
    println!("{name}: {} KB on disk", bytes.len() / 1024);
    p
}

#[test]
fn a_gigabyte_cell_in_a_megabyte_file_is_refused_by_its_ratio() {
    let dir = TempDir::new("bomb-cell");
    let bomb = bombs::inline_cell_bomb(1_000_000_000, 0);
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    let o = read_in_child(&write(&dir, "cell.xlsx", &bomb));
    assert!(
        o.result.contains("压缩比") && o.result.contains(&format!("{}:1", guard::MAX_RATIO)),
        "{}",
        o.result
    );
    assert!(o.peak_kb < CEILING_KB, "{} MB", o.peak_kb / 1024);
}

#[test]
fn a_huge_cell_with_an_ordinary_ratio_is_refused_naming_row_and_column() {
    // 300 MB of one letter and 6 MB that hardly compress: ~80:1 overall.
    let dir = TempDir::new("bomb-cell-ratio");
    let bomb = bombs::inline_cell_bomb(300 << 20, 6 << 20);
    let o = read_in_child(&write(&dir, "cell-ratio.xlsx", &bomb));
    assert!(
        o.result.contains("第 2 行 A 列") && o.result.contains("32767"),
        "{}",
        o.result
    );
    assert!(o.peak_kb < CEILING_KB, "{} MB", o.peak_kb / 1024);
}

#[test]
fn a_shared_strings_bomb_is_refused_at_the_count_limit() {
    // Ten million distinct strings, ~250 MB of XML at an ordinary ratio,
    // declared as a thousand.
    let dir = TempDir::new("bomb-sst");
    let bomb = bombs::shared_strings_bomb(10_000_000, Some(1_000));
    let o = read_in_child(&write(&dir, "sst.xlsx", &bomb));
    assert!(
        o.result.contains("共享字符串") && o.result.contains(&guard::MAX_SHARED_STRINGS.to_string()),
        "{}",
        o.result
    );
    assert!(o.peak_kb < CEILING_KB, "{} MB", o.peak_kb / 1024);
}

#[test]
fn a_declared_count_of_billions_of_shared_strings_is_refused() {
    // calamine reserves room for `uniqueCount` strings before reading one.
    let dir = TempDir::new("bomb-sst-count");
    let bomb = bombs::shared_strings_bomb(3, Some(4_000_000_000));
    let o = read_in_child(&write(&dir, "sst-count.xlsx", &bomb));
    assert!(o.result.contains("共享字符串"), "{}", o.result);
    assert!(o.peak_kb < CEILING_KB, "{} MB", o.peak_kb / 1024);
}

#[test]
fn a_part_larger_than_its_declared_size_is_refused() {
    let dir = TempDir::new("bomb-lie");
    let bomb = bombs::lying_size_bomb(64 << 20, 4096);
    let o = read_in_child(&write(&dir, "lie.xlsx", &bomb));
    assert!(o.result.contains("声明的大小"), "{}", o.result);
    assert!(o.peak_kb < CEILING_KB, "{} MB", o.peak_kb / 1024);
}

#[test]
fn the_largest_shared_string_table_allowed_stays_under_the_ceiling() {
    // Just under the count limit: read in full, and still under 512 MB.
    let dir = TempDir::new("bomb-sst-max");
    let bomb = bombs::shared_strings_bomb(guard::MAX_SHARED_STRINGS, None);
    let o = read_in_child(&write(&dir, "sst-max.xlsx", &bomb));
    assert!(o.result.starts_with("读取完成：1 行"), "{}", o.result);
    assert!(o.peak_kb < CEILING_KB, "{} MB", o.peak_kb / 1024);
}
