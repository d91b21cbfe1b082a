//! A card: its title and description, buttons to move, edit and archive it, and drag and drop.

use chronicle_board::{Command, MAX_DESCRIPTION, MAX_TITLE};
use chronicle_core::Uuid;
use leptos::prelude::*;

use super::board_context::{BoardContext, CardPlace, CardShown};
use super::card_dialog;

/// The drag-and-drop data type that carries a card id.
pub(crate) const DRAG_TYPE: &str = "application/x-chronicle-card";

/// One card in a column.
#[component]
pub(crate) fn CardView(card: Uuid, column: Uuid) -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let read_only = move || context.read_only();
    // What the card shows, set only when this card's part of the board changes.
    let shown: RwSignal<CardShown> = context.card_shown(card).into();
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let run = move |command: Command| error.set(context.run(command).err().map(|r| r.to_string()));
    let move_to_column = move |offset: isize| {
        let CardPlace { column_index, index: i, .. } = context.card_place(card);
        let target = context.shown.with_untracked(|p| {
            let t = column_index.checked_add_signed(offset)?;
            p.board.columns().get(t).map(|col| (col.id, col.len()))
        });
        if let Some((to, len)) = target {
            run(Command::MoveCard { card, to, index: i.min(len) });
        }
    };
    // Up and down go next to the previous or next card the filter shows (the next card, without
    // a filter), so that what the person sees is what happens; hidden cards keep their order.
    let move_within = move |down: bool| {
        let CardPlace { above, below, .. } = context.card_place(card);
        if let Some(index) = if down { below } else { above } {
            run(Command::MoveCard { card, to: column, index });
        }
    };

    let editing = RwSignal::new(false);
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match context.run(Command::EditCard {
            card,
            title: title.get_untracked(),
            description: description.get_untracked(),
        }) {
            Ok(()) => {
                error.set(None);
                editing.set(false);
            }
            Err(r) => error.set(Some(r.to_string())),
        }
    };
    let start_editing = move |_| {
        let (t, d) = shown.with_untracked(|s| (s.title.clone(), s.description.clone()));
        title.set(t);
        description.set(d);
        editing.set(true);
    };
    let dragstart = move |ev: leptos::ev::DragEvent| {
        if let Some(data) = ev.data_transfer() {
            let _ = data.set_data(DRAG_TYPE, &card.to_string());
            data.set_effect_allowed("move");
        }
    };

    view! {
        <li class="card" data-card=card.to_string() draggable=move || (!editing.get() && !read_only()).to_string() on:dragstart=dragstart>
            <Show when=move || editing.get() fallback=move || view! {
                <button class="card-title" on:click=move |_| card_dialog::open(&context, card)>{move || shown.with(|s| s.title.clone())}</button>
                {move || shown.with(|s| (!s.description.is_empty()).then(|| view! { <p class="card-description">{s.description.clone()}</p> }))}
                <div class="card-actions" class:hidden=read_only>
                    <button class="icon" aria-label="Move left" title="Move left" disabled=move || shown.with(|s| !s.moves.left)
                        on:click=move |_| move_to_column(-1)>"←"</button>
                    <button class="icon" aria-label="Move up" title="Move up" disabled=move || shown.with(|s| !s.moves.up)
                        on:click=move |_| move_within(false)>"↑"</button>
                    <button class="icon" aria-label="Move down" title="Move down" disabled=move || shown.with(|s| !s.moves.down)
                        on:click=move |_| move_within(true)>"↓"</button>
                    <button class="icon" aria-label="Move right" title="Move right" disabled=move || shown.with(|s| !s.moves.right)
                        on:click=move |_| move_to_column(1)>"→"</button>
                    <span class="spacer"></span>
                    <button class="ghost small" on:click=start_editing>"Edit"</button>
                    <button class="ghost small" on:click=move |_| run(Command::ArchiveCard { card })>"Archive"</button>
                </div>
            }>
                <form class="card-editor" on:submit=save on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        error.set(None);
                        editing.set(false);
                    }
                }>
                    <label>"Title"<input type="text" maxlength=MAX_TITLE bind:value=title /></label>
                    <label>"Description"<textarea rows="3" maxlength=MAX_DESCRIPTION bind:value=description></textarea></label>
                    <div class="card-actions">
                        <button type="submit" class="primary small">"Save"</button>
                        <button type="button" class="ghost small" on:click=move |_| { error.set(None); editing.set(false) }>"Cancel"</button>
                    </div>
                </form>
            </Show>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </li>
    }
}
