//! A column: its header and controls, its cards as a list named after it, and the form to add one.

use chronicle_board::{Command, MAX_NAME, MAX_TITLE, shown_text};
use chronicle_core::Uuid;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::board_context::BoardContext;
use super::card::{CardView, DRAG_TYPE};
use crate::clock::new_id;

/// One column of the board.
#[component]
pub(crate) fn ColumnView(column: Uuid) -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let name = Memo::new(move |_| {
        context.with_view(|p| {
            p.board.column(column).map(|c| shown_text(&c.name, MAX_NAME).into_owned()).unwrap_or_default()
        })
    });
    let cards = Memo::new(move |_| context.with_view(|p| p.board.card_ids(column)));
    // The cards the filter shows, in their order, as many as the column draws.
    let visible = Memo::new(move |_| {
        let query = context.filter.get();
        let drawn = context.cards_per_column.get();
        context.with_view(|p| {
            let Some(c) = p.board.column(column) else { return Vec::new() };
            let shown = p.board.cards_in(c).filter(|card| context.shows(card, &query));
            shown.take(drawn).map(|card| card.id).collect::<Vec<_>>()
        })
    });
    let place =
        Memo::new(move |_| context.with_view(|p| (p.board.column_index(column).unwrap_or(0), p.board.columns().len())));
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let report = move |result: Result<(), chronicle_board::Rejection>| error.set(result.err().map(|r| r.to_string()));

    let renaming = RwSignal::new(false);
    let new_name = RwSignal::new(String::new());
    let rename = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let result = context.run(Command::RenameColumn { column, name: new_name.get_untracked() });
        if result.is_ok() {
            renaming.set(false);
        }
        report(result);
    };

    let title = RwSignal::new(String::new());
    let add_error: RwSignal<Option<String>> = RwSignal::new(None);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let command =
            Command::AddCard { card: new_id(), column, title: title.get_untracked(), description: String::new() };
        match context.run(command) {
            Ok(()) => {
                add_error.set(None);
                title.set(String::new());
            }
            Err(r) => add_error.set(Some(r.to_string())),
        }
    };

    let drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        let Some(card) =
            ev.data_transfer().and_then(|d| d.get_data(DRAG_TYPE).ok()).and_then(|id| id.parse::<Uuid>().ok())
        else {
            return;
        };
        // Dropped on a card: the dragged card goes just before it. Anywhere else: at the bottom.
        let before = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("[data-card]").ok().flatten())
            .and_then(|e| e.get_attribute("data-card"))
            .and_then(|id| id.parse::<Uuid>().ok());
        let index = cards.with_untracked(|ids| {
            let without: Vec<_> = ids.iter().filter(|id| **id != card).collect();
            before.and_then(|b| without.iter().position(|id| **id == b)).unwrap_or(without.len())
        });
        report(context.run(Command::MoveCard { card, to: column, index }));
    };

    let input_id = format!("new-card-{column}");
    view! {
        <section class="column">
            <header class="column-head">
                <Show when=move || renaming.get() fallback=move || view! {
                    <h2 class="column-name">{move || name.get()}</h2>
                    <span class="count" aria-label=move || format!("{} cards", cards.with(Vec::len))>{move || cards.with(Vec::len)}</span>
                }>
                    <form class="inline-form" on:submit=rename>
                        <input type="text" aria-label="Column name" maxlength=MAX_NAME bind:value=new_name />
                        <button type="submit" class="primary small">"Save"</button>
                        <button type="button" class="ghost small" on:click=move |_| renaming.set(false)>"Cancel"</button>
                    </form>
                </Show>
                <Show when=move || !context.read_only()>
                <details class="column-menu">
                    <summary aria-label=move || format!("Column options for {}", name.get())>"⋯"</summary>
                    <div class="menu">
                        <button class="ghost small" on:click=move |_| { new_name.set(name.get_untracked()); renaming.set(true) }>"Rename column"</button>
                        <button class="ghost small" disabled=move || place.get().0 == 0
                            on:click=move |_| report(context.run(Command::MoveColumn { column, index: place.get_untracked().0.saturating_sub(1) }))>"Move column left"</button>
                        <button class="ghost small" disabled=move || { let (index, columns) = place.get(); index + 1 >= columns }
                            on:click=move |_| report(context.run(Command::MoveColumn { column, index: place.get_untracked().0 + 1 }))>"Move column right"</button>
                        <button class="ghost small danger" on:click=move |_| report(context.run(Command::RemoveColumn { column }))>"Remove column"</button>
                    </div>
                </details>
                </Show>
            </header>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <ul class="cards" aria-label=move || name.get()
                on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=drop>
                <For each=move || visible.get() key=|id| *id let:card>
                    <CardView card column />
                </For>
            </ul>
            {move || (visible.with(Vec::is_empty) && !context.filter.with(String::is_empty))
                .then(|| view! { <p class="small muted nothing-matches">"Nothing here matches the filter."</p> })}
            <Show when=move || !context.read_only()>
            <form class="add-card" on:submit=add>
                <input id=input_id.clone() type="text" maxlength=MAX_TITLE placeholder="Add a card…"
                    aria-label=move || format!("New card in {}", name.get()) bind:value=title />
                <button type="submit" class="primary">"Add card"</button>
                {move || add_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </form>
            </Show>
        </section>
    }
}
