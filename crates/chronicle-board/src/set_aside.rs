//! Which changes go with one the server refused for good: those that build on it.

use std::collections::HashSet;

use chronicle_core::Event;
use uuid::Uuid;

use crate::event::BoardEvent;

/// The cards an event acts on, and the columns it refers to and the columns it brings.
fn parts(event: &BoardEvent) -> (Option<Uuid>, Vec<Uuid>, Vec<Uuid>) {
    match event {
        BoardEvent::BoardCreated { columns, .. } => (None, Vec::new(), columns.iter().map(|c| c.id).collect()),
        BoardEvent::BoardRenamed { .. } | BoardEvent::DeviceNamed { .. } => (None, Vec::new(), Vec::new()),
        BoardEvent::ColumnAdded { column, .. } => (None, Vec::new(), vec![*column]),
        BoardEvent::ColumnRenamed { column, .. }
        | BoardEvent::ColumnMoved { column, .. }
        | BoardEvent::ColumnRemoved { column } => (None, vec![*column], Vec::new()),
        BoardEvent::CardAdded { card, column, .. } | BoardEvent::CardRestored { card, column } => {
            (Some(*card), vec![*column], Vec::new())
        }
        BoardEvent::CardEdited { card, .. } | BoardEvent::CardArchived { card } => {
            (Some(*card), Vec::new(), Vec::new())
        }
        BoardEvent::CardMoved { card, from, to, .. } => (Some(*card), vec![*from, *to], Vec::new()),
        BoardEvent::Undo { change, .. } => parts(change),
    }
}

/// Of the pending changes `groups` (one per command, in order), the ones to set aside with the
/// change at `refused`, which the server refused for good: that one, and every later one that
/// builds on what is set aside, that is, acts on a card a change set aside acts on, or names a
/// column a change set aside brought. Later changes to other cards stay, so that as much as
/// possible still syncs. Returns their indices, in order.
pub fn set_aside_with(groups: &[Vec<Event<BoardEvent>>], refused: usize) -> Vec<usize> {
    let mut cards: HashSet<Uuid> = HashSet::new();
    let mut columns: HashSet<Uuid> = HashSet::new();
    let mut taken = Vec::new();
    for (i, group) in groups.iter().enumerate().skip(refused) {
        let parts: Vec<_> = group.iter().filter_map(Event::known).map(parts).collect();
        let builds_on = parts.iter().any(|(card, named, _)| {
            card.is_some_and(|c| cards.contains(&c)) || named.iter().any(|c| columns.contains(c))
        });
        if i == refused || builds_on {
            for (card, _, brought) in parts {
                cards.extend(card);
                columns.extend(brought);
            }
            taken.push(i);
        }
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::set_aside_with;
    use crate::event::BoardEvent;
    use chronicle_core::Event;
    use uuid::Uuid;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn group(events: &[BoardEvent]) -> Vec<Event<BoardEvent>> {
        events.iter().map(|e| Event::new(Uuid::from_u128(0xe), id(1), id(2), 0, e.clone())).collect()
    }

    fn add(card: u128, column: u128) -> BoardEvent {
        BoardEvent::CardAdded { card: id(card), column: id(column), title: "t".into(), description: String::new() }
    }

    #[test]
    fn what_builds_on_a_refused_change_goes_with_it_and_nothing_else() {
        let groups = vec![
            group(&[add(10, 100)]),
            group(&[BoardEvent::ColumnAdded { column: id(200), name: "New".into() }]),
            group(&[add(11, 100)]),
            group(&[BoardEvent::CardEdited { card: id(10), title: "x".into(), description: String::new() }]),
            group(&[BoardEvent::CardMoved { card: id(11), from: id(100), to: id(200), index: 0 }]),
            group(&[add(12, 200)]),
            group(&[BoardEvent::CardArchived { card: id(12) }]),
            group(&[BoardEvent::BoardRenamed { name: "n".into() }]),
        ];
        // The first card: its edit goes with it; another card in the same column does not.
        assert_eq!(set_aside_with(&groups, 0), [0, 3]);
        // A new column: what is moved or added into it, and what is done to those cards after.
        assert_eq!(set_aside_with(&groups, 1), [1, 4, 5, 6]);
        // Nothing builds on a rename.
        assert_eq!(set_aside_with(&groups, 7), [7]);
    }
}
