//! What every page shares: the board service, this device, the route, and the notice line.

use std::collections::HashMap;
use std::rc::Rc;

use chronicle_core::{SyncStatus, Uuid};
use leptos::prelude::*;

use crate::service::BoardService;

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
    pub(crate) service: StoredValue<Rc<BoardService>, LocalStorage>,
    pub(crate) device_name: RwSignal<String>,
    pub(crate) notice: RwSignal<Option<String>>,
    pub(crate) route: RwSignal<Route>,
    /// Each board's sync status, as the tab that syncs it last said.
    pub(crate) sync: RwSignal<HashMap<Uuid, SyncStatus>>,
}

impl Workspace {
    pub(crate) fn service(&self) -> Rc<BoardService> {
        self.service.get_value()
    }

    pub(crate) fn go(&self, route: Route) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_hash(&route.href());
        }
        self.route.set(route);
    }

    pub(crate) fn tell(&self, message: impl Into<String>) {
        self.notice.set(Some(message.into()));
    }
}

pub(crate) fn workspace() -> Workspace {
    expect_context::<Workspace>()
}
