//! Ids, time and chance from the browser: the only place the app reads a clock or randomness,
//! and the words for times.

use chronicle_core::Uuid;

/// Milliseconds since the Unix epoch, by this device's clock.
pub fn now() -> i64 {
    js_sys::Date::now() as i64
}

/// A new UUID v7: time-ordered, with 74 random bits from the browser's cryptographic generator.
pub fn new_id() -> Uuid {
    let mut random = [0u8; 10];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        // Without a working generator (never seen in a supporting browser) the bits stay zero
        // and ids still differ by time; a board still works.
        let _ = crypto.get_random_values_with_u8_array(&mut random);
    }
    uuid::Builder::from_unix_timestamp_millis(now() as u64, &random).into_uuid()
}

/// A new secret: 256 bits from the browser's cryptographic generator, as 43 characters of
/// base64url. `None` when the browser has no working generator: a secret is never made from
/// weaker randomness.
pub fn new_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    let crypto = web_sys::window()?.crypto().ok()?;
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(base64url(&bytes))
}

/// Bytes as base64url without padding (RFC 4648, section 5).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // Each 6 bits is one character; the last takes zero bits after the end.
    let sextet = |bit: usize| -> usize {
        let (byte, shift) = (bit / 8, bit % 8);
        let pair = u16::from(bytes[byte]) << 8 | u16::from(bytes.get(byte + 1).copied().unwrap_or(0));
        usize::from((pair >> (10 - shift)) & 0x3f)
    };
    (0..bytes.len() * 8).step_by(6).map(|bit| char::from(ALPHABET[sextet(bit)])).collect()
}

/// A key for hashing ids, secret to this page: from the cryptographic generator, or where that
/// fails, from `Math.random` (a key only has to be unknown to whoever writes a board's ids).
pub fn hash_key() -> u64 {
    let mut bytes = [0u8; 8];
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    match crypto.map(|c| c.get_random_values_with_u8_array(&mut bytes)) {
        Some(Ok(_)) => u64::from_le_bytes(bytes),
        _ => (js_sys::Math::random() * 2f64.powi(53)) as u64 ^ (now() as u64).rotate_left(32),
    }
}

/// A random number in `0.0..1.0`, to spread retries out (not for anything secret).
pub fn jitter() -> f64 {
    js_sys::Math::random()
}

/// "just now", "3 min ago", "5 h ago", or beyond a day the date and time in the person's locale,
/// for a time in the feed.
pub fn relative(at: i64, now: i64) -> String {
    let seconds = now.saturating_sub(at) / 1000;
    match seconds {
        s if s < 45 => "just now".to_owned(),
        s if s < 90 * 60 => format!("{} min ago", (s + 30) / 60),
        s if s < 24 * 3600 => format!("{} h ago", (s + 1800) / 3600),
        _ => {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
            String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
        }
    }
}

/// A date and time in the person's locale, for "what did this board look like last Tuesday".
pub fn date_time(at: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

#[cfg(test)]
mod tests {
    use super::base64url;

    #[test]
    fn base64url_reads_as_rfc_4648_says() {
        // RFC 4648's test vectors, without padding.
        let cases = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (bytes, text) in cases {
            assert_eq!(base64url(bytes.as_bytes()), text);
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8", "the URL-safe letters");
        assert_eq!(base64url(&[0xab; 32]).len(), 43, "256 bits are 43 characters");
    }
}
