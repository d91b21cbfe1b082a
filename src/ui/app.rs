//! The app shell: opens the database, finds this device, and shows the page the URL names.

use std::rc::Rc;

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::board_list::BoardList;
use super::board_page::BoardPage;
use super::workspace::{Route, Workspace};
use crate::clock::new_id;
use crate::storage::{BOARD_PREFIX, DATABASE, Storage, StorageError};
use crate::sync::SyncHub;
use crate::tabs::{Notice, Tabs};

const DEVICE_ID: &str = "device/id";
const DEVICE_NAME: &str = "device/name";

async fn start(
    blocked: RwSignal<bool>,
    replaced: RwSignal<bool>,
) -> Result<(Rc<Storage>, chronicle_core::Uuid, String), StorageError> {
    let storage = Storage::open(DATABASE, move || blocked.set(true)).await?;
    storage.on_replaced(move || replaced.set(true))?;
    let device = match storage.meta(DEVICE_ID).await?.and_then(|id| id.parse().ok()) {
        Some(id) => id,
        None => {
            let id = new_id();
            storage.set_meta(&[(DEVICE_ID, &id.to_string()), (DEVICE_NAME, &guess_device_name())]).await?;
            id
        }
    };
    let name = storage.meta(DEVICE_NAME).await?.unwrap_or_else(guess_device_name);
    Ok((Rc::new(storage), device, name))
}

/// Opens a share link (`#/join/<board>/<token>`): keeps the board's token, starts syncing it, and
/// shows the board. The link is replaced in the address bar and history, so that the token does not
/// linger there.
async fn join_from_link(workspace: Workspace, hash: &str) {
    let Some((stream, token)) = Route::join_link(hash) else { return };
    match workspace.storage().set_sync_token(stream, &token).await {
        Ok(()) => {
            workspace.sync(stream);
            if let Some(window) = web_sys::window() {
                let _ = window.location().replace(&Route::Board(stream).href());
            }
            workspace.route.set(Route::Board(stream));
        }
        Err(e) => workspace.tell(format!("The shared board could not be added. {e}")),
    }
}

/// A first name for this device, from what the browser says it runs on: "Chrome on Linux".
/// The person can change it; it only needs to tell their devices apart in the activity feed.
fn guess_device_name() -> String {
    let agent = web_sys::window().and_then(|w| w.navigator().user_agent().ok()).unwrap_or_default();
    let browser = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
        .iter()
        .find(|(token, _)| agent.contains(token))
        .map_or("Browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Mac OS", "Mac"),
        ("Windows", "Windows"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(token, _)| agent.contains(token))
    .map_or("this device", |(_, name)| name);
    format!("{browser} on {system}")
}

/// The whole app.
#[component]
pub(crate) fn App() -> impl IntoView {
    let ready: RwSignal<Option<Workspace>> = RwSignal::new(None);
    let failure: RwSignal<Option<String>> = RwSignal::new(None);
    let blocked = RwSignal::new(false);
    let replaced = RwSignal::new(false);
    let update_ready = RwSignal::new(false);
    spawn_local(crate::shell::register(move || update_ready.set(true)));
    spawn_local(async {
        crate::shell::ask_to_persist().await;
    });
    spawn_local(async move {
        match start(blocked, replaced).await {
            Ok((storage, device, name)) => {
                let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
                let tabs = Tabs::open();
                let sync = RwSignal::new(std::collections::HashMap::new());
                // Every tab shows every board's sync status, whichever tab does the syncing.
                tabs.subscribe(move |notice| {
                    if let Notice::Sync { stream, status } = notice {
                        sync.update(|map| {
                            map.insert(*stream, status.clone());
                        });
                    }
                })
                .keep();
                let hub = SyncHub::start(Rc::clone(&storage), Rc::clone(&tabs));
                let workspace = Workspace {
                    storage: StoredValue::new_local(Rc::clone(&storage)),
                    device,
                    device_name: RwSignal::new(name),
                    notice: RwSignal::new(None),
                    route: RwSignal::new(Route::from_hash(&hash)),
                    tabs: StoredValue::new_local(tabs),
                    hub: StoredValue::new_local(hub),
                    sync,
                };
                join_from_link(workspace, &hash).await;
                // Every local board syncs, open or not.
                if let Ok(boards) = storage.meta_with_prefix(BOARD_PREFIX).await {
                    for (key, _) in boards {
                        if let Ok(stream) = key[BOARD_PREFIX.len()..].parse() {
                            workspace.sync(stream);
                        }
                    }
                }
                ready.set(Some(workspace));
            }
            Err(e) => failure.set(Some(e.to_string())),
        }
    });
    view! {
        <div class="app">
            {move || update_ready.get().then(|| view! {
                <div class="update" role="status" aria-label="Update">
                    <span>"Update available"</span>
                    <button class="primary small" on:click=move |_| spawn_local(crate::shell::apply_update())>"Reload"</button>
                </div>
            })}
            {move || replaced.get().then(|| view! {
                <div class="replaced" role="alertdialog" aria-label="Chronicle was updated">
                    <div class="panel">
                        <h1>"Chronicle was updated in another tab"</h1>
                        <p>"This tab runs the older version and has stepped aside so the new one can open your boards. Everything saved is kept."</p>
                        <button class="primary" on:click=move |_| {
                            if let Some(window) = web_sys::window() {
                                let _ = window.location().reload();
                            }
                        }>"Reload"</button>
                    </div>
                </div>
            })}
            {move || match (ready.get(), failure.get()) {
                (Some(workspace), _) => view! { <Shell workspace /> }.into_any(),
                (None, Some(error)) => view! {
                    <main class="page centered">
                        <h1>"Chronicle cannot start"</h1>
                        <p role="alert" class="error">{error}</p>
                        <p>"Chronicle keeps your boards in this browser's storage. Check that site data is allowed, then reload."</p>
                    </main>
                }.into_any(),
                (None, None) if blocked.get() => view! {
                    <main class="page centered">
                        <h1>"Waiting for another tab"</h1>
                        <p role="alert">"Chronicle is open in another tab with an older version. Close or reload that tab to continue; nothing is lost."</p>
                    </main>
                }.into_any(),
                (None, None) => view! { <main class="page centered"><p class="muted">"Opening your boards…"</p></main> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Shell(workspace: Workspace) -> impl IntoView {
    provide_context(workspace);
    let handle = window_event_listener(ev::hashchange, move |_| {
        let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
        if Route::join_link(&hash).is_some() {
            spawn_local(async move { join_from_link(workspace, &hash).await });
        } else {
            let route = Route::from_hash(&hash);
            // Setting the route that is already shown would build its page again.
            if workspace.route.get_untracked() != route {
                workspace.route.set(route);
            }
        }
    });
    on_cleanup(move || handle.remove());
    view! {
        <header class="topbar">
            <a class="brand" href="#/">"Chronicle"</a>
            <span class="device-chip" title="This device's name, shown next to its changes">{move || workspace.device_name.get()}</span>
        </header>
        {move || workspace.notice.get().map(|message| view! {
            <div class="notice" role="alert">
                <span>{message}</span>
                <button class="ghost" on:click=move |_| workspace.notice.set(None)>"Dismiss"</button>
            </div>
        })}
        {move || match workspace.route.get() {
            Route::Boards => view! { <BoardList /> }.into_any(),
            Route::Board(stream) => view! { <BoardPage stream /> }.into_any(),
        }}
    }
}
