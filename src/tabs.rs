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
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
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
    /// The board was removed from this browser.
    Removed {
        /// The board.
        stream: Uuid,
    },
}

impl Notice {
    /// The notice as a message to the other tabs: an object, as structured clone carries it.
    pub fn to_message(&self) -> Option<JsValue> {
        self.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).ok()
    }

    /// Reads a message from another tab: this version's object, or the JSON text that earlier
    /// versions sent. Anything else is `None`.
    pub fn from_message(message: JsValue) -> Option<Notice> {
        // Earlier text is parsed to the object this version sends, so that one reader serves both;
        // text that is not JSON is this version's form of a notice without fields ("Hello").
        let message = match message.as_string().map(|text| js_sys::JSON::parse(&text)) {
            Some(Ok(parsed)) => parsed,
            _ => message,
        };
        serde_wasm_bindgen::from_value(message).ok()
    }
}

type Listener<T> = Rc<dyn Fn(&T)>;

/// Callbacks to tell of something; one may be added or removed while they are being told.
pub struct Listeners<T: ?Sized> {
    next: Cell<u64>,
    list: RefCell<Vec<(u64, Listener<T>)>>,
}

impl<T: ?Sized> Default for Listeners<T> {
    fn default() -> Self {
        Listeners { next: Cell::new(0), list: RefCell::new(Vec::new()) }
    }
}

impl<T: ?Sized + 'static> Listeners<T> {
    /// Calls `listener` with everything told, until the subscription is dropped.
    pub fn add(self: &Rc<Self>, listener: impl Fn(&T) + 'static) -> Subscription {
        let id = self.next.get();
        self.next.set(id + 1);
        self.list.borrow_mut().push((id, Rc::new(listener)));
        let listeners = Rc::downgrade(self);
        Subscription {
            remove: Some(Box::new(move || {
                if let Some(listeners) = listeners.upgrade() {
                    listeners.list.borrow_mut().retain(|(i, _)| *i != id);
                }
            })),
        }
    }

    /// Tells every listener.
    pub fn tell(&self, value: &T) {
        // Cloned first, so that a listener may add or remove one while being told.
        let list: Vec<Listener<T>> = self.list.borrow().iter().map(|(_, l)| Rc::clone(l)).collect();
        for listener in list {
            listener(value);
        }
    }
}

/// This tab's line to itself and to the other tabs.
pub struct Tabs {
    channel: Option<BroadcastChannel>,
    _listener: Option<Closure<dyn FnMut(MessageEvent)>>,
    subscribers: Rc<Listeners<Notice>>,
}

/// A subscription; dropping it stops the calls.
pub struct Subscription {
    remove: Option<Box<dyn FnOnce()>>,
}

impl Subscription {
    /// Keeps the subscription for as long as the page lives.
    pub fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(remove) = self.remove.take() {
            remove();
        }
    }
}

impl Tabs {
    /// Opens the channel. Without BroadcastChannel (very old browsers) notices stay in this tab.
    pub fn open() -> Rc<Tabs> {
        let subscribers: Rc<Listeners<Notice>> = Rc::default();
        let channel = BroadcastChannel::new(CHANNEL).ok();
        let listener = channel.as_ref().map(|channel| {
            let subscribers = Rc::clone(&subscribers);
            let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                // Messages come only from this app, but one that does not read is ignored.
                if let Some(notice) = Notice::from_message(event.data()) {
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
        self.subscribers.add(on_notice)
    }

    /// Tells this tab and the others.
    pub fn publish(&self, notice: Notice) {
        if let (Some(channel), Some(message)) = (&self.channel, notice.to_message()) {
            // A tab that cannot be told catches up at its next write or reload; nothing is lost.
            let _ = channel.post_message(&message);
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
