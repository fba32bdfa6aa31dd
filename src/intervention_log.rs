//! The run's most recent interventions, oldest first.
//!
//! A looping agent is refused, or served from the cache, the same way again
//! and again: the same tool, action, reason and arguments. Consecutive equal
//! entries are kept once, with a count, so a loop of a hundred thousand
//! identical interventions holds one entry instead of a hundred thousand
//! (each about a hundred bytes, which the log used to grow into page by
//! page), and logging one more is a comparison and an increment. Read back,
//! the log is every entry in order, as if each had been kept: the report and
//! a saved state do not change.

use std::collections::VecDeque;

use crate::state::LoggedIntervention;

/// See the module documentation.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct InterventionLog {
    /// Runs of equal consecutive entries, oldest first; every count is at
    /// least one, and no two neighbouring runs hold equal entries.
    runs: VecDeque<(LoggedIntervention, usize)>,
    /// The entries in all: the sum of the counts.
    len: usize,
}

impl InterventionLog {
    /// Append `entry`, first forgetting the oldest entry when `cap` entries
    /// are kept already.
    pub fn push(&mut self, entry: LoggedIntervention, cap: usize) {
        if self.len >= cap {
            self.pop_front();
        }
        match self.runs.back_mut() {
            Some((last, count)) if same(last, &entry) => *count += 1,
            _ => self.runs.push_back((entry, 1)),
        }
        self.len += 1;
    }

    /// A log of `entries` in order, the oldest forgotten beyond `cap`.
    pub fn from_entries(entries: impl IntoIterator<Item = LoggedIntervention>, cap: usize) -> InterventionLog {
        let mut log = InterventionLog::default();
        for entry in entries {
            log.push(entry, cap);
        }
        log
    }

    fn pop_front(&mut self) {
        let Some((_, count)) = self.runs.front_mut() else {
            return;
        };
        *count -= 1;
        if *count == 0 {
            self.runs.pop_front();
        }
        self.len -= 1;
    }

    /// How many entries the log holds.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every entry, oldest first, each repeat as often as it was logged.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LoggedIntervention> {
        self.runs.iter().flat_map(|(entry, count)| std::iter::repeat_n(entry, *count))
    }
}

/// `a == b`, cheapest test first: a loop logs its fixed reason and action
/// from the same static text every time, so their addresses usually settle
/// it without reading the text.
fn same(a: &LoggedIntervention, b: &LoggedIntervention) -> bool {
    let text = |x: &str, y: &str| (x.as_ptr() == y.as_ptr() && x.len() == y.len()) || x == y;
    a.args_sig == b.args_sig && a.tool == b.tool && text(&a.reason, &b.reason) && text(&a.action, &b.action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ToolId;
    use proptest::prelude::*;
    use std::borrow::Cow;

    fn entry(tool: u32, reason: &str, sig: u8) -> LoggedIntervention {
        LoggedIntervention {
            tool: Some(ToolId(tool)),
            action: Cow::Borrowed("cache"),
            reason: Cow::Owned(reason.to_string()),
            args_sig: Some([sig; 32]),
        }
    }

    #[test]
    fn a_loop_of_equal_entries_is_one_run_and_reads_back_in_full() {
        let mut log = InterventionLog::default();
        for _ in 0..1000 {
            log.push(entry(0, "identical_toolcall_loop_cache", 1), 100_000);
        }
        log.push(entry(0, "identical_toolcall_loop", 1), 100_000);
        assert_eq!((log.len(), log.runs.len()), (1001, 2));
        assert_eq!(log.iter().count(), 1001);
        assert_eq!(log.iter().next_back().unwrap().reason, "identical_toolcall_loop");
    }

    #[test]
    fn an_entry_differing_in_any_field_starts_a_run() {
        let base = entry(0, "r", 1);
        let others = [
            LoggedIntervention { tool: None, ..base.clone() },
            LoggedIntervention { action: Cow::Borrowed("block"), ..base.clone() },
            LoggedIntervention { reason: Cow::Borrowed("s"), ..base.clone() },
            LoggedIntervention { args_sig: None, ..base.clone() },
            LoggedIntervention { args_sig: Some([2; 32]), ..base.clone() },
        ];
        for other in others {
            let log = InterventionLog::from_entries([base.clone(), other.clone(), base.clone()], 10);
            assert_eq!(log.runs.len(), 3, "{other:?}");
            assert_eq!(log.iter().cloned().collect::<Vec<_>>(), [base.clone(), other, base.clone()]);
        }
    }

    proptest! {
        // Read back, the log is what a plain queue of the last `cap`
        // entries holds, after any sequence of pushes (few distinct
        // entries, so that runs form and are cut by the cap).
        #[test]
        fn reads_back_as_a_queue_of_the_last_entries(
            picks in proptest::collection::vec((0u32..2, 0u8..2), 0..200),
            cap in 1usize..20,
        ) {
            let mut log = InterventionLog::default();
            let mut queue = VecDeque::new();
            for (tool, sig) in picks {
                let e = entry(tool, "r", sig);
                log.push(e.clone(), cap);
                if queue.len() >= cap {
                    queue.pop_front();
                }
                queue.push_back(e);
                prop_assert_eq!(log.len(), queue.len());
            }
            prop_assert_eq!(log.iter().collect::<Vec<_>>(), queue.iter().collect::<Vec<_>>());
            prop_assert_eq!(log.iter().rev().collect::<Vec<_>>(), queue.iter().rev().collect::<Vec<_>>());
            prop_assert!(log.runs.iter().all(|(_, n)| *n >= 1));
            prop_assert!(log.runs.iter().zip(log.runs.iter().skip(1)).all(|(a, b)| a.0 != b.0));
            let restored = InterventionLog::from_entries(queue.iter().cloned(), cap);
            prop_assert_eq!(restored, log);
        }
    }
}
