//! The board service in a real headless Chromium: the one path from the screen to storage.
//! Boards are made, renamed, edited on an open board while another tab writes, exported and
//! imported, and read back as a person would see them.

#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use chronicle::service::{BoardChange, BoardService, CommandError, ImportFailed, OpenBoard, Opened};
use chronicle::storage::Storage;
use chronicle_board::{BoardProjections, Command, History, Rejection};
use chronicle_core::{Decider, Event, Uuid};
use futures::StreamExt;
use futures::channel::mpsc;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn service(database: &str) -> Rc<BoardService> {
    BoardService::start_with(database, || (), || ()).await.unwrap().0
}

fn fresh_name() -> String {
    format!("chronicle-test-{}", chronicle::clock::new_id())
}

/// A service and a second handle on its database, as another tab holds it.
async fn service_and_storage() -> (Rc<BoardService>, Storage) {
    let database = fresh_name();
    (service(&database).await, Storage::open(&database, || ()).await.unwrap())
}

/// Opens a board as the board page does; the receiver hears what changes.
async fn open(
    service: &Rc<BoardService>,
    stream: Uuid,
) -> (OpenBoard, BoardProjections, mpsc::UnboundedReceiver<BoardChange>) {
    let opening = service.open(stream, || ());
    let Opened::Ready(opened) = opening.read().await else { panic!("the board is there") };
    let (tell, heard) = mpsc::unbounded();
    let (board, shown) = opening.start(*opened, move |change| {
        let _ = tell.unbounded_send(change);
    });
    (board, shown, heard)
}

/// Waits until every change of the open board is written.
async fn saved(heard: &mut mpsc::UnboundedReceiver<BoardChange>) {
    while let Some(change) = heard.next().await {
        if let BoardChange::Counts { unsaved: 0, .. } = change {
            return;
        }
        assert!(!matches!(change, BoardChange::Problem(_)), "{change:?}");
    }
}

/// Adds `count` cards to `column`, each as soon as the one before is told saved.
async fn add_back_to_back(
    open_board: &OpenBoard,
    shown: &mut BoardProjections,
    heard: &mut mpsc::UnboundedReceiver<BoardChange>,
    column: Uuid,
    count: usize,
) {
    for i in 0..count {
        let card = chronicle::clock::new_id();
        let command = Command::AddCard { card, column, title: format!("Card {i}"), description: String::new() };
        open_board.run(shown, command, "Laptop").unwrap();
        saved(heard).await;
    }
}

async fn board(service: &Rc<BoardService>, stream: Uuid) -> BoardProjections {
    open(service, stream).await.1
}

#[wasm_bindgen_test]
async fn a_board_is_made_listed_and_renamed_from_the_list() {
    let service = service(&fresh_name()).await;
    let stream = service.create("  ", "Laptop").await.unwrap();
    let list = service.list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].stream, list[0].name.as_str(), list[0].cards), (stream, "Untitled board", 0));

    service.run(stream, Command::RenameBoard { name: "Plans".into() }, "Laptop").await.unwrap();
    assert_eq!(service.list().await.unwrap()[0].name, "Plans");
    let refused = service.run(stream, Command::RenameBoard { name: " ".into() }, "Laptop").await;
    assert_eq!(refused, Err(CommandError::Rejected(Rejection::EmptyName)));
    assert_eq!(board(&service, stream).await.board.name(), "Plans", "a refusal changes nothing");
}

#[wasm_bindgen_test]
async fn an_open_board_keeps_its_change_and_another_tabs_written_at_the_same_moment() {
    let database = fresh_name();
    let (here, there) = (service(&database).await, service(&database).await);
    let stream = here.create("Shared", "Laptop").await.unwrap();
    let (open_board, mut shown, mut heard) = open(&here, stream).await;
    let column = shown.board.columns()[0].id;

    // The other tab renames the board; this one adds a card, decided before it heard of that.
    there.run(stream, Command::RenameBoard { name: "Renamed".into() }, "Phone").await.unwrap();
    let card = chronicle::clock::new_id();
    let command = Command::AddCard { card, column, title: "Fix login".into(), description: String::new() };
    open_board.run(&mut shown, command, "Laptop").unwrap();
    assert!(shown.board.card(card).is_some(), "shown at once");
    saved(&mut heard).await;

    let stored = board(&there, stream).await;
    assert_eq!(stored.board.name(), "Renamed");
    assert_eq!(stored.board.card(card).map(|c| c.title.as_str()), Some("Fix login"));
    assert_eq!(open_board.unsaved(), 0);
}

#[wasm_bindgen_test]
async fn a_change_made_the_moment_the_last_one_is_saved_is_saved_too() {
    let service = service(&fresh_name()).await;
    let stream = service.create("Quick", "Laptop").await.unwrap();
    let (open_board, mut shown, mut heard) = open(&service, stream).await;
    let column = shown.board.columns()[0].id;
    // Each change is made as soon as the one before is told saved, while the save sequence is
    // still finishing (the board list's summary); none may be left behind.
    add_back_to_back(&open_board, &mut shown, &mut heard, column, 5).await;
    assert_eq!(board(&service, stream).await.board.live_cards(), 5);
}

/// How many events a sync status says wait to be sent, when it says.
fn pending_in(status: &chronicle_core::SyncStatus) -> Option<usize> {
    use chronicle_core::SyncStatus::*;
    match status {
        Offline { pending }
        | Syncing { pending, .. }
        | Stuck { pending, .. }
        | Deleted { pending }
        | Failed { pending, .. } => Some(*pending),
        Synced { .. } => None,
    }
}

#[wasm_bindgen_test]
async fn a_burst_of_changes_is_answered_by_the_sync_once_it_is_saved() {
    use chronicle::tabs::Notice;
    let service = service(&fresh_name()).await;
    let (tell, mut statuses) = mpsc::unbounded();
    let _heard = service.subscribe(move |notice| {
        if let Notice::Sync { stream, status } = notice {
            let _ = tell.unbounded_send((*stream, status.clone()));
        }
    });
    let stream = service.create("Burst", "Laptop").await.unwrap();
    let (open_board, mut shown, mut heard) = open(&service, stream).await;
    let column = shown.board.columns()[0].id;
    // Five changes, each as soon as the one before is told saved: the board's sync is held while
    // they are written, and must still hear of every one of them when saving ends (there is no
    // server here, so its round counts them and says so).
    add_back_to_back(&open_board, &mut shown, &mut heard, column, 5).await;
    let all = service.list().await.unwrap()[0].events as usize;
    let counted = async {
        while let Some((from, status)) = statuses.next().await {
            if from == stream && pending_in(&status) == Some(all) {
                return true;
            }
        }
        false
    };
    let waited = futures::future::select(Box::pin(counted), gloo_timers::future::TimeoutFuture::new(20_000)).await;
    assert!(matches!(waited, futures::future::Either::Left((true, _))), "the sync never counted all {all} events");
}

#[wasm_bindgen_test]
async fn the_history_of_an_open_board_grows_with_it_and_with_what_other_tabs_write() {
    let database = fresh_name();
    let (here, there) = (service(&database).await, service(&database).await);
    let stream = here.create("Grows", "Laptop").await.unwrap();
    let (open_board, mut shown, mut heard) = open(&here, stream).await;
    let history = open_board.history().await.unwrap();
    assert_eq!(history.with(History::len), shown.position);

    let column = shown.board.columns()[0].id;
    let command =
        Command::AddCard { card: Uuid::from_u128(5), column, title: "Grown".into(), description: String::new() };
    open_board.run(&mut shown, command, "Laptop").unwrap();
    assert_eq!(history.with(History::len), shown.position, "the history takes the change at once");
    assert!(history.with(|h| h.board().card(Uuid::from_u128(5)).is_some()));
    saved(&mut heard).await;

    there.run(stream, Command::RenameBoard { name: "Renamed there".into() }, "Phone").await.unwrap();
    while let Some(change) = heard.next().await {
        if let BoardChange::Shown(board) = change {
            shown = *board;
            if shown.board.name() == "Renamed there" {
                break;
            }
        }
    }
    assert_eq!(history.with(History::len), shown.position, "and what another tab wrote");
    assert_eq!(history.with(|h| h.board()), shown.board);
    let again = open_board.history().await.unwrap();
    assert_eq!(again.with(History::len), history.with(History::len), "kept, not read again");
}

#[wasm_bindgen_test]
async fn an_exported_history_imports_as_a_new_board_and_a_foreign_file_changes_nothing() {
    let service = service(&fresh_name()).await;
    let stream = service.create("Kept", "Laptop").await.unwrap();
    let column = board(&service, stream).await.board.columns()[1].id;
    let command =
        Command::AddCard { card: Uuid::from_u128(9), column, title: "Résumé".into(), description: "Long".into() };
    service.run(stream, command, "Laptop").await.unwrap();

    let lines = service.export(stream).await.unwrap();
    let imported = service.import(&file(&lines)).await.unwrap();
    assert_ne!(imported, stream);
    let copy = board(&service, imported).await;
    assert_eq!(copy.board.name(), "Kept");
    assert_eq!(copy.board.card(Uuid::from_u128(9)).map(|c| c.description.as_str()), Some("Long"));

    let refused = service.import(&file("name,title\nBoard,Card\n")).await;
    assert!(matches!(refused, Err(ImportFailed::NotAHistory(_))), "{refused:?}");
    assert_eq!(service.list().await.unwrap().len(), 2, "nothing was added by the refused file");
}

fn file(text: &str) -> web_sys::File {
    let parts = js_sys::Array::of1(&text.into());
    web_sys::File::new_with_str_sequence(&parts, "board.chronicle.jsonl").unwrap()
}

#[wasm_bindgen_test]
async fn the_list_draws_each_board_from_its_kept_summary_until_its_log_moves_on() {
    use chronicle::storage::{StoredSnapshot, StoredSummary};
    use chronicle_board::BoardEvent;

    let (service, storage) = service_and_storage().await;
    let stream = service.create("Plans", "Laptop").await.unwrap();
    let column = board(&service, stream).await.board.columns()[0].id;
    for title in ["One", "Two"] {
        let card = chronicle::clock::new_id();
        let command = Command::AddCard { card, column, title: title.into(), description: String::new() };
        service.run(stream, command, "Laptop").await.unwrap();
    }
    let listed = service.list().await.unwrap();
    // Made, the device named, two cards.
    assert_eq!((listed[0].name.as_str(), listed[0].cards, listed[0].events), ("Plans", 2, 4));
    assert!(listed[0].last_change.is_some());

    // Every write keeps a summary for the revision it wrote, and the list draws what was kept.
    let (state, kept) = storage.summary(stream).await.unwrap();
    let kept = kept.expect("a write keeps a summary");
    assert_eq!((kept.revision, kept.cards, kept.events), (state.revision, 2, 4));
    storage.put_summary(stream, &StoredSummary { name: "As kept".into(), ..kept.clone() }).await.unwrap();
    assert_eq!(service.list().await.unwrap()[0].name, "As kept", "the board is not read to draw its tile");

    // Events stored behind the summary's back (as the sync stores others'): the board is read again.
    let renamed = BoardEvent::BoardRenamed { name: "Renamed".into() };
    let event = Event::new(chronicle::clock::new_id(), stream, Uuid::from_u128(7), 1_700_000_000_000, renamed);
    let key = storage.board_key(stream).await.unwrap();
    storage.append(stream, state.revision, &[event.encode()], &[], key.as_ref()).await.unwrap();
    let listed = service.list().await.unwrap();
    assert_eq!((listed[0].name.as_str(), listed[0].cards, listed[0].events), ("Renamed", 2, 5));
    assert_eq!(listed[0].last_change, Some(1_700_000_000_000));
    // A summary of a revision the log has moved past is never kept.
    storage.put_summary(stream, &StoredSummary { name: "Stale".into(), ..kept }).await.unwrap();
    assert_eq!(service.list().await.unwrap()[0].name, "Renamed");

    // A damaged board says so on its tile; the others are listed as ever.
    let other = chronicle::clock::new_id();
    let created = Command::CreateBoard {
        name: "Other".into(),
        columns: [chronicle::clock::new_id(), chronicle::clock::new_id(), chronicle::clock::new_id()],
    };
    let events: Vec<_> = chronicle_board::BoardDecider::decide(&Default::default(), created)
        .unwrap()
        .into_iter()
        .map(|e| Event::new(chronicle::clock::new_id(), other, Uuid::from_u128(7), 1, e).encode())
        .collect();
    storage.append(other, 0, &events, &[], None).await.unwrap();
    let text = format!("{{\"format\":{},\"projections\":", chronicle_board::SNAPSHOT_FORMAT);
    let damaged = StoredSnapshot { position: 1, last_event: events[0].id, text, log: None };
    storage.put_snapshot(other, &damaged).await.unwrap();
    let listed = service.list().await.unwrap();
    assert_eq!(listed.len(), 2);
    let tile = listed.iter().find(|b| b.stream == other).unwrap();
    assert_eq!(tile.name, "Other");
    assert!(tile.problem.as_deref().is_some_and(|p| p.contains("damaged")), "{:?}", tile.problem);
    assert_eq!(listed.iter().find(|b| b.stream == stream).unwrap().name, "Renamed");
}

/// A board this tab read in the clear, then made private by another tab (which stores its key):
/// the next change here is kept sealed with that key, to be pushed sealed, though this tab read
/// no key when it opened the board.
#[wasm_bindgen_test]
async fn a_change_made_after_another_tab_made_the_board_private_is_kept_sealed() {
    let (service, storage) = service_and_storage().await;
    let stream = chronicle::clock::new_id();
    storage.append(stream, 0, &clear_board(stream, &["Fix login"]), &[], None).await.unwrap();
    let (open_board, mut shown, mut heard) = open(&service, stream).await;
    let column = shown.board.columns()[0].id;
    add_back_to_back(&open_board, &mut shown, &mut heard, column, 1).await;
    assert!(storage.pending(stream).await.unwrap().sealed.is_empty(), "in the clear so far");

    let raw = chronicle::crypto::BoardKey::generate().unwrap();
    storage.set_board_key(stream, &raw).await.unwrap();
    let card = chronicle::clock::new_id();
    let command = Command::AddCard { card, column, title: "Sealed".into(), description: String::new() };
    open_board.run(&mut shown, command, "Laptop").unwrap();
    // Saved once it is among the pending events: the board's two, the first change's two, and it.
    while let Some(change) = heard.next().await {
        assert!(!matches!(change, BoardChange::Problem(_)), "{change:?}");
        if let BoardChange::Counts { unsaved: 0, pending: 5 } = change {
            break;
        }
    }
    let tail = storage.pending(stream).await.unwrap();
    let last = tail.pending.last().and_then(|batch| batch.last()).expect("the change is stored").clone();
    let form = tail.sealed.iter().find(|form| form.id == last.id).expect("the change is kept sealed");
    let key = chronicle::crypto::BoardKey::import(raw).await.unwrap();
    let opened = chronicle::crypto::open_all(Some(&key), vec![form.clone()]).await.remove(0);
    let decoded = |e: chronicle_core::RawEnvelope| Event::<chronicle_board::BoardEvent>::decode(e).payload;
    assert_eq!(decoded(opened), decoded(last), "sealed with the board's key");
    assert_eq!(board(&service, stream).await.board.live_cards(), 3);
}

/// A clear board's first events, as a build before private boards stored them.
fn clear_board(stream: Uuid, cards: &[&str]) -> Vec<chronicle_core::RawEnvelope> {
    let columns = [chronicle::clock::new_id(), chronicle::clock::new_id(), chronicle::clock::new_id()];
    let mut board = chronicle_board::Board::default();
    let mut events = Vec::new();
    let mut commands = vec![Command::CreateBoard { name: "Old plans".into(), columns }];
    commands.extend(cards.iter().map(|title| Command::AddCard {
        card: chronicle::clock::new_id(),
        column: columns[0],
        title: (*title).into(),
        description: String::new(),
    }));
    for command in commands {
        for payload in chronicle_board::BoardDecider::decide(&board, command).unwrap() {
            let event = Event::new(chronicle::clock::new_id(), stream, Uuid::from_u128(7), 1, payload);
            board = chronicle_board::BoardDecider::evolve(board, &event);
            events.push(event.encode());
        }
    }
    events
}

#[wasm_bindgen_test]
async fn a_new_board_is_private_its_events_sealed_before_they_are_stored_and_its_link_carries_the_key() {
    let (service, storage) = service_and_storage().await;
    let stream = service.create("Secret plans", "Laptop").await.unwrap();
    let raw = storage.board_key(stream).await.unwrap().expect("a new board has a key");
    let key = chronicle::crypto::BoardKey::import(raw).await.unwrap();
    let tail = storage.pending(stream).await.unwrap();
    let events: Vec<_> = tail.pending.concat();
    assert_eq!(tail.sealed.len(), events.len(), "every event has its sealed form, kept with it");
    assert!(tail.sealed.iter().all(|e| chronicle_core::sealed::sealed_with(e) == Some(key.id())));
    let mut opened = chronicle::crypto::open_all(Some(&key), tail.sealed.clone()).await;
    opened.sort_by_key(|e| e.id);
    let mut expected = events.clone();
    expected.sort_by_key(|e| e.id);
    assert_eq!(opened, expected, "and opens to exactly the event");
    let (board, _, _) = open(&service, stream).await;
    assert_eq!(board.private(), Some(key.id()));

    storage.set_sync_token(stream, "Tok3n").await.unwrap();
    let link = service.share_link(stream).await.unwrap().unwrap();
    assert_eq!(link.key, Some(raw));
    assert_eq!(chronicle::service::ShareLink::from_fragment(&link.fragment()), Some(link));
}

/// What is written between a board's read and its start (the sync storing what it pulled,
/// another tab) may have been told before the open board listened: the board looks once as it
/// starts, and shows it.
#[wasm_bindgen_test]
async fn what_is_written_between_a_boards_read_and_its_start_is_shown() {
    let (service, storage) = service_and_storage().await;
    let stream = chronicle::clock::new_id();
    let events = clear_board(stream, &["First", "Second"]);
    let state = storage.append(stream, 0, &events[..2], &[], None).await.unwrap();

    let opening = service.open(stream, || ());
    let Opened::Ready(opened) = opening.read().await else { panic!("the board is there") };
    assert_eq!(opened.projections.board.live_cards(), 1);
    // Written with no notice to anyone: nothing tells the board but its own look.
    storage.append(stream, state.revision, &events[2..], &[], None).await.unwrap();
    let (tell, mut heard) = mpsc::unbounded();
    let (_board, shown) = opening.start(*opened, move |change| {
        let _ = tell.unbounded_send(change);
    });
    assert_eq!(shown.board.live_cards(), 1, "as read");
    while let Some(change) = heard.next().await {
        if let BoardChange::Shown(shown) = change {
            let titles: Vec<&str> =
                shown.board.columns().iter().flat_map(|c| shown.board.cards_in(c)).map(|c| c.title.as_str()).collect();
            assert_eq!(titles, ["First", "Second"]);
            return;
        }
    }
}

#[wasm_bindgen_test]
async fn a_board_in_the_clear_keeps_working_and_a_private_copy_of_it_is_encrypted() {
    let (service, storage) = service_and_storage().await;
    let old = chronicle::clock::new_id();
    storage.append(old, 0, &clear_board(old, &["Fix login", "Résumé"]), &[], None).await.unwrap();
    let (open_board, shown, mut heard) = open(&service, old).await;
    assert_eq!(open_board.private(), None, "made before private boards: in the clear");
    let mut shown = shown;
    let column = shown.board.columns()[0].id;
    let add = Command::AddCard {
        card: chronicle::clock::new_id(),
        column,
        title: "Still works".into(),
        description: String::new(),
    };
    open_board.run(&mut shown, add, "Laptop").unwrap();
    saved(&mut heard).await;
    assert!(storage.pending(old).await.unwrap().sealed.is_empty(), "nothing of it is sealed");

    let copy = service.private_copy(old).await.unwrap();
    assert_ne!(copy, old);
    let copied = open(&service, copy).await;
    assert!(copied.0.private().is_some());
    let titles =
        |p: &BoardProjections| p.board.cards_in(&p.board.columns()[0]).map(|c| c.title.clone()).collect::<Vec<_>>();
    assert_eq!(titles(&copied.1), ["Fix login", "Résumé", "Still works"]);
    let tail = storage.pending(copy).await.unwrap();
    assert_eq!(tail.sealed.len(), tail.pending.concat().len(), "every event of the copy is sealed");
    assert_eq!(
        titles(&board(&service, old).await),
        ["Fix login", "Résumé", "Still works"],
        "the old board is untouched"
    );

    // Deleted from this browser only: the list no longer has it.
    service.delete_board(old, false).await.unwrap();
    let listed: Vec<Uuid> = service.list().await.unwrap().iter().map(|b| b.stream).collect();
    assert_eq!(listed, [copy]);
}

#[wasm_bindgen_test]
async fn events_sealed_with_a_key_this_browser_lacked_open_when_a_link_brings_it() {
    let (service, storage) = service_and_storage().await;
    let stream = chronicle::clock::new_id();
    let raw = chronicle::crypto::BoardKey::generate().unwrap();
    let key = chronicle::crypto::BoardKey::import(raw).await.unwrap();
    let events: Vec<_> = clear_board(stream, &["Fix login"])
        .into_iter()
        .enumerate()
        .map(|(i, e)| chronicle_core::RawEnvelope { seq: Some(i as u64 + 1), ..e })
        .collect();
    // They arrived with a link whose key was wrong: kept sealed, nothing applied.
    let wrong = chronicle::crypto::BoardKey::import(chronicle::crypto::BoardKey::generate().unwrap()).await.unwrap();
    storage.set_board_key(stream, wrong.raw()).await.unwrap();
    let sealed = key.seal_all(&events).await.unwrap();
    let kept = chronicle::crypto::open_all(Some(&wrong), sealed).await;
    storage.confirm(stream, &kept, &chronicle_core::Rebased::default()).await.unwrap();
    let Opened::Ready(shown) = service.open(stream, || ()).read().await else { panic!("shown, with the reason") };
    assert_eq!(shown.projections.diagnostics.undecrypted(), events.len() as u64);
    assert!(!shown.projections.board.is_created());

    // The right link: the key is taken and what it sealed opens, in place.
    let link = chronicle::service::ShareLink { stream, token: "Tok3n".into(), key: Some(raw) };
    service.join(&link).await.unwrap();
    let shown = board(&service, stream).await;
    assert_eq!(shown.diagnostics.undecrypted(), 0);
    assert_eq!(shown.board.live_cards(), 1);
    assert_eq!(storage.board_key(stream).await.unwrap(), Some(raw));

    // A link with yet another key does not take the right one away.
    let other = chronicle::service::ShareLink { key: Some(*wrong.raw()), ..link };
    assert_eq!(service.join(&other).await.unwrap(), chronicle::service::Joined::EncryptionKeyKept);
    assert_eq!(storage.board_key(stream).await.unwrap(), Some(raw));
}

#[wasm_bindgen_test]
fn times_beyond_a_day_read_as_this_device_s_clock_shows_them() {
    let now = 1_800_000_000_000;
    for at in [0, 1_700_000_000_000, 1_799_000_000_123] {
        // The browser's own formatter, in a locale that writes a date as the app does, and in
        // this device's time zone, is the reference.
        let options = js_sys::Object::new();
        for (part, style) in [("day", "numeric"), ("month", "short"), ("year", "numeric")]
            .into_iter()
            .chain(["hour", "minute", "second"].map(|part| (part, "2-digit")))
        {
            js_sys::Reflect::set(&options, &part.into(), &style.into()).unwrap();
        }
        js_sys::Reflect::set(&options, &"hourCycle".into(), &"h23".into()).unwrap();
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
        let browser = String::from(date.to_locale_string("en-GB", &options));
        assert_eq!(chronicle::clock::date_time(at), browser);
        assert_eq!(chronicle::clock::relative(at, now), browser);
    }
    assert_eq!(chronicle::clock::relative(now - 5 * 60_000, now), "5 min ago");
    assert_eq!(chronicle::clock::date_time(i64::MAX), "an unknown time");
}

#[wasm_bindgen_test]
async fn reading_a_long_history_tells_how_far_it_has_come() {
    let (service, storage) = service_and_storage().await;
    let events: Vec<chronicle_core::RawEnvelope> =
        chronicle_board::workload::generate(3_000, 21).iter().map(Event::encode).collect();
    let stream = events[0].stream;
    let mut revision = 0;
    for part in events.chunks(500) {
        revision = storage.append(stream, revision, part, &[], None).await.unwrap().revision;
    }
    let (open_board, shown, _heard) = open(&service, stream).await;

    let mut told = Vec::new();
    let history = open_board.history_telling(&mut |read, all| told.push((read, all))).await.unwrap();
    assert_eq!(history.with(History::len), shown.position);
    assert!(told.len() > 1, "told as the read went, not only at its end: {told:?}");
    assert!(told.windows(2).all(|pair| pair[0].0 < pair[1].0 && pair[0].1 == pair[1].1), "{told:?}");
    assert_eq!(told.last(), Some(&(3_000, 3_000)));

    let mut again = Vec::new();
    open_board.history_telling(&mut |read, all| again.push((read, all))).await.unwrap();
    assert_eq!(again, [], "a kept history is not read again");
}
