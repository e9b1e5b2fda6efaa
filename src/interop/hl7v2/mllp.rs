//! MLLP (minimal lower layer protocol) framing: `<VT>message<FS><CR>`, the way HL7 v2
//! travels over TCP.
//!
//! A pure codec: [`encode`] wraps a message, and [`Decoder`] takes bytes in whatever chunks
//! the socket delivers and yields whole messages. The decoder never holds more than its
//! limit: a frame that grows past it is reported as [`Hl7Error::TooLarge`] and the rest of it
//! is skipped, so a sender that never sends `<FS>` cannot exhaust memory.

use std::collections::VecDeque;

use super::Hl7Error;

/// Start of a frame (vertical tab).
pub const START: u8 = 0x0b;
/// End of a frame (file separator), followed by [`END_CR`].
pub const END: u8 = 0x1c;
pub const END_CR: u8 = 0x0d;

/// A limit that fits any lab result without embedded documents; callers taking PDFs in OBX-5
/// (`ED`) should pass a larger one.
pub const DEFAULT_MAX_FRAME: usize = 1 << 20;

/// Wraps one message in an MLLP frame.
pub fn encode(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 3);
    out.push(START);
    out.extend_from_slice(message);
    out.push(END);
    out.push(END_CR);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between frames: bytes before a `<VT>` are skipped (keep-alive newlines, noise).
    Idle,
    /// Inside a frame, collecting.
    InFrame,
    /// Just saw `<FS>`: the frame is already out; a `<CR>` here belongs to it.
    AfterEnd,
    /// Inside a frame that went over the limit: skipping to its `<FS>`.
    Discarding,
}

/// Reassembles MLLP frames from byte chunks.
#[derive(Debug)]
pub struct Decoder {
    max_frame: usize,
    state: State,
    buffer: Vec<u8>,
    ready: VecDeque<Result<Vec<u8>, Hl7Error>>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DEFAULT_MAX_FRAME)
    }
}

impl Decoder {
    /// A decoder that refuses frames whose content is longer than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Decoder {
        Decoder {
            max_frame,
            state: State::Idle,
            buffer: Vec::new(),
            ready: VecDeque::new(),
        }
    }

    /// Feeds bytes as they arrived; complete frames become available from [`Decoder::next`].
    ///
    /// A frame ends at `<FS>`: the `<CR>` that should follow is consumed if it comes but not
    /// waited for, so a sender that leaves it out still gets its ACK.
    pub fn push(&mut self, chunk: &[u8]) {
        for &byte in chunk {
            match self.state {
                State::Idle | State::AfterEnd => {
                    if byte == START {
                        self.state = State::InFrame;
                        self.buffer.clear();
                    } else {
                        self.state = State::Idle;
                    }
                }
                State::InFrame => match byte {
                    END => {
                        self.ready.push_back(Ok(std::mem::take(&mut self.buffer)));
                        self.state = State::AfterEnd;
                    }
                    START => {
                        self.ready.push_back(Err(Hl7Error::BadFrame(format!(
                            "a new frame began after {} bytes of one that never ended \
                             (no <FS><CR>); the unfinished one was dropped",
                            self.buffer.len()
                        ))));
                        self.buffer.clear();
                    }
                    _ if self.buffer.len() >= self.max_frame => {
                        self.ready.push_back(Err(Hl7Error::TooLarge {
                            limit: self.max_frame,
                        }));
                        self.buffer = Vec::new();
                        self.state = State::Discarding;
                    }
                    _ => self.buffer.push(byte),
                },
                State::Discarding => match byte {
                    END => self.state = State::AfterEnd,
                    // A sender that gave up on the big frame and starts over.
                    START => {
                        self.state = State::InFrame;
                        self.buffer.clear();
                    }
                    _ => {}
                },
            }
            if self.state == State::AfterEnd && byte == END_CR {
                self.state = State::Idle;
            }
        }
    }

    /// The next whole frame's content (or the error that replaced one), in arrival order.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Result<Vec<u8>, Hl7Error>> {
        self.ready.pop_front()
    }

    /// True while part of a frame has been received: at end of stream, that part is lost.
    pub fn in_frame(&self) -> bool {
        matches!(self.state, State::InFrame | State::Discarding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain(d: &mut Decoder) -> Vec<Result<Vec<u8>, Hl7Error>> {
        std::iter::from_fn(|| d.next()).collect()
    }

    #[test]
    fn one_frame_in_one_chunk() {
        let mut d = Decoder::default();
        d.push(&encode(b"MSH|^~\\&|A\r"));
        assert_eq!(drain(&mut d), vec![Ok(b"MSH|^~\\&|A\r".to_vec())]);
        assert!(!d.in_frame());
    }

    #[test]
    fn frames_split_across_chunks_at_every_point() {
        let mut stream = encode(b"first\rmessage\r");
        stream.extend(encode(b"second"));
        for cut in 0..=stream.len() {
            for cut2 in cut..=stream.len() {
                let mut d = Decoder::new(64);
                d.push(&stream[..cut]);
                d.push(&stream[cut..cut2]);
                d.push(&stream[cut2..]);
                assert_eq!(
                    drain(&mut d),
                    vec![Ok(b"first\rmessage\r".to_vec()), Ok(b"second".to_vec())],
                    "cut at {cut}/{cut2}"
                );
            }
        }
    }

    #[test]
    fn bytes_before_the_start_are_skipped_and_a_missing_cr_tolerated() {
        let mut d = Decoder::default();
        d.push(b"\r\nnoise");
        d.push(&[START, b'a', END]);
        d.push(&[b'\n', START, b'b', END, END_CR]);
        assert_eq!(drain(&mut d), vec![Ok(b"a".to_vec()), Ok(b"b".to_vec())]);
    }

    #[test]
    fn an_oversize_frame_is_an_error_and_the_next_frame_still_reads() {
        let mut d = Decoder::new(8);
        d.push(&[START]);
        d.push(&[b'x'; 5]);
        d.push(&[b'x'; 5]);
        d.push(&[b'x'; 1000]);
        assert!(d.in_frame());
        d.push(&[END, END_CR]);
        d.push(&encode(b"12345678"));
        let got = drain(&mut d);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].as_ref().unwrap_err().code(), "hl7_too_large");
        assert_eq!(got[1], Ok(b"12345678".to_vec()));
        assert!(d.buffer.capacity() <= 64, "the big frame was not kept");
    }

    #[test]
    fn an_unfinished_frame_followed_by_a_new_one_is_reported() {
        let mut d = Decoder::default();
        d.push(&[START, b'a', b'b', START, b'c', END, END_CR]);
        let got = drain(&mut d);
        assert_eq!(got[0].as_ref().unwrap_err().code(), "hl7_bad_frame");
        assert_eq!(got[1], Ok(b"c".to_vec()));
    }

    proptest! {
        #[test]
        fn arbitrary_chunks_never_panic_and_never_exceed_the_limit(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..20)
        ) {
            let mut d = Decoder::new(32);
            for chunk in &chunks {
                d.push(chunk);
                prop_assert!(d.buffer.len() <= 32);
                while let Some(frame) = d.next() {
                    if let Ok(frame) = frame {
                        prop_assert!(frame.len() <= 32);
                    }
                }
            }
        }
    }
}
