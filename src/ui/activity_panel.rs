//! The activity panel: the newest changes, who made them on which device, and when.

use leptos::prelude::*;

use super::board_context::BoardContext;
use super::feed::FeedRow;
use crate::clock::now;

/// How many entries the panel lists.
const SHOWN: usize = 50;

/// The feed beside the board.
#[component]
pub(crate) fn ActivityPanel() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let device = context.ws.service().device();
    // Devices are named as the board knows them now, in the past as in the present.
    let entries = Memo::new(move |_| {
        let at = now();
        context.shown.with(|present| {
            context.with_view(|p| {
                let rows = p.activity.recent().take(SHOWN);
                rows.map(|e| FeedRow::new(e.clone(), &present.board, device, at)).collect::<Vec<_>>()
            })
        })
    });
    let no_effect = move || context.with_view(|p| p.diagnostics.no_effect);
    view! {
        <section class="panel activity" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Activity"</h2>
            <ol aria-label="Activity" class="feed">
                <For each=move || entries.get() key=FeedRow::key let:row>
                    <li class="feed-entry" class:no-effect=!row.applied()>
                        <span class="feed-text">{row.entry.text.clone()}</span>
                        <span class="feed-meta">{row.meta.clone()}</span>
                    </li>
                </For>
            </ol>
            {move || (no_effect() > 0).then(|| view! {
                <p class="small muted">{format!("{} change(s) arrived after they could apply and had no effect; they stay in the history.", no_effect())}</p>
            })}
        </section>
    }
}
