//! Chronicle, the web app: a board that keeps every change as an event, in the browser.
//!
//! - [`storage`] is the only module that talks to IndexedDB.
//! - [`session::Session`] is an open board: what is shown, what is saved, and the writes between.
//! - `ui` holds the Leptos components, one page or panel per file.

pub mod boards;
pub mod clock;
pub mod remote;
pub mod session;
pub mod shell;
pub mod storage;
pub mod sync;
pub mod tabs;
pub mod transfer;
mod ui;

/// Mounts the app on the page's body.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(ui::App);
}
