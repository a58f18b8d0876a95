//! A real headless Chromium: the administrator signs in with the one-time
//! password, is made to change it and to enrol the second factor, sees the
//! 工作台 and signs out.

mod common;

use common::{Dir, Server, after, run, stdout};
use fantoccini::{ClientBuilder, Locator};
use shiminhua_core::totp::TotpSecret;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// chromedriver, and the browser it started (found by its profile folder,
/// so that a failed step never leaves a browser running).
struct Driver(Child, std::path::PathBuf);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = Command::new("pkill").arg("-f").arg(self.1.as_os_str()).status();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn find(cmd: &str) -> Option<String> {
    ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"]
        .iter()
        .map(|d| format!("{d}/{cmd}"))
        .find(|p| std::path::Path::new(p).exists())
}

/// Waits until the browser shows `path` (a click returns before the next page loads).
async fn arrive(c: &fantoccini::Client, path: &str) -> Result<(), fantoccini::error::CmdError> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = c.current_url().await?;
        let ready = c.execute("return document.readyState", vec![]).await?;
        if now.path() == path && ready == "complete" {
            return Ok(());
        }
        assert!(
            Instant::now() < deadline,
            "expected {path}, still at {now}: {}",
            c.source().await?
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_first_sign_in_in_chromium() {
    let (Some(driver), Some(chromium)) = (find("chromedriver"), find("chromium")) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI 环境缺少 chromium / chromedriver");
        }
        eprintln!(
            "已跳过浏览器测试：未安装 chromium 和 chromium-driver（apt-get install -y chromium chromium-driver）"
        );
        return;
    };
    let dir = Dir::new("browser");
    let init = run(&dir.0, &["init"], &[]);
    assert!(init.status.success());
    let otp = after(&stdout(&init), "一次性密码：");
    let server = Server::start(&dir.0, &[], &[]);

    let port = free_port();
    let profile = dir.0.join("chromium-profile");
    let _driver = Driver(
        Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver"),
        profile.clone(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    };
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("webdriver session");

    let result = async {
        c.goto(&format!("{}/", server.url)).await?;
        arrive(&c, "/login").await?;
        c.find(Locator::Css("#username")).await?.send_keys("admin").await?;
        c.find(Locator::Css("#password")).await?.send_keys(&otp).await?;
        c.find(Locator::Css("form.form button[type=submit]"))
            .await?
            .click()
            .await?;

        // Made to change the one-time password.
        arrive(&c, "/account/password").await?;
        assert!(c.source().await?.contains("须先修改初始密码"));
        c.find(Locator::Css("#current")).await?.send_keys(&otp).await?;
        c.find(Locator::Css("#new")).await?.send_keys("Huangshan#2026").await?;
        c.find(Locator::Css("#confirm"))
            .await?
            .send_keys("Huangshan#2026")
            .await?;
        c.find(Locator::Css("form.form button[type=submit]"))
            .await?
            .click()
            .await?;

        // The administrator must enrol the second factor.
        arrive(&c, "/account/totp").await?;
        let secret = c
            .find(Locator::Css("input[name=secret]"))
            .await?
            .attr("value")
            .await?
            .unwrap_or_default();
        let secret = TotpSecret::from_base32(&secret).expect("secret on the page");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        c.find(Locator::Css("#code"))
            .await?
            .send_keys(&secret.code_at(now))
            .await?;
        c.find(Locator::Css("form.form button[type=submit]"))
            .await?
            .click()
            .await?;

        // The console.
        arrive(&c, "/").await?;
        let h1 = c.find(Locator::Css("main h1")).await?.text().await?;
        assert_eq!(h1, "工作台");
        let body = c.source().await?;
        assert!(body.contains("用户管理") && body.contains("启用的账户"));
        let shot = c.screenshot().await?;
        let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("workbench.png");
        let _ = std::fs::write(&out, &shot);
        c.find(Locator::Css("a[href='/admin/users']")).await?.click().await?;
        arrive(&c, "/admin/users").await?;
        assert!(
            c.find(Locator::Css("table.table"))
                .await?
                .text()
                .await?
                .contains("admin")
        );

        // Sign out.
        c.find(Locator::Css(".topbar button")).await?.click().await?;
        arrive(&c, "/login").await?;
        assert!(c.source().await?.contains("您已安全退出"));
        c.goto(&format!("{}/admin/users", server.url)).await?;
        arrive(&c, "/login").await?;
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.expect("browser steps");
}
