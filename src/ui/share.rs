//! Sharing a board: a link that carries the board's id, its server token and (for a private
//! board) its key in the URL fragment, which browsers never send to a server, so neither secret
//! reaches a log or the server. Stopping sharing deletes the board from the server, so that every
//! link to it stops working, and keeps a private copy here.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::board_context::BoardContext;
use super::workspace::Route;

/// The "Share" button and what it opens.
#[component]
pub(crate) fn SharePanel() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let open = RwSignal::new(false);
    let link: RwSignal<Option<String>> = RwSignal::new(None);
    let copied = RwSignal::new(false);
    let stopping = RwSignal::new(false);
    let working = RwSignal::new(false);
    let stop = move |_| {
        working.set(true);
        let (ws, stream) = (context.ws, context.stream());
        spawn_local(async move {
            match ws.service().stop_sharing(stream).await {
                Ok(copy) => {
                    ws.go(Route::Board(copy));
                    ws.tell(
                        "Sharing stopped: the board was deleted from the server, and every old link stops working. \
                         This is its private copy, with a new link of its own.",
                    );
                }
                Err(e) => ws.tell(e.to_string()),
            }
            working.try_set(false);
        });
    };
    let show = move |_| {
        copied.set(false);
        open.update(|o| *o = !*o);
        spawn_local(async move {
            let shared = context.board().share_link().await.ok().flatten();
            let base = web_sys::window()
                .and_then(|w| Some(format!("{}{}", w.location().origin().ok()?, w.location().pathname().ok()?)))
                .unwrap_or_default();
            link.set(shared.map(|shared| shared.url(&base)));
        });
    };
    let copy = move |_| {
        if let (Some(text), Some(window)) = (link.get_untracked(), web_sys::window()) {
            let promise = window.navigator().clipboard().write_text(&text);
            spawn_local(async move {
                copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
            });
        }
    };
    view! {
        <button class="ghost small" aria-expanded=move || open.get().to_string() on:click=show>"Share"</button>
        <Show when=move || open.get()>
            <div class="share panel" role="dialog" aria-label="Share this board">
                {move || match link.get() {
                    Some(url) => view! {
                        <p>"Open this link on your other devices to keep this board on them too. Anyone with the link can read and change the board; keep it as you would a password."</p>
                        <div class="share-row">
                            <input type="text" readonly=true aria-label="Share link" prop:value=url.clone()
                                on:focus=move |ev| { event_target::<web_sys::HtmlInputElement>(&ev).select(); } />
                            <button class="primary small" on:click=copy>"Copy link"</button>
                        </div>
                        {move || copied.get().then(|| view! { <p class="muted small" role="status">"Copied."</p> })}
                        <Show when=move || !stopping.get() fallback=move || view! {
                            <p>"Stop sharing? The board is deleted from the server, so every link to it stops working, and this browser keeps a private copy with a new link. Other devices keep what they have, read-only."</p>
                            <div class="confirm-actions">
                                <button class="danger small" disabled=move || working.get() on:click=stop>"Yes, stop sharing"</button>
                                <button class="ghost small" on:click=move |_| stopping.set(false)>"Keep sharing"</button>
                            </div>
                        }>
                            <button class="ghost small" on:click=move |_| stopping.set(true)>"Stop sharing"</button>
                        </Show>
                    }.into_any(),
                    None => view! {
                        <p>"This board has not reached the sync server yet. Its link appears here once it has synced; edits are kept here meanwhile."</p>
                    }.into_any(),
                }}
                <button class="ghost small" on:click=move |_| open.set(false)>"Close"</button>
            </div>
        </Show>
    }
}
