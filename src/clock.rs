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

/// "just now", "3 min ago", "5 h ago", or beyond a day the date and time ([`date_time`]), for a
/// time in the feed.
pub fn relative(at: i64, now: i64) -> String {
    let seconds = now.saturating_sub(at) / 1000;
    match seconds {
        s if s < 45 => "just now".to_owned(),
        s if s < 90 * 60 => format!("{} min ago", (s + 30) / 60),
        s if s < 24 * 3600 => format!("{} h ago", (s + 1800) / 3600),
        _ => date_time(at),
    }
}

/// A date and time by this device's clock and time zone, for "what did this board look like last
/// Tuesday": "5 Dec 2026, 08:45:12". The month is named, so the date reads the same wherever the
/// reader is from. Written here rather than by the browser's `Intl` formatter: the first of those
/// a tab makes loads the locale's data, 10 to 70 ms that a new tab's first frame would wait for,
/// and the app speaks English anyway.
pub fn date_time(at: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    if date.get_time().is_nan() {
        // Beyond the 275,000 years either side of 1970 that a `Date` holds: a time no device
        // wrote, from a log that was tampered with.
        return "an unknown time".to_owned();
    }
    written(LocalTime {
        year: date.get_full_year(),
        month: date.get_month(),
        day: date.get_date(),
        hour: date.get_hours(),
        minute: date.get_minutes(),
        second: date.get_seconds(),
    })
}

/// A moment as a wall clock in the device's time zone reads it; `month` counts from 0, as
/// JavaScript's `Date` does.
#[derive(Debug, Clone, Copy)]
struct LocalTime {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

fn written(t: LocalTime) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.get(t.month as usize).copied().unwrap_or("?");
    format!("{} {month} {}, {:02}:{:02}:{:02}", t.day, t.year, t.hour, t.minute, t.second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_names_its_month_and_pads_the_time() {
        let at = |year, month, day, hour, minute, second| written(LocalTime { year, month, day, hour, minute, second });
        assert_eq!(at(2026, 11, 5, 8, 4, 9), "5 Dec 2026, 08:04:09");
        assert_eq!(at(1970, 0, 1, 0, 0, 0), "1 Jan 1970, 00:00:00");
        assert_eq!(at(2023, 8, 30, 23, 59, 59), "30 Sep 2023, 23:59:59");
    }
}
