//! A board: its columns and cards, the archive, the activity panel and the status line.

use chronicle_board::{Command, MAX_COLUMNS, MAX_NAME, MAX_TITLE, shown_text};
use chronicle_core::{SyncStatus, Uuid};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::activity_panel::ActivityPanel;
use super::board_context::BoardContext;
use super::card_dialog::CardDialog;
use super::column::ColumnView;
use super::filter::FilterCards;
use super::flow_panel::FlowPanel;
use super::history_panel::{HistoryPanel, PastBanner};
use super::privacy::{BoardNotices, DeleteBoard};
use super::set_aside_panel::SetAsidePanel;
use super::share::SharePanel;
use super::status_line::{StatusLine, describe_sync};
use super::undo::{UndoOfferNotice, UndoRedo};
use super::workspace::{Route, workspace};
use crate::clock::new_id;
use crate::service::{Opened, Opening};

#[derive(Clone)]
enum PageState {
    Opening,
    /// A board joined from a share link whose events have not arrived yet.
    Fetching,
    Open(Box<BoardContext>),
    Missing(String),
}

/// The board page.
#[component]
pub(crate) fn BoardPage(stream: Uuid) -> impl IntoView {
    let ws = workspace();
    let state: RwSignal<PageState, LocalStorage> = RwSignal::new_local(PageState::Opening);
    let opening: StoredValue<Option<Opening>, LocalStorage> = StoredValue::new_local(None);
    let load = move || {
        let Some(opening) = opening.try_get_value().flatten() else { return };
        spawn_local(async move {
            match opening.read().await {
                Opened::Ready(opened) => {
                    if let Some(problem) = opened.problems.first() {
                        ws.tell(problem.clone());
                    }
                    if state.try_with_untracked(|s| !matches!(s, PageState::Open(_))).unwrap_or(false) {
                        let context = BoardContext::new(ws, |on_change| opening.start(*opened, on_change));
                        state.set(PageState::Open(Box::new(context)));
                    }
                }
                Opened::Fetching => state.set(PageState::Fetching),
                Opened::Missing(message) => state.set(PageState::Missing(message)),
            }
        });
    };
    // A joined board opens once its history is here; meanwhile the page says how far it has come.
    opening.set_value(Some(ws.service().open(stream, move || {
        if state.try_with_untracked(|s| matches!(s, PageState::Fetching)).unwrap_or(false) {
            load();
        }
    })));
    load();
    move || {
        state.with(|s| match s {
            PageState::Opening => view! { <main class="page"><p class="muted">"Opening the board…"</p></main> }.into_any(),
            PageState::Fetching => {
                let status = move || ws.sync.with(|m| m.get(&stream).map(describe_sync)).unwrap_or_else(|| "Connecting…".to_owned());
                let deleted = move || ws.sync.with(|m| matches!(m.get(&stream), Some(SyncStatus::Deleted { .. })));
                let forget = move |_| {
                    spawn_local(async move {
                        match ws.service().remove(stream).await {
                            Ok(()) => ws.go(Route::Boards),
                            Err(e) => ws.tell(format!("The board could not be removed from this browser. {e}")),
                        }
                    });
                };
                view! {
                    <main class="page centered">
                        <Show when=deleted fallback=move || view! {
                            <h1>"Fetching the board"</h1>
                            <p class="muted">"This board was shared with this browser. Its history is on its way from the server."</p>
                        }>
                            <h1>"This board was deleted"</h1>
                            <p role="alert">"One of its devices deleted it from the server, so this link no longer opens it."</p>
                            <p><button class="small" on:click=forget>"Remove it from this browser"</button></p>
                        </Show>
                        <p role="status" aria-label="Sync status">{status}</p>
                        <a href=Route::Boards.href()>"Back to all boards"</a>
                    </main>
                }
                .into_any()
            }
            PageState::Missing(message) => view! {
                <main class="page centered">
                    <h1>"Board not available"</h1>
                    <p role="alert" class="error">{message.clone()}</p>
                    <a href=Route::Boards.href()>"Back to all boards"</a>
                </main>
            }
            .into_any(),
            PageState::Open(context) => {
                let context = **context;
                view! { <Board context /> }.into_any()
            }
        })
    }
}

#[component]
fn Board(context: BoardContext) -> impl IntoView {
    provide_context(context);
    let shown = context.shown;
    // A board made elsewhere may hold more columns than the app lets anyone add: the page draws
    // as many as that and says how many more there are.
    let column_ids = Memo::new(move |_| {
        context.with_view(|p| p.board.columns().iter().take(MAX_COLUMNS).map(|c| c.id).collect::<Vec<_>>())
    });
    let hidden_columns = Memo::new(move |_| context.with_view(|p| p.board.columns().len().saturating_sub(MAX_COLUMNS)));
    let title = move || shown.with(|p| shown_text(p.board.name(), MAX_NAME).into_owned());
    // Leaving while a change is still being written would lose it: ask first.
    let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if context.unsaved.get_untracked() > 0 {
            ev.prevent_default();
            ev.set_return_value("Some changes are still being saved.");
        }
    });
    on_cleanup(move || unload.remove());
    context.draw_every_card();
    Effect::new(move |_| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&format!("{} · Chronicle", title()));
        }
    });
    view! {
        <main class="board-page" class:in-the-past=move || context.in_the_past()>
            <BoardHeader />
            <BoardNotices />
            <PastBanner />
            <FilterCards />
            <div class="board-layout">
                <div class="columns" role="group" aria-label="Columns">
                    <For each=move || column_ids.get() key=|id| *id let:column>
                        <ColumnView column />
                    </For>
                    {move || (hidden_columns.get() > 0).then(|| view! {
                        <p class="panel more-columns" role="note">
                            {format!(
                                "This board has {} more columns than the {MAX_COLUMNS} shown here. They were added on \
                                 another device; nothing in them is lost.",
                                hidden_columns.get()
                            )}
                        </p>
                    })}
                    <Show when=move || !context.read_only()>
                        <AddColumn />
                    </Show>
                </div>
                <div class="side">
                    <SetAsidePanel />
                    <HistoryPanel />
                    <Archive />
                    <ActivityPanel />
                    <FlowPanel />
                </div>
            </div>
            <StatusLine />
            <UndoOfferNotice />
            <CardDialog />
        </main>
    }
}

#[component]
fn BoardHeader() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let renaming = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match context.run(Command::RenameBoard { name: name.get_untracked() }) {
            Ok(()) => {
                error.set(None);
                renaming.set(false);
            }
            Err(r) => error.set(Some(r.to_string())),
        }
    };
    view! {
        <div class="board-head">
            <a class="back" href=Route::Boards.href()>"← All boards"</a>
            <Show when=move || renaming.get() fallback=move || view! {
                <h1>{move || context.with_view(|p| shown_text(p.board.name(), MAX_NAME).into_owned())}</h1>
                {context.private().is_some().then(|| view! {
                    <span class="badge" title="Changes are encrypted on this device before they are sent; the sync server cannot read them.">
                        "End-to-end encrypted"
                    </span>
                })}
                <Show when=move || !context.read_only()>
                    <button class="ghost small" on:click=move |_| {
                        name.set(context.shown.with_untracked(|p| p.board.name().to_owned()));
                        renaming.set(true);
                    }>"Rename board"</button>
                    <SharePanel />
                    <UndoRedo />
                </Show>
                <Show when=move || !context.in_the_past()>
                    <DeleteBoard />
                </Show>
            }>
                <form class="inline-form" on:submit=save>
                    <input type="text" aria-label="Board name" maxlength=MAX_NAME bind:value=name />
                    <button type="submit" class="primary small">"Save"</button>
                    <button type="button" class="ghost small" on:click=move |_| { error.set(None); renaming.set(false) }>"Cancel"</button>
                </form>
            </Show>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}

#[component]
fn AddColumn() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let name = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match context.run(Command::AddColumn { column: new_id(), name: name.get_untracked() }) {
            Ok(()) => {
                error.set(None);
                name.set(String::new());
            }
            Err(r) => error.set(Some(r.to_string())),
        }
    };
    view! {
        <form class="add-column" on:submit=add>
            <input type="text" aria-label="New column name" placeholder="New column" maxlength=MAX_NAME bind:value=name />
            <button type="submit">"Add column"</button>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </form>
    }
}

/// Archived cards are listed a page at a time, and only while the archive is open: a long-lived
/// board can hold tens of thousands of them.
const ARCHIVE_PAGE: usize = 50;

#[component]
fn Archive() -> impl IntoView {
    let context = expect_context::<BoardContext>();
    let open = RwSignal::new(false);
    let shown_count = RwSignal::new(ARCHIVE_PAGE);
    let total = Memo::new(move |_| context.with_view(|p| p.board.archived_count()));
    let archived = Memo::new(move |_| {
        if !open.get() {
            return Vec::new();
        }
        let limit = shown_count.get();
        context.with_view(|p| {
            let archived = p.board.archived().into_iter().take(limit);
            archived.map(|c| (c.id, shown_text(&c.title, MAX_TITLE).into_owned())).collect::<Vec<_>>()
        })
    });
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    view! {
        <details class="panel archive" on:toggle=move |ev| {
            let details = event_target::<web_sys::HtmlDetailsElement>(&ev);
            open.set(details.open());
        }>
            <summary>{move || format!("Archived cards ({})", total.get())}</summary>
            <ul aria-label="Archived cards">
                <For each=move || archived.get() key=|(id, title)| (*id, title.clone()) let:card>
                    <li class="archived-card">
                        <span>{card.1.clone()}</span>
                        <Show when=move || !context.read_only()>
                            <button class="small" aria-label=format!("Restore {}", card.1) on:click=move |_| {
                                error.set(context.run(Command::RestoreCard { card: card.0 }).err().map(|r| r.to_string()));
                            }>"Restore"</button>
                        </Show>
                    </li>
                </For>
            </ul>
            {move || (total.get() > shown_count.get()).then(|| view! {
                <button class="ghost small" on:click=move |_| shown_count.update(|n| *n += ARCHIVE_PAGE)>
                    {move || format!("Show more ({} not shown)", total.get() - shown_count.get())}
                </button>
            })}
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </details>
    }
}
