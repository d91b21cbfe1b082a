//! News about boards, inside this tab and between the tabs of this browser profile.
//!
//! Whoever changes a board's stored log, or learns how its sync stands, [`Tabs::publish`]es a
//! [`Notice`]: every subscriber in this tab hears it at once, and every other tab hears it over a
//! BroadcastChannel. That is how two tabs on one board stay in step without a server, and how a
//! tab that does not hold a board's sync lock still shows its sync status.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use chronicle_core::{SyncStatus, Uuid};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::storage::LogState;

const CHANNEL: &str = "chronicle-boards";

/// Something that happened to a board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Notice {
    /// The board's stored log is now at `state`.
    Written {
        /// The board.
        stream: Uuid,
        /// Its log state after the write.
        state: LogState,
    },
    /// How the board's sync stands, from the tab that syncs it.
    Sync {
        /// The board.
        stream: Uuid,
        /// Its status.
        status: SyncStatus,
    },
    /// A tab has started and would like every board's sync status.
    Hello,
}

type Subscriber = Rc<dyn Fn(&Notice)>;

#[derive(Default)]
struct Subscribers {
    next: Cell<u64>,
    list: RefCell<Vec<(u64, Subscriber)>>,
}

impl Subscribers {
    fn tell(&self, notice: &Notice) {
        // Cloned first, so that a subscriber may subscribe or leave while being told.
        let list: Vec<Subscriber> = self.list.borrow().iter().map(|(_, s)| Rc::clone(s)).collect();
        for subscriber in list {
            subscriber(notice);
        }
    }
}

/// This tab's line to itself and to the other tabs.
pub struct Tabs {
    channel: Option<BroadcastChannel>,
    _listener: Option<Closure<dyn FnMut(MessageEvent)>>,
    subscribers: Rc<Subscribers>,
}

/// A subscription; dropping it stops the calls.
pub struct Subscription {
    id: u64,
    subscribers: Rc<Subscribers>,
}

impl Subscription {
    /// Keeps the subscription for as long as the page lives.
    pub fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.subscribers.list.borrow_mut().retain(|(id, _)| *id != self.id);
    }
}

impl Tabs {
    /// Opens the channel. Without BroadcastChannel (very old browsers) notices stay in this tab.
    pub fn open() -> Rc<Tabs> {
        let subscribers = Rc::new(Subscribers::default());
        let channel = BroadcastChannel::new(CHANNEL).ok();
        let listener = channel.as_ref().map(|channel| {
            let subscribers = Rc::clone(&subscribers);
            let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                // Messages come only from this app, but one that does not read is ignored.
                if let Some(notice) = event.data().as_string().and_then(|text| serde_json::from_str(&text).ok()) {
                    subscribers.tell(&notice);
                }
            });
            channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
            listener
        });
        Rc::new(Tabs { channel, _listener: listener, subscribers })
    }

    /// Calls `on_notice` for every notice, from this tab or another, until the subscription drops.
    pub fn subscribe(&self, on_notice: impl Fn(&Notice) + 'static) -> Subscription {
        let id = self.subscribers.next.get();
        self.subscribers.next.set(id + 1);
        self.subscribers.list.borrow_mut().push((id, Rc::new(on_notice)));
        Subscription { id, subscribers: Rc::clone(&self.subscribers) }
    }

    /// Tells this tab and the others.
    pub fn publish(&self, notice: Notice) {
        if let (Some(channel), Ok(text)) = (&self.channel, serde_json::to_string(&notice)) {
            // A tab that cannot be told catches up at its next write or reload; nothing is lost.
            let _ = channel.post_message(&text.into());
        }
        self.subscribers.tell(&notice);
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        if let Some(channel) = &self.channel {
            channel.set_onmessage(None);
            channel.close();
        }
    }
}
