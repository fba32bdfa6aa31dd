//! The `auraguard` command line: replay a trace, show the demo, run the
//! scenario benchmark, guard an MCP server, print the version.

mod bench;
mod demo;
mod mcp;
mod replay;
mod scenarios;
mod scenarios_detect;
mod simulate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "auraguard", version = auraguard::VERSION, about = "Reliability middleware for tool-using AI agents")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a JSON Lines trace through a fresh guard; print one JSON value per line.
    Replay {
        /// The trace file.
        trace: String,
        /// Send arguments and results as JSON text (the path of the C API
        /// and every wrapper) instead of parsed values.
        #[arg(long)]
        text: bool,
        /// A JSON object of configuration keys added to every configuration
        /// of the trace (to see what opt-in keys would change).
        #[arg(long)]
        overlay: Option<String>,
    },
    /// A customer-support agent run shown without and with the guard.
    Demo,
    /// Every failure scenario (and a healthy run) without and with the guard.
    Bench {
        /// Run only this scenario.
        #[arg(long)]
        scenario: Option<String>,
        /// Also write the results as JSON to this file.
        #[arg(long)]
        json: Option<String>,
    },
    /// Guard the tools of an MCP server: a proxy between an MCP client and the server.
    Mcp(mcp::McpArgs),
    /// Print the version.
    Version,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Replay { trace, text, overlay } => {
            let overlay = match overlay.as_deref().map(serde_json::from_str::<serde_json::Value>) {
                None => None,
                Some(Ok(serde_json::Value::Object(m))) => Some(m),
                Some(_) => {
                    eprintln!("auraguard replay: --overlay must be a JSON object of configuration keys");
                    return ExitCode::from(2);
                }
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let path = if text { replay::Path::Text } else { replay::Path::Parsed };
            if let Err(e) = replay::run(&trace, path, overlay.as_ref(), &mut out) {
                eprintln!("auraguard replay: {e}");
                return ExitCode::from(2);
            }
        }
        Command::Demo => print!("{}", demo::render()),
        Command::Bench { scenario, json } => {
            let rows = match bench::run(scenario.as_deref()) {
                Ok(rows) => rows,
                Err(e) => {
                    eprintln!("auraguard bench: {e}");
                    return ExitCode::from(2);
                }
            };
            print!("{}", bench::render(&rows));
            if let Some(path) = json {
                let text = serde_json::to_string_pretty(&rows).expect("rows serialize");
                if let Err(e) = std::fs::write(&path, text) {
                    eprintln!("auraguard bench: cannot write {path}: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        Command::Mcp(args) => return ExitCode::from(mcp::run(args)),
        Command::Version => println!("auraguard {}", auraguard::VERSION),
    }
    ExitCode::SUCCESS
}
