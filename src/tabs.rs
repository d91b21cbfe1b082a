//! Other tabs of this browser profile: each tells the others when it has written to a board, so
//! that a board open in two tabs behaves as one (BroadcastChannel; no server involved).

use chronicle_core::Uuid;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BroadcastChannel, MessageEvent};

const CHANNEL: &str = "chronicle-boards";

#[derive(Serialize, Deserialize)]
struct Written {
    stream: Uuid,
    end: u64,
}

/// A tab's line to the others. Closing it (by dropping) stops listening.
pub struct Tabs {
    channel: BroadcastChannel,
    _listener: Closure<dyn FnMut(MessageEvent)>,
}

impl Tabs {
    /// Listens for other tabs' writes: `on_written(stream, end)` runs when another tab has stored
    /// a board's log up to `end`. `None` where the browser has no BroadcastChannel.
    pub fn listen(on_written: impl Fn(Uuid, u64) + 'static) -> Option<Tabs> {
        let channel = BroadcastChannel::new(CHANNEL).ok()?;
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            // Messages come only from this app, but a message that does not read is ignored.
            if let Some(written) = event.data().as_string().and_then(|text| serde_json::from_str::<Written>(&text).ok())
            {
                on_written(written.stream, written.end);
            }
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        Some(Tabs { channel, _listener: listener })
    }

    /// Tells the other tabs that this one stored `stream`'s log up to `end`.
    pub fn announce(&self, stream: Uuid, end: u64) {
        if let Ok(text) = serde_json::to_string(&Written { stream, end }) {
            // A tab that cannot be told catches up at its next write or reload; nothing is lost.
            let _ = self.channel.post_message(&text.into());
        }
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
