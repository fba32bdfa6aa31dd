//! `auraguard mcp -- COMMAND ...`: the server as a child process on stdio,
//! the client on the proxy's own stdio. Two readers (client → server,
//! server → client) and one writer per destination, so that forwarded
//! messages and the proxy's own replies never interleave within a line.

use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncWrite, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

use super::frame::{read_frame, write_frame, Frame};
use super::jsonrpc::{self, INVALID_REQUEST};
use super::relay::{relay, From};
use super::session::Session;
use super::Outputs;

/// How long the server may take to exit once the client has gone.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// Messages queued for one destination before its reader waits.
const QUEUE: usize = 64;

/// Queued after the last message for a peer whose input is to be closed
/// (no message is empty).
const CLOSE: Vec<u8> = Vec::new();

/// Why the proxy is stopping.
enum End {
    ClientLeft,
    ServerLeft,
    Signal(i32),
}

pub async fn run(command: &[String], outputs: &Outputs) -> u8 {
    let mut child = match Command::new(&command[0])
        .args(&command[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("auraguard mcp: cannot start the MCP server `{}`: {e}", command[0]);
            return 127;
        }
    };
    let server_in = child.stdin.take().expect("stdin is piped");
    let server_out = child.stdout.take().expect("stdout is piped");
    let session = Arc::new(outputs.session(None));
    let max = outputs.config.max_message_bytes;

    let (to_client, client_queue) = mpsc::channel::<Vec<u8>>(QUEUE);
    let (to_server, server_queue) = mpsc::channel::<Vec<u8>>(QUEUE);
    let client_writer = tokio::spawn(drain(client_queue, tokio::io::stdout(), "the client"));
    let server_writer = tokio::spawn(drain(server_queue, server_in, "the server"));

    let mut client_reader = {
        let (session, to_client, to_server) = (session.clone(), to_client.clone(), to_server.clone());
        tokio::spawn(async move {
            let mut input = BufReader::new(tokio::io::stdin());
            pump(&mut input, max, &session, From::Client, &to_server, &to_client).await;
            let _ = to_server.send(CLOSE).await;
        })
    };
    let mut server_reader = {
        let (session, to_client, to_server) = (session.clone(), to_client.clone(), to_server.clone());
        tokio::spawn(async move {
            let mut input = BufReader::new(server_out);
            pump(&mut input, max, &session, From::Server, &to_client, &to_server).await;
        })
    };
    drop(to_server);

    let end = tokio::select! {
        _ = &mut client_reader => End::ClientLeft,
        _ = &mut server_reader => End::ServerLeft,
        sig = signal() => End::Signal(sig),
    };
    let code = match end {
        End::ServerLeft => {
            let status = child.wait().await;
            let why = describe(&status);
            for reply in session.server_gone(&why) {
                let _ = to_client.send(jsonrpc_bytes(&reply)).await;
            }
            eprintln!("auraguard mcp: the MCP server {why}");
            exit_code(&status)
        }
        End::ClientLeft => {
            // The server's stdin closes once its writer has drained: that
            // is how a stdio server learns the session is over.
            let _ = server_writer.await;
            let status = match tokio::time::timeout(EXIT_GRACE, child.wait()).await {
                Ok(status) => exit_code(&status),
                Err(_) => {
                    eprintln!("auraguard mcp: the MCP server did not exit within {EXIT_GRACE:?} of the client leaving; stopped it");
                    let _ = child.kill().await;
                    0
                }
            };
            let _ = tokio::time::timeout(EXIT_GRACE, &mut server_reader).await;
            session.server_gone("was stopped as the client left");
            status
        }
        End::Signal(sig) => {
            let _ = child.kill().await;
            session.server_gone("was stopped by a signal");
            eprintln!("auraguard mcp: stopped by signal {sig}");
            128 + sig as u8
        }
    };
    // The readers hold senders of the client's queue: once they are gone,
    // the writer ends after the last queued reply.
    client_reader.abort();
    server_reader.abort();
    drop(to_client);
    let _ = tokio::time::timeout(EXIT_GRACE, client_writer).await;
    outputs.finish(&session.report());
    code
}

/// Read frames from one peer until it closes, and route each.
async fn pump<R: tokio::io::AsyncBufRead + Unpin>(
    input: &mut R,
    max: usize,
    session: &Session,
    from: From,
    onward: &mpsc::Sender<Vec<u8>>,
    back: &mpsc::Sender<Vec<u8>>,
) {
    let peer = if from == From::Client { "client" } else { "server" };
    loop {
        let frame = match read_frame(input, max).await {
            Ok(Frame::Line(line)) => line,
            Ok(Frame::TooLong(n)) => {
                let why = format!("a message of {n} bytes is over the limit of {max} bytes (mcp.max_message_bytes)");
                eprintln!("auraguard mcp: from the {peer}: {why}; dropped");
                let _ = back.send(jsonrpc_bytes(&jsonrpc::error(Value::Null, INVALID_REQUEST, why))).await;
                continue;
            }
            Ok(Frame::Eof) => return,
            Err(e) => {
                eprintln!("auraguard mcp: cannot read from the {peer}: {e}");
                return;
            }
        };
        let out = relay(session, from, &frame);
        if let Some(note) = out.note {
            eprintln!("auraguard mcp: from the {peer}: {note}");
        }
        if let Some(reply) = out.reply {
            let _ = back.send(reply).await;
        }
        if let Some(forward) = out.forward {
            let _ = onward.send(forward).await;
        }
    }
}

/// Write queued messages to one peer, until `CLOSE` or the last sender
/// has gone; then its input closes. After a write fails (the peer left)
/// the rest is discarded, so that no reader waits on a full queue.
async fn drain<W: AsyncWrite + Unpin>(mut queue: mpsc::Receiver<Vec<u8>>, mut out: W, peer: &str) {
    let mut open = true;
    while let Some(msg) = queue.recv().await {
        if msg.is_empty() {
            break;
        }
        if open {
            if let Err(e) = write_frame(&mut out, &msg).await {
                eprintln!("auraguard mcp: cannot write to {peer}: {e}");
                open = false;
            }
        }
    }
}

fn jsonrpc_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("JSON values serialize")
}

fn describe(status: &std::io::Result<ExitStatus>) -> String {
    match status {
        Ok(s) => match s.code() {
            Some(code) => format!("exited with status {code}"),
            None => format!("was ended by a signal ({s})"),
        },
        Err(e) => format!("ended, and its exit status could not be read: {e}"),
    }
}

fn exit_code(status: &std::io::Result<ExitStatus>) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(code), _) => code as u8,
            (None, Some(sig)) => 128 + sig as u8,
            _ => 1,
        },
        Err(_) => 1,
    }
}

/// The first SIGINT or SIGTERM.
pub async fn signal() -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => 2,
        _ = term.recv() => 15,
    }
}
