//! The activity panel: the newest changes, who made them on which device, and when.

use chronicle_core::Effect;
use leptos::prelude::*;

use super::board_context::BoardContext;
use crate::clock::{now, relative};

/// How many entries the panel lists.
const SHOWN: usize = 50;

/// The feed beside the board.
#[component]
pub(crate) fn ActivityPanel() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let device = context.ws.service().device();
    let entries = Memo::new(move |_| {
        context.with_view(|p| {
            p.activity
                .recent()
                .take(SHOWN)
                .map(|e| {
                    let who = match p.board.device_name(e.device) {
                        Some(name) => name.to_owned(),
                        None if e.device == device => "This device".to_owned(),
                        None => "Another device".to_owned(),
                    };
                    (e.position, e.text.clone(), who, e.at, e.effect, e.event)
                })
                .collect::<Vec<_>>()
        })
    });
    let no_effect = move || context.with_view(|p| p.diagnostics.no_effect);
    view! {
        <section class="panel activity" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Activity"</h2>
            <ol aria-label="Activity" class="feed">
                // A rebase can put other events at a position already shown: the key is the event.
                <For each=move || entries.get() key=|e| (e.5, e.0, e.4, e.2.clone()) let:entry>
                    <li class="feed-entry" class:no-effect=entry.4 != Effect::Applied>
                        <span class="feed-text">{entry.1.clone()}</span>
                        <span class="feed-meta">
                            {format!("{} · {}", entry.2, relative(entry.3, now()))}
                            {match entry.4 {
                                Effect::Applied => None,
                                Effect::NoEffect => Some(" · had no effect"),
                                Effect::Unreadable => Some(" · not readable by this version"),
                            }}
                        </span>
                    </li>
                </For>
            </ol>
            {move || (no_effect() > 0).then(|| view! {
                <p class="small muted">{format!("{} change(s) arrived after they could apply and had no effect; they stay in the history.", no_effect())}</p>
            })}
        </section>
    }
}
