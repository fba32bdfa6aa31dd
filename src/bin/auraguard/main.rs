//! The `auraguard` command line: replay a trace, show the demo, run the
//! scenario benchmark, print the version.

mod replay;

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
    },
    /// Print the version.
    Version,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Replay { trace } => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            if let Err(e) = replay::run(&trace, &mut out) {
                eprintln!("auraguard replay: {e}");
                return ExitCode::from(2);
            }
        }
        Command::Version => println!("auraguard {}", auraguard::VERSION),
    }
    ExitCode::SUCCESS
}
