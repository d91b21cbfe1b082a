//! A card: its title and description, buttons to move, edit and archive it, and drag and drop.

use chronicle_board::{Command, MAX_COLUMNS, MAX_DESCRIPTION, MAX_TITLE, shown_text};
use chronicle_core::Uuid;
use leptos::prelude::*;

use super::board_context::BoardContext;
use super::card_dialog;
use super::filter::shows;

/// The drag-and-drop data type that carries a card id.
pub(crate) const DRAG_TYPE: &str = "application/x-chronicle-card";

/// One card in a column.
#[component]
pub(crate) fn CardView(card: Uuid, column: Uuid) -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let shown = context.shown;
    let read_only = move || context.read_only();
    let content = Memo::new(move |_| {
        context.with_view(|p| {
            let shown = |c: &chronicle_board::Card| {
                (shown_text(&c.title, MAX_TITLE).into_owned(), shown_text(&c.description, MAX_DESCRIPTION).into_owned())
            };
            p.board.card(card).map(shown).unwrap_or_default()
        })
    });
    // (column index, index in column, number of columns, cards in this column)
    let place = Memo::new(move |_| {
        shown.with(|p| {
            let (c, i) = p.board.position_of(card).unwrap_or((0, 0));
            let len = p.board.columns().get(c).map_or(0, |col| col.len());
            // A card is never moved into a column the page does not draw.
            (c, i, p.board.columns().len().min(MAX_COLUMNS), len)
        })
    });
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let run = move |command: Command| error.set(context.run(command).err().map(|r| r.to_string()));
    let move_to_column = move |offset: isize| {
        let (c, i, _, _) = place.get_untracked();
        let target = shown.with_untracked(|p| {
            let t = c.checked_add_signed(offset)?;
            p.board.columns().get(t).map(|col| (col.id, col.len()))
        });
        if let Some((to, len)) = target {
            run(Command::MoveCard { card, to, index: i.min(len) });
        }
    };
    // Up and down go next to the previous or next card the filter shows (the next card, without
    // a filter), so that what the person sees is what happens; hidden cards keep their order.
    let neighbours = Memo::new(move |_| {
        let query = context.filter.get();
        shown.with(|p| {
            let ids = p.board.card_ids(column);
            let Some(i) = ids.iter().position(|id| *id == card) else { return (None, None) };
            let visible = |id: &Uuid| p.board.card(*id).is_some_and(|c| shows(c, &query));
            let above = ids[..i].iter().rposition(visible);
            let below = ids[i + 1..].iter().position(visible).map(|j| i + 1 + j);
            (above, below)
        })
    });
    let move_within = move |down: bool| {
        let (above, below) = neighbours.get_untracked();
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
        let (t, d) = content.get_untracked();
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
                <button class="card-title" on:click=move |_| card_dialog::open(&context, card)>{move || content.with(|c| c.0.clone())}</button>
                {move || content.with(|c| (!c.1.is_empty()).then(|| view! { <p class="card-description">{c.1.clone()}</p> }))}
                <div class="card-actions" class:hidden=read_only>
                    <button class="icon" aria-label="Move left" title="Move left" disabled=move || place.get().0 == 0
                        on:click=move |_| move_to_column(-1)>"←"</button>
                    <button class="icon" aria-label="Move up" title="Move up" disabled=move || neighbours.get().0.is_none()
                        on:click=move |_| move_within(false)>"↑"</button>
                    <button class="icon" aria-label="Move down" title="Move down" disabled=move || neighbours.get().1.is_none()
                        on:click=move |_| move_within(true)>"↓"</button>
                    <button class="icon" aria-label="Move right" title="Move right" disabled=move || { let p = place.get(); p.0 + 1 >= p.2 }
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
