//! The board's events: past-tense facts with stable wire names and versions.

use chronicle_core::id::Id;
use chronicle_core::{Data, EventPayload};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A column as a new board starts with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSeed {
    /// The column's id.
    pub id: Uuid,
    /// The column's name.
    pub name: String,
}

/// What an event takes back: the change a person undid (or, for a redo, made again after undoing
/// it). Carried in the data of the event that does it, as `undoes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UndoMark {
    /// The event whose change this takes back.
    pub event: Uuid,
    /// That event's type, by its wire name.
    pub kind: String,
    /// Whether this makes again a change that an undo took back.
    #[serde(default)]
    pub redo: bool,
}

/// The types whose events may take back another's change: version 2 of each adds `undoes` (an
/// [`UndoMark`], or `null`) to version 1. An event that takes nothing back is still written at
/// version 1, which every earlier build reads.
const UNDOING: [&str; 9] = [
    "board_renamed",
    "column_added",
    "column_renamed",
    "column_moved",
    "column_removed",
    "card_edited",
    "card_moved",
    "card_archived",
    "card_restored",
];

/// Everything that can happen to a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardEvent {
    /// `board_created` v1: the board exists, with its name and first columns.
    BoardCreated {
        /// Name of the board.
        name: String,
        /// The columns it starts with, in order.
        columns: Vec<ColumnSeed>,
    },
    /// `board_renamed` v1.
    BoardRenamed {
        /// The new name.
        name: String,
    },
    /// `column_added` v1: a column was added at the right end.
    ColumnAdded {
        /// The new column's id.
        column: Uuid,
        /// Its name.
        name: String,
    },
    /// `column_renamed` v1.
    ColumnRenamed {
        /// The column.
        column: Uuid,
        /// Its new name.
        name: String,
    },
    /// `column_moved` v1: a column now sits at `index` among the columns.
    ColumnMoved {
        /// The column.
        column: Uuid,
        /// Its new index, counted after it was taken out.
        index: u32,
    },
    /// `column_removed` v1: an empty column was removed.
    ColumnRemoved {
        /// The column.
        column: Uuid,
    },
    /// `card_added` v2: a card was added at the bottom of a column. Version 1 had no description.
    CardAdded {
        /// The new card's id.
        card: Uuid,
        /// The column it was added to.
        column: Uuid,
        /// Its title.
        title: String,
        /// Its description, possibly empty.
        description: String,
    },
    /// `card_edited` v1: a card's title and description are now these.
    CardEdited {
        /// The card.
        card: Uuid,
        /// Its title.
        title: String,
        /// Its description.
        description: String,
    },
    /// `card_moved` v1: a card now sits in column `to` at `index`.
    CardMoved {
        /// The card.
        card: Uuid,
        /// The column it was in when the move was decided.
        from: Uuid,
        /// The column it is now in.
        to: Uuid,
        /// Its index in `to`, counted after it was taken out.
        index: u32,
    },
    /// `card_archived` v1.
    CardArchived {
        /// The card.
        card: Uuid,
    },
    /// `card_restored` v1: an archived card is back, at the bottom of `column`.
    CardRestored {
        /// The card.
        card: Uuid,
        /// The column it came back to.
        column: Uuid,
    },
    /// `device_named` v1: the device that made the following events goes by this name.
    DeviceNamed {
        /// The device.
        device: Uuid,
        /// Its name.
        name: String,
    },
    /// A change that takes back another (undo), or makes it again (redo): one of the events
    /// above whose type is among those that may (version 2, with `undoes`).
    Undo {
        /// What it takes back.
        mark: UndoMark,
        /// The change itself; never an `Undo`.
        change: Box<BoardEvent>,
    },
}

impl BoardEvent {
    /// The change the event makes: itself, or for an undo the change inside it.
    pub fn change(&self) -> &BoardEvent {
        match self {
            BoardEvent::Undo { change, .. } => change,
            event => event,
        }
    }
}

mod wire {
    //! The JSON shape of each payload. Version 2 of the types in [`UNDOING`](super::UNDOING)
    //! only adds an optional `undoes`, so one shape reads both versions; `card_added` version 1
    //! has a shape of its own, without the description version 2 requires. Either way the data
    //! is read as it is, with no tree of JSON values built for it.
    use super::{ColumnSeed, UndoMark};
    use chronicle_core::id::Id;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct BoardCreated {
        pub(super) name: String,
        pub(super) columns: Vec<ColumnSeed>,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Name {
        pub(super) name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) undoes: Option<UndoMark>,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct ColumnName {
        pub(super) column: Id,
        pub(super) name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) undoes: Option<UndoMark>,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct ColumnIndex {
        pub(super) column: Id,
        pub(super) index: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) undoes: Option<UndoMark>,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Column {
        pub(super) column: Id,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) undoes: Option<UndoMark>,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct CardAdded {
        pub(super) card: Id,
        pub(super) column: Id,
        pub(super) title: String,
        pub(super) description: String,
    }
    /// `card_added` version 1, which had no description: it reads as empty.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct CardAddedV1 {
        pub(super) card: Id,
        pub(super) column: Id,
        pub(super) title: String,
        #[serde(default)]
        pub(super) description: String,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct CardEdited {
        pub(super) card: Id,
        pub(super) title: String,
        pub(super) description: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) undoes: Option<UndoMark>,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct CardMoved {
        pub(super) card: Id,
        pub(super) from: Id,
        pub(super) to: Id,
        pub(super) index: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) undoes: Option<UndoMark>,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Card {
        pub(super) card: Id,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) undoes: Option<UndoMark>,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct CardColumn {
        pub(super) card: Id,
        pub(super) column: Id,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub(super) undoes: Option<UndoMark>,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct DeviceNamed {
        pub(super) device: Id,
        pub(super) name: String,
    }
}

fn data_of(value: impl Serialize) -> Data {
    // These payloads are plain structs of strings, numbers and ids; serialising them cannot fail.
    Data::of(&value).unwrap_or_default()
}

fn read<'a, T: Deserialize<'a>>(data: &'a str) -> Result<T, String> {
    serde_json::from_str(data).map_err(|e| e.to_string())
}

/// `change`, taking back what `undoes` names when there is a mark.
fn undoing(change: BoardEvent, undoes: Option<UndoMark>) -> BoardEvent {
    match undoes {
        Some(mark) => BoardEvent::Undo { mark, change: Box::new(change) },
        None => change,
    }
}

impl EventPayload for BoardEvent {
    fn kind(&self) -> &'static str {
        match self {
            BoardEvent::BoardCreated { .. } => "board_created",
            BoardEvent::BoardRenamed { .. } => "board_renamed",
            BoardEvent::ColumnAdded { .. } => "column_added",
            BoardEvent::ColumnRenamed { .. } => "column_renamed",
            BoardEvent::ColumnMoved { .. } => "column_moved",
            BoardEvent::ColumnRemoved { .. } => "column_removed",
            BoardEvent::CardAdded { .. } => "card_added",
            BoardEvent::CardEdited { .. } => "card_edited",
            BoardEvent::CardMoved { .. } => "card_moved",
            BoardEvent::CardArchived { .. } => "card_archived",
            BoardEvent::CardRestored { .. } => "card_restored",
            BoardEvent::DeviceNamed { .. } => "device_named",
            BoardEvent::Undo { change, .. } => change.kind(),
        }
    }

    /// An undo is written at version 2; every other event at the first version that holds it,
    /// so that earlier builds read all but undos.
    fn version(&self) -> u16 {
        match self {
            BoardEvent::Undo { .. } | BoardEvent::CardAdded { .. } => 2,
            _ => 1,
        }
    }

    fn current_version(kind: &str) -> Option<u16> {
        match kind {
            "card_added" => Some(2),
            kind if UNDOING.contains(&kind) => Some(2),
            "board_created" | "device_named" => Some(1),
            _ => None,
        }
    }

    fn to_data(&self) -> Data {
        let (event, undoes) = match self.clone() {
            BoardEvent::Undo { mark, change } => (*change, Some(mark)),
            event => (event, None),
        };
        match event {
            BoardEvent::BoardCreated { name, columns } => data_of(wire::BoardCreated { name, columns }),
            BoardEvent::BoardRenamed { name } => data_of(wire::Name { name, undoes }),
            BoardEvent::ColumnAdded { column, name } | BoardEvent::ColumnRenamed { column, name } => {
                data_of(wire::ColumnName { column: Id(column), name, undoes })
            }
            BoardEvent::ColumnMoved { column, index } => {
                data_of(wire::ColumnIndex { column: Id(column), index, undoes })
            }
            BoardEvent::ColumnRemoved { column } => data_of(wire::Column { column: Id(column), undoes }),
            BoardEvent::CardAdded { card, column, title, description } => {
                data_of(wire::CardAdded { card: Id(card), column: Id(column), title, description })
            }
            BoardEvent::CardEdited { card, title, description } => {
                data_of(wire::CardEdited { card: Id(card), title, description, undoes })
            }
            BoardEvent::CardMoved { card, from, to, index } => {
                data_of(wire::CardMoved { card: Id(card), from: Id(from), to: Id(to), index, undoes })
            }
            BoardEvent::CardArchived { card } => data_of(wire::Card { card: Id(card), undoes }),
            BoardEvent::CardRestored { card, column } => {
                data_of(wire::CardColumn { card: Id(card), column: Id(column), undoes })
            }
            BoardEvent::DeviceNamed { device, name } => data_of(wire::DeviceNamed { device: Id(device), name }),
            // An undo's change is never an undo itself.
            BoardEvent::Undo { change, .. } => change.to_data(),
        }
    }

    fn from_data(kind: &str, version: u16, data: &str) -> Result<Self, String> {
        Ok(match kind {
            "board_created" => {
                let wire::BoardCreated { name, columns } = read(data)?;
                BoardEvent::BoardCreated { name, columns }
            }
            "board_renamed" => {
                let wire::Name { name, undoes } = read(data)?;
                undoing(BoardEvent::BoardRenamed { name }, undoes)
            }
            "column_added" => {
                let wire::ColumnName { column: Id(column), name, undoes } = read(data)?;
                undoing(BoardEvent::ColumnAdded { column, name }, undoes)
            }
            "column_renamed" => {
                let wire::ColumnName { column: Id(column), name, undoes } = read(data)?;
                undoing(BoardEvent::ColumnRenamed { column, name }, undoes)
            }
            "column_moved" => {
                let wire::ColumnIndex { column: Id(column), index, undoes } = read(data)?;
                undoing(BoardEvent::ColumnMoved { column, index }, undoes)
            }
            "column_removed" => {
                let wire::Column { column: Id(column), undoes } = read(data)?;
                undoing(BoardEvent::ColumnRemoved { column }, undoes)
            }
            "card_added" if version == 1 => {
                let wire::CardAddedV1 { card: Id(card), column: Id(column), title, description } = read(data)?;
                BoardEvent::CardAdded { card, column, title, description }
            }
            "card_added" => {
                let wire::CardAdded { card: Id(card), column: Id(column), title, description } = read(data)?;
                BoardEvent::CardAdded { card, column, title, description }
            }
            "card_edited" => {
                let wire::CardEdited { card: Id(card), title, description, undoes } = read(data)?;
                undoing(BoardEvent::CardEdited { card, title, description }, undoes)
            }
            "card_moved" => {
                let wire::CardMoved { card: Id(card), from: Id(from), to: Id(to), index, undoes } = read(data)?;
                undoing(BoardEvent::CardMoved { card, from, to, index }, undoes)
            }
            "card_archived" => {
                let wire::Card { card: Id(card), undoes } = read(data)?;
                undoing(BoardEvent::CardArchived { card }, undoes)
            }
            "card_restored" => {
                let wire::CardColumn { card: Id(card), column: Id(column), undoes } = read(data)?;
                undoing(BoardEvent::CardRestored { card, column }, undoes)
            }
            "device_named" => {
                let wire::DeviceNamed { device: Id(device), name } = read(data)?;
                BoardEvent::DeviceNamed { device, name }
            }
            other => return Err(format!("unknown event type {other:?}")),
        })
    }
}
