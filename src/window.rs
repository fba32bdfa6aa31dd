//! The recent-call window: the last `tool_loop_window` allowed calls, and,
//! kept beside them, how many calls at its end are all of one tool.
//!
//! The sequence check asks for that run on every call, and agents call one
//! tool many times in a row: counting it at each push costs one comparison,
//! where counting it at each check walked the window. Calls leave only from
//! the front, so the run at the end stays right as long as it is capped at
//! the window's length.
//!
//! Reading goes through `Deref` to the calls themselves; the only ways to
//! change them are [`Window::push`] and [`Window::from_calls`], which keep
//! the count.

use std::collections::VecDeque;
use std::ops::Deref;

use crate::state::{ToolId, WindowEntry};

/// See the module documentation.
#[derive(Debug)]
pub struct Window {
    calls: VecDeque<WindowEntry>,
    /// The last call's tool and how many calls at the end are of it
    /// (0 for an empty window).
    tail: (ToolId, usize),
}

impl Default for Window {
    fn default() -> Window {
        Window::from_calls(VecDeque::new())
    }
}

impl Window {
    /// A window holding `calls`, oldest first (a restored snapshot's).
    pub fn from_calls(calls: VecDeque<WindowEntry>) -> Window {
        let tail = match calls.back() {
            None => (ToolId(0), 0),
            Some(last) => (last.tool, calls.iter().rev().take_while(|c| c.tool == last.tool).count()),
        };
        Window { calls, tail }
    }

    /// Add an allowed call, dropping the oldest when the window already
    /// holds `cap` (at least 1).
    pub fn push(&mut self, cap: usize, entry: WindowEntry) {
        if self.calls.len() >= cap {
            self.calls.pop_front();
        }
        self.calls.push_back(entry);
        self.tail = match self.tail {
            (tool, run) if run > 0 && tool == entry.tool => (tool, run + 1),
            _ => (entry.tool, 1),
        };
        // The oldest call may have been part of the run.
        self.tail.1 = self.tail.1.min(self.calls.len());
    }

    /// How many of the window's last calls, up to `limit`, are all of `tool`.
    pub fn run_of(&self, tool: ToolId, limit: usize) -> usize {
        match self.tail {
            (last, run) if run > 0 && last == tool => run.min(limit),
            _ => 0,
        }
    }
}

impl Deref for Window {
    type Target = VecDeque<WindowEntry>;

    fn deref(&self) -> &VecDeque<WindowEntry> {
        &self.calls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(tool: u32) -> WindowEntry {
        WindowEntry { tool: ToolId(tool), args_sig: [0; 32], ticket_sig: [0; 32] }
    }

    /// The run counted from scratch, as the sequence check counted it before.
    fn recount(calls: &VecDeque<WindowEntry>, tool: ToolId, limit: usize) -> usize {
        calls.iter().rev().take_while(|c| c.tool == tool).take(limit).count()
    }

    #[test]
    fn the_kept_run_is_the_recounted_one_after_every_push() {
        // A fixed pseudo-random walk over three tools, with long runs, through
        // windows of several sizes: pushes that drop a call of the run, of
        // another tool, and runs longer than the window.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for cap in [1, 2, 3, 5, 12] {
            let mut w = Window::default();
            for step in 0..2000 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let tool = if step % 97 < 40 { 1 } else { (state % 3) as u32 };
                w.push(cap, entry(tool));
                assert!(w.len() <= cap);
                for t in 0..3 {
                    for limit in [0, 1, 2, cap, 100] {
                        assert_eq!(w.run_of(ToolId(t), limit), recount(&w, ToolId(t), limit), "cap {cap} step {step}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_restored_window_counts_its_own_run() {
        let calls: VecDeque<_> = [2, 1, 1, 1].into_iter().map(entry).collect();
        let w = Window::from_calls(calls);
        assert_eq!(w.run_of(ToolId(1), 10), 3);
        assert_eq!(w.run_of(ToolId(1), 2), 2);
        assert_eq!(w.run_of(ToolId(2), 10), 0);
        let empty = Window::from_calls(VecDeque::new());
        assert_eq!(empty.run_of(ToolId(0), 10), 0);
    }
}
