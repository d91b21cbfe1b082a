//! The web app's layers, checked from its source: the screens talk to the board service only, and
//! imports inside `src/ui/` run page → panels → context, never back.

#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::Path;

/// Modules below the board service, which no component may use.
const BELOW_THE_SERVICE: [&str; 6] = ["storage", "boards", "session", "sync", "remote", "tabs"];

fn components() -> Vec<(String, String)> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
    let mut files: Vec<(String, String)> = fs::read_dir(folder)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() > 10, "the components are found");
    files
}

#[test]
fn components_talk_to_the_service_and_nothing_below_it() {
    for (name, text) in components() {
        for module in BELOW_THE_SERVICE {
            for way in [format!("crate::{module}::"), format!("crate::{module};"), format!("crate::{{{module}")] {
                assert!(!text.contains(&way), "src/ui/{name}.rs uses `{way}`: go through crate::service");
            }
        }
    }
}

#[test]
fn panels_and_the_context_never_import_the_page() {
    for (name, text) in components() {
        if ["mod", "app", "board_page"].contains(&name.as_str()) {
            continue;
        }
        assert!(!text.contains("board_page::"), "src/ui/{name}.rs imports the board page, which imports it");
    }
    let context = components().into_iter().find(|(name, _)| name == "board_context").unwrap().1;
    for line in context.lines().filter(|l| l.starts_with("use super::")) {
        assert_eq!(line, "use super::workspace::Workspace;", "the context uses no panel");
    }
}
