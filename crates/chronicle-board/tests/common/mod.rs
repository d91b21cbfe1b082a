//! Helpers shared by the board's tests: fixed ids and events wrapped in envelopes.

#![allow(dead_code, unreachable_pub, missing_docs)]

use chronicle_board::{BoardDecider, BoardEvent, ColumnSeed, Command, Rejection};
use chronicle_core::{Decider, Event};
use uuid::Uuid;

pub const STREAM: Uuid = Uuid::from_u128(0xb0a2d);
pub const LAPTOP: Uuid = Uuid::from_u128(0x1a);
pub const TODO: Uuid = Uuid::from_u128(0xc1);
pub const DOING: Uuid = Uuid::from_u128(0xc2);
pub const DONE: Uuid = Uuid::from_u128(0xc3);

pub fn card(n: u128) -> Uuid {
    Uuid::from_u128(0xca00 + n)
}

pub fn created() -> BoardEvent {
    BoardEvent::BoardCreated {
        name: "Launch".into(),
        columns: vec![
            ColumnSeed { id: TODO, name: "To do".into() },
            ColumnSeed { id: DOING, name: "Doing".into() },
            ColumnSeed { id: DONE, name: "Done".into() },
        ],
    }
}

pub fn added(n: u128, column: Uuid, title: &str) -> BoardEvent {
    BoardEvent::CardAdded { card: card(n), column, title: title.into(), description: String::new() }
}

/// Wraps payloads in envelopes with ids and times that follow their order.
pub fn record(events: &[BoardEvent]) -> Vec<Event<BoardEvent>> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            Event::new(
                Uuid::from_u128(0xe000 + i as u128),
                STREAM,
                LAPTOP,
                1_700_000_000_000 + i as i64 * 60_000,
                e.clone(),
            )
        })
        .collect()
}

pub struct Given(Vec<Event<BoardEvent>>);

pub fn given(events: &[BoardEvent]) -> Given {
    Given(record(events))
}

pub struct When(Result<Vec<BoardEvent>, Rejection>);

impl Given {
    pub fn when(self, command: Command) -> When {
        let board = BoardDecider::replay(self.0.iter());
        When(BoardDecider::decide(&board, command))
    }
}

impl When {
    #[track_caller]
    pub fn then_expect(self, events: &[BoardEvent]) {
        assert_eq!(self.0, Ok(events.to_vec()));
    }

    #[track_caller]
    pub fn then_reject(self, rejection: Rejection) {
        assert_eq!(self.0, Err(rejection));
    }
}
