//! Every command and every rejection, as given / when / then.

mod common;

use chronicle_board::{BoardEvent, Command, Rejection};
use common::*;
use uuid::Uuid;

fn board_with_cards() -> Vec<BoardEvent> {
    vec![created(), added(1, TODO, "Fix login"), added(2, TODO, "Write docs"), added(3, DOING, "Ship")]
}

#[test]
fn create_board() {
    given(&[])
        .when(Command::CreateBoard { name: " Launch ".into(), columns: [TODO, DOING, DONE] })
        .then_expect(&[created()]);
    given(&[created()])
        .when(Command::CreateBoard { name: "Again".into(), columns: [TODO, DOING, DONE] })
        .then_reject(Rejection::BoardAlreadyCreated);
    given(&[])
        .when(Command::CreateBoard { name: "  ".into(), columns: [TODO, DOING, DONE] })
        .then_reject(Rejection::EmptyName);
    given(&[])
        .when(Command::CreateBoard { name: "n".repeat(81), columns: [TODO, DOING, DONE] })
        .then_reject(Rejection::NameTooLong { length: 81 });
}

#[test]
fn commands_before_the_board_exists_are_refused() {
    given(&[]).when(Command::RenameBoard { name: "X".into() }).then_reject(Rejection::BoardNotCreated);
    given(&[])
        .when(Command::AddCard { card: card(1), column: TODO, title: "A".into(), description: String::new() })
        .then_reject(Rejection::BoardNotCreated);
}

#[test]
fn rename_board() {
    given(&[created()])
        .when(Command::RenameBoard { name: "Launch v2".into() })
        .then_expect(&[BoardEvent::BoardRenamed { name: "Launch v2".into() }]);
    given(&[created()]).when(Command::RenameBoard { name: "Launch".into() }).then_expect(&[]);
    given(&[created()]).when(Command::RenameBoard { name: "".into() }).then_reject(Rejection::EmptyName);
}

#[test]
fn add_column() {
    let review = Uuid::from_u128(0xc4);
    given(&[created()])
        .when(Command::AddColumn { column: review, name: "Review".into() })
        .then_expect(&[BoardEvent::ColumnAdded { column: review, name: "Review".into() }]);
    given(&[created()])
        .when(Command::AddColumn { column: TODO, name: "Again".into() })
        .then_reject(Rejection::DuplicateColumn);
    given(&[created()]).when(Command::AddColumn { column: review, name: " ".into() }).then_reject(Rejection::EmptyName);
}

#[test]
fn rename_column() {
    given(&[created()])
        .when(Command::RenameColumn { column: DOING, name: "In progress".into() })
        .then_expect(&[BoardEvent::ColumnRenamed { column: DOING, name: "In progress".into() }]);
    given(&[created()])
        .when(Command::RenameColumn { column: card(9), name: "X".into() })
        .then_reject(Rejection::UnknownColumn);
    given(&[created()]).when(Command::RenameColumn { column: DOING, name: "Doing".into() }).then_expect(&[]);
}

#[test]
fn move_column() {
    given(&[created()])
        .when(Command::MoveColumn { column: DONE, index: 0 })
        .then_expect(&[BoardEvent::ColumnMoved { column: DONE, index: 0 }]);
    given(&[created()])
        .when(Command::MoveColumn { column: DONE, index: 3 })
        .then_reject(Rejection::PositionOutOfRange { index: 3 });
    given(&[created()]).when(Command::MoveColumn { column: card(1), index: 0 }).then_reject(Rejection::UnknownColumn);
    given(&[created()]).when(Command::MoveColumn { column: DONE, index: 2 }).then_expect(&[]);
}

#[test]
fn remove_column() {
    given(&[created()])
        .when(Command::RemoveColumn { column: DONE })
        .then_expect(&[BoardEvent::ColumnRemoved { column: DONE }]);
    given(&board_with_cards())
        .when(Command::RemoveColumn { column: TODO })
        .then_reject(Rejection::ColumnNotEmpty { cards: 2 });
    given(&[created()]).when(Command::RemoveColumn { column: card(1) }).then_reject(Rejection::UnknownColumn);
    given(&[created(), BoardEvent::ColumnRemoved { column: DONE }, BoardEvent::ColumnRemoved { column: DOING }])
        .when(Command::RemoveColumn { column: TODO })
        .then_reject(Rejection::LastColumn);
    // Archived cards do not keep a column alive.
    given(&[created(), added(1, DONE, "Old"), BoardEvent::CardArchived { card: card(1) }])
        .when(Command::RemoveColumn { column: DONE })
        .then_expect(&[BoardEvent::ColumnRemoved { column: DONE }]);
}

#[test]
fn add_card() {
    given(&[created()])
        .when(Command::AddCard {
            card: card(1),
            column: TODO,
            title: "  Fix login ".into(),
            description: "Safari only\n".into(),
        })
        .then_expect(&[BoardEvent::CardAdded {
            card: card(1),
            column: TODO,
            title: "Fix login".into(),
            description: "Safari only".into(),
        }]);
    let add = |title: String| Command::AddCard { card: card(1), column: TODO, title, description: String::new() };
    given(&[created()]).when(add("   ".into())).then_reject(Rejection::EmptyTitle);
    given(&[created()]).when(add("x".repeat(201))).then_reject(Rejection::TitleTooLong { length: 201 });
    given(&[created()]).when(add("é".repeat(200))).then_expect(&[added(1, TODO, &"é".repeat(200))]);
    given(&board_with_cards()).when(add("Again".into())).then_reject(Rejection::DuplicateCard);
    given(&[created()])
        .when(Command::AddCard { card: card(1), column: card(7), title: "A".into(), description: String::new() })
        .then_reject(Rejection::UnknownColumn);
    given(&[created()])
        .when(Command::AddCard { card: card(1), column: TODO, title: "A".into(), description: "d".repeat(10_001) })
        .then_reject(Rejection::DescriptionTooLong { length: 10_001 });
}

#[test]
fn edit_card() {
    given(&board_with_cards())
        .when(Command::EditCard { card: card(1), title: "Fix login on Safari".into(), description: "Only 17.2".into() })
        .then_expect(&[BoardEvent::CardEdited {
            card: card(1),
            title: "Fix login on Safari".into(),
            description: "Only 17.2".into(),
        }]);
    given(&board_with_cards())
        .when(Command::EditCard { card: card(1), title: "Fix login".into(), description: String::new() })
        .then_expect(&[]);
    given(&board_with_cards())
        .when(Command::EditCard { card: card(1), title: "".into(), description: String::new() })
        .then_reject(Rejection::EmptyTitle);
    given(&board_with_cards())
        .when(Command::EditCard { card: card(9), title: "A".into(), description: String::new() })
        .then_reject(Rejection::UnknownCard);
    let mut archived = board_with_cards();
    archived.push(BoardEvent::CardArchived { card: card(1) });
    given(&archived)
        .when(Command::EditCard { card: card(1), title: "A".into(), description: String::new() })
        .then_reject(Rejection::CardArchived);
}

#[test]
fn move_card() {
    given(&board_with_cards())
        .when(Command::MoveCard { card: card(1), to: DONE, index: 0 })
        .then_expect(&[BoardEvent::CardMoved { card: card(1), from: TODO, to: DONE, index: 0 }]);
    given(&board_with_cards())
        .when(Command::MoveCard { card: card(2), to: TODO, index: 0 })
        .then_expect(&[BoardEvent::CardMoved { card: card(2), from: TODO, to: TODO, index: 0 }]);
    given(&board_with_cards()).when(Command::MoveCard { card: card(1), to: TODO, index: 0 }).then_expect(&[]);
    given(&board_with_cards())
        .when(Command::MoveCard { card: card(1), to: TODO, index: 2 })
        .then_reject(Rejection::PositionOutOfRange { index: 2 });
    given(&board_with_cards())
        .when(Command::MoveCard { card: card(9), to: DONE, index: 0 })
        .then_reject(Rejection::UnknownCard);
    given(&board_with_cards())
        .when(Command::MoveCard { card: card(1), to: card(8), index: 0 })
        .then_reject(Rejection::UnknownColumn);
    let mut archived = board_with_cards();
    archived.push(BoardEvent::CardArchived { card: card(1) });
    given(&archived).when(Command::MoveCard { card: card(1), to: DONE, index: 0 }).then_reject(Rejection::CardArchived);
}

#[test]
fn archive_card() {
    given(&board_with_cards())
        .when(Command::ArchiveCard { card: card(2) })
        .then_expect(&[BoardEvent::CardArchived { card: card(2) }]);
    given(&board_with_cards()).when(Command::ArchiveCard { card: card(9) }).then_reject(Rejection::UnknownCard);
    let mut archived = board_with_cards();
    archived.push(BoardEvent::CardArchived { card: card(2) });
    given(&archived).when(Command::ArchiveCard { card: card(2) }).then_reject(Rejection::CardArchived);
}

#[test]
fn restore_card() {
    let mut archived = board_with_cards();
    archived.push(BoardEvent::CardArchived { card: card(3) });
    given(&archived)
        .when(Command::RestoreCard { card: card(3) })
        .then_expect(&[BoardEvent::CardRestored { card: card(3), column: DOING }]);
    given(&board_with_cards()).when(Command::RestoreCard { card: card(3) }).then_reject(Rejection::CardNotArchived);
    given(&board_with_cards()).when(Command::RestoreCard { card: card(9) }).then_reject(Rejection::UnknownCard);
    // When its column is gone, the card comes back to the first column.
    archived.push(BoardEvent::ColumnRemoved { column: DOING });
    given(&archived)
        .when(Command::RestoreCard { card: card(3) })
        .then_expect(&[BoardEvent::CardRestored { card: card(3), column: TODO }]);
}

#[test]
fn name_device() {
    given(&[created()])
        .when(Command::NameDevice { device: LAPTOP, name: "Laptop".into() })
        .then_expect(&[BoardEvent::DeviceNamed { device: LAPTOP, name: "Laptop".into() }]);
    given(&[created(), BoardEvent::DeviceNamed { device: LAPTOP, name: "Laptop".into() }])
        .when(Command::NameDevice { device: LAPTOP, name: "Laptop".into() })
        .then_expect(&[]);
    given(&[created()])
        .when(Command::NameDevice { device: LAPTOP, name: "\t".into() })
        .then_reject(Rejection::EmptyName);
}

#[test]
fn rejections_read_as_sentences() {
    assert_eq!(
        Rejection::TitleTooLong { length: 230 }.to_string(),
        "A title can have at most 200 characters; this one has 230."
    );
    assert_eq!(
        Rejection::ColumnNotEmpty { cards: 2 }.to_string(),
        "Only an empty column can be removed; this one has 2 card(s). Move or archive them first."
    );
}

/// Nothing the decider makes can be refused by the sync server for its size, in the clear or
/// sealed: the longest title and description, in the characters that take the most bytes in
/// JSON, still fit one event once sealed (base64url of the ciphertext and its tag).
#[test]
fn the_largest_events_a_person_can_make_fit_the_protocol_even_sealed() {
    use chronicle_board::{BoardDecider, MAX_DESCRIPTION, MAX_NAME, MAX_TITLE};
    use chronicle_core::sealed::{self, KeyId, NONCE_BYTES, TAG_BYTES};
    use chronicle_core::{Decider, Event};
    let board =
        chronicle_board::BoardProjections::replay(record(&[created(), added(1, TODO, "Fix login")]).iter()).board;
    for widest in ['𝄞', '"', '\\'] {
        let long = |n: usize| widest.to_string().repeat(n);
        let commands = [
            Command::AddCard {
                card: card(2),
                column: TODO,
                title: long(MAX_TITLE),
                description: long(MAX_DESCRIPTION),
            },
            Command::EditCard { card: card(1), title: long(MAX_TITLE), description: long(MAX_DESCRIPTION) },
            Command::RenameBoard { name: long(MAX_NAME) },
            Command::AddColumn { column: Uuid::from_u128(0xc9), name: long(MAX_NAME) },
        ];
        for command in commands {
            for payload in BoardDecider::decide(&board, command).unwrap() {
                let event = Event::new(Uuid::from_u128(7), Uuid::from_u128(8), Uuid::from_u128(9), i64::MIN, payload);
                let clear = event.encode();
                assert_eq!(clear.to_wire().problem(), None, "{} with {widest:?}", clear.kind);
                let ciphertext = vec![0xff; sealed::plaintext(&clear).len() + TAG_BYTES];
                let sealed = sealed::sealed(&clear, KeyId([0xff; 16]), &[0xff; NONCE_BYTES], &ciphertext);
                assert_eq!(sealed.to_wire().problem(), None, "sealed {} with {widest:?}", clear.kind);
            }
        }
    }
}

/// Control characters show as nothing and cost six bytes each in JSON: texts leave them out,
/// keeping a description's lines and tabs.
#[test]
fn texts_leave_out_control_characters() {
    given(&[created(), added(1, TODO, "Fix login")])
        .when(Command::EditCard {
            card: card(1),
            title: "Fix\u{1}\tlogin\u{7f}".into(),
            description: "a\u{0}\n\tb\u{1b}".into(),
        })
        .then_expect(&[BoardEvent::CardEdited {
            card: card(1),
            title: "Fix login".into(),
            description: "a\n\tb".into(),
        }]);
    given(&[created()])
        .when(Command::AddColumn { column: Uuid::from_u128(0xc9), name: "\u{2}\u{3}".into() })
        .then_reject(Rejection::EmptyName);
}

#[test]
fn a_board_has_at_most_so_many_columns_but_others_events_past_it_still_fold() {
    use chronicle_board::{BoardProjections, MAX_COLUMNS};
    let mut events = vec![created()];
    events.extend(
        (3..MAX_COLUMNS as u128)
            .map(|n| BoardEvent::ColumnAdded { column: Uuid::from_u128(0xd000 + n), name: format!("C{n}") }),
    );
    given(&events)
        .when(Command::AddColumn { column: Uuid::from_u128(0xe000), name: "One more".into() })
        .then_reject(Rejection::TooManyColumns);

    // Another client pushed many more: they fold, as every log always will.
    events.extend(
        (0..400u128).map(|n| BoardEvent::ColumnAdded { column: Uuid::from_u128(0xf000 + n), name: format!("X{n}") }),
    );
    events.push(added(1, TODO, "Still here"));
    let board = BoardProjections::replay(record(&events).iter());
    assert_eq!(board.board.columns().len(), MAX_COLUMNS + 400);
    assert_eq!(board.board.card(card(1)).map(|c| c.title.as_str()), Some("Still here"));
    assert_eq!(board.flow.counts_at(board.position, &[TODO]), [1], "the flow counts the card");
}
