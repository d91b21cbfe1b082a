//! Undo and redo on the board page: the buttons, Ctrl+Z / Cmd+Z and its redo keys outside text
//! fields (where the browser's own text undo stays), and the short notice that offers to undo a
//! move, an archive or a removal just made.

use leptos::prelude::*;

use super::board_context::BoardContext;
use super::shortcuts::typed_in_a_field;

/// The Undo and Redo buttons, and their keys.
#[component]
pub(crate) fn UndoRedo() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let command = ev.ctrl_key() || ev.meta_key();
        if !command || ev.alt_key() || typed_in_a_field(&ev) || context.open_card.get_untracked().is_some() {
            return;
        }
        let key = ev.key().to_lowercase();
        let redo = match (key.as_str(), ev.shift_key()) {
            ("z", false) => false,
            ("z", true) | ("y", false) => true,
            _ => return,
        };
        ev.prevent_default();
        context.undo(redo);
    });
    on_cleanup(move || keys.remove());
    view! {
        <div class="undo-redo" role="group" aria-label="Undo and redo">
            <button class="ghost small" title="Undo your last change here (Ctrl+Z)"
                disabled=move || !context.can_undo_redo.get().0 on:click=move |_| context.undo(false)>"Undo"</button>
            <button class="ghost small" title="Redo (Ctrl+Shift+Z)"
                disabled=move || !context.can_undo_redo.get().1 on:click=move |_| context.undo(true)>"Redo"</button>
        </div>
    }
}

/// The notice that offers, for a few seconds, to undo what was just done.
#[component]
pub(crate) fn UndoOfferNotice() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    view! {
        <div class="undo-offer-region" role="status" aria-live="polite">
            {move || context.offer.get().map(|offer| view! {
                <div class="undo-offer">
                    <span>{offer.done.clone()}</span>
                    <button class="small" aria-label=offer.label.clone() on:click=move |_| context.undo(false)>"Undo"</button>
                </div>
            })}
        </div>
    }
}
