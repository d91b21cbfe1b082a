//! What a person should know about where a board stands: changes that could not be decrypted,
//! a board deleted from the server, a board kept in the clear (with the way to a private copy),
//! and deleting a board.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::board_context::BoardContext;
use super::workspace::Route;

/// "1 change could not be decrypted: it was …" or "3 changes could not be decrypted: they were …".
fn could_not_decrypt(count: u64, why: &str) -> String {
    match count {
        1 => format!("1 change could not be decrypted: it was {why}."),
        n => format!("{n} changes could not be decrypted: they were {why}."),
    }
}

/// The notices above a board.
#[component]
pub(crate) fn BoardNotices() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let counts = move || context.undecrypted();
    let deleted = move || context.deleted();
    let private = context.private().is_some();
    let copying = RwSignal::new(false);
    let private_copy = move |_| {
        copying.set(true);
        let (ws, stream) = (context.ws, context.stream());
        spawn_local(async move {
            match ws.service().private_copy(stream).await {
                Ok(copy) => {
                    ws.go(Route::Board(copy));
                    ws.tell(
                        "This is the private copy: its changes are encrypted before they leave this browser. The board \
                         it was copied from is still there, unchanged.",
                    );
                }
                Err(e) => ws.tell(format!("The private copy could not be made. {e}")),
            }
            copying.try_set(false);
        });
    };
    view! {
        {move || (counts().other_key > 0).then(|| view! {
            <p class="board-notice alert" role="alert">
                {could_not_decrypt(counts().other_key, "sealed with another key")}
                " This browser's key for the board is not the one they were sealed with, so the board is read-only here. \
                 Open the board's share link from a device that shows it, to bring the right key."
            </p>
        })}
        {move || (counts().altered > 0).then(|| view! {
            <p class="board-notice alert" role="alert">
                {could_not_decrypt(counts().altered, "altered on the server")}
                " They are kept here as they came and never applied; the rest of the board works."
            </p>
        })}
        {move || deleted().then(|| view! {
            <div class="board-notice alert" role="alert">
                <strong>"This board was deleted"</strong>
                <p>"One of its devices deleted it from the server. What is here stays, read-only: export its history to keep it, or delete it from this browser."</p>
            </div>
        })}
        {move || (!private && !deleted()).then(|| view! {
            <div class="board-notice" role="note" aria-label="Not encrypted">
                <p>"This board was made before boards were encrypted: the sync server can read it. A private copy is encrypted on this device before anything is sent."</p>
                <button class="small" disabled=move || copying.get() on:click=private_copy>"Start a private copy"</button>
            </div>
        })}
    }
}

/// "Delete board": asks first, removes the board and its history from this browser and, when it
/// is on the server and the person says so, from the server too.
#[component]
pub(crate) fn DeleteBoard() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let asking = RwSignal::new(false);
    let from_server = RwSignal::new(false);
    let synced = RwSignal::new(false);
    let working = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let ask = move |_| {
        error.set(None);
        from_server.set(false);
        asking.set(true);
        spawn_local(async move {
            let linked = context.board().share_link().await.ok().flatten().is_some();
            synced.try_set(linked && !context.deleted());
        });
    };
    let delete = move |_| {
        working.set(true);
        let (ws, stream, from_server) = (context.ws, context.stream(), from_server.get_untracked());
        spawn_local(async move {
            match ws.service().delete_board(stream, from_server).await {
                Ok(()) => {
                    ws.go(Route::Boards);
                    ws.tell("The board was deleted.");
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                    working.try_set(false);
                }
            }
        });
    };
    view! {
        <button class="ghost small danger" on:click=ask>"Delete board"</button>
        <Show when=move || asking.get()>
            <div class="panel confirm" role="dialog" aria-label="Delete this board?">
                <p><strong>"Delete this board?"</strong></p>
                <p>"Its cards and its whole history are removed from this browser. This cannot be undone; export its history first to keep a copy."</p>
                <Show when=move || synced.get()>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || from_server.get()
                            on:change=move |ev| from_server.set(event_target_checked(&ev)) />
                        "Also delete it from the server: every device and every share link loses it"
                    </label>
                </Show>
                <div class="confirm-actions">
                    <button class="danger small" disabled=move || working.get() on:click=delete>"Delete"</button>
                    <button class="ghost small" on:click=move |_| asking.set(false)>"Cancel"</button>
                </div>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </div>
        </Show>
    }
}
