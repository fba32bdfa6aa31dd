//! What the proxy leaves behind for the user: the guard's events as JSON
//! lines (`--events FILE`, written as they happen) and the run report
//! (`--report FILE`, written on exit).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex};

use auraguard::{Event, EventSink};
use serde_json::Value;

/// The events file, shared by every session.
pub struct EventLog {
    file: Mutex<BufWriter<File>>,
    path: String,
}

impl EventLog {
    pub fn create(path: &str) -> Result<Arc<EventLog>, String> {
        let file = File::create(path).map_err(|e| format!("cannot create the events file {path}: {e}"))?;
        Ok(Arc::new(EventLog { file: Mutex::new(BufWriter::new(file)), path: path.to_string() }))
    }

    /// A sink that appends each event as one line, tagged with the session
    /// it came from when there are several.
    pub fn sink(self: &Arc<Self>, session: Option<String>) -> EventSink {
        let log = Arc::clone(self);
        Arc::new(move |event: &Event| log.write(event, session.as_deref()))
    }

    fn write(&self, event: &Event, session: Option<&str>) {
        let mut line = serde_json::to_value(event).expect("an event serializes");
        if let (Some(id), Value::Object(obj)) = (session, &mut line) {
            obj.insert("session_id".to_string(), Value::String(id.to_string()));
        }
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        // A line reaches the file whole, or the user is told it did not.
        if let Err(e) = writeln!(file, "{line}").and_then(|()| file.flush()) {
            eprintln!("auraguard mcp: cannot write to the events file {}: {e}", self.path);
        }
    }
}

/// Write the report as pretty JSON.
pub fn write_report(path: &str, report: &Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(report).expect("a report serializes");
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write the report {path}: {e}"))
}
