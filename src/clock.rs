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

/// A random number in `0.0..1.0`, to spread retries out (not for anything secret).
pub fn jitter() -> f64 {
    js_sys::Math::random()
}

/// "just now", "3 min ago", "5 h ago", or beyond a day the date and time in the person's locale,
/// for a time in the feed.
pub fn relative(at: i64, now: i64) -> String {
    let seconds = (now - at) / 1000;
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
