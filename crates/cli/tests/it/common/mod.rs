//! Running the real `shiminhua` binary.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_shiminhua")
}

/// Runs `shiminhua ARGS` with the data directory `dir`.
pub fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(bin());
    c.arg("--data-dir").arg(dir).args(args);
    c.env_remove("SHIMINHUA_DATABASE_URL")
        .env_remove("SHIMINHUA_ADMIN_PASSWORD")
        .env_remove("SHIMINHUA_KEY");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run shiminhua")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts a clean failure: non-zero exit, one Chinese sentence, no panic.
pub fn assert_clean_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "should fail: {err}");
    assert!(err.contains(needle), "expected «{needle}» in: {err}");
    assert!(err.starts_with("错误："), "{err}");
    for bad in ["panicked", "backtrace", "RUST_BACKTRACE", "Error {"] {
        assert!(!err.contains(bad), "{err}");
    }
}

/// A temporary directory removed on drop.
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn new(tag: &str) -> Dir {
        let d = shiminhua_app::testing::TempDir::new(tag);
        let p = d.0.clone();
        std::mem::forget(d);
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running server, stopped on drop.
pub struct Server {
    pub child: Child,
    /// What the server logged (stderr), collected as it runs.
    log: std::sync::Arc<std::sync::Mutex<String>>,
    pub url: String,
    /// Everything it printed before it listened.
    pub banner: String,
    pub started_in: Duration,
}

impl Server {
    pub fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        Server::start_logging(dir, args, env, "warn")
    }

    /// Starts with the log filter `log`; stderr is kept for [`Server::stop`].
    pub fn start_logging(dir: &Path, args: &[&str], env: &[(&str, &str)], log: &str) -> Server {
        let t = Instant::now();
        let mut c = Command::new(bin());
        c.arg("--data-dir")
            .arg(dir)
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(args);
        c.env_remove("SHIMINHUA_DATABASE_URL")
            .env_remove("SHIMINHUA_ADMIN_PASSWORD");
        c.env("SHIMINHUA_LOG", log);
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn server");
        // Drain stderr from the start: a full pipe would block the server.
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    if let Ok(mut l) = log.lock() {
                        l.push_str(&line);
                        l.push('\n');
                    }
                }
            });
        }
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let mut banner = String::new();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    banner.push_str(&line);
                    banner.push('\n');
                    if let Some(rest) = line.split("服务已启动：").nth(1) {
                        break rest
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .trim_end_matches('/')
                            .to_string();
                    }
                }
                _ => {
                    let _ = child.wait();
                    std::thread::sleep(Duration::from_millis(100));
                    let err = log.lock().map(|l| l.clone()).unwrap_or_default();
                    panic!("server did not start: {banner}{err}");
                }
            }
        };
        // Keep draining stdout too.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            log,
            url,
            banner,
            started_in: t.elapsed(),
        }
    }

    /// A plain HTTP/1.1 GET over a socket: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(&self.url, path)
    }
}

pub fn http_get(url: &str, path: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("write");
    let mut buf = String::new();
    s.read_to_string(&mut buf).expect("read");
    let status = buf.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

impl Server {
    /// Stops the server and returns what it logged.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value after `label` on the line that holds it (one-time passwords).
pub fn after(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|l| l.split(label).nth(1))
        .map(|r| {
            r.split(|c: char| c.is_whitespace() || c == '（')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default()
}
