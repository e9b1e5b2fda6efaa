//! `chartkeep serve`: the desktop app's UI and API for a browser on this computer.
//!
//! The server only carries requests: every one goes to the one [`Host`] (behind a mutex,
//! so the practice stays single-writer) on a blocking thread, and the answer goes back as
//! JSON. What it adds is what a local web server must guard against:
//! - it listens on 127.0.0.1 unless `--allow-remote` says otherwise;
//! - a random token, new at each launch, is needed for every request (the printed URL
//!   carries it once; the page then holds it in an HttpOnly, SameSite=Strict cookie);
//! - `Host` and `Origin` must name this server, which defeats DNS rebinding and other
//!   sites' pages posting to it, and API calls must be JSON (no cross-site form posts);
//! - every answer carries a strict CSP, `nosniff`, `frame-ancestors 'none'`, and API
//!   answers `Cache-Control: no-store`, so no chart stays in a browser cache.
//!
//! Logs name the command and the outcome, never the arguments or the answer.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context, Result};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use ring::rand::SecureRandom;
use serde_json::Value as Json;

use chartkeep::api::{ApiError, ErrorCode};
use chartkeep::host::Host;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/ui_files.rs"));
}

/// The cookie that carries the launch token after the first visit.
const COOKIE: &str = "chartkeep_token";
/// The largest request body: a scanned document of 30 MB as base64, with room to spare.
const MAX_BODY: usize = 48 * 1024 * 1024;

/// The page's Content Security Policy: scripts and styles only from this server, no eval,
/// no inline script, never framed.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' blob: data:; frame-src 'self' blob:; object-src 'none'; base-uri 'none'; \
form-action 'self'; connect-src 'self'; frame-ancestors 'none'";

pub struct Options {
    pub address: IpAddr,
    pub port: u16,
    pub allow_remote: bool,
    /// Serve the UI from this folder instead of the embedded build (UI development).
    pub ui_dir: Option<std::path::PathBuf>,
}

struct Shared {
    host: Arc<Mutex<Host>>,
    token: String,
    /// Values of `Host` (and `http://` + value for `Origin`) that name this server.
    names: Vec<String>,
    ui_dir: Option<std::path::PathBuf>,
    /// Listening on every address (`--allow-remote`): any IP address with this port names
    /// the server too. A DNS name never does, which is what DNS rebinding would need.
    any_ip_port: Option<u16>,
}

impl Shared {
    fn names_this_server(&self, host: &str) -> bool {
        if self.names.iter().any(|n| n.eq_ignore_ascii_case(host)) {
            return true;
        }
        match (self.any_ip_port, host.parse::<SocketAddr>()) {
            (Some(port), Ok(addr)) => addr.port() == port,
            _ => false,
        }
    }
}

/// Binds, prints the URL (the first line on stdout), and serves until Ctrl-C.
pub fn run(host: Host, options: Options) -> Result<()> {
    if !options.address.is_loopback() && !options.allow_remote {
        return Err(anyhow!(
            "refusing to listen on {}: chartkeep serve answers on this computer only (127.0.0.1). \
             Pass --allow-remote to listen on another address, and only on a network you trust.",
            options.address
        ));
    }
    if !options.address.is_loopback() {
        eprintln!(
            "WARNING: listening on {} lets other computers reach this practice's login page. \
             Anyone with the printed URL's token and a staff password can read charts.",
            options.address
        );
    }
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow!("the system's random source failed"))?;
    let token = hex::encode(bytes);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the server's runtime")?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::new(options.address, options.port))
                .await
                .with_context(|| {
                    format!(
                        "could not listen on {}:{}; is another chartkeep serve running? Try --port",
                        options.address, options.port
                    )
                })?;
        let bound = listener.local_addr()?;
        let mut names = vec![
            format!("127.0.0.1:{}", bound.port()),
            format!("localhost:{}", bound.port()),
        ];
        if !options.address.is_loopback() {
            names.push(match bound {
                SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
                SocketAddr::V4(a) => a.to_string(),
            });
        }
        let shown = if options.address.is_loopback() || options.address.is_unspecified() {
            format!("127.0.0.1:{}", bound.port())
        } else {
            names[2].clone()
        };
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "http://{shown}/?token={token}")?;
            out.flush()?;
        }
        if !embedded::BUILT && options.ui_dir.is_none() {
            eprintln!(
                "This chartkeep was built without the web UI: the API answers, but the page \
                 says how to build it (npm ci && npm run build in ui/, then cargo build)."
            );
        }
        let shared = Arc::new(Shared {
            host: Arc::new(Mutex::new(host)),
            token,
            names,
            ui_dir: options.ui_dir,
            any_ip_port: options.address.is_unspecified().then_some(bound.port()),
        });
        let app = router(shared);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("the server stopped")?;
        Ok::<(), anyhow::Error>(())
    })
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/{command}", post(api))
        .fallback(page)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

fn token_in(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = v.strip_prefix("Bearer ") {
            return Some(t.trim().to_string());
        }
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Compares without stopping at the first differing byte, so the time taken says nothing
/// about how much of a guessed token was right.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn query_token(uri: &axum::http::Uri) -> Option<String> {
    uri.query()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v.to_string())
}

fn refusal(status: StatusCode, message: &str) -> Response {
    let code = match status {
        StatusCode::UNAUTHORIZED => "unauthorized",
        _ => "forbidden_origin",
    };
    let body = serde_json::json!({"code": code, "message": message}).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Checks every request before it reaches the host, and puts the security headers on
/// every answer.
async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let mut response = check(&shared, request, next).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn check(shared: &Shared, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host_ok = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|h| shared.names_this_server(h));
    if !host_ok {
        tracing::warn!("refused a request naming another host");
        return refusal(
            StatusCode::MISDIRECTED_REQUEST,
            "This server answers only requests addressed to it by its own address (127.0.0.1).",
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .ok()
            .and_then(|o| o.strip_prefix("http://"))
            .is_some_and(|o| shared.names_this_server(o));
        if !ok {
            tracing::warn!("refused a request from another origin");
            return refusal(
                StatusCode::FORBIDDEN,
                "Requests from other web pages are refused.",
            );
        }
    }
    // The printed URL, opened again or for the first time: set the cookie and take the
    // token out of the address bar (and so out of the browser's history).
    if request.method() == Method::GET {
        if let Some(t) = query_token(request.uri()) {
            if same(&t, &shared.token) {
                let cookie = format!(
                    "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
                    shared.token
                );
                return Response::builder()
                    .status(StatusCode::SEE_OTHER)
                    .header(header::LOCATION, request.uri().path())
                    .header(header::SET_COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
            }
        }
    }
    if token_in(headers).is_some_and(|t| same(&t, &shared.token)) {
        return next.run(request).await;
    }
    tracing::warn!("refused a request without the launch token");
    refusal(
        StatusCode::UNAUTHORIZED,
        "Open the address that chartkeep serve printed when it started (it carries this launch's token).",
    )
}

fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        InvalidInput | InvalidCode | MalformedJson | MalformedRecoveryCode => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        UnknownCommand | NotFound => StatusCode::NOT_FOUND,
        Forbidden | AccountDisabled => StatusCode::FORBIDDEN,
        WrongPassword | WrongSecret | SessionLocked | NotLoggedIn => StatusCode::UNAUTHORIZED,
        LoginThrottled => StatusCode::TOO_MANY_REQUESTS,
        TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        StorageError | InternalError | IoError | CryptoFailed | RandomFailed => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::CONFLICT,
    }
}

fn json_answer(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn error_answer(e: &ApiError) -> Response {
    let body = serde_json::to_string(e).unwrap_or_else(|_| "{}".into());
    json_answer(status_of(e.code), body)
}

/// `POST /api/{command}` with the request as a JSON body.
async fn api(
    State(shared): State<Arc<Shared>>,
    Path(command): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return error_answer(&ApiError::new(
            ErrorCode::InvalidInput,
            "Send the request as JSON (Content-Type: application/json).",
        ));
    }
    let args: Json = if body.is_empty() {
        Json::Object(Default::default())
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return error_answer(&ApiError::new(
                    ErrorCode::MalformedJson,
                    format!("The request is not valid JSON: {e}"),
                ))
            }
        }
    };
    let host = shared.host.clone();
    let name = command.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut host = host.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        host.call(&name, args)
    })
    .await;
    match out {
        Ok(Ok(answer)) => {
            tracing::debug!(command = %command, "answered");
            json_answer(StatusCode::OK, answer.to_string())
        }
        Ok(Err(e)) => {
            tracing::info!(command = %command, code = %e.code, "refused");
            error_answer(&e)
        }
        Err(_) => {
            tracing::error!(command = %command, "the command's thread failed");
            error_answer(&ApiError::new(
                ErrorCode::InternalError,
                "The command failed unexpectedly; nothing further was written. Try again.",
            ))
        }
    }
}

fn media_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Chartkeep</title></head>\
<body><h1>Chartkeep</h1><p>This chartkeep was built without its web UI. Build it with \
<code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>, then <code>cargo build</code> again \
(the README's commands do both).</p></body></html>";

/// The UI's files from memory; any other path answers the app's page, whose own navigation
/// never puts patient data in the address.
async fn page(State(shared): State<Arc<Shared>>, method: Method, uri: axum::http::Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    if let Some(dir) = &shared.ui_dir {
        return from_folder(dir, uri.path());
    }
    if !embedded::BUILT {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response();
    }
    let path = uri.path().trim_start_matches('/');
    let found = embedded::FILES.iter().find(|(p, _)| *p == path);
    let (path, bytes) = match found {
        Some(f) => *f,
        None if path.starts_with("assets/") => return StatusCode::NOT_FOUND.into_response(),
        None => match embedded::FILES.iter().find(|(p, _)| *p == "index.html") {
            Some(f) => *f,
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    // Vite names built assets by their content, so they never change under one name.
    let cache = if path.starts_with("assets/") {
        "private, max-age=31536000, immutable"
    } else {
        "no-store"
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, media_type(path)),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response()
}

/// The UI from a folder on disk (`--ui-dir`), for working on the UI without rebuilding
/// the binary. Paths that leave the folder are refused.
fn from_folder(dir: &std::path::Path, path: &str) -> Response {
    let rel = path.trim_start_matches('/');
    if rel
        .split('/')
        .any(|part| part == ".." || part.contains('\\'))
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut file = dir.join(rel);
    if rel.is_empty() || !file.is_file() {
        if rel.starts_with("assets/") {
            return StatusCode::NOT_FOUND.into_response();
        }
        file = dir.join("index.html");
    }
    match std::fs::read(&file) {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, media_type(&file.to_string_lossy())),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
