//! Long texts out of JavaScript: a stored record's events, a snapshot, a history file.
//!
//! wasm-bindgen's own conversion (`JsValue::as_string`) copies a string into the module's memory
//! one character at a time in JavaScript as long as it is ASCII; the browser's `TextEncoder`
//! does the same copy natively, about ten times faster. For the megabytes of JSON a board's log
//! is kept as, that is tens of milliseconds.

use js_sys::{JsString, Uint8Array};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    type TextEncoder;

    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;

    /// Writes as much of `source` as fits into `destination`, in UTF-8, whole characters only.
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, source: &JsString, destination: &Uint8Array) -> Encoded;

    type Encoded;

    /// UTF-16 code units of the source taken.
    #[wasm_bindgen(method, getter)]
    fn read(this: &Encoded) -> u32;

    /// Bytes written.
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> u32;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// The text of a JavaScript string, as [`JsValue::as_string`] reads it (a lone surrogate becomes
/// U+FFFD); `None` for any other value.
pub fn string_of(value: &JsValue) -> Option<String> {
    let text = value.dyn_ref::<JsString>()?;
    let units = text.length() as usize;
    // An ASCII text takes one byte per code unit, and fits at the first attempt. Otherwise what
    // is left is encoded again into room for the longest it can be, three bytes per code unit.
    let mut bytes: Vec<u8> = Vec::with_capacity(units);
    let mut read = 0;
    while read < units {
        let rest = if read == 0 { text.clone() } else { text.slice(read as u32, units as u32) };
        let spare = bytes.spare_capacity_mut();
        // SAFETY: the view covers the vector's unused capacity, which nothing else refers to, and
        // is let go before anything in this module allocates: only an allocation can grow the
        // module's memory and leave the view behind.
        let encoded = ENCODER.with(|encoder| unsafe {
            let view = Uint8Array::view_mut_raw(spare.as_mut_ptr().cast(), spare.len());
            encoder.encode_into(&rest, &view)
        });
        let written = encoded.written() as usize;
        // SAFETY: the encoder initialised these bytes, within the capacity it was given.
        unsafe { bytes.set_len(bytes.len() + written) };
        read += encoded.read() as usize;
        bytes.reserve((units - read) * 3);
    }
    // SAFETY: `TextEncoder` writes UTF-8 only, whole characters at a time.
    Some(unsafe { String::from_utf8_unchecked(bytes) })
}
