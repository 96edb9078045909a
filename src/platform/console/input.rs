//! The console's input: lines as bytes, bounded in length, read so that a
//! `select!` can interrupt a read without losing what was already read.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// The longest input line the console reads (far more than any command); longer lines are skipped whole.
const MAX_LINE_BYTES: usize = 16 * 1024;

/// Input lines as bytes, bounded in length. Cancel-safe: everything read so far lives in the
/// reader, so a line interrupted by a delivery in `select!` is continued, not lost.
pub(super) struct LineReader<R> {
    input: R,
    pending: Vec<u8>,
    /// Inside an over-long line: its bytes are dropped until its end.
    skipping: bool,
}

pub(super) enum Read {
    Line(Vec<u8>),
    TooLong,
    End,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    pub(super) fn new(input: R) -> Self {
        Self { input, pending: Vec::new(), skipping: false }
    }

    pub(super) async fn next(&mut self) -> std::io::Result<Read> {
        loop {
            let room = (MAX_LINE_BYTES + 1).saturating_sub(self.pending.len()).max(1) as u64;
            let n = (&mut self.input).take(room).read_until(b'\n', &mut self.pending).await?;
            let ended = self.pending.last() == Some(&b'\n');
            if n == 0 && self.pending.is_empty() && !self.skipping {
                return Ok(Read::End);
            }
            if ended || n == 0 {
                let mut line = std::mem::take(&mut self.pending);
                if std::mem::take(&mut self.skipping) {
                    return Ok(Read::TooLong);
                }
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Read::Line(line));
            }
            if self.pending.len() > MAX_LINE_BYTES {
                self.pending.clear();
                self.skipping = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn all(bytes: &[u8]) -> Vec<String> {
        let mut r = LineReader::new(bytes);
        let mut out = Vec::new();
        loop {
            match r.next().await.unwrap() {
                Read::Line(l) => out.push(String::from_utf8_lossy(&l).into_owned()),
                Read::TooLong => out.push("<too long>".into()),
                Read::End => return out,
            }
        }
    }

    #[tokio::test]
    async fn lines_are_split_bounded_and_the_last_one_needs_no_newline() {
        assert_eq!(all(b"a: hi\r\nb: yo\nc: end").await, ["a: hi", "b: yo", "c: end"]);
        let long = format!("a: x\n{}\nb: after\n", "y".repeat(MAX_LINE_BYTES * 3));
        assert_eq!(all(long.as_bytes()).await, ["a: x", "<too long>", "b: after"]);
        let tail = "z".repeat(MAX_LINE_BYTES + 5);
        assert_eq!(all(tail.as_bytes()).await, ["<too long>"], "an over-long last line without a newline is skipped too");
        assert!(all(b"").await.is_empty());
    }
}
