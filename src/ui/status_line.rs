//! The status line: this device, how many events the board holds, and whether all is saved.

use leptos::prelude::*;

use super::board_page::BoardContext;

/// The line at the bottom of a board.
#[component]
pub(crate) fn StatusLine() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let events = move || context.shown.with(|p| p.position);
    let unreadable = move || context.shown.with(|p| p.diagnostics.unreadable());
    view! {
        <footer class="status-line" role="status" aria-label="Status">
            <span>{move || format!("Device: {}", context.ws.device_name.get())}</span>
            <span>{move || match events() { 1 => "1 event".to_owned(), n => format!("{n} events") }}</span>
            <span>{move || match context.unsaved.get() { 0 => "All changes saved".to_owned(), n => format!("Saving {n}…") }}</span>
            {move || (unreadable() > 0).then(|| view! {
                <span class="warning">{format!("{} event(s) from a newer version kept, not shown", unreadable())}</span>
            })}
        </footer>
    }
}
