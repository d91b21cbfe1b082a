//! What the app asks of the browser beyond storage itself: the service worker in `sw.js`
//! (registered here; a new build is noticed when installed and taken when the person accepts)
//! and persistent storage with its usage figures.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ServiceWorker, ServiceWorkerRegistration, ServiceWorkerState};

const APPLY_UPDATE: &str = "chronicle-apply-update";

fn worker_container() -> Option<web_sys::ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    // Browsers without service workers (or pages not served from a secure origin) run the app
    // as a plain page.
    js_sys::Reflect::has(&navigator, &JsValue::from_str("serviceWorker")).ok()?.then(|| navigator.service_worker())
}

/// Registers the service worker. `on_update` runs when a new build is installed and waiting.
pub async fn register(on_update: impl Fn() + Clone + 'static) {
    let Some(container) = worker_container() else { return };
    let Ok(registration) = JsFuture::from(container.register("./sw.js")).await else { return };
    let registration: ServiceWorkerRegistration = registration.unchecked_into();
    let controlled = container.controller().is_some();
    if controlled && registration.waiting().is_some() {
        on_update();
    }
    let watched = registration.clone();
    let found = Closure::<dyn FnMut()>::new(move || {
        let Some(worker) = watched.installing() else { return };
        let on_update = on_update.clone();
        let installing = worker.clone();
        let changed = Closure::<dyn FnMut()>::new(move || {
            // A first install is not an update: only a worker that replaces a running one waits.
            let replacing = worker_container().and_then(|c| c.controller()).is_some();
            if installing.state() == ServiceWorkerState::Installed && replacing {
                on_update();
            }
        });
        worker.set_onstatechange(Some(changed.as_ref().unchecked_ref()));
        changed.forget();
    });
    registration.set_onupdatefound(Some(found.as_ref().unchecked_ref()));
    // The registration lives as long as the page.
    found.forget();
}

/// Switches to the waiting build: the new worker takes over and the page reloads onto it.
pub async fn apply_update() {
    let Some(container) = worker_container() else { return reload() };
    let reload_on_change = Closure::<dyn FnMut()>::new(reload);
    container.set_oncontrollerchange(Some(reload_on_change.as_ref().unchecked_ref()));
    reload_on_change.forget();
    let ready = match container.ready() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(_) => None,
    };
    let waiting = ready.and_then(|registration| registration.unchecked_into::<ServiceWorkerRegistration>().waiting());
    match waiting {
        Some(worker) => post(&worker),
        None => reload(),
    }
}

fn post(worker: &ServiceWorker) {
    if worker.post_message(&JsValue::from_str(APPLY_UPDATE)).is_err() {
        reload();
    }
}

fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// How much the browser lets Chronicle keep, and whether it promised to keep it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StorageUse {
    /// Bytes used by this site.
    pub used: f64,
    /// Bytes this site may use in all.
    pub quota: f64,
    /// Whether the browser will keep the data even when the disk runs low.
    pub persisted: bool,
}

fn storage_manager() -> Option<web_sys::StorageManager> {
    let navigator = web_sys::window()?.navigator();
    js_sys::Reflect::has(&navigator, &JsValue::from_str("storage")).ok()?.then(|| navigator.storage())
}

/// Asks the browser to keep Chronicle's data even when space runs low. Browsers decide by their
/// own rules (an installed app, a bookmarked site); the answer is shown in the settings.
pub async fn ask_to_persist() -> bool {
    let Some(manager) = storage_manager() else { return false };
    match manager.persist() {
        Ok(promise) => JsFuture::from(promise).await.ok().and_then(|v| v.as_bool()).unwrap_or(false),
        Err(_) => false,
    }
}

/// The current use of storage, when the browser tells.
pub async fn storage_use() -> Option<StorageUse> {
    let manager = storage_manager()?;
    let estimate = JsFuture::from(manager.estimate().ok()?).await.ok()?;
    let number = |key: &str| js_sys::Reflect::get(&estimate, &JsValue::from_str(key)).ok().and_then(|v| v.as_f64());
    let persisted = match manager.persisted() {
        Ok(promise) => JsFuture::from(promise).await.ok().and_then(|v| v.as_bool()).unwrap_or(false),
        Err(_) => false,
    };
    Some(StorageUse { used: number("usage")?, quota: number("quota")?, persisted })
}

/// "1.4 MB", "12 GB": a size for people.
pub fn human_size(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut size = bytes.max(0.0);
    let mut unit = 0;
    while size >= 1000.0 && unit + 1 < UNITS.len() {
        size /= 1000.0;
        unit += 1;
    }
    // In tenths, as whole numbers: formatting fractions would bring a float formatter into the app.
    let tenths = (size * 10.0).round() as u64;
    if unit == 0 {
        format!("{} {}", tenths / 10, UNITS[0])
    } else {
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(0.0), "0 bytes");
        assert_eq!(human_size(999.0), "999 bytes");
        assert_eq!(human_size(1_400_000.0), "1.4 MB");
        assert_eq!(human_size(12e9), "12.0 GB");
    }
}
