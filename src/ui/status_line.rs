//! The status line: this device, how many events the board holds, whether all is saved, and
//! how sync stands.

use chronicle_core::SyncStatus;
use leptos::prelude::*;

use super::board_context::BoardContext;
use crate::clock::now;

/// Sync status in words: "Offline (2 pending)", "Syncing (2 pending)", "Synced 14:05" or the error.
pub(crate) fn describe_sync(status: &SyncStatus) -> String {
    match status {
        SyncStatus::Offline { pending: 0 } => "Offline".to_owned(),
        SyncStatus::Offline { pending } => format!("Offline ({pending} pending)"),
        SyncStatus::Syncing { pending: 0, behind: 0 } => "Syncing".to_owned(),
        SyncStatus::Syncing { pending: 0, behind } => format!("Syncing ({behind} to fetch)"),
        SyncStatus::Syncing { pending, .. } => format!("Syncing ({pending} pending)"),
        SyncStatus::Synced { at } => format!("Synced {}", clock_time(*at)),
        SyncStatus::Stuck { message, pending } => format!("Not all synced ({pending} kept here): {message}"),
        SyncStatus::Deleted { pending: 0 } => "Deleted from the server".to_owned(),
        SyncStatus::Deleted { pending } => format!("Deleted from the server ({pending} never sent, kept here)"),
        SyncStatus::Failed { message, retry_at, pending } => {
            let seconds = (retry_at.saturating_sub(now()) / 1000).max(1);
            let waiting = if *pending > 0 { format!(" {pending} pending.") } else { String::new() };
            format!("Not synced: {message}{waiting} Trying again in {seconds} s.")
        }
    }
}

fn clock_time(at: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!("{:02}:{:02}:{:02}", date.get_hours(), date.get_minutes(), date.get_seconds())
}

/// The line at the bottom of a board.
#[component]
pub(crate) fn StatusLine() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let stream = context.stream();
    let events = move || context.shown.with(|p| p.position);
    let unreadable = move || context.shown.with(|p| p.diagnostics.unreadable());
    let sync = move || {
        context
            .ws
            .sync
            .with(|map| map.get(&stream).cloned())
            .unwrap_or(SyncStatus::Syncing { pending: context.pending.get(), behind: 0 })
    };
    let failed =
        move || matches!(sync(), SyncStatus::Failed { .. } | SyncStatus::Stuck { .. } | SyncStatus::Deleted { .. });
    view! {
        <footer class="status-line" role="status" aria-label="Status">
            <span>{move || format!("Device: {}", context.ws.device_name.get())}</span>
            <span>{move || match events() { 1 => "1 event".to_owned(), n => format!("{n} events") }}</span>
            <span>{move || match context.unsaved.get() { 0 => "All changes saved".to_owned(), n => format!("Saving {n}…") }}</span>
            <span role="status" aria-label="Sync status" class:warning=failed>{move || describe_sync(&sync())}</span>
            {move || (unreadable() > 0).then(|| view! {
                <span class="warning">{format!("{} event(s) from a newer version kept, not shown", unreadable())}</span>
            })}
        </footer>
    }
}
