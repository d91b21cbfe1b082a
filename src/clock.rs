//! Ids, time and chance from the browser: the only place the app reads a clock or randomness,
//! and the words for times.

use chronicle_core::Uuid;
use chronicle_core::sealed::base64url;

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
    secure_random::<32>().map(|bytes| base64url(&bytes))
}

/// `N` bytes from the browser's cryptographic generator; `None` when it has none that works,
/// for keys and secrets are never made from weaker randomness.
pub fn secure_random<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    fill_secure_random(&mut bytes).then_some(bytes)
}

/// Fills `bytes` from the browser's cryptographic generator; `false` when it has none that works.
pub fn fill_secure_random(bytes: &mut [u8]) -> bool {
    let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) else { return false };
    // The generator gives at most 65536 bytes a call.
    bytes.chunks_mut(65_536).all(|chunk| crypto.get_random_values_with_u8_array(chunk).is_ok())
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
        _ => date_time(at),
    }
}

/// A date and time in the person's locale, for "what did this board look like last Tuesday",
/// as `Date.toLocaleString` writes it. One formatter serves the page: the browser makes a new one
/// for every `toLocaleString`, a cost the feed and the history would pay for each row.
pub fn date_time(at: i64) -> String {
    use wasm_bindgen::JsValue;
    thread_local! {
        static FORMAT: js_sys::Function = {
            let options = js_sys::Object::new();
            for part in ["year", "month", "day", "hour", "minute", "second"] {
                let _ = js_sys::Reflect::set(&options, &part.into(), &"numeric".into());
            }
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options).format()
        };
    }
    let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
    FORMAT.with(|format| format.call1(&JsValue::NULL, &date).ok().and_then(|text| text.as_string()).unwrap_or_default())
}
