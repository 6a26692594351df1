//! Listeners, the per-request envelope (request log, faults, Host-addressed
//! vaults) and the origin callers used.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::config::Config;
use crate::faults::FaultAction;
use crate::keyvault;
use crate::requestlog::Entry;
use crate::state::{AppState, Sim};
use crate::util::{lock, now_ms};

/// Scheme of the listener a request came in on.
#[derive(Debug, Clone, Copy)]
pub struct Scheme(pub &'static str);

/// Marks a response whose connection must be closed without answering.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}
impl std::error::Error for Dropped {}

/// A response that makes the server close the connection.
pub fn dropped() -> Response {
    let mut r = StatusCode::BAD_GATEWAY.into_response();
    r.extensions_mut().insert(DropConnection);
    r
}

fn host_of(headers: &HeaderMap, uri: &axum::http::Uri) -> Option<String> {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.to_string()))
}

/// The base URL a caller reached the simulator at: the public URL on the
/// plain listener, `https://{Host}` on the TLS listener.
#[derive(Debug, Clone)]
pub struct Origin(pub String);

impl FromRequestParts<AppState> for Origin {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, sim: &AppState) -> Result<Self, Infallible> {
        let scheme = parts
            .extensions
            .get::<Scheme>()
            .map(|s| s.0)
            .unwrap_or("http");
        if scheme == "https"
            && let Some(host) = host_of(&parts.headers, &parts.uri)
        {
            return Ok(Origin(format!("https://{host}")));
        }
        Ok(Origin(sim.public_url()))
    }
}

impl Sim {
    /// Public base URL of the plain listener.
    pub fn public_url(&self) -> String {
        self.config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.config.addr))
    }
}

/// Which simulated service a path belongs to.
pub fn service_of(path: &str) -> &'static str {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "entra" | "entra-china" | "entra-usgov" => "entra",
        "google" => "google",
        "redapp" => "redapp",
        "kv" => "keyvault",
        "aws" => "aws",
        "cloudflare" => "cloudflare",
        "_control" => "control",
        "webhooks" => "webhooks",
        "" => "index",
        _ => "other",
    }
}

fn fault_response(service: &str, action: &FaultAction) -> Response {
    let status = match action {
        FaultAction::Status { status } => {
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        _ => StatusCode::TOO_MANY_REQUESTS,
    };
    let throttle = status == StatusCode::TOO_MANY_REQUESTS;
    let mut resp = match service {
        "keyvault" if throttle => keyvault::errors::throttled(),
        "keyvault" => {
            let code = match status.as_u16() {
                502 => "BadGateway",
                503 => "ServiceUnavailable",
                504 => "GatewayTimeout",
                s if s < 500 => "BadParameter",
                _ => "InternalServerError",
            };
            keyvault::errors::error(
                status,
                code,
                "The service encountered an error (injected by the simulator).",
                None,
            )
        }
        "entra" => crate::entra::errors::aad_error(
            status,
            "temporarily_unavailable",
            90033,
            "A transient error has occurred. Please try again.",
        ),
        "google" => {
            let (s, reason) = if throttle {
                ("RESOURCE_EXHAUSTED", "rateLimitExceeded")
            } else {
                ("UNAVAILABLE", "backendError")
            };
            crate::google::errors::google_error(
                status,
                "The service is currently unavailable.",
                reason,
                s,
            )
        }
        "aws" => crate::aws::error(
            status,
            if throttle {
                "ThrottlingException"
            } else {
                "KMSInternalException"
            },
            "Injected by the simulator.",
        ),
        _ => (
            status,
            axum::Json(serde_json::json!({"error": "injected_fault", "status": status.as_u16()})),
        )
            .into_response(),
    };
    if throttle && service != "keyvault" {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    resp
}

/// `resp` with its JSON `key.kid` (a key bundle) or `kid` (a key operation
/// result) replaced by `kid`.
async fn with_kid(resp: Response, kid: &str) -> Response {
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 4 << 20).await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return Response::from_parts(parts, Body::from(bytes)),
    };
    if let Some(k) = value.get_mut("key").and_then(|k| k.get_mut("kid")) {
        *k = serde_json::Value::String(kid.to_owned());
    } else if let Some(k) = value.get_mut("kid") {
        *k = serde_json::Value::String(kid.to_owned());
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(value.to_string()))
}

/// The redirect target of [`FaultAction::Redirect`]: records the method,
/// path, headers and body it received (`GET /_control/sink`) and answers 200.
pub async fn sink(State(sim): State<AppState>, req: Request) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let headers: serde_json::Map<String, serde_json::Value> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                serde_json::Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
            )
        })
        .collect();
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    lock(&sim.sink).push(serde_json::json!({
        "at_ms": now_ms(), "method": method, "path": path, "headers": headers, "body": body,
    }));
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({"sink": "recorded"})),
    )
        .into_response()
}

/// Envelope around every route: logs, injects faults and sends Host-addressed
/// Key Vault requests to the vault.
pub async fn envelope(State(sim): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let scheme = req
        .extensions()
        .get::<Scheme>()
        .map(|s| s.0)
        .unwrap_or("http");
    let host = host_of(req.headers(), req.uri()).unwrap_or_default();
    let host_vault = if keyvault::is_vault_path(&path) {
        keyvault::vault_for_host(&sim, &host)
    } else {
        None
    };
    let mut service = if host_vault.is_some() {
        "keyvault"
    } else {
        service_of(&path)
    };
    let mut vault = host_vault.as_ref().map(|(h, _)| h.clone());
    if service == "keyvault" && vault.is_none() {
        vault = path.split('/').nth(2).map(|s| s.to_ascii_lowercase());
    }
    if service == "other" {
        service = "unknown";
    }
    let logged = !matches!(service, "control" | "index");

    let mut fault = None;
    let mut response = None;
    let mut foreign_kid = None;
    // The redirect target itself never faults (a follower would loop).
    if logged && !path.starts_with("/_sink/") {
        let actions = lock(&sim.faults).check(service, method.as_str(), &path);
        for action in actions {
            match action {
                FaultAction::Latency { ms } => {
                    tokio::time::sleep(Duration::from_millis(ms.min(120_000))).await;
                    fault.get_or_insert_with(|| format!("latency {ms}ms"));
                }
                FaultAction::Drop => {
                    fault = Some("drop".to_owned());
                    response = Some(dropped());
                    break;
                }
                FaultAction::Redirect => {
                    fault = Some("redirect".to_owned());
                    let location = format!("{scheme}://{host}/_sink{path}");
                    response = Some(
                        (
                            StatusCode::FOUND,
                            [(header::LOCATION, location)],
                            "redirected (injected by the simulator)",
                        )
                            .into_response(),
                    );
                    break;
                }
                FaultAction::ForeignKid { kid } => {
                    fault.get_or_insert_with(|| "foreign kid".to_owned());
                    foreign_kid = Some(kid);
                }
                other => {
                    fault = Some(match &other {
                        FaultAction::Status { status } => format!("status {status}"),
                        _ => "throttle".to_owned(),
                    });
                    response = Some(fault_response(service, &other));
                    break;
                }
            }
        }
    }

    let resp = match (response, host_vault) {
        (Some(r), _) => r,
        (None, Some((canonical, alias))) => {
            let base = if alias {
                format!("{scheme}://{host}")
            } else {
                format!("https://{canonical}")
            };
            let query = req.uri().query().map(str::to_owned);
            let headers = req.headers().clone();
            match axum::body::to_bytes(req.into_body(), 4 << 20).await {
                Ok(body) => {
                    keyvault::handle(
                        Arc::clone(&sim),
                        keyvault::Target {
                            host: canonical,
                            base,
                        },
                        method.clone(),
                        path.clone(),
                        query,
                        headers,
                        body,
                    )
                    .await
                }
                Err(_) => keyvault::errors::bad_parameter("The request body could not be read."),
            }
        }
        (None, None) => next.run(req).await,
    };
    let resp = match foreign_kid {
        Some(kid) => with_kid(resp, &kid).await,
        None => resp,
    };

    if logged {
        let dropped = resp.extensions().get::<DropConnection>().is_some();
        lock(&sim.log).push(Entry {
            seq: 0,
            at_ms: now_ms(),
            service: service.to_owned(),
            method: method.to_string(),
            path,
            vault,
            status: if dropped { 0 } else { resp.status().as_u16() },
            fault,
            kms: resp
                .extensions()
                .get::<crate::requestlog::KmsCall>()
                .cloned(),
        });
    }
    resp
}

/// A running simulator.
pub struct Running {
    /// Plain HTTP address.
    pub addr: SocketAddr,
    /// HTTPS address.
    pub tls_addr: Option<SocketAddr>,
    /// Shared state (tests can reach in).
    pub sim: AppState,
}

impl Running {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Binds the listeners, seeds the world and serves in background tasks.
pub async fn start(mut config: Config) -> Result<Running, String> {
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("binding {}: {e}", config.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    config.addr = addr;
    let tls = match (&config.tls_addr, &config.tls_cert, &config.tls_key) {
        (Some(a), Some(c), Some(k)) => {
            let acceptor = crate::tls::acceptor(c, k)?;
            let l = TcpListener::bind(a)
                .await
                .map_err(|e| format!("binding {a}: {e}"))?;
            Some((l, acceptor))
        }
        _ => None,
    };
    let tls_addr = match &tls {
        Some((l, _)) => Some(l.local_addr().map_err(|e| e.to_string())?),
        None => None,
    };
    config.tls_addr = tls_addr;
    let sim: AppState = Arc::new(Sim::new(config));
    sim.warm_keys();
    let app = crate::router(Arc::clone(&sim));
    tokio::spawn(accept_loop(listener, None, app.clone()));
    if let Some((l, acceptor)) = tls {
        tokio::spawn(accept_loop(l, Some(acceptor), app));
    }
    Ok(Running {
        addr,
        tls_addr,
        sim,
    })
}

async fn accept_loop(listener: TcpListener, tls: Option<tokio_rustls::TlsAcceptor>, app: Router) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let app = app.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(s) => serve_connection(TokioIo::new(s), app, "https").await,
                    Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
                },
                None => serve_connection(TokioIo::new(stream), app, "http").await,
            }
        });
    }
}

async fn serve_connection<I>(io: I, app: Router, scheme: &'static str)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            let app = app.clone();
            async move {
                req.extensions_mut().insert(Scheme(scheme));
                let resp = match app.oneshot(req.map(Body::new)).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                };
                if resp.extensions().get::<DropConnection>().is_some() {
                    return Err(Dropped);
                }
                Ok::<_, Dropped>(resp)
            }
        });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    if let Err(e) = builder.serve_connection(io, service).await {
        tracing::debug!(error = %e, "connection ended");
    }
}
