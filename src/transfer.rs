//! A board's history as a file, out and back in: one JSON envelope per line, in log order.
//!
//! An imported file becomes a new board. Everything in it is checked before anything is stored,
//! so a malformed or foreign file is refused with the reason and changes nothing.

use chronicle_board::{BoardEvent, BoardProjections};
use chronicle_core::{Event, RawEnvelope, Uuid, parse_lines};

/// Why a file cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Nothing in it.
    #[error("The file is empty.")]
    Empty,
    /// A line is not an event of a Chronicle history.
    #[error("Line {line} is not a Chronicle event ({message}). Only files exported from Chronicle can be imported.")]
    NotAnEvent {
        /// The line, from 1.
        line: usize,
        /// What was wrong with it.
        message: String,
    },
    /// An event the sync server would refuse, so that the board could never sync.
    #[error("Event {index} of the file cannot be synced: {problem}.")]
    Refused {
        /// The event's place among the file's events, from 1.
        index: usize,
        /// What the server would refuse.
        problem: String,
    },
    /// The events come from more than one board.
    #[error("The file holds the events of {0} boards; a history file holds one.")]
    ManyBoards(usize),
    /// The events do not make a board.
    #[error("The events in the file do not create a board; it may be cut short.")]
    NoBoard,
}

/// Offers `text` to the person as a file download called `name`.
pub fn download(name: &str, text: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let failed = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/x-ndjson");
    let parts = js_sys::Array::of1(&text.into());
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").map_err(failed)?.unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url).map_err(failed)?;
    Ok(())
}

/// A file name for a board's history: its name, with what file systems refuse left out.
pub fn file_name(board: &str) -> String {
    let safe: String = board
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') { c } else { '-' })
        .collect();
    let safe = safe.trim().trim_matches('.');
    format!("{}.chronicle.jsonl", if safe.is_empty() { "board" } else { safe })
}

/// The history file of a board, from its stored envelopes in log order.
pub fn export_lines(events: &[RawEnvelope]) -> String {
    let mut text = String::new();
    for event in events {
        if let Ok(line) = serde_json::to_string(event) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

/// The events of a new board `stream` from a history file: the same changes, by the same devices,
/// at the same times, in the same order, each under a new id (`new_id`), all pending until they
/// sync. Refuses the whole file if any of it is wrong.
pub fn import_lines(
    text: &str,
    stream: Uuid,
    mut new_id: impl FnMut() -> Uuid,
) -> Result<Vec<RawEnvelope>, ImportError> {
    let (envelopes, errors) = parse_lines(text);
    if let Some(error) = errors.into_iter().next() {
        let message = error.message.chars().take(120).collect();
        return Err(ImportError::NotAnEvent { line: error.line, message });
    }
    if envelopes.is_empty() {
        return Err(ImportError::Empty);
    }
    // Nothing the app stores may be refused by the sync server: check what it would check.
    if let Some((index, problem)) =
        envelopes.iter().enumerate().find_map(|(i, e)| Some((i + 1, e.to_wire().problem()?)))
    {
        return Err(ImportError::Refused { index, problem });
    }
    let mut streams: Vec<Uuid> = envelopes.iter().map(|e| e.stream).collect();
    streams.sort();
    streams.dedup();
    if streams.len() > 1 {
        return Err(ImportError::ManyBoards(streams.len()));
    }
    let events: Vec<RawEnvelope> =
        envelopes.into_iter().map(|e| RawEnvelope { id: new_id(), stream, seq: None, ..e }).collect();
    let decoded: Vec<Event<BoardEvent>> = events.iter().cloned().map(Event::decode).collect();
    if !BoardProjections::replay(decoded.iter()).board.is_created() {
        return Err(ImportError::NoBoard);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chronicle_board::workload::generate;

    fn ids() -> impl FnMut() -> Uuid {
        let mut n = 0u128;
        move || {
            n += 1;
            Uuid::from_u128(n)
        }
    }

    fn exported() -> (Vec<RawEnvelope>, String) {
        let events: Vec<RawEnvelope> = generate(50, 3).iter().map(Event::encode).collect();
        let text = export_lines(&events);
        (events, text)
    }

    #[test]
    fn an_exported_history_comes_back_as_a_new_board_that_reads_the_same() {
        let (events, text) = exported();
        assert_eq!(text.lines().count(), events.len());
        let stream = Uuid::from_u128(77);
        let imported = import_lines(&text, stream, ids()).unwrap();
        assert_eq!(imported.len(), events.len());
        assert!(imported.iter().all(|e| e.stream == stream && e.seq.is_none()));
        let replay = |events: &[RawEnvelope]| {
            let decoded: Vec<Event<BoardEvent>> = events.iter().cloned().map(Event::decode).collect();
            BoardProjections::replay(decoded.iter()).board
        };
        let (before, after) = (replay(&events), replay(&imported));
        assert_eq!(before.name(), after.name());
        assert_eq!(before.live_cards(), after.live_cards());
        assert_eq!(
            events.iter().map(|e| (&e.kind, e.at, e.device)).collect::<Vec<_>>(),
            imported.iter().map(|e| (&e.kind, e.at, e.device)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn file_names_keep_what_is_safe() {
        assert_eq!(file_name("Release 1.0"), "Release 1.0.chronicle.jsonl");
        assert_eq!(file_name("a/b\\c:d"), "a-b-c-d.chronicle.jsonl");
        assert_eq!(file_name("..."), "board.chronicle.jsonl");
    }

    #[test]
    fn malformed_and_foreign_files_are_refused_with_the_reason() {
        let (_, text) = exported();
        let stream = Uuid::from_u128(77);
        assert_eq!(import_lines("", stream, ids()), Err(ImportError::Empty));
        assert_eq!(import_lines("\n \n", stream, ids()), Err(ImportError::Empty));
        let broken = text.replacen('}', "", 1);
        assert!(matches!(import_lines(&broken, stream, ids()), Err(ImportError::NotAnEvent { line: 1, .. })));
        let foreign = "name,title\nBoard,Card\n";
        assert!(matches!(import_lines(foreign, stream, ids()), Err(ImportError::NotAnEvent { line: 1, .. })));
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let other: Vec<RawEnvelope> = generate(3, 4).iter().map(Event::encode).collect();
        lines.push(serde_json::to_string(&other[1]).unwrap());
        assert_eq!(import_lines(&lines.join("\n"), stream, ids()), Err(ImportError::ManyBoards(2)));
        let tail: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert_eq!(import_lines(&tail, stream, ids()), Err(ImportError::NoBoard));

        // Events the sync server would refuse are refused here, before anything is stored.
        let mut events: Vec<RawEnvelope> = generate(5, 3).iter().map(Event::encode).collect();
        events[2].kind = "k".repeat(65);
        let refused = import_lines(&export_lines(&events), stream, ids());
        assert!(matches!(refused, Err(ImportError::Refused { index: 3, .. })), "{refused:?}");
        events[2].kind = "card_added".into();
        events[3].data = serde_json::json!({ "note": "x".repeat(70_000) }).into();
        let refused = import_lines(&export_lines(&events), stream, ids());
        assert!(matches!(refused, Err(ImportError::Refused { index: 4, .. })), "{refused:?}");
    }
}
