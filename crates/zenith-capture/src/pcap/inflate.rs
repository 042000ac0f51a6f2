//! permessage-deflate (RFC 7692): one side's compressed messages inflated, with the compression
//! context carried from message to message unless the sender starts afresh each time.

use flate2::{Decompress, FlushDecompress, Status};

/// The end of a sync flush, which the sender leaves off each message (RFC 7692, 7.2.2).
const SYNC_TAIL: [u8; 4] = [0, 0, 0xff, 0xff];

/// One side's inflater. The rust backend of `flate2` always keeps a 32 KiB window, which
/// inflates what any smaller window agreed in the upgrade compressed.
pub(super) struct Inflater {
    decompress: Decompress,
    /// The sender starts afresh with every message.
    no_context_takeover: bool,
    /// Under context takeover, a message that could not be inflated (or was not read) left the
    /// context the sender's later messages refer to unknown: they cannot be inflated.
    broken: bool,
}

impl Inflater {
    pub fn new(no_context_takeover: bool) -> Inflater {
        Inflater { decompress: Decompress::new(false), no_context_takeover, broken: false }
    }

    /// A compressed message that is not inflated (unreadable for another reason): under context
    /// takeover, the context it would have moved on is lost with it.
    pub fn skip(&mut self) {
        self.broken |= !self.no_context_takeover;
    }

    /// Inflates one message, at most `max` bytes of it; else why it cannot be.
    pub fn inflate(&mut self, data: &[u8], max: usize) -> Result<Vec<u8>, String> {
        if self.no_context_takeover {
            self.decompress.reset(false);
        }
        if self.broken {
            return Err("the compressed message cannot be inflated: an earlier message of this direction broke the \
                        shared compression context (context takeover)"
                .to_owned());
        }
        let mut output = Output { bytes: Vec::with_capacity((data.len() * 4).min(max).max(64)), max, too_large: false };
        for input in [data, &SYNC_TAIL] {
            if let Err(reason) = self.run(input, &mut output) {
                self.skip();
                return Err(format!("the compressed message does not inflate: {reason}"));
            }
        }
        if output.too_large || output.bytes.len() > max {
            // The whole message was inflated, so the context stays whole.
            return Err(format!("the compressed message inflates to more than {max} bytes"));
        }
        output.bytes.shrink_to_fit();
        Ok(output.bytes)
    }

    /// Inflates all of `input` into `output`.
    fn run(&mut self, mut input: &[u8], output: &mut Output) -> Result<(), String> {
        loop {
            output.make_room();
            let (read_before, written_before) = (self.decompress.total_in(), output.bytes.len());
            let status = self
                .decompress
                .decompress_vec(input, &mut output.bytes, FlushDecompress::Sync)
                .map_err(|e| e.to_string())?;
            let used = (self.decompress.total_in() - read_before) as usize;
            input = &input[used..];
            if status == Status::StreamEnd {
                return Ok(());
            }
            // The inflater may hand over bytes from its window without reading any input:
            // progress is input read or output written. None, with all input read, is the end.
            if used == 0 && output.bytes.len() == written_before {
                return if input.is_empty() { Ok(()) } else { Err("the compressed data is malformed".into()) };
            }
        }
    }
}

/// A message's inflated bytes, held up to `max`. Its room grows up to one byte past `max`, never
/// beyond; once past, the bytes are dropped and inflating goes on into a small
/// buffer, only to keep the compression context.
struct Output {
    bytes: Vec<u8>,
    max: usize,
    too_large: bool,
}

/// Up to this capacity, the output's room doubles as it fills.
const GROW_BY_DOUBLING: usize = 1 << 20;

/// The buffer inflated into once a message is known to be over the limit.
const SCRATCH_BYTES: usize = 32 * 1024;

impl Output {
    /// Leaves room for at least one more byte.
    fn make_room(&mut self) {
        let (length, capacity) = (self.bytes.len(), self.bytes.capacity());
        if length < capacity {
            return;
        }
        if self.too_large || length > self.max {
            if !self.too_large {
                self.too_large = true;
                self.bytes = Vec::with_capacity(SCRATCH_BYTES);
            }
            self.bytes.clear();
            return;
        }
        // Past a mebibyte, room for the whole limit at once: the system maps its pages as they
        // are written, while growing by steps would leave each smaller buffer behind, resident.
        let room = if capacity < GROW_BY_DOUBLING { capacity.max(64) * 2 } else { self.max + 1 };
        self.bytes.reserve_exact(room.min(self.max + 1) - length);
    }
}

#[cfg(test)]
mod tests {
    use flate2::{Compress, Compression, FlushCompress};

    use super::*;

    /// Messages as a sender with context takeover writes them.
    fn compress(messages: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let mut compress = Compress::new(Compression::default(), false);
        messages
            .iter()
            .map(|message| {
                let mut out = Vec::with_capacity(message.len() + 1024);
                compress.compress_vec(message, &mut out, FlushCompress::Sync).unwrap();
                assert!(out.ends_with(&SYNC_TAIL));
                out.truncate(out.len() - 4);
                out
            })
            .collect()
    }

    #[test]
    fn output_held_in_the_window_is_not_taken_for_malformed_data() {
        // 40 KB that compress far better than 4 to 1, then the same again: both cross 32 KiB
        // boundaries of the direction's running total.
        let big: Vec<u8> = b"Depth!BHP.ASX,".iter().copied().cycle().take(40_000).collect();
        let messages = [big.clone(), b"small".to_vec(), big];
        let mut inflater = Inflater::new(false);
        for (message, compressed) in messages.iter().zip(compress(&messages)) {
            assert_eq!(inflater.inflate(&compressed, 1 << 20).as_ref(), Ok(message));
        }
    }

    #[test]
    fn a_message_is_held_in_room_of_its_own_size() {
        // Room grown by doubling from four times the compressed length would be far larger.
        let message = vec![b'x'; 3_000_000];
        let compressed = compress(std::slice::from_ref(&message));
        let inflated = Inflater::new(true).inflate(&compressed[0], 64 << 20).unwrap();
        assert!(inflated == message, "the message changed");
        assert_eq!(inflated.capacity(), inflated.len());
    }

    #[test]
    fn a_message_over_the_limit_keeps_the_context_and_a_broken_one_loses_it() {
        let messages = [vec![b'a'; 5000], vec![b'b'; 100], vec![b'a'; 5000]];
        let compressed = compress(&messages);
        let mut inflater = Inflater::new(false);
        assert_eq!(
            inflater.inflate(&compressed[0], 1000),
            Err("the compressed message inflates to more than 1000 bytes".into())
        );
        assert_eq!(inflater.inflate(&compressed[1], 1000).as_ref(), Ok(&messages[1]));
        assert!(inflater.inflate(&[0xff; 8], 1000).unwrap_err().starts_with("the compressed message does not inflate"));
        let lost = inflater.inflate(&compressed[2], 1 << 20).unwrap_err();
        assert!(lost.contains("an earlier message of this direction broke the shared compression context"), "{lost}");
    }
}
