//! Filtering the cards on the board: a search box above it (the rule for what matches,
//! [`shows`], lives with the filter in the board's context).

use leptos::prelude::*;

use super::board_context::{BoardContext, folded};
use super::shortcuts::typed_in_a_field;

/// The search box, and how many cards match while it filters.
#[component]
pub(crate) fn FilterCards() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let text = RwSignal::new(String::new());
    Effect::new(move |_| {
        let query = folded(text.get().trim());
        context.filter.set(query);
    });
    let counts = Memo::new(move |_| {
        let query = context.filter.get();
        context.with_view(|p| {
            let cards = p.board.columns().iter().flat_map(|c| p.board.cards_in(c));
            let (mut shown, mut all) = (0, 0);
            for card in cards {
                all += 1;
                shown += usize::from(context.shows(card, &query));
            }
            (shown, all)
        })
    });
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    // "/" goes to the filter from anywhere but a text field, as in most tools with a search.
    let slash = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() != "/" || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        if !typed_in_a_field(&ev)
            && let Some(input) = input.get_untracked()
        {
            ev.prevent_default();
            let _ = input.focus();
        }
    });
    on_cleanup(move || slash.remove());
    view! {
        <div class="filter">
            <input type="search" node_ref=input aria-label="Filter cards" placeholder="Filter cards  /" bind:value=text />
            <span class="small muted" role="status">
                {move || (!context.filter.get().is_empty()).then(|| {
                    let (shown, all) = counts.get();
                    format!("{shown} of {all} cards")
                })}
            </span>
        </div>
    }
}
