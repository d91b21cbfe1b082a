//! The open board as its panels see it: the board on screen, the counts on the status line, and
//! the version being viewed in the history. Panels read it and send commands through it; it
//! talks to the [`OpenBoard`] of the board service and to nothing below.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chronicle_board::{
    Board, BoardProjections, Command, MAX_COLUMNS, MAX_DESCRIPTION, MAX_TITLE, Rejection, shown_text,
};
use chronicle_core::sealed::KeyId;
use chronicle_core::{SyncStatus, Uuid};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::workspace::Workspace;
use crate::service::{BoardChange, OpenBoard, SharedHistory};

/// `text` lowercased, with its accents taken off: "Résumé" reads as "resume". The browser's own
/// Unicode normalisation splits each accented letter into the letter and its marks, which are
/// then left out, so no table of letters ships with the app.
pub(crate) fn folded(text: &str) -> String {
    let split: String = js_sys::JsString::from(text).normalize("NFD").into();
    split.chars().filter(|c| !('\u{0300}'..='\u{036f}').contains(c)).flat_map(char::to_lowercase).collect()
}

/// Each drawn card's texts as the filter reads them ([`folded`]), kept while the card's texts stay
/// as they are: a change on a filtered board folds the cards it changed, not every card (folding
/// calls out of the wasm for the browser's Unicode normalisation, once per text).
#[derive(Default)]
struct Folds(HashMap<Uuid, Folded>);

/// A card's texts and the same texts folded.
#[derive(Default)]
struct Folded {
    title: String,
    description: String,
    folded_title: String,
    folded_description: String,
}

impl Folds {
    /// Whether `card`'s title or description holds `query` (already [`folded`]); an empty query
    /// matches every card.
    fn shows(&mut self, card: &chronicle_board::Card, query: &str) -> bool {
        if query.is_empty() {
            return true;
        }
        let kept = self.0.entry(card.id).or_default();
        if kept.title != card.title || kept.description != card.description {
            *kept = Folded {
                title: card.title.clone(),
                description: card.description.clone(),
                folded_title: folded(&card.title),
                folded_description: folded(&card.description),
            };
        }
        kept.folded_title.contains(query) || kept.folded_description.contains(query)
    }
}

/// A short notice offering to undo a change just made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UndoOffer {
    /// What was done: "Moved 'Fix login'."
    pub(crate) done: String,
    /// The undo button's accessible name: "Undo move of 'Fix login'".
    pub(crate) label: String,
    /// Which offer this is, so that an old one's timer does not take a newer one away.
    pub(crate) id: u64,
}

/// How long a notice offers to undo a change.
const OFFER_MS: u64 = 8_000;

/// Changes that could not be decrypted, by why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Undecrypted {
    /// Sealed with this board's key and not opening, or arriving unsealed: altered on the way.
    pub(crate) altered: u64,
    /// Sealed with a key this browser does not have.
    pub(crate) other_key: u64,
}

impl Undecrypted {
    /// The changes `diagnostics` kept sealed, on a board whose key has the id `private`:
    /// sealed with it (or arriving unsealed) means altered; any other key, another key.
    fn count(diagnostics: &chronicle_core::Diagnostics, private: Option<&str>) -> Undecrypted {
        let mut counts = Undecrypted { altered: diagnostics.unsealed, other_key: 0 };
        for (key, n) in &diagnostics.sealed {
            match Some(key.as_str()) == private {
                true => counts.altered += n,
                false => counts.other_key += n,
            }
        }
        counts
    }
}

/// What one card on the board draws: its texts as drawn, and which of its move buttons can be
/// pressed. A card's signal is set only when this changes: a change elsewhere in its column moves
/// its place ([`CardPlace`]) and wakes nothing on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CardShown {
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) moves: Moves,
}

/// Which ways a card can be moved by its buttons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Moves {
    pub(crate) left: bool,
    pub(crate) up: bool,
    pub(crate) down: bool,
    pub(crate) right: bool,
}

impl Moves {
    /// The moves of a card at `place`, with `columns` columns drawn.
    fn at(place: &CardPlace, columns: usize) -> Moves {
        Moves {
            left: place.column_index > 0,
            up: place.above.is_some(),
            down: place.below.is_some(),
            right: place.column_index + 1 < columns,
        }
    }
}

/// Where one card is drawn, read when one of its buttons moves it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CardPlace {
    /// The place of the card's column among the columns drawn.
    pub(crate) column_index: usize,
    /// The card's place in its column.
    pub(crate) index: usize,
    /// The places in its column of the nearest cards above and below it that the filter shows.
    pub(crate) above: Option<usize>,
    pub(crate) below: Option<usize>,
}

/// What `card` draws at `place`, with `columns` columns drawn: its title, its description and its
/// moves, the texts borrowed from the card when they are drawn whole.
fn drawing<'a>(
    card: &'a chronicle_board::Card,
    place: &CardPlace,
    columns: usize,
) -> (Cow<'a, str>, Cow<'a, str>, Moves) {
    (shown_text(&card.title, MAX_TITLE), shown_text(&card.description, MAX_DESCRIPTION), Moves::at(place, columns))
}

/// A card drawn on the board: the signal of what it draws, and where it is.
struct DrawnCard {
    shown: ArcRwSignal<CardShown>,
    place: CardPlace,
}

/// The cards drawn, and their texts as the filter reads them.
#[derive(Default)]
struct Drawn {
    cards: HashMap<Uuid, DrawnCard>,
    folds: Folds,
}

/// Calls `visit` with every card of `board` drawn, column by column, and where it is, with
/// `shows` saying which cards the filter shows.
fn each_drawn<'a>(
    board: &'a Board,
    mut shows: impl FnMut(&chronicle_board::Card) -> bool,
    mut visit: impl FnMut(&'a chronicle_board::Card, CardPlace),
) {
    for (column_index, column) in board.columns().iter().take(MAX_COLUMNS).enumerate() {
        let in_column: Vec<&chronicle_board::Card> = board.cards_in(column).collect();
        let visible: Vec<bool> = in_column.iter().map(|card| shows(card)).collect();
        // The nearest shown card below each card, in one pass from the bottom (the one above
        // comes in the pass from the top below), so that a filter hiding most of a long column
        // costs no more than showing it.
        let mut next_shown = vec![None; in_column.len()];
        for index in (0..in_column.len().saturating_sub(1)).rev() {
            next_shown[index] = if visible[index + 1] { Some(index + 1) } else { next_shown[index + 1] };
        }
        let mut above = None;
        for (index, card) in in_column.iter().enumerate() {
            visit(card, CardPlace { column_index, index, above, below: next_shown[index] });
            if visible[index] {
                above = Some(index);
            }
        }
    }
}

/// How many cards a column can show at once in this window, with one to spare: a column's list is
/// never taller than the window, and a card and the gap below it are at least 5 rem high (its
/// title and its row of buttons), or 3 rem when a read-only board hides the buttons. Measured in
/// the root's font size, so that a person's larger or smaller text keeps the count right.
fn cards_on_a_screen(read_only: bool) -> usize {
    let window = web_sys::window();
    let height = window.as_ref().and_then(|w| w.inner_height().ok()).and_then(|h| h.as_f64()).unwrap_or(1080.0);
    let rem = window
        .as_ref()
        .and_then(|w| w.document()?.document_element().and_then(|root| w.get_computed_style(&root).ok().flatten()))
        .and_then(|style| style.get_property_value("font-size").ok())
        // The browser's own parser: Rust's would add 15 KB of gzipped wasm for this one number.
        .map(|size| js_sys::parse_float(&size))
        .filter(|rem| *rem > 0.0)
        .unwrap_or(16.0);
    let card = if read_only { 3.0 } else { 5.0 } * rem;
    (height / card).ceil() as usize + 1
}

/// The open board, shared by its panels.
#[derive(Clone, Copy)]
pub(crate) struct BoardContext {
    pub(crate) ws: Workspace,
    board: StoredValue<OpenBoard, LocalStorage>,
    pub(crate) shown: RwSignal<BoardProjections>,
    pub(crate) unsaved: RwSignal<usize>,
    /// Stored events the server has not confirmed yet.
    pub(crate) pending: RwSignal<usize>,
    /// The position being looked at in the history, or `None` for now.
    pub(crate) viewing: RwSignal<Option<u64>>,
    /// The projections at `viewing`.
    past: RwSignal<Option<BoardProjections>>,
    /// What the cards are filtered by, folded (lowercase, no accents); empty shows every card.
    pub(crate) filter: RwSignal<String>,
    /// The card whose dialog is open, if one is.
    pub(crate) open_card: RwSignal<Option<Uuid>>,
    /// How far a read of the board's history has come, in hundredths of the log, while the
    /// history is read for the first time.
    pub(crate) history_read: RwSignal<usize>,
    /// How many cards each column draws: as many as a screen holds for the board's first frame,
    /// then all of them (see [`BoardContext::draw_every_card`]).
    pub(crate) cards_per_column: RwSignal<usize>,
    /// Whether this tab can undo a change on the board, and redo one.
    pub(crate) can_undo_redo: RwSignal<(bool, bool)>,
    /// The short notice that offers to undo the change just made, if one is showing.
    pub(crate) offer: RwSignal<Option<UndoOffer>>,
    /// Changes that could not be decrypted, kept apart so that a change to the board that does not
    /// change them wakes nothing that reads them.
    undecrypted: Memo<Undecrypted>,
    /// Whether one of the board's devices deleted it from the server.
    deleted: Memo<bool>,
    /// Why the board cannot be changed here, if it cannot; read by every card, so it is a memo.
    read_only: Memo<Option<&'static str>>,
    /// What each drawn card shows, one signal per card, set only when that card's part of the
    /// board changed. A change then wakes the cards it changed and no other: were every card to
    /// read the whole board, each change would wake them all, at a cost that grows with the
    /// square of the cards (every wakened reader leaves and rejoins the board's readers). With
    /// them, each card's texts as the filter reads them.
    cards: StoredValue<Drawn>,
}

impl BoardContext {
    /// A context for a board being opened: `start` opens it, given where to send what changes.
    pub(crate) fn new(
        ws: Workspace,
        start: impl FnOnce(Box<dyn Fn(BoardChange)>) -> (OpenBoard, BoardProjections),
    ) -> BoardContext {
        let shown = RwSignal::new(BoardProjections::default());
        let unsaved = RwSignal::new(0);
        let pending = RwSignal::new(0);
        let on_change = move |update: BoardChange| match update {
            BoardChange::Shown(board) => {
                shown.try_set(*board);
            }
            BoardChange::Counts { unsaved: now_unsaved, pending: now_pending } => {
                unsaved.try_set(now_unsaved);
                pending.try_set(now_pending);
            }
            BoardChange::Problem(message) => ws.tell(message),
        };
        let (board, projections) = start(Box::new(on_change));
        shown.set(projections);
        pending.set(board.pending());
        let (stream, private) = (board.stream(), board.private().map(|k| k.to_string()));
        let viewing = RwSignal::new(None);
        let undecrypted = Memo::new(move |_| shown.with(|p| Undecrypted::count(&p.diagnostics, private.as_deref())));
        let deleted =
            Memo::new(move |_| ws.sync.with(|map| matches!(map.get(&stream), Some(SyncStatus::Deleted { .. }))));
        let read_only = Memo::new(move |_| {
            if viewing.get().is_some() {
                Some("This is a past version of the board. Press Back to now to make changes.")
            } else if deleted.get() {
                Some(
                    "This board was deleted from the server, so it can no longer be changed. Export its history to keep it.",
                )
            } else if undecrypted.get().other_key > 0 {
                Some(
                    "This browser does not have the key this board's changes are sealed with, so it cannot change the board.",
                )
            } else {
                None
            }
        });
        let context = BoardContext {
            ws,
            board: StoredValue::new_local(board),
            shown,
            unsaved,
            pending,
            viewing,
            past: RwSignal::new(None),
            filter: RwSignal::new(String::new()),
            open_card: RwSignal::new(None),
            history_read: RwSignal::new(0),
            cards_per_column: RwSignal::new(cards_on_a_screen(untrack(|| read_only.get().is_some()))),
            can_undo_redo: RwSignal::new((false, false)),
            offer: RwSignal::new(None),
            undecrypted,
            deleted,
            read_only,
            cards: StoredValue::new(Drawn::default()),
        };
        // The one reader of the whole board on behalf of every card.
        Effect::new(move |_| {
            let query = context.filter.get();
            context.with_view(|p| context.refresh_cards(&p.board, &query));
        });
        context
    }

    /// Lets each column draw all its cards once the board's first frame, which draws only those a
    /// screen holds, has been painted: a long board shows itself as soon as a short one would, and
    /// the cards below the columns' fold follow a frame later.
    pub(crate) fn draw_every_card(&self) {
        let cards_per_column = self.cards_per_column;
        let every_card = move || {
            if cards_per_column.try_get_untracked().is_some_and(|n| n != usize::MAX) {
                cards_per_column.set(usize::MAX);
            }
        };
        // A frame's callbacks run before it is painted: the next frame's, after.
        request_animation_frame(move || request_animation_frame(every_card));
        // A page the browser does not show (a tab in the background, a window hidden) runs no
        // frames, and its timers at most once a second: its cards come with a timer of a second,
        // which on a page on screen always comes after those two frames.
        set_timeout(every_card, std::time::Duration::from_secs(1));
    }

    /// What `card` shows, kept up to date as the board on view and the filter change.
    pub(crate) fn card_shown(&self, card: Uuid) -> ArcRwSignal<CardShown> {
        self.with_drawn(card, |drawn| drawn.shown.clone()).unwrap_or_default()
    }

    /// Where `card` is drawn now.
    pub(crate) fn card_place(&self, card: Uuid) -> CardPlace {
        self.with_drawn(card, |drawn| drawn.place).unwrap_or_default()
    }

    /// What `read` reads of `card` as drawn, when it is.
    fn with_drawn<T>(&self, card: Uuid, read: impl Fn(&DrawnCard) -> T) -> Option<T> {
        if let Some(found) = self.cards.with_value(|drawn| drawn.cards.get(&card).map(&read)) {
            return Some(found);
        }
        // A card drawn before the cards were brought up to date with the change that made it.
        let query = self.filter.get_untracked();
        self.with_view_untracked(|p| self.refresh_cards(&p.board, &query));
        self.cards.with_value(|drawn| drawn.cards.get(&card).map(&read))
    }

    /// Whether the filter `query` (already [`folded`]) shows `card`.
    pub(crate) fn shows(&self, card: &chronicle_board::Card, query: &str) -> bool {
        self.cards.try_update_value(|drawn| drawn.folds.shows(card, query)).unwrap_or(true)
    }

    /// Sets the signal of every drawn card whose drawing changed, keeps where each card is, makes
    /// a signal for each new card, and lets go of the cards no longer drawn.
    fn refresh_cards(&self, board: &Board, query: &str) {
        let columns = board.columns().len().min(MAX_COLUMNS);
        self.cards.update_value(|Drawn { cards, folds }| {
            let mut drawn = HashSet::with_capacity(cards.len());
            each_drawn(
                board,
                |card| folds.shows(card, query),
                |card, place| {
                    drawn.insert(card.id);
                    let (title, description, moves) = drawing(card, &place, columns);
                    let shown = || CardShown {
                        title: title.clone().into_owned(),
                        description: description.clone().into_owned(),
                        moves,
                    };
                    match cards.get_mut(&card.id) {
                        Some(found) => {
                            found.place = place;
                            let unchanged =
                                |s: &CardShown| s.title == title && s.description == description && s.moves == moves;
                            if !found.shown.with_untracked(unchanged) {
                                found.shown.set(shown());
                            }
                        }
                        None => {
                            cards.insert(card.id, DrawnCard { shown: ArcRwSignal::new(shown()), place });
                        }
                    }
                },
            );
            if cards.len() > drawn.len() {
                cards.retain(|id, _| drawn.contains(id));
            }
            if folds.0.len() > drawn.len() {
                folds.0.retain(|id, _| drawn.contains(id));
            }
        });
    }

    /// The open board.
    pub(crate) fn board(&self) -> OpenBoard {
        self.board.get_value()
    }

    /// The board's stream id.
    pub(crate) fn stream(&self) -> Uuid {
        self.board.with_value(OpenBoard::stream)
    }

    /// As [`BoardContext::with_view`], without becoming a reader of the board.
    fn with_view_untracked<T>(&self, f: impl FnOnce(&BoardProjections) -> T) -> T {
        leptos::prelude::untrack(|| self.with_view(f))
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

    /// The id of the board's key when it is private; `None` for a board kept in the clear.
    pub(crate) fn private(&self) -> Option<KeyId> {
        self.board.with_value(OpenBoard::private)
    }

    /// Changes kept and never applied because they could not be decrypted.
    pub(crate) fn undecrypted(&self) -> Undecrypted {
        self.undecrypted.get()
    }

    /// Whether one of the board's devices deleted it from the server.
    pub(crate) fn deleted(&self) -> bool {
        self.deleted.get()
    }

    /// Why the board cannot be changed here, if it cannot: a past version is on screen, the board
    /// was deleted from the server, or this browser lacks the key its changes are sealed with (a
    /// change made here could not be read by anyone else).
    pub(crate) fn read_only_because(&self) -> Option<&'static str> {
        self.read_only.get()
    }

    /// Whether the board on screen cannot be changed here.
    pub(crate) fn read_only(&self) -> bool {
        self.read_only.get().is_some()
    }

    /// The board's history. While it is read, [`BoardContext::history_read`] tells how far.
    pub(crate) async fn history(&self) -> Option<SharedHistory> {
        let board = self.board.try_get_value()?;
        let history_read = self.history_read;
        // Told once a record, set once a hundredth: a million events are read in about a
        // thousand records.
        let mut tell = |read: usize, all: usize| {
            let percent = read * 100 / all.max(1);
            if history_read.try_get_untracked() != Some(percent) {
                history_read.try_set(percent);
            }
        };
        match board.history_telling(&mut tell).await {
            Ok(history) => Some(history),
            Err(e) => {
                self.ws.tell(format!("The history could not be read. {e}"));
                None
            }
        }
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
            let Some(history) = this.history().await else { return };
            // Only the latest request is shown, whatever order the reads finish in.
            if this.viewing.try_get_untracked().flatten() == Some(position) {
                this.past.set(Some(history.with(|h| h.projections_at(position))));
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
        if let Some(why) = untrack(|| self.read_only_because()) {
            // The controls are hidden; this is for anything that slips by.
            self.ws.tell(why);
            return Ok(());
        }
        let Some(board) = self.board.try_get_value() else { return Ok(()) };
        let name = self.ws.device_name.get_untracked();
        let offer = self.offer_for(&command);
        let mut result = Ok(());
        self.shown.update(|shown| result = board.run(shown, command, &name));
        self.unsaved.set(board.unsaved());
        self.can_undo_redo.set(board.can_undo_redo());
        if result.is_ok() {
            self.offer(offer);
        }
        result
    }

    /// Undoes this tab's last change on the board (or, with `redo`, makes the last undone one
    /// again); when nothing of it still makes sense, the person is told why.
    pub(crate) fn undo(&self, redo: bool) {
        if let Some(why) = untrack(|| self.read_only_because()) {
            self.ws.tell(why);
            return;
        }
        let Some(board) = self.board.try_get_value() else { return };
        let name = self.ws.device_name.get_untracked();
        let mut result = Ok(false);
        self.shown.update(|shown| {
            result = if redo { board.redo(shown, &name) } else { board.undo(shown, &name) };
        });
        self.unsaved.set(board.unsaved());
        self.can_undo_redo.set(board.can_undo_redo());
        self.offer.set(None);
        if let Err(why) = result {
            self.ws.tell(why.to_string());
        }
    }

    /// The notice that offers to undo `command` once it is done: after a move, an archive or a
    /// removal, the changes a person most often wants back at once.
    fn offer_for(&self, command: &Command) -> Option<(String, String)> {
        use chronicle_board::{MAX_NAME, MAX_TITLE, shown_text};
        self.shown.with_untracked(|p| {
            let title = |card: &Uuid| p.board.card(*card).map(|c| shown_text(&c.title, MAX_TITLE).into_owned());
            Some(match command {
                Command::MoveCard { card, .. } => {
                    let title = title(card)?;
                    (format!("Moved '{title}'."), format!("Undo move of '{title}'"))
                }
                Command::ArchiveCard { card } => {
                    let title = title(card)?;
                    (format!("Archived '{title}'."), format!("Undo archive of '{title}'"))
                }
                Command::RemoveColumn { column } => {
                    let name = shown_text(&p.board.column(*column)?.name, MAX_NAME).into_owned();
                    (format!("Removed column '{name}'."), format!("Undo removal of column '{name}'"))
                }
                _ => return None,
            })
        })
    }

    /// Shows `offer` for a few seconds; anything else done takes a showing one away.
    fn offer(&self, offer: Option<(String, String)>) {
        let Some((done, label)) = offer else {
            self.offer.set(None);
            return;
        };
        let id = self.offer.with_untracked(|o| o.as_ref().map_or(0, |o| o.id + 1));
        self.offer.set(Some(UndoOffer { done, label, id }));
        let offer = self.offer;
        set_timeout(
            move || {
                if offer.try_with_untracked(|o| o.as_ref().map(|o| o.id)).flatten() == Some(id) {
                    offer.set(None);
                }
            },
            std::time::Duration::from_millis(OFFER_MS),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chronicle_board::{Board, BoardEvent, ColumnSeed};
    use chronicle_core::Uuid;

    use super::{CardPlace, Moves, drawing, each_drawn};

    /// What a card draws (its title, its description, its moves), and where it is.
    #[derive(Debug, PartialEq)]
    struct Found {
        drawing: (String, String, Moves),
        place: CardPlace,
    }

    /// Every card of `board`, with no filter.
    fn drawn(board: &Board) -> HashMap<Uuid, Found> {
        let mut found = HashMap::new();
        each_drawn(
            board,
            |_| true,
            |card, place| {
                let (title, description, moves) = drawing(card, &place, board.columns().len());
                found.insert(card.id, Found { drawing: (title.into_owned(), description.into_owned(), moves), place });
            },
        );
        found
    }

    #[test]
    fn a_move_wakes_the_cards_whose_drawing_changes_and_only_moves_the_places_of_the_others() {
        let (todo, doing) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut board = Board::default();
        let columns = [(todo, "To do"), (doing, "Doing")].map(|(id, name)| ColumnSeed { id, name: name.into() });
        board.evolve(&BoardEvent::BoardCreated { name: "Plans".into(), columns: columns.into() });
        let card = |n: u128| Uuid::from_u128(100 + n);
        for (n, column) in [(0, todo), (1, todo), (2, todo), (3, todo), (4, doing), (5, doing)] {
            let (title, description) = (format!("Card {n}"), String::new());
            board.evolve(&BoardEvent::CardAdded { card: card(n), column, title, description });
        }
        let before = drawn(&board);
        // The top card of To do goes between the two cards of Doing.
        board.evolve(&BoardEvent::CardMoved { card: card(0), from: todo, to: doing, index: 1 });
        let after = drawn(&board);

        let differ = |same: &dyn Fn(&Found, &Found) -> bool| -> Vec<u128> {
            (0..6).filter(|n| !same(&before[&card(*n)], &after[&card(*n)])).collect()
        };
        // Only the moved card (it can go left now, and no further right) and the new top of To do
        // (nothing above it now) draw differently.
        assert_eq!(differ(&|a, b| a.drawing == b.drawing), [0, 1]);
        // Every card after the places the card left and took moved, and draws as before.
        assert_eq!(differ(&|a, b| a.place == b.place), [0, 1, 2, 3, 5]);
        assert_eq!(after[&card(0)].place, CardPlace { column_index: 1, index: 1, above: Some(0), below: Some(2) });
    }
}
