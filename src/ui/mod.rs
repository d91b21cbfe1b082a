//! The Leptos components: the app shell, the board list, the board page and its panels.

// `#[component]` generates a public props struct beside each private component.
#![allow(unreachable_pub)]

mod activity_panel;
mod app;
mod board_context;
mod board_list;
mod board_page;
mod card;
mod card_dialog;
mod column;
mod feed;
mod filter;
mod flow_panel;
mod history_panel;
mod privacy;
mod set_aside_panel;
mod share;
mod shortcuts;
mod status_line;
mod undo;
mod workspace;

pub(crate) use app::App;
