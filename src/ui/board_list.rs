//! The board list: every board kept in this browser, a way to make a new one, and this device's name.

use chronicle_board::{Command, MAX_NAME, shown_text};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::workspace::{Route, workspace};
use crate::clock::{now, relative};
use crate::service::BoardSummary;

/// The line under the board list's heading, in the words of `index.html`'s first paint, which
/// stays until storage has opened: nothing under the heading changes as the app takes its place.
const LEDE: &str = "Everything is kept in this browser, change by change, and works without a network.";

/// The first page.
#[component]
pub(crate) fn BoardList() -> impl IntoView {
    let ws = workspace();
    let boards: RwSignal<Option<Vec<BoardSummary>>> = RwSignal::new(None);
    // Whether the list has been read once, or could not be: what follows it on the page waits
    // for that, so that nothing moves when the list takes its place.
    let listed = RwSignal::new(false);
    let reload = move || {
        spawn_local(async move {
            match ws.service().list().await {
                Ok(list) => boards.set(Some(list)),
                Err(e) => ws.tell(e.to_string()),
            }
            listed.set(true);
        });
    };
    reload();

    let new_name = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_name.get_untracked();
        error.set(None);
        spawn_local(async move {
            match ws.service().create(&name, &ws.device_name.get_untracked()).await {
                Ok(stream) => ws.go(Route::Board(stream)),
                Err(e) => error.set(Some(format!("The board was not created. {e}"))),
            }
        });
    };

    let import_error: RwSignal<Option<String>> = RwSignal::new(None);
    // The name of the file being imported: a long history takes a few seconds, and the picker
    // waits meanwhile rather than starting a second import.
    let importing: RwSignal<Option<String>> = RwSignal::new(None);
    let import = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        // The same file can be chosen again after a refusal.
        input.set_value("");
        import_error.set(None);
        importing.set(Some(file.name()));
        spawn_local(async move {
            match ws.service().import(&file).await {
                Ok(stream) => ws.go(Route::Board(stream)),
                Err(e) => import_error.set(Some(format!("Nothing was imported. {e}"))),
            }
            importing.set(None);
        });
    };

    view! {
        <main class="page boards-page">
            <div class="page-head">
                <h1>"Your boards"</h1>
                <p class="muted">{LEDE}</p>
            </div>
            <form class="new-board" on:submit=create>
                <input type="text" aria-label="New board name" placeholder="Untitled board" maxlength=MAX_NAME bind:value=new_name />
                <button type="submit" class="primary">"New board"</button>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </form>
            <div class="import">
                <label class="button-like small">
                    "Import a board from a history file"
                    <input type="file" class="visually-hidden" accept=".jsonl,.ndjson,application/x-ndjson,text/plain"
                        disabled=move || importing.get().is_some() on:change=import />
                </label>
                {move || importing.get().map(|name| view! { <p class="small muted" role="status">{format!("Importing “{name}”…")}</p> })}
                {move || import_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </div>
            {move || match boards.get() {
                None => view! { <p class="muted">"Loading boards…"</p> }.into_any(),
                Some(list) if list.is_empty() => view! {
                    <p class="empty">"No boards yet. Name one above and press New board."</p>
                }.into_any(),
                Some(list) => view! {
                    <ul class="board-grid" aria-label="Boards">
                        {list.into_iter().map(|summary| view! { <BoardTile summary on_renamed=Callback::new(move |_| reload()) /> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            <Show when=move || listed.get()>
                <DeviceSettings />
            </Show>
        </main>
    }
}

#[component]
fn BoardTile(summary: BoardSummary, on_renamed: Callback<()>) -> impl IntoView {
    let ws = workspace();
    let renaming = RwSignal::new(false);
    let name = RwSignal::new(summary.name.clone());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let stream = summary.stream;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            let command = Command::RenameBoard { name: name.get_untracked() };
            match ws.service().run(stream, command, &ws.device_name.get_untracked()).await {
                Ok(()) => {
                    renaming.set(false);
                    on_renamed.run(());
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <li class="board-tile">
            <Show when=move || renaming.get() fallback=move || view! {
                <a class="board-link" href=Route::Board(stream).href()>{shown_text(&summary.name, MAX_NAME).into_owned()}</a>
                <p class="muted small">{
                    let changed = summary.last_change.map(|at| format!(" · changed {}", relative(at, now()))).unwrap_or_default();
                    format!("{} cards · {} events{changed}", summary.cards, summary.events)
                }</p>
                {summary.problem.clone().map(|p| view! { <p class="warning small">{p}</p> })}
                <button class="ghost small" aria-label=format!("Rename {}", shown_text(&summary.name, MAX_NAME)) on:click=move |_| renaming.set(true)>"Rename"</button>
            }>
                <form class="inline-form" on:submit=save>
                    <input type="text" aria-label="Board name" maxlength=MAX_NAME bind:value=name />
                    <button type="submit" class="primary small">"Save"</button>
                    <button type="button" class="ghost small" on:click=move |_| renaming.set(false)>"Cancel"</button>
                    {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </form>
            </Show>
        </li>
    }
}

#[component]
fn DeviceSettings() -> impl IntoView {
    let ws = workspace();
    let name = RwSignal::new(ws.device_name.get_untracked());
    let status: RwSignal<Option<String>> = RwSignal::new(None);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = name.get_untracked();
        spawn_local(async move {
            match ws.service().set_device_name(&value).await {
                Ok(value) => {
                    ws.device_name.set(value);
                    status.set(Some("Saved. Your next changes on each board carry this name.".to_owned()));
                }
                Err(e) => status.set(Some(e.to_string())),
            }
        });
    };
    let usage: RwSignal<Option<crate::shell::StorageUse>> = RwSignal::new(None);
    spawn_local(async move { usage.set(crate::shell::storage_use().await) });
    view! {
        <section class="settings" aria-labelledby="device-heading">
            <h2 id="device-heading">"This device"</h2>
            <form class="inline-form" on:submit=save>
                <label for="device-name">"Device name"</label>
                <input id="device-name" type="text" maxlength=MAX_NAME bind:value=name />
                <button type="submit" class="small">"Save name"</button>
            </form>
            {move || status.get().map(|s| view! { <p class="small muted" role="status">{s}</p> })}
            {move || usage.get().map(|u| {
                let kept = if u.persisted {
                    "The browser keeps this data even when the disk runs low."
                } else {
                    "The browser may clear this data if the disk runs very low; install Chronicle as an app to keep it."
                };
                view! {
                    <p class="small muted">
                        {format!("Storage: {} used of {} available.", crate::shell::human_size(u.used), crate::shell::human_size(u.quota))}
                    </p>
                    <p class="small muted">{kept}</p>
                }
            })}
        </section>
    }
}
