//! Text decoding: UTF-8 (with or without BOM), UTF-16 with BOM, otherwise
//! GB18030, chunk by chunk.

use super::CHUNK;
use super::ReadError;
use super::detect::read_full;
use encoding_rs::{CoderResult, Decoder, Encoding, GB18030, UTF_8};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

// Text decoding

/// Decoded text of a file, one chunk at a time.
///
/// A BOM decides the encoding; otherwise ASCII passes through until the first non-ASCII bytes, which
/// decide between UTF-8 (if valid) and GB18030.
pub(super) struct TextInput<R> {
    src: R,
    raw: Vec<u8>,
    /// Bytes kept while the encoding is still undecided (an incomplete sequence at a chunk's end).
    carry: Vec<u8>,
    pub(super) text: String,
    pub(super) pos: usize,
    decoder: Option<Decoder>,
    started: bool,
    done: bool,
}

impl<R: Read> TextInput<R> {
    pub(super) fn new(src: R) -> Self {
        TextInput {
            src,
            raw: vec![0; CHUNK],
            carry: Vec::new(),
            text: String::with_capacity(CHUNK + CHUNK / 2),
            pos: 0,
            decoder: None,
            started: false,
            done: false,
        }
    }

    /// Makes unread text available; `false` at the end of the input.
    pub(super) fn fill(&mut self) -> io::Result<bool> {
        while self.pos >= self.text.len() {
            if self.done {
                return Ok(false);
            }
            self.text.clear();
            self.pos = 0;
            self.decode_next()?;
        }
        Ok(true)
    }

    /// The unread text of the current chunk.
    pub(super) fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn decode_next(&mut self) -> io::Result<()> {
        let n = read_full(&mut self.src, &mut self.raw)?;
        let last = n < self.raw.len();
        if last {
            self.done = true;
        }
        let mut start = 0;
        if !self.started {
            self.started = true;
            if let Some((encoding, bom)) = Encoding::for_bom(self.raw.get(..n).unwrap_or_default()) {
                self.decoder = Some(encoding.new_decoder_without_bom_handling());
                start = bom;
            }
        }
        let chunk = self.raw.get(start..n).unwrap_or_default();
        if let Some(decoder) = self.decoder.as_mut() {
            decode_into(decoder, chunk, &mut self.text, last);
            return Ok(());
        }
        self.carry.extend_from_slice(chunk);
        let high = self.carry.iter().position(|b| !b.is_ascii());
        let ascii = self.carry.get(..high.unwrap_or(self.carry.len())).unwrap_or_default();
        self.text.push_str(std::str::from_utf8(ascii).unwrap_or_default());
        let Some(h) = high else {
            self.carry.clear();
            return Ok(());
        };
        let rest = self.carry.get(h..).unwrap_or_default();
        let encoding = match std::str::from_utf8(rest) {
            Ok(_) => Some(UTF_8),
            Err(e) if e.error_len().is_some() => Some(GB18030),
            // Valid so far, only an incomplete character at the end.
            Err(e) if e.valid_up_to() > 0 => Some(UTF_8),
            Err(_) if last => Some(GB18030),
            // Nothing but the start of one character: decide with the next chunk.
            Err(_) => None,
        };
        match encoding {
            Some(encoding) => {
                let mut decoder = encoding.new_decoder_without_bom_handling();
                decode_into(&mut decoder, rest, &mut self.text, last);
                self.decoder = Some(decoder);
                self.carry.clear();
            }
            None => {
                self.carry.drain(..h);
            }
        }
        Ok(())
    }
}

fn decode_into(decoder: &mut Decoder, mut src: &[u8], dst: &mut String, last: bool) {
    loop {
        let need = decoder
            .max_utf8_buffer_length(src.len())
            .unwrap_or_else(|| src.len().saturating_mul(3).saturating_add(16));
        dst.reserve(need);
        let (result, read, _) = decoder.decode_to_string(src, dst, last);
        src = src.get(read..).unwrap_or_default();
        if matches!(result, CoderResult::InputEmpty) {
            return;
        }
    }
}

/// Opens a text file and refuses binary data and web pages.
pub(super) fn open_text(path: &Path) -> Result<TextInput<File>, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::io(None, &e))?;
    let mut input = TextInput::new(file);
    if !input.fill().map_err(|e| ReadError::io(None, &e))? {
        return Err(ReadError::Empty);
    }
    let head = input.rest();
    if looks_like_web_page(head) {
        return Err(ReadError::WebPage);
    }
    if looks_binary(head) {
        return Err(ReadError::Unrecognized);
    }
    Ok(input)
}

fn looks_binary(text: &str) -> bool {
    let mut total = 0usize;
    let mut bad = 0usize;
    for c in text.chars() {
        total += 1;
        if c == '\0' {
            return true;
        }
        let control =
            (c < ' ' && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1a')) || ('\u{7f}'..'\u{a0}').contains(&c);
        if control || c == '\u{FFFD}' {
            bad += 1;
        }
    }
    bad >= 2 && bad * 100 > total
}

fn looks_like_web_page(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with('<')
        && ["<html", "<table", "<?xml", "<!doctype", "<workbook"]
            .iter()
            .any(|tag| head.contains(tag))
}
