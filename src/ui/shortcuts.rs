//! The list of the app's keyboard shortcuts, opened with "?" or from the top bar.

use leptos::prelude::*;

/// Every shortcut of the app, with where it works and what it does.
const SHORTCUTS: &[(&str, &str)] = &[
    ("?", "Show this list"),
    ("/", "Filter the cards of the open board"),
    ("Ctrl+Z, ⌘Z", "Undo your last change on this board (in a text field, the field's own undo)"),
    ("Ctrl+Shift+Z, ⌘⇧Z, Ctrl+Y", "Redo the last change you undid"),
    ("Enter, in a new card's box", "Add the card"),
    ("Escape, while editing a card", "Stop editing, changing nothing"),
    ("← →, on the history slider", "One change back or forward"),
    ("Page Up, Page Down, on the history slider", "Ten changes back or forward"),
    ("Home, End, on the history slider", "The first change, and now"),
    ("Tab, Shift+Tab", "The next or previous control: every action has a button"),
];

/// Whether a key press was typed into a field, where keys are text, not shortcuts.
pub(crate) fn typed_in_a_field(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok()).is_some_and(|e| {
        matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || e.has_attribute("contenteditable")
    })
}

/// The button in the top bar, and the dialog it opens.
#[component]
pub(crate) fn Shortcuts() -> impl IntoView {
    let dialog: NodeRef<leptos::html::Dialog> = NodeRef::new();
    let open = move || {
        if let Some(dialog) = dialog.get_untracked()
            && !dialog.open()
        {
            let _ = dialog.show_modal();
        }
    };
    let question = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "?" && !ev.ctrl_key() && !ev.meta_key() && !ev.alt_key() && !typed_in_a_field(&ev) {
            ev.prevent_default();
            open();
        }
    });
    on_cleanup(move || question.remove());
    view! {
        <button class="ghost small" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" on:click=move |_| open()>"?"</button>
        <dialog node_ref=dialog class="shortcuts panel" aria-labelledby="shortcuts-heading">
            <h2 id="shortcuts-heading">"Keyboard shortcuts"</h2>
            <table>
                <tbody>
                    {SHORTCUTS.iter().map(|(keys, does)| view! {
                        <tr><th scope="row"><kbd>{*keys}</kbd></th><td>{*does}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <form method="dialog"><button class="primary small">"Close"</button></form>
        </dialog>
    }
}
