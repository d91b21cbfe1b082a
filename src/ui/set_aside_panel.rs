//! The changes the server refused for good, set aside from the board (ADR 0006): what they were,
//! what the server said, and what the person can do with them.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::board_context::BoardContext;
use crate::clock::{now, relative};
use crate::service::SetAsideChange;
use crate::transfer::{download, file_name};

/// What the person asked to do with the set-aside changes.
#[derive(Clone, Copy)]
enum Act {
    Export,
    SendAgain,
    LetGo,
}

/// Shown on the board page while the board has changes set aside.
#[component]
pub(crate) fn SetAsidePanel() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let changes: RwSignal<Vec<SetAsideChange>> = RwSignal::new(Vec::new());
    // Read again whenever the board's pending changes move (setting aside and taking back both
    // move them) and after letting go.
    let read_again = RwSignal::new(0u32);
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        context.pending.track();
        read_again.track();
        let board = context.board();
        spawn_local(async move {
            if let Ok(read) = board.set_aside().await {
                changes.set(read);
            }
        });
    });
    let act = move |action: Act| {
        let board = context.board();
        let ws = context.ws;
        spawn_local(async move {
            let done = match action {
                Act::Export => {
                    let name = context.shown.with_untracked(|p| p.board.name().to_owned());
                    match board.export_set_aside().await {
                        Ok(lines) => {
                            download(&file_name(&format!("{name} refused changes")), &lines).map_err(|e| e.to_string())
                        }
                        Err(e) => Err(e.to_string()),
                    }
                }
                Act::SendAgain => board.take_back_set_aside().await.map_err(|e| e.to_string()),
                Act::LetGo => board.let_go_set_aside().await.map_err(|e| e.to_string()),
            };
            match done {
                Ok(()) => {
                    confirming.set(false);
                    read_again.update(|n| *n += 1);
                }
                Err(e) => ws.tell(format!("That did not work: {e}")),
            }
        });
    };
    view! {
        <Show when=move || !changes.with(Vec::is_empty)>
            <section class="panel set-aside" aria-labelledby="set-aside-heading">
                <h2 id="set-aside-heading">"Changes the server refused"</h2>
                <p class="small">
                    "The sync server refused these changes for good, so they were set aside: this board shows \
                     everything else, as every other device does, and keeps syncing. Nothing is lost until you let \
                     them go."
                </p>
                <ul aria-label="Refused changes">
                    {move || changes.get().into_iter().map(|change| view! {
                        <li>
                            <ul class="small">
                                {change.described.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                            </ul>
                            <p class="warning small">{format!("The server said: {} Set aside {}.", change.reason, relative(change.at, now()))}</p>
                        </li>
                    }).collect_view()}
                </ul>
                <Show when=move || !confirming.get() fallback=move || view! {
                    <p role="alert" class="small">"Remove these changes from this device for good?"</p>
                    <div class="actions">
                        <button class="danger small" on:click=move |_| act(Act::LetGo)>"Remove them"</button>
                        <button class="ghost small" on:click=move |_| confirming.set(false)>"Keep them"</button>
                    </div>
                }>
                    <div class="actions">
                        <button class="small" on:click=move |_| act(Act::Export)>"Export refused changes"</button>
                        <button class="small" on:click=move |_| act(Act::SendAgain)>"Send again"</button>
                        <button class="ghost small" on:click=move |_| confirming.set(true)>"Let go"</button>
                    </div>
                </Show>
            </section>
        </Show>
    }
}
