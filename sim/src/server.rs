//! The HTTP side: accepts connections, and for each request checks the signature, counts the
//! call, applies quotas and faults, runs the operation and writes AWS's response shape.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, DATE, RETRY_AFTER};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::admin;
use crate::core::Core;
use crate::dates;
use crate::error::{ErrorKind, SimError};
use crate::faults::Fault;
use crate::ops::{dispatch, ApiRequest};
use crate::router::{parse_query, Route};
use crate::scope::{self, Scope};
use crate::sts;

/// The response type of every request.
pub type HttpResponse = Response<Full<Bytes>>;

/// Returned by a request handler to close the connection without answering.
#[derive(Debug)]
pub struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

/// Serves connections from `listener` until the task is aborted (which also ends them all).
pub async fn serve(listener: TcpListener, core: Arc<Core>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let core = core.clone();
                connections.spawn(async move {
                    let service = service_fn(move |request| handle(core.clone(), request));
                    // A connection ending in an error (a dropped fault, a client hanging up) is normal here.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn handle(
    core: Arc<Core>,
    request: Request<Incoming>,
) -> Result<HttpResponse, DropConnection> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(DropConnection),
    };
    let path = parts.uri.path();
    let request_id = core.request_id();
    let scope = core.scope_of(scope::credential(&parts));
    let mut response = if path == "/_sim" || path.starts_with("/_sim/") {
        admin::handle(&core, &parts.method, path, &body)
    } else if is_signed(&parts) && sts::is_get_caller_identity(&parts.method, path, &body) {
        core.count_call(sts::OPERATION);
        sts::caller_identity(&scope.account, &request_id)
    } else {
        aws(&core, &scope, &parts, &body).await?
    };
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-RequestId", id);
    }
    // Dated by the emulator's clock, as AWS dates its answers by its own.
    let seconds = core.now().floor() as i64;
    if let Ok(date) = HeaderValue::from_str(&dates::http_date(seconds)) {
        response.headers_mut().insert(DATE, date);
    }
    Ok(response)
}

/// Whether a request carries a SigV4 signature (header or presigned query); it is not checked.
fn is_signed(parts: &hyper::http::request::Parts) -> bool {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 "))
        || parts
            .uri
            .query()
            .is_some_and(|q| q.contains("X-Amz-Signature="))
}

async fn aws(
    core: &Core,
    scope: &Scope,
    parts: &hyper::http::request::Parts,
    body: &[u8],
) -> Result<HttpResponse, DropConnection> {
    let signed = is_signed(parts);
    let route = Route::parse(&parts.method, parts.uri.path());
    let Some(route) = route.filter(|_| signed) else {
        let error = if signed {
            SimError::not_found(format!(
                "No such operation: {} {}",
                parts.method,
                parts.uri.path()
            ))
        } else {
            SimError::new(
                ErrorKind::MissingAuthenticationToken,
                "Missing Authentication Token",
            )
        };
        return Ok(error_response(&error));
    };
    let operation = route.operation();
    core.count_call(operation);
    if let Err(wait) = core.acquire(&scope.account, operation) {
        return Ok(throttled(wait));
    }
    let (fault, latency_ms) = core.next_fault(operation);
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    match fault {
        Fault::Drop => return Err(DropConnection),
        Fault::Throttle => return Ok(throttled(1.0)),
        Fault::Error500 => {
            return Ok(error_response(&SimError::new(
                ErrorKind::Internal,
                "Internal server error (injected fault)",
            )))
        }
        Fault::Error503 => {
            return Ok(error_response(&SimError::new(
                ErrorKind::ServiceUnavailable,
                "Service unavailable (injected fault)",
            )))
        }
        Fault::None | Fault::Lost => {}
    }
    if let Some(error) = core.refusal(operation, parts.uri.path()) {
        return Ok(error_response(&error));
    }
    let Some(query) = parse_query(parts.uri.query()) else {
        return Ok(error_response(&SimError::bad_request(
            "Invalid query string: malformed percent-encoding",
        )));
    };
    if core.denies(operation, &query) {
        return Ok(error_response(&SimError::new(
            ErrorKind::AccessDenied,
            format!("User is not authorized to perform: apigateway:GET ({operation})"),
        )));
    }
    let request = ApiRequest {
        query: &query,
        body,
        now: core.now(),
    };
    let result = core.with_scope(scope, |state| dispatch(route, &request, state));
    if result.is_ok() {
        core.count_carried_out(operation);
    }
    if fault == Fault::Lost {
        return Err(DropConnection);
    }
    Ok(match result {
        Ok(reply) => match reply.body {
            Some(body) => json_response(reply.status, &body),
            None => empty_response(reply.status),
        },
        Err(error) => error_response(&error),
    })
}

/// AWS's 429 TooManyRequestsException, with a Retry-After of `wait` seconds rounded up (at
/// least 1).
fn throttled(wait: f64) -> HttpResponse {
    let mut response = error_response(&SimError::new(
        ErrorKind::TooManyRequests,
        "Too Many Requests",
    ));
    let seconds = wait.ceil().max(1.0) as u64;
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// A JSON response.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A response without a body.
pub fn empty_response(status: StatusCode) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// AWS's error shape: the status, `x-amzn-ErrorType` and `{"message": ...}`.
pub fn error_response(error: &SimError) -> HttpResponse {
    let mut response = json_response(
        error.kind.status(),
        &serde_json::json!({ "message": error.message }),
    );
    response.headers_mut().insert(
        "x-amzn-ErrorType",
        HeaderValue::from_static(error.kind.name()),
    );
    response
}
