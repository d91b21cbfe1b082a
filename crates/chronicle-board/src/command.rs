//! Commands a person gives the board, and the rules that decide them.

use chronicle_core::{Decider, Event};
use thiserror::Error;
use uuid::Uuid;

use crate::board::Board;
use crate::event::{BoardEvent, ColumnSeed};
use crate::undo::{UndoStep, take_back};

/// Longest card title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest board, column or device name, in characters.
pub const MAX_NAME: usize = 80;
/// Longest card description, in characters.
pub const MAX_DESCRIPTION: usize = 10_000;
/// Most columns a board has. Events of other clients past it still fold (`evolve` has no cap, so
/// every log replays the same forever), but nothing made here goes past it.
pub const MAX_COLUMNS: usize = 100;
/// The columns a new board starts with.
pub const DEFAULT_COLUMNS: [&str; 3] = ["To do", "Doing", "Done"];

/// What a person can ask of a board. Ids of new things are chosen by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Creates the board with the default columns, whose ids are given.
    CreateBoard {
        /// Its name.
        name: String,
        /// Ids for "To do", "Doing" and "Done".
        columns: [Uuid; 3],
    },
    /// Renames the board.
    RenameBoard {
        /// The new name.
        name: String,
    },
    /// Adds a column at the right end.
    AddColumn {
        /// Id for the new column.
        column: Uuid,
        /// Its name.
        name: String,
    },
    /// Renames a column.
    RenameColumn {
        /// The column.
        column: Uuid,
        /// Its new name.
        name: String,
    },
    /// Moves a column to another index.
    MoveColumn {
        /// The column.
        column: Uuid,
        /// Its index after the move.
        index: usize,
    },
    /// Removes an empty column.
    RemoveColumn {
        /// The column.
        column: Uuid,
    },
    /// Adds a card at the bottom of a column.
    AddCard {
        /// Id for the new card.
        card: Uuid,
        /// The column.
        column: Uuid,
        /// Its title.
        title: String,
        /// Its description, possibly empty.
        description: String,
    },
    /// Changes a card's title and description.
    EditCard {
        /// The card.
        card: Uuid,
        /// Its new title.
        title: String,
        /// Its new description.
        description: String,
    },
    /// Moves a card to a column and an index in it.
    MoveCard {
        /// The card.
        card: Uuid,
        /// The column it goes to.
        to: Uuid,
        /// Its index there, counted without the card itself.
        index: usize,
    },
    /// Archives a card.
    ArchiveCard {
        /// The card.
        card: Uuid,
    },
    /// Brings an archived card back to its column (or the first column if that one is gone).
    RestoreCard {
        /// The card.
        card: Uuid,
    },
    /// Makes the board show what it showed at an earlier point of its history: its name, its
    /// columns and their cards in order, with their titles and descriptions. History is not
    /// rewritten: the change is made of ordinary events, added now.
    RestoreVersion {
        /// The board as it was.
        target: Box<Board>,
    },
    /// Takes changes back (or, for a redo, makes changes an undo took back again), last first,
    /// with new events decided against the board as it is now: each does what still makes sense,
    /// and when none does, the command is refused with the reason.
    Undo {
        /// The changes, as [`undo_step`](crate::undo_step) read them, in the order they were made.
        steps: Vec<UndoStep>,
        /// Whether this is a redo.
        redo: bool,
    },
    /// Gives this device a name on the board, shown in the activity feed.
    NameDevice {
        /// The device.
        device: Uuid,
        /// Its name.
        name: String,
    },
}

/// Why a command was refused. The message is written for the person who gave it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Rejection {
    /// The board has not been created yet.
    #[error("This board does not exist yet.")]
    BoardNotCreated,
    /// A version from before the board was created cannot be restored.
    #[error("That version is from before the board was created; choose a later one.")]
    BeforeCreation,
    /// The board was already created.
    #[error("This board already exists.")]
    BoardAlreadyCreated,
    /// A card title is empty or only whitespace.
    #[error("A card needs a title.")]
    EmptyTitle,
    /// A card title is too long.
    #[error("A title can have at most {MAX_TITLE} characters; this one has {length}.")]
    TitleTooLong {
        /// Its length in characters.
        length: usize,
    },
    /// A description is too long.
    #[error("A description can have at most {MAX_DESCRIPTION} characters; this one has {length}.")]
    DescriptionTooLong {
        /// Its length in characters.
        length: usize,
    },
    /// A board, column or device name is empty or only whitespace.
    #[error("A name cannot be empty.")]
    EmptyName,
    /// A board, column or device name is too long.
    #[error("A name can have at most {MAX_NAME} characters; this one has {length}.")]
    NameTooLong {
        /// Its length in characters.
        length: usize,
    },
    /// No card has this id.
    #[error("That card does not exist.")]
    UnknownCard,
    /// No column has this id.
    #[error("That column does not exist.")]
    UnknownColumn,
    /// A card with this id already exists.
    #[error("A card with this id already exists.")]
    DuplicateCard,
    /// A column with this id already exists.
    #[error("A column with this id already exists.")]
    DuplicateColumn,
    /// The board has as many columns as a board may have.
    #[error("A board can have at most {MAX_COLUMNS} columns. Remove one to add another.")]
    TooManyColumns,
    /// Only empty columns can be removed.
    #[error("Only an empty column can be removed; this one has {cards} card(s). Move or archive them first.")]
    ColumnNotEmpty {
        /// Live cards in the column.
        cards: usize,
    },
    /// A board keeps at least one column.
    #[error("A board needs at least one column.")]
    LastColumn,
    /// The card is archived; restore it first.
    #[error("That card is archived; restore it first.")]
    CardArchived,
    /// An undo or a redo found nothing that still makes sense; the sentence says why.
    #[error("{0}")]
    NothingToUndo(String),
    /// The card is not archived.
    #[error("That card is not archived.")]
    CardNotArchived,
    /// The position is outside the column or the board.
    #[error("There is no position {index} there.")]
    PositionOutOfRange {
        /// The index asked for.
        index: usize,
    },
}

/// `text` without control characters: they show as nothing, and in an event's JSON each takes six
/// bytes, which would let a text of the longest allowed length outgrow an event once sealed.
/// Newlines and tabs stay where `keep_lines` says so; elsewhere they become spaces.
fn without_controls(text: &str, keep_lines: bool) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\t' if keep_lines => Some(c),
            '\n' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect::<String>()
        .into()
}

fn check_title(title: &str) -> Result<String, Rejection> {
    let title = without_controls(title, false);
    let title = title.trim();
    if title.is_empty() {
        return Err(Rejection::EmptyTitle);
    }
    let length = title.chars().count();
    if length > MAX_TITLE {
        return Err(Rejection::TitleTooLong { length });
    }
    Ok(title.to_owned())
}

fn check_description(description: &str) -> Result<String, Rejection> {
    let description = without_controls(description, true);
    let description = description.trim_end();
    let length = description.chars().count();
    if length > MAX_DESCRIPTION {
        return Err(Rejection::DescriptionTooLong { length });
    }
    Ok(description.to_owned())
}

fn check_name(name: &str) -> Result<String, Rejection> {
    let name = without_controls(name, false);
    let name = name.trim();
    if name.is_empty() {
        return Err(Rejection::EmptyName);
    }
    let length = name.chars().count();
    if length > MAX_NAME {
        return Err(Rejection::NameTooLong { length });
    }
    Ok(name.to_owned())
}

/// The board's decider.
#[derive(Debug, Clone, Copy, Default)]
pub struct BoardDecider;

impl Decider for BoardDecider {
    type State = Board;
    type Command = Command;
    type Event = BoardEvent;
    type Rejection = Rejection;

    fn decide(board: &Board, command: Command) -> Result<Vec<BoardEvent>, Rejection> {
        if !board.is_created() && !matches!(command, Command::CreateBoard { .. }) {
            return Err(Rejection::BoardNotCreated);
        }
        let column = |id: Uuid| board.column(id).ok_or(Rejection::UnknownColumn);
        let card = |id: Uuid| board.card(id).ok_or(Rejection::UnknownCard);
        let live_card = |id: Uuid| match board.card(id) {
            None => Err(Rejection::UnknownCard),
            Some(c) if c.archived => Err(Rejection::CardArchived),
            Some(c) => Ok(c),
        };
        Ok(match command {
            Command::CreateBoard { name, columns } => {
                if board.is_created() {
                    return Err(Rejection::BoardAlreadyCreated);
                }
                let name = check_name(&name)?;
                let columns = columns
                    .iter()
                    .zip(DEFAULT_COLUMNS)
                    .map(|(id, name)| ColumnSeed { id: *id, name: name.to_owned() })
                    .collect();
                vec![BoardEvent::BoardCreated { name, columns }]
            }
            Command::RenameBoard { name } => {
                let name = check_name(&name)?;
                if name == board.name() {
                    return Ok(vec![]);
                }
                vec![BoardEvent::BoardRenamed { name }]
            }
            Command::AddColumn { column, name } => {
                if board.column(column).is_some() {
                    return Err(Rejection::DuplicateColumn);
                }
                if board.columns().len() >= MAX_COLUMNS {
                    return Err(Rejection::TooManyColumns);
                }
                vec![BoardEvent::ColumnAdded { column, name: check_name(&name)? }]
            }
            Command::RenameColumn { column: id, name } => {
                let current = column(id)?;
                let name = check_name(&name)?;
                if name == current.name {
                    return Ok(vec![]);
                }
                vec![BoardEvent::ColumnRenamed { column: id, name }]
            }
            Command::MoveColumn { column: id, index } => {
                let from = board.column_index(id).ok_or(Rejection::UnknownColumn)?;
                if index >= board.columns().len() {
                    return Err(Rejection::PositionOutOfRange { index });
                }
                if from == index {
                    return Ok(vec![]);
                }
                vec![BoardEvent::ColumnMoved { column: id, index: index as u32 }]
            }
            Command::RemoveColumn { column: id } => {
                let current = column(id)?;
                if !current.is_empty() {
                    return Err(Rejection::ColumnNotEmpty { cards: current.len() });
                }
                if board.columns().len() == 1 {
                    return Err(Rejection::LastColumn);
                }
                vec![BoardEvent::ColumnRemoved { column: id }]
            }
            Command::AddCard { card: id, column: column_id, title, description } => {
                column(column_id)?;
                if board.card(id).is_some() {
                    return Err(Rejection::DuplicateCard);
                }
                let title = check_title(&title)?;
                let description = check_description(&description)?;
                vec![BoardEvent::CardAdded { card: id, column: column_id, title, description }]
            }
            Command::EditCard { card: id, title, description } => {
                let current = live_card(id)?;
                let title = check_title(&title)?;
                let description = check_description(&description)?;
                if title == current.title && description == current.description {
                    return Ok(vec![]);
                }
                vec![BoardEvent::CardEdited { card: id, title, description }]
            }
            Command::MoveCard { card: id, to, index } => {
                let current = live_card(id)?;
                let target = column(to)?;
                let room = if current.column == to { target.len() - 1 } else { target.len() };
                if index > room {
                    return Err(Rejection::PositionOutOfRange { index });
                }
                if board.position_of(id).is_some_and(|(c, i)| board.columns()[c].id == to && i == index) {
                    return Ok(vec![]);
                }
                vec![BoardEvent::CardMoved { card: id, from: current.column, to, index: index as u32 }]
            }
            Command::ArchiveCard { card: id } => {
                live_card(id)?;
                vec![BoardEvent::CardArchived { card: id }]
            }
            Command::RestoreCard { card: id } => {
                let current = card(id)?;
                if !current.archived {
                    return Err(Rejection::CardNotArchived);
                }
                let first = board.columns().first().ok_or(Rejection::UnknownColumn)?;
                let column = board.column(current.column).unwrap_or(first).id;
                vec![BoardEvent::CardRestored { card: id, column }]
            }
            Command::RestoreVersion { target } => restore(board, &target)?,
            Command::Undo { steps, redo } => undo(board, &steps, redo)?,
            Command::NameDevice { device, name } => {
                let name = check_name(&name)?;
                if board.device_name(device) == Some(name.as_str()) {
                    return Ok(vec![]);
                }
                vec![BoardEvent::DeviceNamed { device, name }]
            }
        })
    }

    fn evolve(mut board: Board, event: &Event<BoardEvent>) -> Board {
        board.apply_event(event);
        board
    }
}

/// The events that take `steps` back, last first, each decided on the board as the ones before
/// it left it; a step that no longer makes sense is passed over, and when none does, the first
/// reason found is the answer.
fn undo(present: &Board, steps: &[UndoStep], redo: bool) -> Result<Vec<BoardEvent>, Rejection> {
    if let [step] = steps {
        return take_back(present, step, redo);
    }
    let mut board = present.clone();
    let (mut events, mut refused) = (Vec::new(), None);
    for step in steps.iter().rev() {
        match take_back(&board, step, redo) {
            Ok(made) => {
                for event in made {
                    board.evolve(&event);
                    events.push(event);
                }
            }
            Err(why) => {
                refused.get_or_insert(why);
            }
        }
    }
    match (events.is_empty(), refused) {
        (true, Some(why)) => Err(why),
        (true, None) => Err(Rejection::NothingToUndo("There is nothing to undo.".to_owned())),
        (false, _) => Ok(events),
    }
}

/// The events that make `present` show what `target` showed. They are decided one after another
/// on a copy of the board, each through the rules of its own command, so that every one of them
/// applies where it lands: missing columns come back, cards not on the target are archived, the
/// target's cards are restored, edited and moved into place in order, then columns are renamed,
/// put in order, and those the target did not have are removed (empty by then).
fn restore(present: &Board, target: &Board) -> Result<Vec<BoardEvent>, Rejection> {
    if !target.is_created() {
        return Err(Rejection::BeforeCreation);
    }
    let mut board = present.clone();
    let mut events = Vec::new();
    let mut run = |board: &mut Board, command: Command| -> Result<(), Rejection> {
        for event in BoardDecider::decide(board, command)? {
            board.evolve(&event);
            events.push(event);
        }
        Ok(())
    };
    if board.name() != target.name() {
        run(&mut board, Command::RenameBoard { name: target.name().to_owned() })?;
    }
    for column in target.columns() {
        if board.column(column.id).is_none() {
            run(&mut board, Command::AddColumn { column: column.id, name: column.name.clone() })?;
        }
    }
    let kept: std::collections::HashSet<Uuid> = target.columns().iter().flat_map(|c| target.card_ids(c.id)).collect();
    let live: Vec<Uuid> = board.columns().iter().flat_map(|c| board.card_ids(c.id)).collect();
    for card in live.into_iter().filter(|id| !kept.contains(id)) {
        run(&mut board, Command::ArchiveCard { card })?;
    }
    for column in target.columns() {
        for (index, then) in target.cards_in(column).enumerate() {
            match board.card(then.id) {
                None => run(
                    &mut board,
                    Command::AddCard {
                        card: then.id,
                        column: column.id,
                        title: then.title.clone(),
                        description: then.description.clone(),
                    },
                )?,
                Some(now) if now.archived => run(&mut board, Command::RestoreCard { card: then.id })?,
                Some(_) => {}
            }
            let now = board.card(then.id).ok_or(Rejection::UnknownCard)?;
            if now.title != then.title || now.description != then.description {
                let (title, description) = (then.title.clone(), then.description.clone());
                run(&mut board, Command::EditCard { card: then.id, title, description })?;
            }
            run(&mut board, Command::MoveCard { card: then.id, to: column.id, index })?;
        }
    }
    for (index, column) in target.columns().iter().enumerate() {
        run(&mut board, Command::RenameColumn { column: column.id, name: column.name.clone() })?;
        run(&mut board, Command::MoveColumn { column: column.id, index })?;
    }
    let extra: Vec<Uuid> = board.columns().iter().map(|c| c.id).filter(|id| target.column(*id).is_none()).collect();
    for column in extra {
        run(&mut board, Command::RemoveColumn { column })?;
    }
    Ok(events)
}
