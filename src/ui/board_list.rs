//! The board list: every board kept in this browser, a way to make a new one, and this device's name.

use chronicle_board::{BoardProjections, Command};
use chronicle_core::Uuid;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::workspace::{Route, Workspace, workspace};
use crate::boards;
use crate::clock::{new_id, now};
use crate::session::Session;
use crate::storage::{BOARD_PREFIX, LogState, StorageError};
use crate::transfer::import_lines;

/// Largest history file taken in, in bytes.
const MAX_IMPORT_BYTES: f64 = 256e6;

#[derive(Debug, Clone, PartialEq)]
struct Summary {
    stream: Uuid,
    name: String,
    cards: usize,
    events: u64,
    problem: Option<String>,
}

/// Reads a board's summary.
async fn summarise(ws: Workspace, stream: Uuid) -> Summary {
    match boards::open(&ws.storage(), stream).await {
        Ok(opened) => {
            let p = &opened.projections;
            let name = if p.board.name().is_empty() { "Untitled board".to_owned() } else { p.board.name().to_owned() };
            Summary {
                stream,
                name,
                cards: p.board.live_cards(),
                events: p.position,
                problem: opened.problems.first().cloned(),
            }
        }
        Err(e) => {
            Summary { stream, name: "Unreadable board".to_owned(), cards: 0, events: 0, problem: Some(e.to_string()) }
        }
    }
}

/// The first page.
#[component]
pub(crate) fn BoardList() -> impl IntoView {
    let ws = workspace();
    let boards: RwSignal<Option<Vec<Summary>>> = RwSignal::new(None);
    let reload = move || {
        spawn_local(async move {
            match ws.storage().meta_with_prefix(BOARD_PREFIX).await {
                Ok(entries) => {
                    let mut list = Vec::new();
                    for (key, _) in entries {
                        if let Ok(stream) = key[BOARD_PREFIX.len()..].parse() {
                            list.push(summarise(ws, stream).await);
                        }
                    }
                    // Newest first: ids are time-ordered.
                    list.sort_by_key(|b| std::cmp::Reverse(b.stream));
                    boards.set(Some(list));
                }
                Err(e) => ws.tell(e.to_string()),
            }
        });
    };
    reload();

    let new_name = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_name.get_untracked();
        let name = if name.trim().is_empty() { "Untitled board".to_owned() } else { name };
        let stream = new_id();
        let mut session =
            Session::new(stream, ws.device, BoardProjections::default(), 0, LogState::default(), Vec::new());
        let mut shown = BoardProjections::default();
        let command = Command::CreateBoard { name, columns: [new_id(), new_id(), new_id()] };
        match session.execute(&mut shown, command, &ws.device_name.get_untracked(), now(), new_id) {
            Err(rejection) => error.set(Some(rejection.to_string())),
            Ok(_) => {
                error.set(None);
                spawn_local(async move {
                    if let Some((revision, batch)) = session.next_write() {
                        match ws.storage().append(stream, revision, &batch).await {
                            Ok(state) => {
                                ws.written(stream, state);
                                ws.go(Route::Board(stream));
                            }
                            Err(e) => ws.tell(format!("The board was not created. {e}")),
                        }
                    }
                });
            }
        }
    };

    let import_error: RwSignal<Option<String>> = RwSignal::new(None);
    let import = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        // The same file can be chosen again after a refusal.
        input.set_value("");
        import_error.set(None);
        spawn_local(async move {
            let result = async {
                if file.size() > MAX_IMPORT_BYTES {
                    return Err(format!(
                        "The file is {:.0} MB; at most {} MB can be imported.",
                        file.size() / 1e6,
                        MAX_IMPORT_BYTES / 1e6
                    ));
                }
                let text = wasm_bindgen_futures::JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|t| t.as_string())
                    .ok_or("The file could not be read.")?;
                let stream = new_id();
                let events = import_lines(&text, stream, new_id).map_err(|e| e.to_string())?;
                let state = ws.storage().append(stream, 0, &events).await.map_err(|e| e.to_string())?;
                ws.written(stream, state);
                Ok(stream)
            };
            match result.await {
                Ok(stream) => ws.go(Route::Board(stream)),
                Err(message) => import_error.set(Some(format!("Nothing was imported. {message}"))),
            }
        });
    };

    view! {
        <main class="page boards-page">
            <div class="page-head">
                <h1>"Your boards"</h1>
                <p class="muted">"Everything is kept in this browser, change by change, and works without a network."</p>
            </div>
            <form class="new-board" on:submit=create>
                <input type="text" aria-label="New board name" placeholder="Untitled board" maxlength="80" bind:value=new_name />
                <button type="submit" class="primary">"New board"</button>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </form>
            <div class="import">
                <label class="button-like small">
                    "Import a board from a history file"
                    <input type="file" class="visually-hidden" accept=".jsonl,.ndjson,application/x-ndjson,text/plain" on:change=import />
                </label>
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
            <DeviceSettings />
        </main>
    }
}

#[component]
fn BoardTile(summary: Summary, on_renamed: Callback<()>) -> impl IntoView {
    let ws = workspace();
    let renaming = RwSignal::new(false);
    let name = RwSignal::new(summary.name.clone());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let stream = summary.stream;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            let storage = ws.storage();
            let result = async {
                // Another tab or the sync may write this board at the same moment: read it again
                // and decide the rename anew, a few times, before giving up.
                let mut attempts = 0;
                loop {
                    let opened = boards::open(&storage, stream).await.map_err(|e| e.to_string())?;
                    let mut shown = opened.projections;
                    // A rename is one small write: no snapshot is due from it.
                    let mut session =
                        Session::new(stream, ws.device, shown.clone(), u64::MAX / 2, opened.state, opened.pending);
                    let command = Command::RenameBoard { name: name.get_untracked() };
                    session
                        .execute(&mut shown, command, &ws.device_name.get_untracked(), now(), new_id)
                        .map_err(|r| r.to_string())?;
                    let Some((revision, batch)) = session.next_write() else { return Ok(()) };
                    match storage.append(stream, revision, &batch).await {
                        Ok(state) => {
                            ws.written(stream, state);
                            return Ok(());
                        }
                        Err(StorageError::Conflict) if attempts < 3 => attempts += 1,
                        Err(e) => return Err(e.to_string()),
                    }
                }
            };
            match result.await {
                Ok(()) => {
                    renaming.set(false);
                    on_renamed.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <li class="board-tile">
            <Show when=move || renaming.get() fallback=move || view! {
                <a class="board-link" href=Route::Board(stream).href()>{summary.name.clone()}</a>
                <p class="muted small">{format!("{} cards · {} events", summary.cards, summary.events)}</p>
                {summary.problem.clone().map(|p| view! { <p class="warning small">{p}</p> })}
                <button class="ghost small" aria-label=format!("Rename {}", summary.name) on:click=move |_| renaming.set(true)>"Rename"</button>
            }>
                <form class="inline-form" on:submit=save>
                    <input type="text" aria-label="Board name" maxlength="80" bind:value=name />
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
        let value = name.get_untracked().trim().to_owned();
        if value.is_empty() || value.chars().count() > chronicle_board::MAX_NAME {
            status.set(Some(format!("A device name needs 1 to {} characters.", chronicle_board::MAX_NAME)));
            return;
        }
        spawn_local(async move {
            match ws.storage().set_meta(&[("device/name", &value)]).await {
                Ok(()) => {
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
                <input id="device-name" type="text" maxlength="80" bind:value=name />
                <button type="submit" class="small">"Save name"</button>
            </form>
            {move || status.get().map(|s| view! { <p class="small muted" role="status">{s}</p> })}
            {move || usage.get().map(|u| {
                let kept = if u.persisted {
                    "The browser keeps this data even when the disk runs low."
                } else {
                    "The browser may clear this data if the disk runs very low; installing Chronicle as an app makes it keep it."
                };
                view! {
                    <p class="small muted storage-use">
                        {format!("Storage: {} used of {} available. {kept}", crate::shell::human_size(u.used), crate::shell::human_size(u.quota))}
                    </p>
                }
            })}
        </section>
    }
}
