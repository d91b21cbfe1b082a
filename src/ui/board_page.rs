//! A board: its columns and cards, the archive, the activity panel and the status line.

use std::rc::Rc;

use chronicle_board::{BoardProjections, Command, History, Rejection};
use chronicle_core::{Event, SyncStatus, Uuid};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::activity_panel::ActivityPanel;
use super::column::ColumnView;
use super::flow_panel::FlowPanel;
use super::history_panel::{HistoryPanel, PastBanner};
use super::share::SharePanel;
use super::status_line::{StatusLine, describe_sync};
use super::workspace::{Route, Workspace, workspace};
use crate::boards::{self, OpenedBoard};
use crate::clock::{new_id, now};
use crate::session::{Refreshed, SNAPSHOT_EVERY, Session, snapshot_of};
use crate::storage::StorageError;
use crate::tabs::{Notice, Subscription};

/// How many times in a row a write is decided again after others wrote first, before giving up.
/// Each time means another writer made progress, so this is only reached under a storm of writes.
const MAX_REREADS: u32 = 20;

/// The open board, shared by its panels.
#[derive(Clone, Copy)]
pub(crate) struct BoardContext {
    pub(crate) ws: Workspace,
    pub(crate) shown: RwSignal<BoardProjections>,
    session: StoredValue<Session>,
    pub(crate) unsaved: RwSignal<usize>,
    /// Stored events the server has not confirmed yet.
    pub(crate) pending: RwSignal<usize>,
    subscription: StoredValue<Option<Subscription>, LocalStorage>,
    writing: RwSignal<bool>,
    /// The whole log with its keyframes, read when the history panel first needs it and
    /// forgotten when the log changes.
    history: StoredValue<Option<Rc<History>>, LocalStorage>,
    /// The position being looked at in the history, or `None` for now.
    pub(crate) viewing: RwSignal<Option<u64>>,
    /// The projections at `viewing`.
    past: RwSignal<Option<BoardProjections>>,
}

impl BoardContext {
    fn new(ws: Workspace, stream: Uuid, opened: OpenedBoard) -> Self {
        let session = Session::new(
            stream,
            ws.device,
            opened.projections.clone(),
            opened.snapshot_at,
            opened.state,
            opened.pending,
        );
        let context = BoardContext {
            ws,
            shown: RwSignal::new(opened.projections),
            pending: RwSignal::new(session.pending()),
            session: StoredValue::new(session),
            unsaved: RwSignal::new(0),
            subscription: StoredValue::new_local(None),
            writing: RwSignal::new(false),
            history: StoredValue::new_local(None),
            viewing: RwSignal::new(None),
            past: RwSignal::new(None),
        };
        context.subscription.set_value(Some(ws.subscribe(move |notice| {
            if let Notice::Written { stream: written, state } = notice {
                let behind = context.session.try_with_value(|s| s.state() != *state).unwrap_or(false);
                if *written == stream && behind {
                    context.catch_up();
                }
            }
        })));
        context
    }

    /// The board's stream id.
    pub(crate) fn stream(&self) -> Uuid {
        self.session.with_value(Session::stream)
    }

    /// Reads the board as it is on screen: as it was at the position being viewed in the
    /// history, or as it is now.
    pub(crate) fn with_view<T>(&self, f: impl FnOnce(&BoardProjections) -> T) -> T {
        let mut f = Some(f);
        let past = self.past.with(|p| p.as_ref().map(|p| f.take().map(|f| f(p))));
        match past.flatten() {
            Some(seen) => seen,
            None => self.shown.with(|p| f.take().map(|f| f(p))).expect("the board is read once"),
        }
    }

    /// Whether the board on screen is a past version (read-only).
    pub(crate) fn in_the_past(&self) -> bool {
        self.viewing.get().is_some()
    }

    /// The board's history, read from storage the first time it is needed.
    pub(crate) async fn history(&self) -> Result<Rc<History>, StorageError> {
        if let Some(history) = self.history.try_get_value().flatten() {
            return Ok(history);
        }
        let stream = self.stream();
        let loaded = self.ws.storage().load_all(stream).await?;
        let events = loaded.tail.into_iter().map(Event::decode).collect();
        let history = Rc::new(History::new(events));
        self.history.set_value(Some(Rc::clone(&history)));
        Ok(history)
    }

    /// Shows the board as it was after the first `position` events (or now, at the end).
    pub(crate) fn view_at(&self, position: u64) {
        let this = *self;
        let now = self.shown.with_untracked(|p| p.position);
        if position >= now {
            self.back_to_now();
            return;
        }
        self.viewing.set(Some(position));
        spawn_local(async move {
            match this.history().await {
                // Only the latest request is shown, whatever order the reads finish in.
                Ok(history) if this.viewing.try_get_untracked().flatten() == Some(position) => {
                    this.past.set(Some(history.projections_at(position)));
                }
                Ok(_) => {}
                Err(e) => this.ws.tell(format!("The history could not be read. {e}")),
            }
        });
    }

    /// Leaves the history and shows the board as it is now.
    pub(crate) fn back_to_now(&self) {
        self.viewing.set(None);
        self.past.set(None);
    }

    /// Makes the board show the version being viewed again, with new events, and returns to now.
    pub(crate) fn restore_viewed(&self) -> Result<(), Rejection> {
        let Some(target) = self.past.with_untracked(|p| p.as_ref().map(|p| p.board.clone())) else { return Ok(()) };
        self.back_to_now();
        self.run(Command::RestoreVersion { target: Box::new(target) })
    }

    /// Decides a command, shows its effect at once and saves it. A rejection comes back to the
    /// control that asked; a failed save undoes the change and says so.
    pub(crate) fn run(&self, command: Command) -> Result<(), Rejection> {
        if self.viewing.get_untracked().is_some() {
            // The past is read-only; the controls are hidden, this is for anything that slips by.
            self.ws.tell("This is a past version of the board. Press Back to now to make changes.");
            return Ok(());
        }
        let name = self.ws.device_name.get_untracked();
        let mut result = Ok(0);
        self.shown.update(|shown| {
            self.session.update_value(|session| result = session.execute(shown, command, &name, now(), new_id));
        });
        if result? > 0 {
            self.unsaved.set(self.session.with_value(Session::unsaved));
            self.save();
        }
        Ok(())
    }

    fn save(&self) {
        if self.writing.try_get_untracked().unwrap_or(true) {
            // The loop under way writes this batch too.
            return;
        }
        self.writing.set(true);
        let this = *self;
        spawn_local(async move {
            let storage = this.ws.storage();
            let Some(stream) = this.session.try_with_value(Session::stream) else { return };
            let mut attempts = 0;
            while let Some((revision, batch)) = this.session.try_update_value(Session::next_write).flatten() {
                match storage.append(stream, revision, &batch).await {
                    Ok(state) => {
                        let snapshot = this.session.try_update_value(|s| s.written(state)).flatten();
                        this.ws.written(stream, state);
                        if let Some(snapshot) = snapshot {
                            // A snapshot only speeds up the next start; a failure to write one loses nothing.
                            let _ = storage.put_snapshot(stream, &snapshot).await;
                        }
                    }
                    Err(StorageError::Conflict) if attempts < MAX_REREADS => {
                        // Another tab, or the sync, wrote first: read what is stored and put this
                        // tab's changes after it, so that nothing is lost.
                        attempts += 1;
                        match boards::open(&storage, stream).await {
                            Ok(opened) => this.rebase_onto(opened),
                            Err(e) => this.fail(e),
                        }
                    }
                    Err(e) => this.fail(e),
                }
                this.counts();
            }
            this.writing.set(false);
            this.counts();
            // Whatever was stored while this tab wrote is read now.
            this.catch_up();
        });
    }

    /// Shows the board as read again from storage, with this tab's unsaved work on top.
    fn rebase_onto(&self, opened: OpenedBoard) {
        if let Some(shown) =
            self.session.try_update_value(|s| s.rebase_onto(opened.projections, opened.state, opened.pending))
        {
            self.shown.set(shown);
        }
    }

    fn counts(&self) {
        // The log changed: the history is read again when next needed.
        self.history.try_set_value(None);
        self.unsaved.set(self.session.try_with_value(Session::unsaved).unwrap_or(0));
        self.pending.set(self.session.try_with_value(Session::pending).unwrap_or(0));
    }

    /// The stored log changed (another tab wrote, or the sync stored confirmed events): take
    /// what is new. While this tab is writing, its save loop catches up when it is done.
    fn catch_up(&self) {
        if self.writing.try_get_untracked().unwrap_or(true) {
            return;
        }
        let this = *self;
        spawn_local(async move {
            let storage = this.ws.storage();
            let Some((stream, known)) = this.session.try_with_value(|s| (s.stream(), s.state())) else { return };
            let Ok(tail) = storage.tail(stream, known.confirmed).await else { return };
            if this.writing.try_get_untracked().unwrap_or(true) || tail.state.revision < known.revision {
                return;
            }
            match this.session.try_update_value(|s| s.refresh(&tail)) {
                Some(Refreshed::Extended(shown, snapshot)) => {
                    this.shown.set(*shown);
                    if let Some(snapshot) = snapshot {
                        let _ = storage.put_snapshot(stream, &snapshot).await;
                    }
                }
                Some(Refreshed::Reread) => {
                    let Ok(opened) = boards::open(&storage, stream).await else { return };
                    if this.writing.try_get_untracked().unwrap_or(true) {
                        return;
                    }
                    this.rebase_onto(opened);
                }
                _ => {}
            }
            this.counts();
        });
    }

    fn fail(&self, error: StorageError) {
        if let Some(saved) = self.session.try_update_value(Session::failed) {
            self.shown.set(saved);
        }
        self.ws.tell(format!("{error} Your last change could not be saved and was undone."));
    }
}

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
    // While a joined board is fetched, the events this tab's sync confirms are folded here as
    // they come, so that the board opens without reading its whole history back from storage.
    let fold: StoredValue<Option<BoardProjections>, LocalStorage> =
        StoredValue::new_local(Some(BoardProjections::default()));
    let folding = ws.hub.get_value().on_confirmed(stream, move |events| {
        fold.update_value(|fold| {
            let follows =
                fold.as_ref().is_some_and(|p| events.first().and_then(|e| e.meta.seq) == Some(p.position + 1));
            match fold {
                Some(projections) if follows => projections.extend(events.iter()),
                _ => *fold = None,
            }
        });
    });
    let folding = StoredValue::new_local(Some(folding));
    let open = move |opened: OpenedBoard| {
        if let Some(problem) = opened.problems.first() {
            ws.tell(problem.clone());
        }
        let snapshot = opened.fresh_snapshot.clone();
        if state.try_with_untracked(|s| !matches!(s, PageState::Open(_))).unwrap_or(false) {
            folding.set_value(None);
            fold.set_value(None);
            state.set(PageState::Open(Box::new(BoardContext::new(ws, stream, opened))));
        }
        if let Some(snapshot) = snapshot {
            // After the board is on screen: a snapshot only speeds up the next start.
            spawn_local(async move {
                let _ = ws.storage().put_snapshot(stream, &snapshot).await;
            });
        }
    };
    let load = move || {
        spawn_local(async move {
            let storage = ws.storage();
            // A fold that holds every confirmed event stored, with nothing pending, is the board.
            if let Some(folded) = fold.try_with_value(|f| f.clone()).flatten().filter(|p| p.board.is_created())
                && let Ok(tail) = storage.pending(stream).await
                && tail.pending.iter().all(Vec::is_empty)
                && tail.state.confirmed == folded.position
            {
                let fresh_snapshot = (folded.position >= SNAPSHOT_EVERY).then(|| snapshot_of(&folded)).flatten();
                let state = tail.state;
                open(OpenedBoard {
                    projections: folded,
                    snapshot_at: 0,
                    state,
                    pending: Vec::new(),
                    problems: tail.problems,
                    fresh_snapshot,
                });
                return;
            }
            match boards::open(&storage, stream).await {
                Ok(opened) if opened.projections.board.is_created() => open(opened),
                Ok(_) => match storage.sync_token(stream).await {
                    Ok(Some(_)) => state.set(PageState::Fetching),
                    _ => state.set(PageState::Missing(
                        "There is no board here. It may have been made in another browser; open its share link \
                         to bring it here."
                            .to_owned(),
                    )),
                },
                Err(e) => state.set(PageState::Missing(e.to_string())),
            }
        });
    };
    load();
    // A joined board opens once its history is here, rather than being drawn again for every
    // page of a long catch-up; meanwhile the page says how far the fetch has come.
    let waiting = ws.subscribe(move |notice| {
        let caught_up = match notice {
            Notice::Sync { stream: s, status } if *s == stream => {
                !matches!(status, SyncStatus::Syncing { behind, .. } if *behind > 0)
            }
            _ => false,
        };
        if caught_up && state.try_with_untracked(|s| matches!(s, PageState::Fetching)).unwrap_or(false) {
            load();
        }
    });
    let waiting = StoredValue::new_local(Some(waiting));
    on_cleanup(move || {
        waiting.set_value(None);
        folding.set_value(None);
    });
    move || {
        state.with(|s| match s {
            PageState::Opening => view! { <main class="page"><p class="muted">"Opening the board…"</p></main> }.into_any(),
            PageState::Fetching => {
                let status = move || ws.sync.with(|m| m.get(&stream).map(describe_sync)).unwrap_or_else(|| "Connecting…".to_owned());
                view! {
                    <main class="page centered">
                        <h1>"Fetching the board"</h1>
                        <p class="muted">"This board was shared with this browser. Its history is on its way from the server."</p>
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
    on_cleanup(move || context.subscription.set_value(None));
    let shown = context.shown;
    let column_ids =
        Memo::new(move |_| context.with_view(|p| p.board.columns().iter().map(|c| c.id).collect::<Vec<_>>()));
    let title = move || shown.with(|p| p.board.name().to_owned());
    // Leaving while a change is still being written would lose it: ask first.
    let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if context.unsaved.get_untracked() > 0 {
            ev.prevent_default();
            ev.set_return_value("Some changes are still being saved.");
        }
    });
    on_cleanup(move || unload.remove());
    Effect::new(move |_| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&format!("{} · Chronicle", title()));
        }
    });
    view! {
        <main class="board-page" class:in-the-past=move || context.in_the_past()>
            <BoardHeader />
            <PastBanner />
            <div class="board-layout">
                <div class="columns" role="group" aria-label="Columns">
                    <For each=move || column_ids.get() key=|id| *id let:column>
                        <ColumnView column />
                    </For>
                    <Show when=move || !context.in_the_past()>
                        <AddColumn />
                    </Show>
                </div>
                <div class="side">
                    <HistoryPanel />
                    <Archive />
                    <ActivityPanel />
                    <FlowPanel />
                </div>
            </div>
            <StatusLine />
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
                <h1>{move || context.with_view(|p| p.board.name().to_owned())}</h1>
                <Show when=move || !context.in_the_past()>
                    <button class="ghost small" on:click=move |_| {
                        name.set(context.shown.with_untracked(|p| p.board.name().to_owned()));
                        renaming.set(true);
                    }>"Rename board"</button>
                    <SharePanel />
                </Show>
            }>
                <form class="inline-form" on:submit=save>
                    <input type="text" aria-label="Board name" maxlength="80" bind:value=name />
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
            <input type="text" aria-label="New column name" placeholder="New column" maxlength="80" bind:value=name />
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
            p.board.archived().into_iter().take(limit).map(|c| (c.id, c.title.clone())).collect::<Vec<_>>()
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
                        <Show when=move || !context.in_the_past()>
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
