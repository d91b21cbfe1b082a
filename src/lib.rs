//! Chronicle, the web app: a board that keeps every change as an event, in the browser.
//!
//! - `ui` holds the Leptos components, one page or panel per file. They talk to the
//!   [`service::BoardService`] and to an open board's [`service::OpenBoard`], never below.
//! - [`service`] is the one way from the screen to what is kept: the one save sequence, opening,
//!   importing, exporting, sharing.
//! - [`session::Session`] is an open board's state machine: what is shown, what is saved, and the
//!   writes between.
//! - [`storage`] is the only module that talks to IndexedDB; [`remote`] the only one that talks
//!   to the server; [`sync`] drives a board's sync; [`tabs`] tells the other tabs; [`crypto`]
//!   seals and opens a private board's events with WebCrypto.

pub mod boards;
pub mod clock;
pub mod crypto;
pub mod remote;
pub mod service;
pub mod session;
pub mod shell;
pub mod storage;
pub mod sync;
pub mod tabs;
pub mod text;
pub mod transfer;
mod ui;

/// Mounts the app on the page's body.
pub fn mount() {
    console_error_panic_hook::set_once();
    // Before any board is read: ids from a shared board cannot be chosen to collide.
    chronicle_board::seed_id_hashes(clock::hash_key());
    // The static first paint of index.html stays until storage has opened (see `ui::App`).
    leptos::mount::mount_to_body(ui::App);
}
