//! A card's own dialog, opened from its title: the title and description with their editors, the
//! column it is in, and every change it went through, each of which shows the whole board at that
//! moment.

use chronicle_board::{ActivityEntry, Command, MAX_DESCRIPTION, MAX_NAME, MAX_TITLE, shown_text};
use chronicle_core::Uuid;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::board_context::BoardContext;
use super::feed::FeedRow;
use super::history_panel::HistoryReading;
use crate::clock::now;

/// The dialog of the card in `BoardContext::open_card`, one for the whole board.
#[component]
pub(crate) fn CardDialog() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let dialog: NodeRef<leptos::html::Dialog> = NodeRef::new();
    let changes: RwSignal<Option<Vec<ActivityEntry>>> = RwSignal::new(None);
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let card = move || context.open_card.get();
    // What the card is now, on the board as it is now.
    let present = Memo::new(move |_| {
        let card = card()?;
        context.shown.with(|p| {
            let c = p.board.card(card)?;
            let column = p.board.live_column_of(card).and_then(|id| p.board.column(id)).map(|c| c.name.clone());
            Some((c.title.clone(), c.description.clone(), column))
        })
    });
    // Opens when a card is asked for; its history is read from the board's history (read once
    // for the board, then kept), and again as the board changes while it is open.
    Effect::new(move |_| {
        let Some(card) = card() else { return };
        let _grew = context.shown.with(|p| p.position);
        if let Some(dialog) = dialog.get_untracked()
            && !dialog.open()
        {
            if let Some((t, d, _)) = present.get_untracked() {
                title.set(t);
                description.set(d);
            }
            error.set(None);
            changes.set(None);
            let _ = dialog.show_modal();
        }
        spawn_local(async move {
            let Some(history) = context.history().await else { return };
            if context.open_card.get_untracked() == Some(card) {
                changes.set(Some(history.with(|h| h.card_changes(card))));
            }
        });
    });
    let this_device = context.ws.service().device();
    let rows = Memo::new(move |_| {
        let now = now();
        let listed = changes.get()?;
        Some(context.shown.with(|p| {
            listed.into_iter().map(|entry| FeedRow::new(entry, &p.board, this_device, now)).collect::<Vec<_>>()
        }))
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(card) = card() else { return };
        let command =
            Command::EditCard { card, title: title.get_untracked(), description: description.get_untracked() };
        error.set(context.run(command).err().map(|r| r.to_string()));
    };
    let close = move || {
        if let Some(dialog) = dialog.get_untracked() {
            dialog.close();
        }
    };
    let show_moment = move |position: u64| {
        close();
        context.view_at(position);
    };
    let heading =
        move || present.with(|p| p.as_ref().map(|(t, _, _)| shown_text(t, MAX_TITLE).into_owned()).unwrap_or_default());
    view! {
        <dialog node_ref=dialog class="card-dialog panel" aria-labelledby="card-dialog-heading"
            on:close=move |_| context.open_card.set(None)>
            <h2 id="card-dialog-heading">{heading}</h2>
            <p class="muted small">{move || match present.get().and_then(|p| p.2) {
                Some(column) => format!("In {}", shown_text(&column, MAX_NAME)),
                None => "Archived".to_owned(),
            }}</p>
            <form class="card-editor" on:submit=save>
                <label>"Title"<input type="text" maxlength=MAX_TITLE bind:value=title prop:disabled=move || context.read_only() /></label>
                <label>"Description"<textarea rows="4" maxlength=MAX_DESCRIPTION bind:value=description prop:disabled=move || context.read_only()></textarea></label>
                <Show when=move || !context.read_only()>
                    <button type="submit" class="primary small">"Save"</button>
                </Show>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </form>
            <h3>"History of this card" <span class="muted small">" · oldest first"</span></h3>
            {move || match rows.get() {
                None => view! { <HistoryReading /> }.into_any(),
                Some(rows) => view! {
                    <ol class="card-history" aria-label="History of this card">
                        {rows.into_iter().map(|row| {
                            let position = row.entry.position;
                            let applied = row.applied();
                            view! {
                                <li class:no-effect=!applied>
                                    <button class="ghost" title="Show the board at this moment" on:click=move |_| show_moment(position)>
                                        <span class="change">{row.entry.text.clone()}</span>
                                        <span class="meta muted small">{row.meta.clone()}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any(),
            }}
            <form method="dialog"><button class="small">"Close"</button></form>
        </dialog>
    }
}

/// Opens `card`'s dialog.
pub(crate) fn open(context: &BoardContext, card: Uuid) {
    context.open_card.set(Some(card));
}
