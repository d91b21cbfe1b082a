//! The app shell: opens the database, finds this device, and shows the page the URL names.

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::board_list::BoardList;
use super::board_page::BoardPage;
use super::shortcuts::Shortcuts;
use super::workspace::{Route, Workspace};
use crate::service::{BoardService, Notice, ShareLink};

/// Opens a share link: keeps the board's token, starts syncing it, and shows the board. The link
/// is replaced in the address bar and history, so that the token does not linger there.
async fn join_from_link(workspace: Workspace, link: ShareLink) {
    match workspace.service().join(&link).await {
        Ok(joined) => {
            if let Some(notice) = joined.notice() {
                workspace.tell(notice);
            }
            let route = Route::Board(link.stream);
            if let Some(window) = web_sys::window() {
                let _ = window.location().replace(&route.href());
            }
            workspace.route.set(route);
        }
        Err(e) => workspace.tell(format!("The shared board could not be added. {e}")),
    }
}

fn fragment() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
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
    // A page the browser brings back from its back/forward cache starts afresh: what it was
    // storing was aborted when it was put aside (see `Storage`), and the other tabs' notices
    // passed it by.
    let restored = window_event_listener(ev::pageshow, |event| {
        if event.persisted() {
            let _ = window().location().reload();
        }
    });
    on_cleanup(move || restored.remove());
    spawn_local(async {
        crate::shell::ask_to_persist().await;
    });
    spawn_local(async move {
        match BoardService::start(move || blocked.set(true), move || replaced.set(true)).await {
            Ok((service, name)) => {
                let hash = fragment();
                let sync = RwSignal::new(std::collections::HashMap::new());
                // Every tab shows every board's sync status, whichever tab does the syncing.
                service
                    .subscribe(move |notice| {
                        if let Notice::Sync { stream, status } = notice {
                            sync.update(|map| {
                                map.insert(*stream, status.clone());
                            });
                        }
                    })
                    .keep();
                let workspace = Workspace {
                    service: StoredValue::new_local(service),
                    device_name: RwSignal::new(name),
                    notice: RwSignal::new(None),
                    route: RwSignal::new(Route::from_hash(&hash)),
                    sync,
                };
                if let Some(link) = ShareLink::from_fragment(&hash) {
                    join_from_link(workspace, link).await;
                }
                ready.set(Some(workspace));
            }
            Err(e) => failure.set(Some(e.to_string())),
        }
    });
    // Until storage has opened, the static first paint of index.html stays as it is and the app
    // shows nothing: the page does not change before the page a person asked for is ready, and
    // the first paint's text stays the largest painted (the app taking its place before the
    // browser had reported its paint made the largest paint wait for the app).
    let opening =
        move || ready.with(Option::is_none) && failure.with(Option::is_none) && !blocked.get() && !replaced.get();
    Effect::new(move |_| {
        if !opening()
            && let Some(first_paint) = document().get_element_by_id("first-paint")
        {
            first_paint.remove();
        }
    });
    view! {
        <div class="app" hidden=opening>
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
                (None, None) => ().into_any(),
            }}
        </div>
    }
}

#[component]
fn Shell(workspace: Workspace) -> impl IntoView {
    provide_context(workspace);
    let handle = window_event_listener(ev::hashchange, move |_| {
        let hash = fragment();
        if let Some(link) = ShareLink::from_fragment(&hash) {
            spawn_local(join_from_link(workspace, link));
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
            <span class="topbar-end">
                <Shortcuts />
                <span class="device-chip" title="This device's name, shown next to its changes">{move || workspace.device_name.get()}</span>
            </span>
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
