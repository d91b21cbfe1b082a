//! The page's side of the service worker in `sw.js`: registers it, notices when a new build has
//! been installed and is waiting, and switches to it when the person accepts.

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
