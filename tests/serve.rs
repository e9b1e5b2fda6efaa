//! `chartkeep serve` over real sockets: the printed URL, the launch token, the `Host` and
//! `Origin` checks, the security headers, and the API answering through it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value as Json};

const PASSPHRASE: &str = "a long passphrase";
const ADMIN_PASSWORD: &str = "admin-password-1";

fn chartkeep(home: &Path, data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chartkeep"));
    c.env_clear()
        .env("HOME", home)
        .env("CHARTKEEP_PASSPHRASE", PASSPHRASE)
        .arg("--data")
        .arg(data);
    c
}

struct Server {
    child: Child,
    port: u16,
    token: String,
    _root: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A passphrase practice with an administrator, served on a free port.
fn server() -> Server {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let data = root.path().join("practice");
    let init = chartkeep(&home, &data)
        .env("CHARTKEEP_PASSWORD", ADMIN_PASSWORD)
        .args(["init", "--no-keychain", "--admin", "admin"])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let mut child = chartkeep(&home, &data)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.trim();
    let rest = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("the first line is the URL: {url:?}"));
    let (port, query) = rest
        .split_once("/?token=")
        .expect("the URL carries the token");
    assert_eq!(query.len(), 64, "a 256-bit token in hex");
    Server {
        child,
        port: port.parse().unwrap(),
        token: query.to_string(),
        _root: root,
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Json {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// One HTTP/1.1 request written by hand, so a test can send any `Host` it likes.
fn request(port: u16, method: &str, path: &str, headers: &[(&str, String)], body: &str) -> Answer {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut text = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        text.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(text.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

impl Server {
    fn bearer(&self) -> (&'static str, String) {
        ("Authorization", format!("Bearer {}", self.token))
    }

    fn call(&self, command: &str, args: Json) -> Answer {
        request(
            self.port,
            "POST",
            &format!("/api/{command}"),
            &[
                self.bearer(),
                ("Content-Type", "application/json".into()),
                ("Origin", format!("http://127.0.0.1:{}", self.port)),
            ],
            &args.to_string(),
        )
    }
}

#[test]
fn the_printed_url_logs_the_browser_in_by_cookie_and_the_api_answers_through_it() {
    let s = server();
    let first = request(s.port, "GET", &format!("/?token={}", s.token), &[], "");
    assert_eq!(first.status, 303);
    assert_eq!(
        first.header("location"),
        Some("/"),
        "the token leaves the address bar"
    );
    let cookie = first.header("set-cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let page = request(s.port, "GET", "/", &[("Cookie", pair.clone())], "");
    assert_eq!(page.status, 200);
    // Opening the printed URL again, with the cookie already set, still clears the address.
    let again = request(
        s.port,
        "GET",
        &format!("/?token={}", s.token),
        &[("Cookie", pair.clone())],
        "",
    );
    assert_eq!(again.status, 303);
    assert_eq!(again.header("location"), Some("/"));
    let status = request(
        s.port,
        "POST",
        "/api/app.status",
        &[
            ("Cookie", pair),
            ("Content-Type", "application/json".into()),
        ],
        "{}",
    );
    assert_eq!(status.status, 200, "{}", status.body);
    assert_eq!(
        status.json()["state"],
        "open",
        "unlocked at start with CHARTKEEP_PASSPHRASE"
    );

    let login = s.call(
        "app.login",
        json!({"user": "admin", "password": ADMIN_PASSWORD}),
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let made = s.call(
        "patient.create",
        json!({"family": "Rivera", "given": ["Ana"], "birth_date": "1980-02-03", "sex": "female"}),
    );
    assert_eq!(made.status, 200, "{}", made.body);
    let found = s.call("patient.search", json!({"query": "rivera"}));
    assert_eq!(found.json().as_array().unwrap().len(), 1);
    let wrong = s.call("app.login", json!({"user": "admin", "password": "nope"}));
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["code"], "wrong_password");
    let unknown = s.call("nothing.here", json!({}));
    assert_eq!(unknown.json()["code"], "unknown_command");
}

#[test]
fn requests_without_the_token_or_with_a_wrong_one_are_refused() {
    let s = server();
    for headers in [
        vec![],
        vec![("Authorization", "Bearer 0000".to_string())],
        vec![("Authorization", format!("Bearer {}", "0".repeat(64)))],
        vec![("Cookie", format!("chartkeep_token={}", "f".repeat(64)))],
    ] {
        for (method, path) in [
            ("GET", "/"),
            ("GET", "/assets/index.js"),
            ("POST", "/api/app.status"),
        ] {
            let mut h = headers.clone();
            h.push(("Content-Type", "application/json".into()));
            let a = request(s.port, method, path, &h, "{}");
            assert_eq!(
                a.status, 401,
                "{method} {path} with {headers:?}: {}",
                a.body
            );
            assert!(!a.body.contains("practice_id"));
        }
    }
    let wrong_url = request(
        s.port,
        "GET",
        &format!("/?token={}", "a".repeat(64)),
        &[],
        "",
    );
    assert_eq!(wrong_url.status, 401);
    assert!(wrong_url.header("set-cookie").is_none());
}

#[test]
fn a_foreign_host_or_origin_is_refused_even_with_the_token() {
    let s = server();
    let rebinding = request(
        s.port,
        "POST",
        "/api/app.status",
        &[
            ("Host", format!("attacker.example:{}", s.port)),
            s.bearer(),
            ("Content-Type", "application/json".into()),
        ],
        "{}",
    );
    assert_eq!(rebinding.status, 421, "{}", rebinding.body);
    let other_port = request(
        s.port,
        "GET",
        "/",
        &[("Host", "127.0.0.1:1".into()), s.bearer()],
        "",
    );
    assert_eq!(other_port.status, 421);
    let other_site = request(
        s.port,
        "POST",
        "/api/app.status",
        &[
            ("Origin", "http://attacker.example".into()),
            s.bearer(),
            ("Content-Type", "application/json".into()),
        ],
        "{}",
    );
    assert_eq!(other_site.status, 403);
    assert!(!other_site.body.contains("practice_id"));
    // A cross-site form post cannot send JSON's content type.
    let form = request(
        s.port,
        "POST",
        "/api/app.status",
        &[
            s.bearer(),
            ("Content-Type", "application/x-www-form-urlencoded".into()),
        ],
        "a=b",
    );
    assert_eq!(form.json()["code"], "invalid_input");
}

#[test]
fn every_answer_carries_the_security_headers_and_api_answers_are_never_cached() {
    let s = server();
    for a in [
        s.call("app.status", json!({})),
        s.call("app.login", json!({"user": "admin", "password": "nope"})),
        request(s.port, "GET", "/", &[s.bearer()], ""),
        request(s.port, "GET", "/", &[], ""),
    ] {
        let csp = a.header("content-security-policy").expect("a CSP");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-eval"));
        let scripts = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(
            !scripts.contains("data:")
                && !scripts.contains("blob:")
                && !scripts.contains("unsafe-inline")
        );
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            a.header("cache-control"),
            Some("no-store"),
            "status {}",
            a.status
        );
    }
}

fn serve_at(address: &str, extra: &[&str]) -> std::process::Output {
    let root = tempfile::tempdir().unwrap();
    let data: PathBuf = root.path().join("none");
    let mut c = chartkeep(root.path(), &data);
    c.args(["serve", "--port", "0", "--address", address])
        .args(extra);
    if extra.is_empty() {
        return c.output().unwrap();
    }
    // With --allow-remote it serves: read its first lines, then stop it.
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    let mut out = child.wait_with_output().unwrap();
    out.stdout = line.into_bytes();
    out
}

#[test]
fn a_non_loopback_address_is_refused_unless_allowed_and_then_warned_about() {
    let refused = serve_at("0.0.0.0", &[]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("--allow-remote"), "{err}");
    assert!(refused.stdout.is_empty(), "nothing served, no URL printed");
    let allowed = serve_at("0.0.0.0", &["--allow-remote"]);
    let url = String::from_utf8_lossy(&allowed.stdout);
    assert!(
        url.starts_with("http://") && url.contains("?token="),
        "{url}"
    );
    assert!(String::from_utf8_lossy(&allowed.stderr).contains("WARNING"));
}
