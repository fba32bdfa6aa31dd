//! `SharedGuard`: a guard that many threads may use at once, with an event
//! sink. Calls are serialized by a lock; events are delivered on the calling
//! thread, inside the call that produced them, after the lock is released,
//! so a sink may call back into any guard (this one included) without
//! deadlocking.
//!
//! Replacing the sink waits until every delivery that may still use the old
//! one has finished, so a caller may release the old sink's resources as
//! soon as `set_event_sink` returns (except when it is called from inside a
//! sink, where waiting would wait on itself).

use std::cell::Cell;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::decision::Decision;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::guard::{Guard, ToolResult};
use crate::report::{Report, Stats};

/// Receives each event as it happens.
pub type EventSink = Arc<dyn Fn(&Event) + Send + Sync>;

/// The registered sink and how many deliveries are under way.
#[derive(Default)]
struct Sinks {
    sink: Option<EventSink>,
    delivering: usize,
}

/// A thread-safe guard.
pub struct SharedGuard {
    inner: Mutex<Guard>,
    sinks: Mutex<Sinks>,
    delivered: Condvar,
}

thread_local! {
    /// How many sink calls this thread is inside (of any guard).
    static IN_SINK: Cell<usize> = const { Cell::new(0) };
}

const POISONED: &str =
    "this guard is unusable: an earlier call failed inside the engine (a bug) and its state may be inconsistent; free it and create a new one";

impl SharedGuard {
    pub fn new(guard: Guard) -> SharedGuard {
        SharedGuard { inner: Mutex::new(guard), sinks: Mutex::new(Sinks::default()), delivered: Condvar::new() }
    }

    pub fn from_json(config_json: &str) -> Result<SharedGuard> {
        Ok(SharedGuard::new(Guard::from_json(config_json)?))
    }

    fn lock(&self) -> Result<MutexGuard<'_, Guard>> {
        self.inner.lock().map_err(|_| Error::internal(POISONED))
    }

    fn sinks(&self) -> Result<MutexGuard<'_, Sinks>> {
        self.sinks.lock().map_err(|_| Error::internal(POISONED))
    }

    /// Run `f` under the lock, then deliver the events it produced.
    pub fn with<T>(&self, f: impl FnOnce(&mut Guard) -> Result<T>) -> Result<T> {
        let (result, events) = {
            let mut g = self.lock()?;
            let r = f(&mut g);
            (r, g.take_events())
        };
        if !events.is_empty() {
            self.deliver(&events)?;
        }
        result
    }

    fn deliver(&self, events: &[Event]) -> Result<()> {
        let sink = {
            let mut s = self.sinks()?;
            let Some(sink) = s.sink.clone() else {
                return Ok(());
            };
            s.delivering += 1;
            sink
        };
        // Count the delivery as finished even if the sink panics.
        struct Done<'a>(&'a SharedGuard);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                IN_SINK.with(|n| n.set(n.get() - 1));
                if let Ok(mut s) = self.0.sinks.lock() {
                    s.delivering -= 1;
                }
                self.0.delivered.notify_all();
            }
        }
        IN_SINK.with(|n| n.set(n.get() + 1));
        let _done = Done(self);
        for e in events {
            sink(e);
        }
        Ok(())
    }

    /// Register (or, with `None`, remove) the event sink. Returns once no
    /// delivery to the previous sink is under way (see the module docs).
    pub fn set_event_sink(&self, sink: Option<EventSink>) -> Result<()> {
        // The sink and the guard's listening flag change in one step, under
        // the sinks lock (always taken before the guard's, never after): two
        // registrations at once cannot leave a sink that is never called.
        let mut s = self.sinks()?;
        self.lock()?.set_listening(sink.is_some());
        let old = std::mem::replace(&mut s.sink, sink);
        if IN_SINK.with(Cell::get) == 0 {
            while s.delivering > 0 {
                s = self.delivered.wait(s).map_err(|_| Error::internal(POISONED))?;
            }
        }
        drop(s);
        drop(old);
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

    /// See [`Guard::check_tool_utf8`].
    pub fn check_tool_utf8(
        &self,
        tool: &str,
        args_json: Option<&[u8]>,
        ticket_id: Option<&[u8]>,
        side_effect: Option<bool>,
    ) -> Result<Decision> {
        self.with(|g| g.check_tool_utf8(tool, args_json, ticket_id, side_effect))
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

    pub fn ledger_resolve(&self, idempotency_key: &str, resolution: crate::ledger::Resolution) -> Result<()> {
        self.with(|g| g.ledger_resolve(idempotency_key, resolution))
    }

    pub fn reset(&self) -> Result<()> {
        self.with(|g| {
            g.reset();
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_registrations_leave_the_flag_and_the_sink_in_agreement() {
        let g = Arc::new(SharedGuard::from_json(r#"{"secret_key": "k"}"#).unwrap());
        for _ in 0..200 {
            let threads: Vec<_> = (0..4)
                .map(|i| {
                    let g = Arc::clone(&g);
                    std::thread::spawn(move || {
                        let sink: Option<EventSink> = (i % 2 == 0).then(|| Arc::new(|_: &Event| {}) as EventSink);
                        g.set_event_sink(sink).unwrap();
                    })
                })
                .collect();
            threads.into_iter().for_each(|t| t.join().unwrap());
            let registered = g.sinks().unwrap().sink.is_some();
            assert_eq!(g.lock().unwrap().is_listening(), registered);
        }
    }
}
