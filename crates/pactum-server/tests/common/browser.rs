//! The Chromium harness the browser tests share: ChromeDriver in a process
//! group of its own, a fresh browser profile per session, and a `Browser`
//! whose waits are bounded and whose failures name the page, say what it
//! shows and leave a screenshot of it.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them): [`tools`] finds them, or says the test is skipped, except under
//! `CI=true`, where their absence is a failure.
//!
//! Included by path (`#[path = "common/browser.rs"]`) by the tests that
//! drive a browser only; each uses a part of it.
#![allow(dead_code)]

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long any one wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);
/// The viewport.
pub const WIDTH: u32 = 1400;
pub const HEIGHT: u32 = 1000;
/// Chromium's flags besides the profile folder and the window size.
const CHROME_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// A program on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Chromium and ChromeDriver, or `None` after saying the test is skipped;
/// under `CI=true` their absence fails the test.
pub fn tools() -> Option<(PathBuf, PathBuf)> {
    match (on_path("chromium"), on_path("chromedriver")) {
        (Some(chromium), Some(chromedriver)) => Some((chromium, chromedriver)),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "chromium/chromedriver not installed, and CI=true: .ci/run must install them \
                 (apt-get install chromium chromium-driver)"
            );
            println!(
                "skipped: chromium/chromedriver not installed \
                 (apt-get install chromium chromium-driver)"
            );
            None
        }
    }
}

/// Where a test's screenshots go: `$PACTUM_ARTIFACTS/browser/NAME` (default
/// `target/test-artifacts/browser/NAME` under the workspace root; an empty
/// name is `browser/` itself), emptied of the screenshots of an earlier run.
pub fn artifact_dir(name: &str) -> PathBuf {
    let root = match std::env::var_os("PACTUM_ARTIFACTS") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("browser"),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts/browser"),
    };
    let dir = if name.is_empty() {
        root
    } else {
        root.join(name)
    };
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let dir = dir.canonicalize().unwrap_or(dir);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "png") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    println!("screenshots: {}", dir.display());
    dir
}

/// ChromeDriver, started on a free port in a process group of its own, so
/// that dropping this ends it and every browser it started, also when the
/// test fails half-way.
pub struct Driver {
    child: Child,
    url: String,
    /// The browsers' profiles; removed after the processes are gone.
    profile: tempfile::TempDir,
    /// How many sessions were started, to give each its own profile.
    sessions: AtomicUsize,
}

impl Driver {
    /// Starts ChromeDriver on a free port; tries again on another port if
    /// the one picked was taken in the meantime.
    pub fn start(chromedriver: &Path) -> Driver {
        for _ in 0..3 {
            if let Some(driver) = Driver::try_start(chromedriver) {
                return driver;
            }
        }
        panic!("chromedriver exited at start three times; run it by hand to see why");
    }

    fn try_start(chromedriver: &Path) -> Option<Driver> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut cmd = Command::new(chromedriver);
        cmd.arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                profile.path().join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let mut driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile,
            sessions: AtomicUsize::new(0),
        };
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(_)) = driver.child.try_wait() {
                return None;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(driver);
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on port {port} within {WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A new browser session with a fresh profile of its own: no cookie,
    /// no storage shared with any other session.
    pub async fn session(&self, chromium: &Path) -> Client {
        let n = self.sessions.fetch_add(1, Ordering::SeqCst);
        let user_data = self.profile.path().join(format!("chromium-{n}"));
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", user_data.display()));
        args.push(format!("--window-size={WIDTH},{HEIGHT}"));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| {
                let log = std::fs::read_to_string(self.profile.path().join("chromedriver.log"))
                    .unwrap_or_default();
                let tail = &log[log.len().saturating_sub(3000)..];
                panic!("no browser session: {e}\nchromedriver log (end):\n{tail}")
            })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            // The group this test created: chromedriver and its browsers.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the browser is.
pub struct Loc {
    pub path: String,
    pub query: String,
}

impl Loc {
    pub fn of(u: &impl AsRef<str>) -> Loc {
        let s = u.as_ref();
        let after_host = s.splitn(4, '/').nth(3).unwrap_or_default();
        let (path, query) = after_host.split_once('?').unwrap_or((after_host, ""));
        let query = query.split('#').next().unwrap_or_default();
        Loc {
            path: format!("/{}", path.split('#').next().unwrap_or_default()),
            query: query.to_string(),
        }
    }
}

/// One browser session with the waits and checks the scenarios need; every
/// failure names who was browsing, the page it happened on and what that
/// page says.
pub struct Browser {
    pub c: Client,
    pub base: String,
    pub shots: PathBuf,
    /// Who browses (in failure messages and screenshot names).
    pub who: String,
}

impl Browser {
    pub fn new(c: Client, base: &str, shots: &Path, who: &str) -> Browser {
        Browser {
            c,
            base: base.to_string(),
            shots: shots.to_path_buf(),
            who: who.to_string(),
        }
    }

    /// Fails the test with the current URL, an excerpt of the page and a
    /// screenshot of it.
    pub async fn fail(&self, msg: &str) -> ! {
        let url = self
            .c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_else(|e| format!("(no URL: {e})"));
        let text = self
            .c
            .execute(
                "var m = document.querySelector('main') || document.body; \
                 return m ? m.innerText : document.documentElement.outerHTML;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let text = if text.trim().is_empty() {
            self.c.source().await.unwrap_or_default()
        } else {
            text
        };
        let excerpt: String = text.chars().take(2000).collect();
        let shot = self.shots.join(format!("failure-{}.png", self.who));
        if let Ok(png) = self.c.screenshot().await {
            let _ = std::fs::write(&shot, png);
        }
        panic!(
            "[{}] {msg}\n  at: {url}\n  screenshot: {}\n  page (excerpt):\n{excerpt}",
            self.who,
            shot.display()
        );
    }

    pub async fn ensure(&self, ok: bool, msg: &str) {
        if !ok {
            self.fail(msg).await;
        }
    }

    pub async fn ok<T>(&self, r: Result<T, CmdError>, what: &str) -> T {
        match r {
            Ok(v) => v,
            Err(e) => self.fail(&format!("{what}: {e}")).await,
        }
    }

    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        let r = self.c.goto(&url).await;
        self.ok(r, &format!("opening {url}")).await;
    }

    pub async fn url(&self) -> Loc {
        let r = self.c.current_url().await;
        let u = self.ok(r, "reading the URL").await;
        Loc::of(&u)
    }

    /// Waits for the URL to satisfy `ok`.
    pub async fn wait_url(&self, what: &str, ok: impl Fn(&Loc) -> bool) -> Loc {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(u) = self.c.current_url().await {
                let loc = Loc::of(&u);
                if ok(&loc) {
                    return loc;
                }
            }
            if Instant::now() > deadline {
                self.fail(&format!("waited {WAIT:?} for the URL: {what}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the path to end with `suffix`.
    pub async fn wait_path(&self, suffix: &str) -> Loc {
        self.wait_url(&format!("path ending with {suffix}"), |u| {
            u.path.ends_with(suffix)
        })
        .await
    }

    /// Waits for an element.
    pub async fn wait(&self, css: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(e) = self.c.find(Locator::Css(css)).await {
                return e;
            }
            if Instant::now() > deadline {
                self.fail(&format!("waited {WAIT:?} for an element {css}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether an element is on the page now.
    pub async fn has(&self, css: &str) -> bool {
        self.c.find(Locator::Css(css)).await.is_ok()
    }

    /// Every element matching `css` now.
    pub async fn all(&self, css: &str) -> Vec<Element> {
        let r = self.c.find_all(Locator::Css(css)).await;
        self.ok(r, &format!("listing {css}")).await
    }

    /// Waits for an element whose text holds `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(e) = self.c.find(Locator::Css(css)).await {
                if e.text().await.is_ok_and(|t| t.contains(needle)) {
                    return e;
                }
            }
            if Instant::now() > deadline {
                self.fail(&format!("waited {WAIT:?} for {css} to say {needle:?}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Scrolls an element to the middle of the window, as a reader would
    /// before clicking it: the sticky top bar covers the top rows.
    async fn centre(&self, e: &Element, css: &str) {
        let r = self
            .c
            .execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});",
                vec![json!(e)],
            )
            .await;
        self.ok(r, &format!("scrolling to {css}")).await;
    }

    pub async fn click(&self, css: &str) {
        let e = self.wait(css).await;
        self.centre(&e, css).await;
        let r = e.click().await;
        self.ok(r, &format!("clicking {css}")).await;
    }

    /// Clicks something that loads a new page (a form's button, a link)
    /// and waits until the new page has loaded: the old one is marked
    /// first, so that no later step can read or click the page being left.
    pub async fn submit(&self, css: &str) {
        let e = self.wait(css).await;
        let r = self
            .c
            .execute("window.__pactumLeaving = true;", vec![])
            .await;
        self.ok(r, "marking the page").await;
        self.centre(&e, css).await;
        let r = e.click().await;
        self.ok(r, &format!("clicking {css}")).await;
        let deadline = Instant::now() + WAIT;
        loop {
            let r = self
                .c
                .execute(
                    "return !window.__pactumLeaving && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if r.is_ok_and(|v| v == Value::Bool(true)) {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!(
                    "waited {WAIT:?} for a new page after clicking {css}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn attr(&self, e: &Element, name: &str) -> String {
        let r = e.attr(name).await;
        self.ok(r, &format!("reading the attribute {name}"))
            .await
            .unwrap_or_default()
    }

    pub async fn value(&self, css: &str) -> String {
        let e = self.wait(css).await;
        let r = e.prop("value").await;
        self.ok(r, &format!("reading the value of {css}"))
            .await
            .unwrap_or_default()
    }

    /// The rendered text of an element, as a reader sees it (`innerText`).
    pub async fn inner_text(&self, css: &str) -> String {
        let e = self.wait(css).await;
        let r = self
            .c
            .execute("return arguments[0].innerText;", vec![json!(e)])
            .await;
        let v = self.ok(r, &format!("reading the text of {css}")).await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// The text content of an element exactly as the page holds it
    /// (`textContent`: line breaks as they are in the document).
    pub async fn text_content(&self, css: &str) -> String {
        let e = self.wait(css).await;
        let r = self
            .c
            .execute("return arguments[0].textContent;", vec![json!(e)])
            .await;
        let v = self.ok(r, &format!("reading the text of {css}")).await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// Types into a field as a user would, after clearing it; `\n` is the
    /// Enter key (a line break in a textarea).
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.wait(css).await;
        let r = e.clear().await;
        self.ok(r, &format!("clearing {css}")).await;
        let r = e.send_keys(text).await;
        self.ok(r, &format!("typing into {css}")).await;
        let got = self.value(css).await;
        self.ensure(got == text, &format!("{css} holds {got:?}, not {text:?}"))
            .await;
    }

    /// Picks an option of a select by its value.
    pub async fn select(&self, css: &str, value: &str) {
        let e = self.wait(css).await;
        let r = e.select_by_value(value).await;
        self.ok(r, &format!("choosing {value:?} in {css}")).await;
    }

    /// Sets a checkbox.
    pub async fn check(&self, css: &str, on: bool) {
        let e = self.wait(css).await;
        let r = e.is_selected().await;
        if self.ok(r, &format!("reading {css}")).await != on {
            self.centre(&e, css).await;
            let r = e.click().await;
            self.ok(r, &format!("clicking {css}")).await;
        }
    }

    /// The values of a select's options.
    pub async fn options(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for o in self.all(&format!("{css} option")).await {
            out.push(self.attr(&o, "value").await);
        }
        out
    }

    pub async fn source(&self) -> String {
        let r = self.c.source().await;
        self.ok(r, "reading the page").await
    }

    /// A GET from the page, as the page's own script would make it (the
    /// session's cookie, same origin): the status and the body's bytes as
    /// text, unaltered.
    pub async fn fetch(&self, path: &str) -> (u16, String) {
        let r = self
            .c
            .execute_async(
                "var done = arguments[arguments.length - 1]; \
                 fetch(arguments[0], {credentials: 'same-origin', redirect: 'manual'}) \
                   .then(function (r) { return r.text().then(function (t) { done([r.status, t]); }); }) \
                   .catch(function (e) { done([0, String(e)]); });",
                vec![json!(path)],
            )
            .await;
        let v = self.ok(r, &format!("fetching {path}")).await;
        (
            v[0].as_u64().unwrap_or(0) as u16,
            v[1].as_str().unwrap_or_default().to_string(),
        )
    }

    /// A screenshot of the whole page: the window grows until the viewport
    /// holds the page, then returns to its size after the shot.
    pub async fn shot(&self, name: &str) {
        for _ in 0..4 {
            let r = self
                .c
                .execute(
                    "return [document.documentElement.scrollHeight, window.innerHeight];",
                    vec![],
                )
                .await;
            let sizes = self.ok(r, "measuring the page").await;
            let (page, view) = (
                sizes[0].as_u64().unwrap_or(0),
                sizes[1].as_u64().unwrap_or(0),
            );
            if view >= page || page == 0 {
                break;
            }
            let r = self.c.get_window_size().await;
            let (_, window) = self.ok(r, "reading the window size").await;
            let grown = (window + page - view).min(8000) as u32;
            let r = self.c.set_window_size(WIDTH, grown).await;
            self.ok(r, "growing the window").await;
        }
        let r = self.c.screenshot().await;
        let png = self.ok(r, "taking a screenshot").await;
        let r = self.c.set_window_size(WIDTH, HEIGHT).await;
        self.ok(r, "restoring the window").await;
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        println!("screenshot: {}", path.display());
    }

    /// Signs in through the login form and lands on the room list.
    pub async fn sign_in(&self, user: &str, password: &str) {
        self.goto("/login").await;
        self.wait("#login-form").await;
        self.fill("#user", user).await;
        self.fill("#password", password).await;
        self.click("#login-submit").await;
        self.wait_url("the room list after signing in", |u| u.path == "/")
            .await;
    }

    /// Signs out with the button in the top bar.
    pub async fn logout(&self) {
        self.click("#logout").await;
        self.wait_url("the login form after signing out", |u| u.path == "/login")
            .await;
        self.wait("#login-form").await;
    }

    /// Ends the browser session.
    pub async fn close(self) {
        let who = self.who.clone();
        if let Err(e) = self.c.close().await {
            panic!("[{who}] closing the browser: {e}");
        }
    }
}
