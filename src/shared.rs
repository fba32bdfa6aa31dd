//! `SharedGuard`: a guard that many threads may use at once, with an event
//! sink. Calls are serialized by a lock; events are delivered on the calling
//! thread, inside the call that produced them, after the lock is released,
//! so a sink may call back into any guard (this one included) without
//! deadlocking.

use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::decision::Decision;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::guard::{Guard, ToolResult};
use crate::report::{Report, Stats};

/// Receives each event as it happens.
pub type EventSink = Arc<dyn Fn(&Event) + Send + Sync>;

/// A thread-safe guard.
pub struct SharedGuard {
    inner: Mutex<Guard>,
    sink: RwLock<Option<EventSink>>,
}

const POISONED: &str =
    "this guard is unusable: an earlier call failed inside the engine (a bug) and its state may be inconsistent; free it and create a new one";

impl SharedGuard {
    pub fn new(guard: Guard) -> SharedGuard {
        SharedGuard {
            inner: Mutex::new(guard),
            sink: RwLock::new(None),
        }
    }

    pub fn from_json(config_json: &str) -> Result<SharedGuard> {
        Ok(SharedGuard::new(Guard::from_json(config_json)?))
    }

    fn lock(&self) -> Result<MutexGuard<'_, Guard>> {
        self.inner.lock().map_err(|_| Error::internal(POISONED))
    }

    /// Run `f` under the lock, then deliver the events it produced.
    pub fn with<T>(&self, f: impl FnOnce(&mut Guard) -> Result<T>) -> Result<T> {
        let (result, events) = {
            let mut g = self.lock()?;
            let r = f(&mut g);
            (r, g.take_events())
        };
        if !events.is_empty() {
            let sink = self
                .sink
                .read()
                .map_err(|_| Error::internal(POISONED))?
                .clone();
            if let Some(sink) = sink {
                for e in &events {
                    sink(e);
                }
            }
        }
        result
    }

    /// Register (or, with `None`, remove) the event sink.
    pub fn set_event_sink(&self, sink: Option<EventSink>) -> Result<()> {
        let listening = sink.is_some();
        *self.sink.write().map_err(|_| Error::internal(POISONED))? = sink;
        self.lock()?.set_listening(listening);
        Ok(())
    }

    pub fn check_tool_json(
        &self,
        tool: &str,
        args_json: Option<&str>,
        ticket_id: Option<&str>,
        side_effect: Option<bool>,
    ) -> Result<Decision> {
        self.with(|g| g.check_tool_json(tool, args_json, ticket_id, side_effect))
    }

    pub fn record_result(&self, r: ToolResult) -> Result<()> {
        self.with(|g| g.record_result(r))
    }

    pub fn record_result_json(&self, json: &str) -> Result<()> {
        self.with(|g| g.record_result_json(json))
    }

    pub fn check_output(&self, text: &str) -> Result<Option<Decision>> {
        self.with(|g| g.check_output(text))
    }

    pub fn record_tokens(&self, input: u64, output: u64, cost_override: Option<f64>) -> Result<()> {
        self.with(|g| g.record_tokens(input, output, cost_override))
    }

    pub fn stats(&self) -> Result<Stats> {
        self.with(|g| Ok(g.stats()))
    }

    pub fn report(&self) -> Result<Report> {
        self.with(|g| Ok(g.report()))
    }

    pub fn save_state(&self) -> Result<String> {
        self.with(|g| Ok(g.save_state()))
    }

    pub fn load_state(&self, state: &str) -> Result<()> {
        self.with(|g| g.load_state(state))
    }

    pub fn reset(&self) -> Result<()> {
        self.with(|g| {
            g.reset();
            Ok(())
        })
    }
}
