//! Undo and redo of every kind of command, as new events decided against the board as it is
//! now: against a present another device changed, an undo does what still makes sense or says
//! why it cannot, and a new change clears what could be redone.

mod common;

use chronicle_board::{
    Board, BoardDecider, BoardEvent, BoardProjections, Command, Rejection, UndoList, describe, undo_step,
};
use chronicle_core::{Decider, Event, EventPayload};
use common::*;
use uuid::Uuid;

const PHONE: Uuid = Uuid::from_u128(0x1b);

/// A board as one tab sees it, with its undo list, and the events of its log.
struct Tab {
    board: Board,
    log: Vec<Event<BoardEvent>>,
    undo: UndoList,
    feed: Vec<String>,
}

impl Tab {
    fn new(events: &[BoardEvent]) -> Tab {
        let mut tab = Tab { board: Board::default(), log: Vec::new(), undo: UndoList::default(), feed: Vec::new() };
        for event in events {
            tab.record(LAPTOP, event.clone());
        }
        tab.feed.clear();
        tab
    }

    fn record(&mut self, device: Uuid, payload: BoardEvent) -> Option<chronicle_board::UndoStep> {
        let n = self.log.len() as u128;
        let event = Event::new(Uuid::from_u128(0xe000 + n), STREAM, device, 1_700_000_000_000 + n as i64, payload);
        let step = undo_step(&self.board, &event);
        self.feed.push(describe(&self.board, &event));
        self.board.apply_event(&event);
        self.log.push(event);
        step
    }

    /// Runs a command as the open board does: decided, recorded, and kept on the undo list.
    fn run(&mut self, command: Command) -> Result<(), Rejection> {
        let kind = match &command {
            Command::Undo { redo: false, .. } => 1,
            Command::Undo { redo: true, .. } => 2,
            _ => 0,
        };
        let decided = BoardDecider::decide(&self.board, command);
        let decided = match (decided, kind) {
            (Err(why), 1) => {
                self.undo.undo_refused();
                return Err(why);
            }
            (Err(why), 2) => {
                self.undo.redo_refused();
                return Err(why);
            }
            (decided, _) => decided?,
        };
        let steps = decided.into_iter().filter_map(|e| self.record(LAPTOP, e)).collect();
        match kind {
            1 => self.undo.undone(steps),
            2 => self.undo.redone(steps),
            _ => self.undo.made(steps),
        }
        Ok(())
    }

    fn undo(&mut self) -> Result<(), Rejection> {
        let command = self.undo.undo_command().expect("something to undo");
        self.run(command)
    }

    fn redo(&mut self) -> Result<(), Rejection> {
        let command = self.undo.redo_command().expect("something to redo");
        self.run(command)
    }

    /// Another device's change, arriving by sync.
    fn phone_did(&mut self, payload: BoardEvent) {
        self.record(PHONE, payload);
    }

    fn last_feed(&self) -> &str {
        self.feed.last().unwrap()
    }

    fn columns(&self) -> Vec<(String, Vec<String>)> {
        self.board
            .columns()
            .iter()
            .map(|c| (c.name.clone(), self.board.cards_in(c).map(|card| card.title.clone()).collect()))
            .collect()
    }
}

fn start() -> Tab {
    let mut tab = Tab::new(&[created(), added(1, TODO, "Fix login"), added(2, TODO, "Write docs")]);
    tab.phone_did(BoardEvent::DeviceNamed { device: PHONE, name: "Phone".into() });
    tab.feed.clear();
    tab
}

/// `command`, then undo, redo and undo again: each step is a new event, the board goes back and
/// forth, and the feed says what was undone.
fn round_trip(command: Command, undid: &str) -> Tab {
    let mut tab = start();
    let before = tab.columns();
    let log = tab.log.len();
    tab.run(command).unwrap();
    let after = tab.columns();
    assert!(tab.undo.can_undo() && !tab.undo.can_redo());
    let (said, made) = (tab.feed.len(), tab.log.len());
    tab.undo().unwrap();
    assert_eq!(tab.columns(), before, "undone: {undid}");
    assert_eq!(tab.feed[said], undid, "the history says what was undone, as its own entry");
    let undo = &tab.log[made];
    assert_eq!(undo.known().unwrap().version(), 2, "an undo is the type's version 2");
    assert!(matches!(undo.known(), Some(BoardEvent::Undo { .. })));
    let through_the_wire = Event::<BoardEvent>::decode(undo.encode());
    assert_eq!(through_the_wire.known(), undo.known(), "an undo reads back as itself");
    assert!(!tab.undo.can_undo() && tab.undo.can_redo());
    let said = tab.feed.len();
    tab.redo().unwrap();
    assert_eq!(tab.columns(), after, "redone");
    assert!(tab.feed[said].starts_with("Redid: "), "{}", tab.feed[said]);
    tab.undo().unwrap();
    assert_eq!(tab.columns(), before, "undone again");
    assert!(tab.log.len() > log + 3, "nothing is rewritten or removed: every step is a new event");
    tab
}

#[test]
fn every_kind_of_change_is_undone_and_redone_with_new_events() {
    round_trip(
        Command::AddCard { card: card(3), column: DOING, title: "Ship".into(), description: String::new() },
        "Undid: Added 'Ship' to Doing",
    );
    let tab = round_trip(
        Command::MoveCard { card: card(1), to: DOING, index: 0 },
        "Undid: Moved 'Fix login' from To do to Doing",
    );
    assert_eq!(tab.columns()[0].1, ["Fix login", "Write docs"], "back in its place");
    round_trip(Command::MoveCard { card: card(2), to: TODO, index: 0 }, "Undid: Reordered 'Write docs' in To do");
    round_trip(
        Command::EditCard { card: card(1), title: "Fix login bug".into(), description: "Safari".into() },
        "Undid: Renamed 'Fix login' to 'Fix login bug'",
    );
    round_trip(Command::ArchiveCard { card: card(1) }, "Undid: Archived 'Fix login'");
    round_trip(
        Command::AddColumn { column: Uuid::from_u128(0xc4), name: "Review".into() },
        "Undid: Added column 'Review'",
    );
    round_trip(
        Command::RenameColumn { column: DOING, name: "In progress".into() },
        "Undid: Renamed column Doing to In progress",
    );
    round_trip(Command::MoveColumn { column: DONE, index: 0 }, "Undid: Moved column Done");
    round_trip(Command::RemoveColumn { column: DONE }, "Undid: Removed column 'Done'");
    round_trip(
        Command::RenameBoard { name: "Launch v2".into() },
        "Undid: Renamed the board from 'Launch' to 'Launch v2'",
    );

    // A restore, and a restore of a version: several events, undone together.
    let mut tab = start();
    tab.run(Command::ArchiveCard { card: card(2) }).unwrap();
    tab.run(Command::RestoreCard { card: card(2) }).unwrap();
    tab.undo().unwrap();
    assert_eq!(tab.last_feed(), "Undid: Restored 'Write docs' to To do");
    let mut tab = start();
    let then = tab.board.clone();
    tab.run(Command::MoveCard { card: card(1), to: DONE, index: 0 }).unwrap();
    tab.run(Command::EditCard { card: card(2), title: "Docs".into(), description: String::new() }).unwrap();
    let now = tab.columns();
    tab.run(Command::RestoreVersion { target: Box::new(then) }).unwrap();
    tab.undo().unwrap();
    assert_eq!(tab.columns(), now, "the restore is undone whole");
}

#[test]
fn an_undo_against_a_present_another_device_changed_does_what_still_makes_sense_or_says_why() {
    // The phone archived the card this tab moved: nothing to undo, and it says who.
    let mut tab = start();
    tab.run(Command::MoveCard { card: card(1), to: DOING, index: 0 }).unwrap();
    tab.phone_did(BoardEvent::CardArchived { card: card(1) });
    let log = tab.log.len();
    assert_eq!(
        tab.undo(),
        Err(Rejection::NothingToUndo("'Fix login' was archived on Phone since; there is nothing to undo.".into()))
    );
    assert_eq!(tab.log.len(), log, "a refused undo writes nothing");
    assert!(!tab.undo.can_undo(), "and the next undo goes further back");

    // Moved again there, or edited there: the present wins.
    let mut tab = start();
    tab.run(Command::MoveCard { card: card(1), to: DOING, index: 0 }).unwrap();
    tab.phone_did(BoardEvent::CardMoved { card: card(1), from: DOING, to: DONE, index: 0 });
    let refused = tab.undo().unwrap_err().to_string();
    assert_eq!(refused, "'Fix login' was moved on Phone since; there is nothing to undo.");
    let mut tab = start();
    tab.run(Command::EditCard { card: card(1), title: "Mine".into(), description: String::new() }).unwrap();
    tab.phone_did(BoardEvent::CardEdited { card: card(1), title: "Theirs".into(), description: String::new() });
    assert_eq!(tab.undo().unwrap_err().to_string(), "'Theirs' was edited on Phone since; there is nothing to undo.");
    let mut tab = start();
    tab.run(Command::ArchiveCard { card: card(1) }).unwrap();
    tab.phone_did(BoardEvent::CardRestored { card: card(1), column: TODO });
    assert_eq!(
        tab.undo().unwrap_err().to_string(),
        "'Fix login' was restored on Phone since; there is nothing to undo."
    );

    // A change to another card is no reason: the undo goes ahead.
    let mut tab = start();
    tab.run(Command::MoveCard { card: card(1), to: DOING, index: 0 }).unwrap();
    tab.phone_did(BoardEvent::CardArchived { card: card(2) });
    tab.undo().unwrap();
    assert_eq!(tab.columns()[0].1, ["Fix login"]);

    // Several changes at once (a restored version): the ones that still make sense are undone.
    let mut tab = start();
    let then = tab.board.clone();
    tab.run(Command::MoveCard { card: card(1), to: DONE, index: 0 }).unwrap();
    tab.run(Command::MoveCard { card: card(2), to: DONE, index: 1 }).unwrap();
    tab.run(Command::RestoreVersion { target: Box::new(then) }).unwrap();
    tab.phone_did(BoardEvent::CardArchived { card: card(1) });
    tab.undo().unwrap();
    assert_eq!(tab.columns()[2].1, ["Write docs"], "the other card went back; the archived one stays archived");
}

#[test]
fn a_new_change_clears_what_could_be_redone() {
    let mut tab = start();
    tab.run(Command::MoveCard { card: card(1), to: DOING, index: 0 }).unwrap();
    tab.undo().unwrap();
    assert!(tab.undo.can_redo());
    tab.run(Command::ArchiveCard { card: card(2) }).unwrap();
    assert!(!tab.undo.can_redo(), "a new change clears the redo list");
    tab.undo().unwrap();
    assert!(tab.undo.can_redo() && !tab.undo.can_undo(), "the undone move was dropped with the redo list");
}

#[test]
fn earlier_builds_read_every_change_but_an_undo_and_a_newer_build_reads_them_all() {
    let mut tab = start();
    tab.run(Command::MoveCard { card: card(1), to: DOING, index: 0 }).unwrap();
    tab.undo().unwrap();
    let (moved, undo) = (tab.log[tab.log.len() - 2].encode(), tab.log[tab.log.len() - 1].encode());
    assert_eq!((moved.kind.as_str(), moved.version), ("card_moved", 1), "a plain move is still version 1");
    assert!(moved.data.to_value().get("undoes").is_none());
    assert_eq!((undo.kind.as_str(), undo.version), ("card_moved", 2));
    let undo_data = undo.data.to_value();
    assert_eq!(undo_data["undoes"]["kind"], "card_moved");
    assert_eq!(undo_data["undoes"]["event"], serde_json::json!(tab.log[tab.log.len() - 2].meta.id));
    // Replayed from scratch, the log folds to the same board.
    let replayed = BoardProjections::replay(tab.log.iter());
    assert_eq!(replayed.board.columns(), tab.board.columns());
}
