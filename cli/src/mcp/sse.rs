//! Reading server-sent events as they stream past, to see the JSON-RPC
//! messages they carry. The bytes themselves are forwarded untouched; this
//! only collects each event's `data` lines.

/// Longest event kept; a longer one is skipped (and still forwarded).
pub struct EventReader {
    buf: Vec<u8>,
    max: usize,
}

impl EventReader {
    pub fn new(max: usize) -> EventReader {
        EventReader { buf: Vec::new(), max }
    }

    /// Feed a chunk; returns the data of each event it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<String> {
        self.buf.extend_from_slice(chunk);
        let mut events = Vec::new();
        while let Some((end, sep)) = find_blank_line(&self.buf) {
            let event: Vec<u8> = self.buf.drain(..end + sep).collect();
            if let Some(data) = data_of(&event[..end]) {
                events.push(data);
            }
        }
        if self.buf.len() > self.max {
            self.buf.clear();
        }
        events
    }
}

/// Where the first event ends (`\n\n`, `\r\n\r\n`) and the separator's length.
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn data_of(event: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(event).ok()?;
    let lines: Vec<&str> =
        text.lines().filter_map(|l| l.strip_prefix("data:")).map(|d| d.strip_prefix(' ').unwrap_or(d)).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_separators() {
        let mut r = EventReader::new(1 << 20);
        assert!(r.feed(b"event: message\nid: 1\ndata: {\"a\"").is_empty());
        assert_eq!(r.feed(b":1}\n\ndata: x\r\n\r\n: comment\n\n"), vec!["{\"a\":1}".to_string(), "x".to_string()]);
        assert_eq!(r.feed(b"data: one\ndata: two\n\n"), vec!["one\ntwo".to_string()]);
    }

    #[test]
    fn an_event_over_the_limit_is_dropped_and_reading_goes_on() {
        let mut r = EventReader::new(8);
        assert!(r.feed(b"data: 0123456789").is_empty());
        assert_eq!(r.feed(b"data: ok\n\n"), vec!["ok".to_string()]);
    }
}
