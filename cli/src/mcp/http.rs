//! `auraguard mcp --listen ADDR --upstream URL`: a streamable-HTTP MCP
//! proxy. Each MCP session (the `Mcp-Session-Id` the server gives at
//! initialize) has its own guard. Sessions are bounded (`--max-sessions`)
//! and closed after `--idle-timeout` seconds without a request; a closed
//! session's report is kept for the final report.
//!
//! Requests go to the upstream URL whatever their path. JSON answers are
//! read whole, event streams as they pass; both reach the client unchanged.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use super::jsonrpc::{self, INTERNAL_ERROR, INVALID_REQUEST};
use super::relay::{relay, From};
use super::session::Session;
use super::sse::EventReader;
use super::{McpArgs, Outputs};

const SESSION_HEADER: &str = "mcp-session-id";

type Body = BoxBody<Bytes, hyper::Error>;

struct Open {
    session: Arc<Session>,
    last_used: Instant,
}

struct Proxy {
    outputs: Arc<Outputs>,
    upstream: Uri,
    client: Client<HttpConnector, Full<Bytes>>,
    sessions: Mutex<HashMap<String, Open>>,
    /// Sessions being initialized (counted against the limit).
    opening: Mutex<usize>,
    max_sessions: usize,
    idle: Duration,
}

pub async fn run(listen: &str, args: &McpArgs, outputs: Outputs) -> u8 {
    let Some(upstream) = args.upstream.as_deref() else {
        eprintln!("auraguard mcp: --listen needs --upstream URL (the MCP server's streamable-HTTP endpoint)");
        return 2;
    };
    let upstream: Uri = match upstream.parse::<Uri>() {
        Ok(u) if u.scheme_str() == Some("http") && u.host().is_some() => u,
        Ok(_) => {
            eprintln!("auraguard mcp: --upstream must be an http:// URL, got {upstream}");
            return 2;
        }
        Err(e) => {
            eprintln!("auraguard mcp: --upstream {upstream} is not a URL: {e}");
            return 2;
        }
    };
    if args.max_sessions == 0 || args.idle_timeout == 0 {
        eprintln!("auraguard mcp: --max-sessions and --idle-timeout must be at least 1");
        return 2;
    }
    let listener = match TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("auraguard mcp: cannot listen on {listen}: {e}");
            return 2;
        }
    };
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| listen.to_string());
    eprintln!("auraguard mcp: listening on http://{local}, forwarding to {upstream}");
    let proxy = Arc::new(Proxy {
        outputs: Arc::new(outputs),
        upstream,
        // A fresh connection per request: reusing an idle one races with the
        // server closing it, and a POST cannot safely be sent twice.
        client: Client::builder(TokioExecutor::new()).pool_max_idle_per_host(0).build_http(),
        sessions: Mutex::new(HashMap::new()),
        opening: Mutex::new(0),
        max_sessions: args.max_sessions,
        idle: Duration::from_secs(args.idle_timeout),
    });
    let sweeper = {
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let every = proxy.idle.min(Duration::from_secs(1));
            loop {
                tokio::time::sleep(every).await;
                proxy.expire_idle();
            }
        })
    };
    let sig = loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let proxy = proxy.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let proxy = proxy.clone();
                        async move { Ok::<_, Infallible>(proxy.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            sig = super::stdio::signal() => break sig,
        }
    };
    sweeper.abort();
    proxy.write_report();
    eprintln!("auraguard mcp: stopped by signal {sig}");
    0
}

impl Proxy {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Open>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn end(&self, id: &str, open: Open) {
        self.outputs.keep(json!({"session_id": id, "report": open.session.report()}));
    }

    /// Close the sessions idle for too long, here and upstream.
    fn expire_idle(self: &Arc<Self>) {
        let now = Instant::now();
        let expired: Vec<(String, Open)> = {
            let mut sessions = self.lock();
            let ids: Vec<String> = sessions
                .iter()
                .filter(|(_, o)| now.duration_since(o.last_used) >= self.idle)
                .map(|(k, _)| k.clone())
                .collect();
            ids.into_iter().filter_map(|id| sessions.remove(&id).map(|o| (id, o))).collect()
        };
        for (id, open) in expired {
            self.end(&id, open);
            let proxy = self.clone();
            tokio::spawn(async move { proxy.close_upstream(&id).await });
        }
    }

    async fn close_upstream(&self, id: &str) {
        let Ok(value) = HeaderValue::from_str(id) else { return };
        let mut req = Request::builder().method(Method::DELETE).uri(self.upstream.clone());
        if let Some(h) = req.headers_mut() {
            h.insert(SESSION_HEADER, value);
        }
        if let Ok(req) = req.body(Full::new(Bytes::new())) {
            let _ = self.client.request(req).await;
        }
    }

    fn write_report(&self) {
        let mut sessions = self.outputs.ended();
        for (id, open) in self.lock().iter() {
            sessions.push(json!({"session_id": id, "report": open.session.report()}));
        }
        self.outputs.finish(&json!({"sessions": sessions}));
    }

    async fn handle(self: &Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        let id = req.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
        let session = match &id {
            Some(id) => match self.touch(id) {
                Some(s) => Some(s),
                None => {
                    return reply(
                        StatusCode::NOT_FOUND,
                        jsonrpc::error(
                            Value::Null,
                            INVALID_REQUEST,
                            format!("no open session {id}: initialize a new one"),
                        ),
                    )
                }
            },
            None => None,
        };
        match *req.method() {
            Method::POST => self.post(req, session).await,
            Method::GET => self.forward(req.map(|_| ()), Bytes::new(), session.map(|s| (s, None))).await,
            Method::DELETE => {
                let response = self.forward(req.map(|_| ()), Bytes::new(), None).await;
                if let (Some(id), true) = (&id, response.status().is_success()) {
                    let ended = self.lock().remove(id);
                    if let Some(open) = ended {
                        self.end(id, open);
                    }
                }
                response
            }
            _ => reply(
                StatusCode::METHOD_NOT_ALLOWED,
                jsonrpc::error(Value::Null, INVALID_REQUEST, "an MCP endpoint takes POST, GET and DELETE"),
            ),
        }
    }

    fn touch(&self, id: &str) -> Option<Arc<Session>> {
        let mut sessions = self.lock();
        let open = sessions.get_mut(id)?;
        open.last_used = Instant::now();
        Some(open.session.clone())
    }

    async fn post(self: &Arc<Self>, req: Request<Incoming>, session: Option<Arc<Session>>) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let max = self.outputs.config.max_message_bytes;
        let body = match Limited::new(body, max).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                let why = format!("the request body could not be read (limit {max} bytes, mcp.max_message_bytes): {e}");
                return reply(StatusCode::PAYLOAD_TOO_LARGE, jsonrpc::error(Value::Null, INVALID_REQUEST, why));
            }
        };
        let req = Request::from_parts(parts, ());
        let Some(session) = session else {
            // No session yet: this must open one (or the server keeps none).
            if !is_initialize(&body) {
                let why = "send initialize first, or the Mcp-Session-Id the server gave";
                return reply(StatusCode::BAD_REQUEST, jsonrpc::error(Value::Null, INVALID_REQUEST, why));
            }
            if !self.reserve() {
                let why =
                    format!("the proxy already holds {} sessions (--max-sessions); try again later", self.max_sessions);
                return reply(StatusCode::SERVICE_UNAVAILABLE, jsonrpc::error(Value::Null, INTERNAL_ERROR, why));
            }
            let response = self.open(req, body).await;
            *self.opening.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
            return response;
        };
        let out = relay(&session, From::Client, &body);
        if let Some(note) = &out.note {
            eprintln!("auraguard mcp: from the client: {note}");
        }
        match (out.forward, out.reply) {
            (None, Some(r)) => json_response(StatusCode::OK, Bytes::from(r)),
            (Some(forward), None) => {
                let awaiting = Awaiting::of(&session, &forward);
                self.forward(req, Bytes::from(forward), Some((session, awaiting))).await
            }
            (None, None) => {
                Response::builder().status(StatusCode::ACCEPTED).body(empty()).expect("a plain response builds")
            }
            (Some(_), Some(_)) => reply(
                StatusCode::BAD_REQUEST,
                jsonrpc::error(
                    Value::Null,
                    INVALID_REQUEST,
                    "over HTTP, a batch whose calls the guard answers in part is refused: send the calls one by one",
                ),
            ),
        }
    }

    /// Count a session being opened against the limit, closing idle ones first.
    fn reserve(self: &Arc<Self>) -> bool {
        self.expire_idle();
        let open = self.lock().len();
        let mut opening = self.opening.lock().unwrap_or_else(|p| p.into_inner());
        if open + *opening >= self.max_sessions {
            return false;
        }
        *opening += 1;
        true
    }

    /// Forward an initialize; the server's answer names the new session.
    async fn open(self: &Arc<Self>, req: Request<()>, body: Bytes) -> Response<Body> {
        let response = self.forward(req, body, None).await;
        if let Some(id) = response.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()) {
            // The events of the session are tagged with its id from here on.
            let session = Arc::new(self.outputs.session(Some(id.to_string())));
            self.lock().insert(id.to_string(), Open { session, last_used: Instant::now() });
        }
        response
    }

    /// Send a request upstream and pass the answer back, showing its
    /// messages to the session on the way.
    /// `awaiting` is dropped once the answer has been seen, or with the
    /// request when the client leaves: the tool calls it names that are
    /// still in flight are then recorded as abandoned.
    async fn forward(
        &self,
        req: Request<()>,
        body: Bytes,
        session: Option<(Arc<Session>, Option<Awaiting>)>,
    ) -> Response<Body> {
        let mut upstream = Request::builder().method(req.method().clone()).uri(self.upstream.clone());
        if let Some(h) = upstream.headers_mut() {
            copy_headers(req.headers(), h);
        }
        let upstream = upstream.body(Full::new(body)).expect("a request with copied headers builds");
        let response = match self.client.request(upstream).await {
            Ok(r) => r,
            Err(e) => {
                let cause = std::error::Error::source(&e).map(|c| format!(": {c}")).unwrap_or_default();
                let why = format!("the upstream MCP server {} cannot be reached: {e}{cause}", self.upstream);
                eprintln!("auraguard mcp: {why}");
                return reply(StatusCode::BAD_GATEWAY, jsonrpc::error(Value::Null, INTERNAL_ERROR, why));
            }
        };
        let (parts, incoming) = response.into_parts();
        let kind = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let max = self.outputs.config.max_message_bytes;
        let body: Body = match session {
            Some((session, awaiting)) if kind.starts_with("text/event-stream") => {
                let mut events = EventReader::new(max);
                let observed = incoming
                    .map_frame(move |frame: Frame<Bytes>| {
                        if let Some(data) = frame.data_ref() {
                            for event in events.feed(data) {
                                observe(&session, event.as_bytes());
                            }
                        }
                        frame
                    })
                    .boxed();
                // Held by the stream: dropped when it ends or the client leaves.
                EventStreamEnd { inner: observed, awaiting, ended: false }.boxed()
            }
            Some((session, _awaiting)) if kind.starts_with("application/json") => {
                match Limited::new(incoming, max).collect().await {
                    Ok(b) => {
                        let bytes = b.to_bytes();
                        observe(&session, &bytes);
                        Full::new(bytes).map_err(|never| match never {}).boxed()
                    }
                    Err(e) => {
                        let why = format!("the upstream answer could not be read (limit {max} bytes): {e}");
                        return reply(StatusCode::BAD_GATEWAY, jsonrpc::error(Value::Null, INTERNAL_ERROR, why));
                    }
                }
            }
            _ => incoming.boxed(),
        };
        let mut response = Response::from_parts(parts, body);
        response.headers_mut().remove(header::CONTENT_LENGTH);
        response
    }
}

/// A message (or batch) from the server, shown to the session. The server's
/// own mistakes are reported on stderr; over HTTP there is no way back.
/// The `tools/call` requests of one forwarded POST, until their answers
/// have been seen: dropped early (an unreachable upstream, a failed read, a
/// client that closed the connection mid-call), it records those still in
/// flight as abandoned, so that no call stays pending in its session.
struct Awaiting {
    session: Arc<Session>,
    ids: Vec<Value>,
}

impl Awaiting {
    fn of(session: &Arc<Session>, body: &[u8]) -> Option<Awaiting> {
        let is_call = |m: &Value| m.get("method").and_then(Value::as_str) == Some("tools/call");
        let ids: Vec<Value> = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(items)) => {
                items.iter().filter(|m| is_call(m)).filter_map(|m| m.get("id").cloned()).collect()
            }
            Ok(m) if is_call(&m) => m.get("id").cloned().into_iter().collect(),
            _ => Vec::new(),
        };
        (!ids.is_empty()).then(|| Awaiting { session: session.clone(), ids })
    }
}

impl Drop for Awaiting {
    fn drop(&mut self) {
        self.session.abandon(&self.ids, "no answer reached the proxy");
    }
}

/// The upstream's event stream for one POST, ended cleanly for the client:
/// when the upstream stops (it died, or closed the stream) while calls of
/// this request still await their answer, those calls are booked as
/// abandoned and answered with JSON-RPC errors in one last event, instead
/// of a connection cut mid-body.
struct EventStreamEnd {
    inner: Body,
    awaiting: Option<Awaiting>,
    ended: bool,
}

impl hyper::body::Body for EventStreamEnd {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        use std::task::Poll;
        if self.ended {
            return Poll::Ready(None);
        }
        match std::pin::Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(Ok(frame))),
            Poll::Pending => Poll::Pending,
            // The stream ended, or broke off: answer what is still owed.
            Poll::Ready(_) => {
                self.ended = true;
                let Some(awaiting) = self.awaiting.take() else { return Poll::Ready(None) };
                let why = "the MCP server stopped before answering this call";
                let tail: String = awaiting
                    .session
                    .abandon(&awaiting.ids, why)
                    .into_iter()
                    .map(|id| format!("event: message\ndata: {}\n\n", jsonrpc::error(id.clone(), INTERNAL_ERROR, why)))
                    .collect();
                if tail.is_empty() {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Ok(Frame::data(Bytes::from(tail)))))
                }
            }
        }
    }
}

fn observe(session: &Session, bytes: &[u8]) {
    let out = relay(session, From::Server, bytes);
    if let Some(note) = out.note {
        eprintln!("auraguard mcp: from the server: {note}");
    }
}

fn is_initialize(body: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m.get("method").and_then(Value::as_str) == Some("initialize"),
        Ok(Value::Array(items)) => items.iter().any(|m| m.get("method").and_then(Value::as_str) == Some("initialize")),
        _ => false,
    }
}

/// The request headers an MCP server needs (not the hop-by-hop ones).
fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        let skip = [header::HOST, header::CONTENT_LENGTH, header::CONNECTION, header::TRANSFER_ENCODING];
        if !skip.contains(name) {
            to.append(name.clone(), value.clone());
        }
    }
}

fn empty() -> Body {
    Full::new(Bytes::new()).map_err(|never| match never {}).boxed()
}

fn json_response(status: StatusCode, body: Bytes) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(body).map_err(|never| match never {}).boxed())
        .expect("a JSON response builds")
}

fn reply(status: StatusCode, message: Value) -> Response<Body> {
    json_response(status, Bytes::from(serde_json::to_vec(&message).expect("JSON values serialize")))
}
