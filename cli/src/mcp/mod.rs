//! `auraguard mcp`: a Model Context Protocol proxy that puts the guard in
//! front of any MCP server's tools. Every message passes unchanged except
//! `tools/call`, which the guard checks first: allowed calls go to the
//! server and their results are recorded; the guard answers the others.
//!
//! The layout: [`frame`] (stdio framing), [`jsonrpc`] (the message model),
//! [`session`] (the guard of one MCP session), [`tool_result`] (results in
//! and out), [`relay`] (one frame through a session), [`stdio`] and
//! [`http`] (the transports), [`output`] (events and report).

pub mod config;
pub mod frame;
pub mod http;
pub mod jsonrpc;
pub mod output;
pub mod relay;
pub mod session;
pub mod sse;
pub mod stdio;
pub mod tool_result;

use std::sync::{Arc, Mutex};

use clap::Args;
use serde_json::Value;

use config::ProxyConfig;
use output::EventLog;
use session::Session;

#[derive(Args, Debug)]
pub struct McpArgs {
    /// The guard configuration (JSON), with an optional `mcp` section.
    #[arg(long)]
    pub config: Option<String>,
    /// Append the guard's events to this file, one JSON object per line.
    #[arg(long)]
    pub events: Option<String>,
    /// Write the guard's report (JSON) to this file on exit.
    #[arg(long)]
    pub report: Option<String>,
    /// Serve streamable HTTP on this address (e.g. 127.0.0.1:8931).
    #[arg(long)]
    pub listen: Option<String>,
    /// With --listen: the MCP server's streamable-HTTP endpoint (http://...).
    #[arg(long)]
    pub upstream: Option<String>,
    /// With --listen: how many sessions may be open at once.
    #[arg(long, default_value_t = 256, requires = "listen")]
    pub max_sessions: usize,
    /// With --listen: close a session idle for this many seconds.
    #[arg(long, default_value_t = 900, requires = "listen")]
    pub idle_timeout: u64,
    /// The MCP server to start on stdio, after `--`.
    #[arg(last = true)]
    pub command: Vec<String>,
}

/// How many ended sessions' reports the final report holds at most.
pub const KEPT_REPORTS: usize = 10_000;

/// What every session shares: the configuration, the events file, and the
/// reports of the sessions that ended.
pub struct Outputs {
    pub config: Arc<ProxyConfig>,
    events: Option<Arc<EventLog>>,
    report_path: Option<String>,
    ended: Mutex<Vec<Value>>,
}

impl Outputs {
    /// A new session; `id` tags its events when there are several.
    pub fn session(&self, id: Option<String>) -> Session {
        Session::new(self.config.clone(), self.events.as_ref().map(|log| log.sink(id)))
    }

    /// Write the report of a single-session run.
    pub fn finish(&self, report: &Value) {
        if let Some(path) = &self.report_path {
            if let Err(e) = output::write_report(path, report) {
                eprintln!("auraguard mcp: {e}");
            }
        }
    }

    /// Keep the report of an ended session for the final report (the
    /// most recent `KEPT_REPORTS`, so a long-lived listener stays bounded).
    pub fn keep(&self, report: Value) {
        let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        if ended.len() >= KEPT_REPORTS {
            ended.remove(0);
        }
        ended.push(report);
    }

    pub fn ended(&self) -> Vec<Value> {
        std::mem::take(&mut *self.ended.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Run the proxy; the exit code is the server's where there is one.
pub fn run(args: McpArgs) -> u8 {
    let config = match ProxyConfig::load(args.config.as_deref()) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("auraguard mcp: {e}");
            return 2;
        }
    };
    let events = match args.events.as_deref().map(EventLog::create).transpose() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("auraguard mcp: {e}");
            return 2;
        }
    };
    let outputs = Outputs { config, events, report_path: args.report.clone(), ended: Mutex::new(Vec::new()) };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("auraguard mcp: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let code = match (&args.listen, args.command.is_empty()) {
        (None, true) if args.upstream.is_some() => {
            eprintln!("auraguard mcp: --upstream needs --listen ADDR");
            2
        }
        (None, true) => {
            eprintln!("auraguard mcp: say which MCP server to start, after `--` (e.g. auraguard mcp -- npx -y @modelcontextprotocol/server-everything), or --listen with --upstream");
            2
        }
        (None, false) => runtime.block_on(stdio::run(&args.command, &outputs)),
        (Some(listen), true) => runtime.block_on(http::run(listen, &args, outputs)),
        (Some(_), false) => {
            eprintln!(
                "auraguard mcp: --listen proxies an HTTP server (--upstream URL); it takes no command after `--`"
            );
            2
        }
    };
    // A read of stdin may still be blocked in the runtime's thread pool;
    // it must not hold the exit.
    runtime.shutdown_background();
    code
}
