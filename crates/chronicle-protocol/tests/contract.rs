//! `docs/protocol.md` and the types agree: every error code is in the table with its status, the
//! limits read the same, and the examples in the prose parse as the types.

use chronicle_protocol::{
    Created, ErrorBody, ErrorCode, MAX_BATCH_EVENTS, MAX_BODY_BYTES, MAX_CREATE_BYTES, MAX_EVENT_BYTES, MAX_PAGE_BYTES,
    MAX_PUSH_BYTES, MAX_TOKEN_CHARS, MAX_TYPE_CHARS, MAX_VERSION, MIN_TOKEN_CHARS, Page, Pushed, WireEnvelope,
};

fn prose() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.md");
    std::fs::read_to_string(path).expect("docs/protocol.md is there")
}

/// The rows of the error table: (status, code).
fn error_table(prose: &str) -> Vec<(u16, String)> {
    prose
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let status = cells.get(1)?.parse().ok()?;
            let code = cells.get(2)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((status, code.to_owned()))
        })
        .collect()
}

#[test]
fn every_error_code_is_documented_with_its_status_and_nothing_else_is() {
    let table = error_table(&prose());
    let codes: Vec<(u16, String)> = ErrorCode::ALL.iter().map(|c| (c.status(), c.as_str().to_owned())).collect();
    for code in &codes {
        assert!(table.contains(code), "docs/protocol.md has no row for {code:?}");
    }
    for row in &table {
        assert!(codes.contains(row), "docs/protocol.md names {row:?}, which the protocol does not send");
    }
}

#[test]
fn codes_are_written_as_the_prose_names_them_and_unknown_ones_still_read() {
    for code in ErrorCode::ALL {
        assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(code.as_str()));
    }
    let body: ErrorBody =
        serde_json::from_str(r#"{"error":{"code":"shiny_new_code","message":"Later servers say more."}}"#).unwrap();
    assert_eq!(body.error.code, ErrorCode::Unknown);
}

#[test]
fn the_limits_read_the_same_in_the_prose() {
    let prose = prose();
    for phrase in [
        format!("at most {MAX_BATCH_EVENTS} events"),
        format!("{} MiB of envelopes", MAX_PUSH_BYTES / (1024 * 1024)),
        format!("at most {} MiB of envelopes: a page ends early", MAX_PAGE_BYTES / (1024 * 1024)),
        format!("The body may be at most {MAX_CREATE_BYTES} bytes"),
        format!("{MIN_TOKEN_CHARS} to {MAX_TOKEN_CHARS} characters"),
        format!("{} KiB", MAX_EVENT_BYTES / 1024),
        format!("{} MiB", MAX_BODY_BYTES / (1024 * 1024)),
        format!("1 to {MAX_TYPE_CHARS} characters"),
        format!("from 1 to {MAX_VERSION}"),
    ] {
        assert!(prose.contains(&phrase), "docs/protocol.md does not say {phrase:?}");
    }
}

#[test]
fn the_examples_in_the_prose_parse_as_the_types() {
    let prose = prose();
    let examples: Vec<&str> = prose.split("```json").skip(1).filter_map(|block| block.split("```").next()).collect();
    let envelope = examples[0].replace("\"…\"", "\"0190a4d2-7f6e-7c3b-9d2a-1b2c3d4e5f61\"");
    let envelope: WireEnvelope = serde_json::from_str(&envelope).expect("the envelope example");
    assert_eq!((envelope.kind.as_str(), envelope.version), ("card_moved", 1));
    let reply = |n: usize| {
        let text = examples[n].trim();
        let json =
            text.split_once(' ').map_or(text, |(status, rest)| if status.parse::<u16>().is_ok() { rest } else { text });
        json.replace("\"…\"", "\"0190a4d2-7f6e-7c3b-9d2a-1b2c3d4e5f61\"").replace(", …", "")
    };
    let sealed: WireEnvelope = serde_json::from_str(examples[1]).expect("the sealed envelope example");
    assert_eq!((sealed.kind.as_str(), sealed.version), ("sealed", 1));
    assert_eq!(sealed.problem(), None);
    let pushed: Pushed = serde_json::from_str(&reply(2)).expect("the push reply example");
    assert_eq!(pushed.head, 42);
    let error: ErrorBody = serde_json::from_str(&reply(4)).expect("the error example");
    assert_eq!(error.error.code, ErrorCode::BadEnvelope);
    let refused: ErrorBody = serde_json::from_str(&reply(5)).expect("the example of a refused event");
    assert_eq!((refused.error.code, refused.error.index), (ErrorCode::EventIdReused, Some(1)));
    let created: Created =
        serde_json::from_str(r#"{"stream":"0190a4d2-7f6e-7c3b-9d2a-1b2c3d4e5f61","token":"ab"}"#).unwrap();
    assert_eq!(created.token, "ab");
    let empty: Page = serde_json::from_str(r#"{"events":[],"head":0}"#).unwrap();
    assert!(empty.events.is_empty());
}

/// The size limit is checked as the server checks it: on the envelope as the server stores it,
/// its data written out compactly, not on the data's text as it came.
#[test]
fn an_events_size_is_measured_as_the_server_stores_it() {
    let envelope = |data: String| WireEnvelope {
        id: "0190a4d2-7f6e-7c3b-9d2a-1b2c3d4e5f61".parse().unwrap(),
        kind: "noted".to_owned(),
        version: 1,
        device: "0190a4d2-7f6e-7c3b-9d2a-1b2c3d4e5f62".parse().unwrap(),
        at: 0,
        seq: None,
        data: chronicle_protocol::Data::from_text(data).unwrap(),
    };
    // Spaces the server drops: more than the limit as it came, well under it as stored.
    let spaced = envelope(format!("{{\"note\": \"x\"{}}}", " ".repeat(MAX_EVENT_BYTES)));
    assert_eq!(spaced.problem(), None);
    // Numbers the server writes out in full: under the limit as they came, over it as stored.
    let count = MAX_EVENT_BYTES / 6;
    let numbers = envelope(format!("[{}]", vec!["1e15"; count].join(",")));
    assert!(serde_json::to_vec(&numbers).unwrap().len() < MAX_EVENT_BYTES);
    assert!(numbers.problem().is_some_and(|p| p.contains("bytes")), "{:?}", numbers.problem());
}

/// A payload's stored size is the length of its text as the server writes it out (read into a
/// tree of values and written compactly), without building that tree here.
#[test]
fn a_payloads_stored_size_is_its_length_as_the_server_writes_it() {
    let data = |text: &str| chronicle_protocol::Data::from_text(text.to_owned()).unwrap();
    let servers =
        |text: &str| serde_json::to_string(&serde_json::from_str::<serde_json::Value>(text).unwrap()).unwrap();
    for text in [r#"{ "a" : [1, 2.50, "x y", null, true] }"#, "1e15", "-0.0001", r#""\u0041\n""#, "[ ]", "{\n}"] {
        assert_eq!(data(text).stored_size(), servers(text).len(), "{text}");
    }
    // A key given twice counts twice: the server keeps it once, so the client's check may refuse
    // such an event just over the limit that the server would take, never the other way round.
    let twice = r#"{"a":1,"a":2}"#;
    assert_eq!((data(twice).stored_size(), servers(twice).len()), (twice.len(), r#"{"a":2}"#.len()));
}
