//! Stdio framing of MCP: one JSON-RPC message per line, UTF-8, no embedded
//! newlines. Reading keeps at most `max` bytes of a line: a longer one is
//! skipped to its end and reported, so one oversized frame costs neither
//! memory nor the connection.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

/// What one read produced.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// A line without its line ending (`\n` or `\r\n`).
    Line(Vec<u8>),
    /// A line of this many bytes, over the limit; its bytes were dropped.
    TooLong(usize),
    /// The peer closed its end.
    Eof,
}

/// Read the next non-blank line.
pub async fn read_frame<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> io::Result<Frame> {
    loop {
        let mut line = Vec::new();
        let mut seen = 0usize;
        let mut ended = false;
        while !ended {
            let available = reader.fill_buf().await?;
            if available.is_empty() {
                break;
            }
            let (chunk, used) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    ended = true;
                    (&available[..i], i + 1)
                }
                None => (available, available.len()),
            };
            seen += chunk.len();
            if seen <= max {
                line.extend_from_slice(chunk);
            } else if !line.is_empty() {
                line = Vec::new();
            }
            reader.consume(used);
        }
        if !ended && seen == 0 {
            return Ok(Frame::Eof);
        }
        if seen > max {
            return Ok(Frame::TooLong(seen));
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            if !ended {
                return Ok(Frame::Eof);
            }
            continue;
        }
        return Ok(Frame::Line(line));
    }
}

/// Write one message and its newline, then flush (the peer waits for it).
pub async fn write_frame<W: AsyncWrite + Unpin>(writer: &mut W, message: &[u8]) -> io::Result<()> {
    writer.write_all(message).await?;
    writer.write_all(b"\n").await?;
    writer.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8], max: usize) -> Vec<Frame> {
        let mut r = tokio::io::BufReader::with_capacity(4, input);
        let mut out = Vec::new();
        loop {
            let f = read_frame(&mut r, max).await.unwrap();
            let end = f == Frame::Eof;
            out.push(f);
            if end {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn lines_blank_lines_crlf_and_a_last_line_without_newline() {
        let got = frames(b"{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}", 100).await;
        assert_eq!(
            got,
            vec![
                Frame::Line(b"{\"a\":1}".to_vec()),
                Frame::Line(b"{\"b\":2}".to_vec()),
                Frame::Line(b"{\"c\":3}".to_vec()),
                Frame::Eof
            ]
        );
    }

    #[tokio::test]
    async fn an_oversized_line_is_skipped_and_reading_goes_on() {
        let got = frames(b"0123456789abcdef\nok\n", 8).await;
        assert_eq!(got, vec![Frame::TooLong(16), Frame::Line(b"ok".to_vec()), Frame::Eof]);
    }
}
