//! What every page shares: the open database, this device, the route, and the notice line.

use std::collections::HashMap;
use std::rc::Rc;

use chronicle_core::{SyncStatus, Uuid};
use leptos::prelude::*;

use crate::storage::{LogState, Storage};
use crate::sync::SyncHub;
use crate::tabs::{Notice, Subscription, Tabs};

/// Where the person is in the app, kept in the URL fragment so a reload returns there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Boards,
    Board(Uuid),
}

impl Route {
    pub(crate) fn from_hash(hash: &str) -> Route {
        hash.trim_start_matches('#')
            .strip_prefix("/board/")
            .and_then(|id| id.parse().ok())
            .map_or(Route::Boards, Route::Board)
    }

    /// A share link's board and token: `#/join/<stream>/<token>`.
    pub(crate) fn join_link(hash: &str) -> Option<(Uuid, String)> {
        let rest = hash.trim_start_matches('#').strip_prefix("/join/")?;
        let (stream, token) = rest.split_once('/')?;
        let token = token.trim();
        (!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()))
            .then(|| Some((stream.parse().ok()?, token.to_owned())))
            .flatten()
    }

    pub(crate) fn href(self) -> String {
        match self {
            Route::Boards => "#/".to_owned(),
            Route::Board(id) => format!("#/board/{id}"),
        }
    }
}

/// Shared by all pages; cheap to copy.
#[derive(Clone, Copy)]
pub(crate) struct Workspace {
    pub(crate) storage: StoredValue<Rc<Storage>, LocalStorage>,
    pub(crate) device: Uuid,
    pub(crate) device_name: RwSignal<String>,
    pub(crate) notice: RwSignal<Option<String>>,
    pub(crate) route: RwSignal<Route>,
    pub(crate) tabs: StoredValue<Rc<Tabs>, LocalStorage>,
    pub(crate) hub: StoredValue<Rc<SyncHub>, LocalStorage>,
    /// Each board's sync status, as the tab that syncs it last said.
    pub(crate) sync: RwSignal<HashMap<Uuid, SyncStatus>>,
}

impl Workspace {
    pub(crate) fn storage(&self) -> Rc<Storage> {
        self.storage.get_value()
    }

    pub(crate) fn go(&self, route: Route) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_hash(&route.href());
        }
        self.route.set(route);
    }

    /// A board's stored log changed here: tells this tab's panels, the other tabs and the sync.
    pub(crate) fn written(&self, stream: Uuid, state: LogState) {
        self.tabs.get_value().publish(Notice::Written { stream, state });
    }

    /// Calls `on_notice` for every notice about boards until the subscription is dropped.
    pub(crate) fn subscribe(&self, on_notice: impl Fn(&Notice) + 'static) -> Subscription {
        self.tabs.get_value().subscribe(on_notice)
    }

    /// Syncs a board (a new one, or one joined by a share link).
    pub(crate) fn sync(&self, stream: Uuid) {
        self.hub.get_value().watch(stream);
    }

    pub(crate) fn tell(&self, message: impl Into<String>) {
        self.notice.set(Some(message.into()));
    }
}

pub(crate) fn workspace() -> Workspace {
    expect_context::<Workspace>()
}
